// EventsApi: dispatch, rules, targets, buses, tags, PutEvents, TestEventPattern.
#include "api/events/events_api.h"

#include <map>

namespace berth::api {

using nlohmann::json;

namespace {

double Seconds(TimeMs t) { return static_cast<double>(t) / 1000.0; }

json TagsJson(const events::Tags& tags) {
  json a = json::array();
  for (const auto& [k, v] : tags) a.push_back({{"Key", k}, {"Value", v}});
  return a;
}

events::Tags TagsFrom(Input& in, const char* key) {
  events::Tags tags;
  if (const json* a = in.Array(key)) {
    for (const auto& t : *a) {
      if (t.is_object() && t.contains("Key") && t["Key"].is_string()) {
        tags.emplace_back(t["Key"].get<std::string>(), t.contains("Value") && t["Value"].is_string()
                                                           ? t["Value"].get<std::string>()
                                                           : "");
      }
    }
  }
  return tags;
}

json RuleJson(const events::Rule& r, bool describe, const std::string& account) {
  json j = {{"Name", r.name}, {"Arn", r.arn}, {"State", r.state}, {"EventBusName", r.bus}};
  if (!r.pattern_text.empty()) j["EventPattern"] = r.pattern_text;
  if (!r.schedule_text.empty()) j["ScheduleExpression"] = r.schedule_text;
  if (!r.description.empty()) j["Description"] = r.description;
  if (!r.role_arn.empty()) j["RoleArn"] = r.role_arn;
  if (describe) j["CreatedBy"] = account;
  return j;
}

Reply InvalidPattern(const std::string& message) {
  return ErrorReply({400, "InvalidEventPatternException", message});
}

}  // namespace

Reply EventsFail(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
      return ErrorReply({400, "ValidationException", s.message()});
    case Code::kNotFound:
      return ErrorReply({400, "ResourceNotFoundException", s.message()});
    case Code::kAlreadyExists:
      return ErrorReply({400, "ResourceAlreadyExistsException", s.message()});
    case Code::kResourceExhausted:
      return ErrorReply({400, "LimitExceededException", s.message()});
    default:
      return ErrorReply({500, "InternalException", s.message()});
  }
}

Reply EventsInvalid(const std::string& message) {
  return ErrorReply({400, "ValidationException", message});
}

HttpResponse EventsApi::Handle(const std::string& op, const std::string& body,
                               const std::string& region) {
  json j;
  Reply parsed = ParseJsonBody(body, &j);
  if (parsed.error) return ToHttpResponse(parsed);
  Input in(j);
  using Handler = Reply (EventsApi::*)(Input&);
  static const std::map<std::string, Handler> kOps = {
      {"PutRule", &EventsApi::PutRule},
      {"DescribeRule", &EventsApi::DescribeRule},
      {"ListRules", &EventsApi::ListRules},
      {"DeleteRule", &EventsApi::DeleteRule},
      {"PutTargets", &EventsApi::PutTargets},
      {"ListTargetsByRule", &EventsApi::ListTargetsByRule},
      {"RemoveTargets", &EventsApi::RemoveTargets},
      {"ListRuleNamesByTarget", &EventsApi::ListRuleNamesByTarget},
      {"PutEvents", &EventsApi::PutEvents},
      {"TestEventPattern", &EventsApi::TestEventPattern},
      {"CreateEventBus", &EventsApi::CreateEventBus},
      {"DeleteEventBus", &EventsApi::DeleteEventBus},
      {"DescribeEventBus", &EventsApi::DescribeEventBus},
      {"ListEventBuses", &EventsApi::ListEventBuses},
      {"TagResource", &EventsApi::TagResource},
      {"UntagResource", &EventsApi::UntagResource},
      {"ListTagsForResource", &EventsApi::ListTagsForResource},
      {"CreateConnection", &EventsApi::CreateConnection},
      {"DescribeConnection", &EventsApi::DescribeConnection},
      {"ListConnections", &EventsApi::ListConnections},
      {"DeleteConnection", &EventsApi::DeleteConnection},
      {"CreateApiDestination", &EventsApi::CreateApiDestination},
      {"DescribeApiDestination", &EventsApi::DescribeApiDestination},
      {"ListApiDestinations", &EventsApi::ListApiDestinations},
      {"DeleteApiDestination", &EventsApi::DeleteApiDestination},
  };
  Reply r;
  if (op == "EnableRule" || op == "DisableRule") {
    r = SetRuleState(in, op == "EnableRule");
  } else if (auto it = kOps.find(op); it != kOps.end()) {
    r = (this->*(it->second))(in);
  } else {
    r = ErrorReply({400, "UnknownOperationException",
                    "berth does not serve the EventBridge operation " + op + "."});
  }
  (void)region;
  return ToHttpResponse(r);
}

// --- Rules ---

Reply EventsApi::PutRule(Input& in) {
  events::RuleSpec spec;
  spec.name = in.RequiredString("Name");
  spec.bus = in.StringOr("EventBusName", "");
  spec.pattern_text = in.String("EventPattern");
  spec.schedule_text = in.String("ScheduleExpression");
  spec.state = in.String("State");
  spec.description = in.String("Description");
  spec.role_arn = in.String("RoleArn");
  spec.tags = TagsFrom(in, "Tags");
  if (!in.ok()) return InputError(in);
  if (spec.pattern_text && !spec.pattern_text->empty()) {
    if (spec.pattern_text->size() > 4096) {
      return EventsInvalid(
          "1 validation error detected: Value at 'eventPattern' failed to "
          "satisfy constraint: Member must have length less than or equal to "
          "4096");
    }
    auto p = events::EventPattern::Compile(*spec.pattern_text);
    if (!p.ok()) return InvalidPattern(p.status().message());
    spec.pattern = std::move(*p);
  }
  if (spec.schedule_text && spec.schedule_text->size() > 256) {
    return EventsInvalid("Parameter ScheduleExpression is not valid.");
  }
  auto arn = bus_.PutRule(spec);
  if (!arn.ok()) return EventsFail(arn.status());
  Reply r;
  r.body = {{"RuleArn", *arn}};
  return r;
}

Reply EventsApi::DescribeRule(Input& in) {
  std::string name = in.RequiredString("Name");
  std::string bus = in.StringOr("EventBusName", "");
  if (!in.ok()) return InputError(in);
  auto rule = bus_.DescribeRule(bus, name);
  if (!rule.ok()) {
    if (rule.status().code() == Code::kNotFound) {
      return EventsFail(NotFound("Rule " + name + " does not exist."));
    }
    return EventsFail(rule.status());
  }
  Reply r;
  r.body = RuleJson(*rule, true, bus_.options().account_id);
  return r;
}

Reply EventsApi::ListRules(Input& in) {
  std::string prefix = in.StringOr("NamePrefix", "");
  std::string bus = in.StringOr("EventBusName", "");
  if (!in.ok()) return InputError(in);
  auto rules = bus_.ListRules(bus, prefix);
  if (!rules.ok()) return EventsFail(rules.status());
  std::string account = bus_.options().account_id;
  return Page(in, *rules, "Rules",
              [&](const events::Rule& r) { return RuleJson(r, false, account); });
}

Reply EventsApi::DeleteRule(Input& in) {
  std::string name = in.RequiredString("Name");
  std::string bus = in.StringOr("EventBusName", "");
  in.Boolean("Force");
  if (!in.ok()) return InputError(in);
  Status st = bus_.DeleteRule(bus, name);
  if (!st.ok()) return EventsFail(st);
  return Reply{};
}

Reply EventsApi::SetRuleState(Input& in, bool enabled) {
  std::string name = in.RequiredString("Name");
  std::string bus = in.StringOr("EventBusName", "");
  if (!in.ok()) return InputError(in);
  Status st = bus_.SetRuleState(bus, name, enabled);
  if (!st.ok()) {
    if (st.code() == Code::kNotFound)
      return EventsFail(NotFound("Rule " + name + " does not exist."));
    return EventsFail(st);
  }
  return Reply{};
}

// --- Targets ---

Reply EventsApi::PutTargets(Input& in) {
  std::string rule = in.RequiredString("Rule");
  std::string bus = in.StringOr("EventBusName", "");
  const json* targets = in.Array("Targets");
  if (!in.ok()) return InputError(in);
  if (!targets || targets->empty()) {
    return EventsInvalid(
        "1 validation error detected: Value null at 'targets' failed to "
        "satisfy constraint: Member must not be null");
  }
  if (targets->size() > 10) {
    return EventsInvalid(
        "1 validation error detected: Value at 'targets' failed to satisfy "
        "constraint: Member must have length less than or equal to 10");
  }
  std::vector<events::Target> parsed;
  for (const auto& t : *targets) {
    auto p = events::ParseTarget(t);
    if (!p.ok()) return EventsFail(p.status());
    parsed.push_back(std::move(*p));
  }
  auto failed = bus_.PutTargets(bus, rule, std::move(parsed));
  if (!failed.ok()) return EventsFail(failed.status());
  Reply r;
  r.body = {{"FailedEntryCount", failed->size()}, {"FailedEntries", json::array()}};
  for (const auto& f : *failed) {
    r.body["FailedEntries"].push_back({{"TargetId", f.target_id},
                                       {"ErrorCode", f.error_code},
                                       {"ErrorMessage", f.error_message}});
  }
  return r;
}

Reply EventsApi::ListTargetsByRule(Input& in) {
  std::string rule = in.RequiredString("Rule");
  std::string bus = in.StringOr("EventBusName", "");
  if (!in.ok()) return InputError(in);
  auto targets = bus_.ListTargets(bus, rule);
  if (!targets.ok()) return EventsFail(targets.status());
  return Page(in, *targets, "Targets", [](const events::Target& t) { return t.wire; });
}

Reply EventsApi::RemoveTargets(Input& in) {
  std::string rule = in.RequiredString("Rule");
  std::string bus = in.StringOr("EventBusName", "");
  std::vector<std::string> ids = in.StringList("Ids");
  in.Boolean("Force");
  if (!in.ok()) return InputError(in);
  if (ids.empty() || ids.size() > 100) {
    return EventsInvalid(
        "1 validation error detected: Value at 'ids' failed to satisfy "
        "constraint: Member must have length between 1 and 100");
  }
  auto failed = bus_.RemoveTargets(bus, rule, ids);
  if (!failed.ok()) return EventsFail(failed.status());
  Reply r;
  r.body = {{"FailedEntryCount", 0}, {"FailedEntries", json::array()}};
  return r;
}

Reply EventsApi::ListRuleNamesByTarget(Input& in) {
  std::string arn = in.RequiredString("TargetArn");
  std::string bus = in.StringOr("EventBusName", "");
  if (!in.ok()) return InputError(in);
  auto names = bus_.RuleNamesByTarget(bus, arn);
  if (!names.ok()) return EventsFail(names.status());
  return Page(in, *names, "RuleNames", [](const std::string& n) { return json(n); });
}

// --- Events ---

Reply EventsApi::PutEvents(Input& in) {
  const json* entries = in.Array("Entries");
  if (!in.ok()) return InputError(in);
  if (!entries || entries->empty() || entries->size() > 10) {
    return EventsInvalid(
        "1 validation error detected: Value at 'entries' failed to satisfy "
        "constraint: Member must have length between 1 and 10");
  }
  std::vector<events::EventEntry> batch;
  size_t total = 0;
  for (const auto& e : *entries) {
    if (!e.is_object()) return EventsInvalid("Each entry must be an object.");
    Input ein(e);
    events::EventEntry entry;
    entry.source = ein.StringOr("Source", "");
    entry.detail_type = ein.StringOr("DetailType", "");
    entry.detail = ein.StringOr("Detail", "");
    entry.resources = ein.StringList("Resources");
    entry.bus = ein.StringOr("EventBusName", "");
    // Time: epoch seconds (the CLI and SDKs send a number).
    auto time_it = e.find("Time");
    if (time_it != e.end() && time_it->is_number()) {
      entry.time = static_cast<TimeMs>(time_it->get<double>() * 1000);
    }
    ein.String("TraceHeader");
    if (!ein.ok()) return InputError(ein);
    total += entry.source.size() + entry.detail_type.size() + entry.detail.size();
    for (const auto& r : entry.resources) total += r.size();
    batch.push_back(std::move(entry));
  }
  if (total > 256 * 1024) {
    return EventsInvalid("Total size of the entries in the request is over the limit.");
  }
  auto results = bus_.PutEvents(batch);
  Reply r;
  int failed = 0;
  json out = json::array();
  for (const auto& res : results) {
    if (res.event_id.empty()) {
      ++failed;
      out.push_back({{"ErrorCode", res.error_code}, {"ErrorMessage", res.error_message}});
    } else {
      out.push_back({{"EventId", res.event_id}});
    }
  }
  r.body = {{"FailedEntryCount", failed}, {"Entries", out}};
  return r;
}

Reply EventsApi::TestEventPattern(Input& in) {
  std::string pattern = in.RequiredString("EventPattern");
  std::string event = in.RequiredString("Event");
  if (!in.ok()) return InputError(in);
  auto p = events::EventPattern::Compile(pattern);
  if (!p.ok()) return InvalidPattern(p.status().message());
  json e = json::parse(event, nullptr, false);
  if (!e.is_object()) return EventsInvalid("Parameter Event is not valid.");
  Reply r;
  r.body = {{"Result", p->Matches(e)}};
  return r;
}

// --- Buses ---

Reply EventsApi::CreateEventBus(Input& in) {
  std::string name = in.RequiredString("Name");
  std::string description = in.StringOr("Description", "");
  in.String("EventSourceName");
  events::Tags tags = TagsFrom(in, "Tags");
  if (!in.ok()) return InputError(in);
  auto b = bus_.CreateEventBus(name, description, tags);
  if (!b.ok()) return EventsFail(b.status());
  Reply r;
  r.body = {{"EventBusArn", b->arn}};
  if (!description.empty()) r.body["Description"] = description;
  return r;
}

Reply EventsApi::DeleteEventBus(Input& in) {
  std::string name = in.RequiredString("Name");
  if (!in.ok()) return InputError(in);
  Status st = bus_.DeleteEventBus(name);
  if (!st.ok()) return EventsFail(st);
  return Reply{};
}

Reply EventsApi::DescribeEventBus(Input& in) {
  std::string name = in.StringOr("Name", "");
  if (!in.ok()) return InputError(in);
  auto b = bus_.DescribeEventBus(name);
  if (!b.ok()) return EventsFail(b.status());
  Reply r;
  r.body = {{"Name", b->name},
            {"Arn", b->arn},
            {"CreationTime", Seconds(b->created_ms)},
            {"LastModifiedTime", Seconds(b->created_ms)}};
  if (!b->description.empty()) r.body["Description"] = b->description;
  return r;
}

Reply EventsApi::ListEventBuses(Input& in) {
  std::string prefix = in.StringOr("NamePrefix", "");
  if (!in.ok()) return InputError(in);
  return Page(in, bus_.ListEventBuses(prefix), "EventBuses", [](const events::EventBusInfo& b) {
    json j = {{"Name", b.name},
              {"Arn", b.arn},
              {"CreationTime", Seconds(b.created_ms)},
              {"LastModifiedTime", Seconds(b.created_ms)}};
    if (!b.description.empty()) j["Description"] = b.description;
    return j;
  });
}

// --- Tags ---

Reply EventsApi::TagResource(Input& in) {
  std::string arn = in.RequiredString("ResourceARN");
  events::Tags tags = TagsFrom(in, "Tags");
  if (!in.ok()) return InputError(in);
  Status st = bus_.TagResource(arn, tags);
  if (!st.ok()) return EventsFail(st);
  return Reply{};
}

Reply EventsApi::UntagResource(Input& in) {
  std::string arn = in.RequiredString("ResourceARN");
  std::vector<std::string> keys = in.StringList("TagKeys");
  if (!in.ok()) return InputError(in);
  Status st = bus_.UntagResource(arn, keys);
  if (!st.ok()) return EventsFail(st);
  return Reply{};
}

Reply EventsApi::ListTagsForResource(Input& in) {
  std::string arn = in.RequiredString("ResourceARN");
  if (!in.ok()) return InputError(in);
  auto tags = bus_.ListTags(arn);
  if (!tags.ok()) return EventsFail(tags.status());
  Reply r;
  r.body = {{"Tags", TagsJson(*tags)}};
  return r;
}

}  // namespace berth::api
