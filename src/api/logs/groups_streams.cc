// LogsApi: groups, streams, retention and tags.
#include <algorithm>
#include <set>

#include "api/logs/logs_api.h"
#include "common/ids.h"

namespace berth::api {

using nlohmann::json;

Reply LogsFail(const Status& s) { return ErrorReply(LogsError(s)); }
Reply LogsInvalid(const std::string& message) {
  return ErrorReply({400, "InvalidParameterException", message});
}

namespace {

bool ValidGroupName(const std::string& s) {
  if (s.empty() || s.size() > 512 || s.rfind("aws/", 0) == 0) return false;
  for (char c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && !strchr("._-/#", c)) return false;
  }
  return true;
}

bool ValidStreamName(const std::string& s) {
  return !s.empty() && s.size() <= 512 && s.find(':') == std::string::npos &&
         s.find('*') == std::string::npos;
}

// "arn:aws:logs:R:A:log-group:NAME[:*]" → NAME; a name is returned as is.
std::string GroupFromIdentifier(const std::string& id) {
  const std::string marker = ":log-group:";
  size_t p = id.find(marker);
  if (id.rfind("arn:", 0) != 0 || p == std::string::npos) return id;
  std::string name = id.substr(p + marker.size());
  if (name.size() >= 2 && name.compare(name.size() - 2, 2, ":*") == 0) name.resize(name.size() - 2);
  return name;
}

std::vector<std::pair<std::string, std::string>> TagsFrom(const json* obj, std::string* error) {
  std::vector<std::pair<std::string, std::string>> tags;
  if (!obj) return tags;
  if (!obj->is_object()) {
    *error = "tags must be a map of strings.";
    return tags;
  }
  if (obj->size() > 50) *error = "A log group can have at most 50 tags.";
  for (const auto& [k, v] : obj->items()) {
    if (!v.is_string()) {
      *error = "tags must be a map of strings.";
    } else if (k.empty() || k.size() > 128 || v.get<std::string>().size() > 256 ||
               k.rfind("aws:", 0) == 0) {
      *error = "Invalid tag: keys are 1-128 characters without the aws: prefix, values at most 256.";
    }
    if (!error->empty()) return {};
    tags.emplace_back(k, v.get<std::string>());
  }
  return tags;
}

// Offset paging for Describe*: the token is "o.<offset>".
bool PageBounds(Input& in, size_t total, size_t* begin, size_t* end, std::string* next,
                Reply* error) {
  auto limit = in.Integer("limit");
  auto token = in.String("nextToken");
  if (!in.ok()) {
    *error = InputError(in);
    return false;
  }
  if (limit && (*limit < 1 || *limit > 50)) {
    *error = LogsInvalid("1 validation error detected: Value at 'limit' failed to satisfy "
                         "constraint: Member must have value between 1 and 50");
    return false;
  }
  size_t offset = 0;
  if (token) {
    if (token->rfind("o.", 0) != 0 || token->size() > 14 ||
        token->find_first_not_of("0123456789", 2) != std::string::npos || token->size() == 2) {
      *error = LogsInvalid("The specified nextToken is invalid.");
      return false;
    }
    offset = std::stoul(token->substr(2));
  }
  size_t page = limit ? static_cast<size_t>(*limit) : 50;
  *begin = std::min(offset, total);
  *end = std::min(total, *begin + page);
  if (*end < total) *next = "o." + std::to_string(*end);
  return true;
}

}  // namespace

std::string LogsApi::GroupName(Input& in) {
  auto name = in.String("logGroupName");
  auto id = in.String("logGroupIdentifier");
  if (!in.ok()) return "";
  if (name && id) {
    in.Fail({400, "InvalidParameterException",
             "LogGroup name and LogGroup identifier are mutually exclusive parameters."});
    return "";
  }
  if (!name && !id) {
    in.Fail({400, "InvalidParameterException",
             "Either the LogGroup name or the LogGroup identifier must be specified."});
    return "";
  }
  return name ? *name : GroupFromIdentifier(*id);
}

HttpResponse LogsApi::Handle(const std::string& op, const std::string& body,
                             const std::string& region) {
  json parsed;
  Reply reply = ParseJsonBody(body, &parsed);
  if (!reply.error) {
    Input in(parsed);
    if (op == "CreateLogGroup") reply = CreateLogGroup(in);
    else if (op == "DeleteLogGroup") reply = DeleteLogGroup(in);
    else if (op == "DescribeLogGroups") reply = DescribeLogGroups(in, region);
    else if (op == "CreateLogStream") reply = CreateLogStream(in);
    else if (op == "DeleteLogStream") reply = DeleteLogStream(in);
    else if (op == "DescribeLogStreams") reply = DescribeLogStreams(in, region);
    else if (op == "PutRetentionPolicy") reply = PutRetentionPolicy(in);
    else if (op == "DeleteRetentionPolicy") reply = DeleteRetentionPolicy(in);
    else if (op == "TagLogGroup") reply = TagLogGroup(in);
    else if (op == "UntagLogGroup") reply = UntagLogGroup(in);
    else if (op == "ListTagsLogGroup") reply = ListTagsLogGroup(in);
    else if (op == "TagResource") reply = TagResource(in);
    else if (op == "UntagResource") reply = UntagResource(in);
    else if (op == "ListTagsForResource") reply = ListTagsForResource(in);
    else if (op == "PutLogEvents") reply = PutLogEvents(in);
    else if (op == "GetLogEvents") reply = GetLogEvents(in);
    else if (op == "FilterLogEvents") reply = FilterLogEvents(in);
    else {
      reply = ErrorReply({400, "UnknownOperationException",
                          "The operation " + op + " is not supported by berth's CloudWatch Logs API."});
    }
  }
  return ToHttpResponse(reply);
}

Reply LogsApi::CreateLogGroup(Input& in) {
  std::string name = in.RequiredString("logGroupName");
  const json* tags_json = in.Object("tags");
  if (!in.ok()) return InputError(in);
  if (!ValidGroupName(name)) {
    return LogsInvalid("1 validation error detected: Value '" + name.substr(0, 64) +
                       "' at 'logGroupName' failed to satisfy constraint: Member must satisfy "
                       "regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
  }
  std::string error;
  auto tags = TagsFrom(tags_json, &error);
  if (!error.empty()) return LogsInvalid(error);
  Status st = store_.CreateGroup(name, tags);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::DeleteLogGroup(Input& in) {
  std::string name = in.RequiredString("logGroupName");
  if (!in.ok()) return InputError(in);
  Status st = store_.DeleteGroup(name);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::DescribeLogGroups(Input& in, const std::string& region) {
  std::string prefix = in.StringOr("logGroupNamePrefix", "");
  std::string pattern = in.StringOr("logGroupNamePattern", "");
  if (!in.ok()) return InputError(in);
  if (!prefix.empty() && !pattern.empty()) {
    return LogsInvalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
  }
  std::vector<logs::GroupInfo> groups;
  for (auto& g : store_.ListGroups()) {
    if (!prefix.empty() && g.name.rfind(prefix, 0) != 0) continue;
    if (!pattern.empty() && g.name.find(pattern) == std::string::npos) continue;
    groups.push_back(std::move(g));
  }
  size_t begin, end;
  std::string next;
  Reply error;
  if (!PageBounds(in, groups.size(), &begin, &end, &next, &error)) return error;
  Reply r;
  r.body["logGroups"] = json::array();
  for (size_t i = begin; i < end; ++i) {
    const auto& g = groups[i];
    std::string arn = "arn:aws:logs:" + region + ":" + account_id_ + ":log-group:" + g.name;
    json j = {{"logGroupName", g.name},         {"creationTime", g.creation_time},
              {"metricFilterCount", 0},         {"arn", arn + ":*"},
              {"logGroupArn", arn},             {"storedBytes", g.stored_bytes},
              {"logGroupClass", "STANDARD"}};
    if (g.retention_days) j["retentionInDays"] = *g.retention_days;
    r.body["logGroups"].push_back(j);
  }
  if (!next.empty()) r.body["nextToken"] = next;
  return r;
}

Reply LogsApi::CreateLogStream(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  std::string stream = in.RequiredString("logStreamName");
  if (!in.ok()) return InputError(in);
  if (!ValidStreamName(stream)) {
    return LogsInvalid("1 validation error detected: Value at 'logStreamName' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: [^:*]*");
  }
  Status st = store_.CreateStream(group, stream);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::DeleteLogStream(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  std::string stream = in.RequiredString("logStreamName");
  if (!in.ok()) return InputError(in);
  Status st = store_.DeleteStream(group, stream);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::DescribeLogStreams(Input& in, const std::string& region) {
  std::string group = GroupName(in);
  std::string prefix = in.StringOr("logStreamNamePrefix", "");
  std::string order = in.StringOr("orderBy", "LogStreamName");
  bool descending = in.Boolean("descending").value_or(false);
  if (!in.ok()) return InputError(in);
  if (order != "LogStreamName" && order != "LastEventTime") {
    return LogsInvalid("orderBy must be LogStreamName or LastEventTime.");
  }
  if (order == "LastEventTime" && !prefix.empty()) {
    return LogsInvalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  auto streams = store_.ListStreams(group);
  if (!streams.ok()) return LogsFail(streams.status());
  std::vector<logs::StreamInfo> list;
  for (auto& s : *streams) {
    if (s.name.rfind(prefix, 0) == 0) list.push_back(std::move(s));
  }
  if (order == "LastEventTime") {
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return a.last_event_timestamp.value_or(0) < b.last_event_timestamp.value_or(0);
    });
  } else {
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  }
  if (descending) std::reverse(list.begin(), list.end());
  size_t begin, end;
  std::string next;
  Reply error;
  if (!PageBounds(in, list.size(), &begin, &end, &next, &error)) return error;
  Reply r;
  r.body["logStreams"] = json::array();
  for (size_t i = begin; i < end; ++i) {
    const auto& s = list[i];
    json j = {{"logStreamName", s.name},
              {"creationTime", s.creation_time},
              {"arn", "arn:aws:logs:" + region + ":" + account_id_ + ":log-group:" + group +
                          ":log-stream:" + s.name},
              {"storedBytes", s.stored_bytes}};
    if (s.first_event_timestamp) j["firstEventTimestamp"] = *s.first_event_timestamp;
    if (s.last_event_timestamp) j["lastEventTimestamp"] = *s.last_event_timestamp;
    if (s.last_ingestion_time) j["lastIngestionTime"] = *s.last_ingestion_time;
    r.body["logStreams"].push_back(j);
  }
  if (!next.empty()) r.body["nextToken"] = next;
  return r;
}

Reply LogsApi::PutRetentionPolicy(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  auto days = in.Integer("retentionInDays");
  if (!in.ok()) return InputError(in);
  static const std::set<long long> kAllowed = {1,   3,   5,   7,   14,   30,   60,   90,
                                               120, 150, 180, 365, 400,  545,  731,  1096,
                                               1827, 2192, 2557, 2922, 3288, 3653};
  if (!days || !kAllowed.count(*days)) {
    return LogsInvalid("1 validation error detected: Value at 'retentionInDays' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, "
                       "30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
                       "2922, 3288, 3653]");
  }
  Status st = store_.SetRetention(group, static_cast<int>(*days));
  if (st.ok()) store_.EnforceRetention();
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::DeleteRetentionPolicy(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  if (!in.ok()) return InputError(in);
  Status st = store_.SetRetention(group, std::nullopt);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::TagLogGroup(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  const json* tags_json = in.Object("tags");
  if (!in.ok()) return InputError(in);
  std::string error;
  auto tags = TagsFrom(tags_json, &error);
  if (!error.empty()) return LogsInvalid(error);
  Status st = store_.TagGroup(group, tags);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::UntagLogGroup(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  std::vector<std::string> keys = in.StringList("tags");
  if (!in.ok()) return InputError(in);
  Status st = store_.UntagGroup(group, keys);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::ListTagsLogGroup(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  if (!in.ok()) return InputError(in);
  auto g = store_.DescribeGroup(group);
  if (!g.ok()) return LogsFail(g.status());
  Reply r;
  r.body["tags"] = json::object();
  for (const auto& [k, v] : g->tags) r.body["tags"][k] = v;
  return r;
}

Reply LogsApi::TagResource(Input& in) {
  std::string arn = in.RequiredString("resourceArn");
  const json* tags_json = in.Object("tags");
  if (!in.ok()) return InputError(in);
  std::string error;
  auto tags = TagsFrom(tags_json, &error);
  if (!error.empty()) return LogsInvalid(error);
  Status st = store_.TagGroup(GroupFromIdentifier(arn), tags);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::UntagResource(Input& in) {
  std::string arn = in.RequiredString("resourceArn");
  std::vector<std::string> keys = in.StringList("tagKeys");
  if (!in.ok()) return InputError(in);
  Status st = store_.UntagGroup(GroupFromIdentifier(arn), keys);
  return st.ok() ? Reply{} : LogsFail(st);
}

Reply LogsApi::ListTagsForResource(Input& in) {
  std::string arn = in.RequiredString("resourceArn");
  if (!in.ok()) return InputError(in);
  auto g = store_.DescribeGroup(GroupFromIdentifier(arn));
  if (!g.ok()) return LogsFail(g.status());
  Reply r;
  r.body["tags"] = json::object();
  for (const auto& [k, v] : g->tags) r.body["tags"][k] = v;
  return r;
}

}  // namespace berth::api
