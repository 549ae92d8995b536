// SsmApi: dispatch and the Parameter Store actions.
#include "api/ssm/ssm_api.h"

#include <algorithm>
#include <map>

#include "common/time_format.h"

namespace berth::api {

using nlohmann::json;
using secrets::ParameterType;
using secrets::ParameterView;

namespace {

Reply Fail(const Status& s) { return ErrorReply(SsmError(s)); }

Reply Invalid(const std::string& message) {
  return ErrorReply({400, "ValidationException", message});
}

Reply NullMember(const char* member) {
  return Invalid(std::string("1 validation error detected: Value null at '") + member +
                 "' failed to satisfy constraint: Member must not be null");
}

std::string LastModifiedUser(const secrets::SecretStore& store) {
  return "arn:aws:iam::" + store.options().account_id + ":user/berth";
}

// GetParameter(s)/ByPath: the Parameter shape.
json ParameterJson(const ParameterView& p) {
  json j = {{"Name", p.name},
            {"Type", secrets::ParameterTypeName(p.type)},
            {"Value", p.value},
            {"Version", p.version},
            {"LastModifiedDate", EpochSeconds(p.modified_ms)},
            {"ARN", p.arn},
            {"DataType", p.data_type}};
  if (!p.selector.empty()) j["Selector"] = p.selector;
  return j;
}

// DescribeParameters: ParameterMetadata; GetParameterHistory adds Value and Labels.
json MetadataJson(const ParameterView& p, const std::string& user) {
  json j = {{"Name", p.name},
            {"ARN", p.arn},
            {"Type", secrets::ParameterTypeName(p.type)},
            {"LastModifiedDate", EpochSeconds(p.modified_ms)},
            {"LastModifiedUser", user},
            {"Version", p.version},
            {"Tier", p.tier},
            {"Policies", json::array()},
            {"DataType", p.data_type}};
  if (!p.key_id.empty()) j["KeyId"] = p.key_id;
  if (!p.description.empty()) j["Description"] = p.description;
  if (!p.allowed_pattern.empty()) j["AllowedPattern"] = p.allowed_pattern;
  return j;
}

// Pages by name: NextToken is the base64 of the first name of the next page.
template <typename Fn>
Reply Page(Input& in, const std::vector<ParameterView>& items, const char* key, long long max,
           long long fallback, Fn to_json) {
  auto token = in.String("NextToken");
  auto limit = in.Integer("MaxResults");
  if (!in.ok()) return InputError(in);
  if (limit && (*limit < 1 || *limit > max)) {
    return Invalid("1 validation error detected: Value '" + std::to_string(*limit) +
                   "' at 'maxResults' failed to satisfy constraint: Member must have value less "
                   "than or equal to " +
                   std::to_string(max));
  }
  size_t start = 0;
  if (token) {
    auto name = secrets::Base64Decode(*token);
    if (!name || name->empty()) {
      return ErrorReply({400, "InvalidNextToken", "The specified token isn't valid."});
    }
    while (start < items.size() && items[start].name < *name) ++start;
  }
  size_t n = static_cast<size_t>(limit.value_or(fallback));
  Reply r;
  r.body[key] = json::array();
  for (size_t i = start; i < items.size() && i < start + n; ++i) {
    r.body[key].push_back(to_json(items[i]));
  }
  if (start + n < items.size()) r.body["NextToken"] = secrets::Base64Encode(items[start + n].name);
  return r;
}

// One DescribeParameters filter: Key, Option, Values.
struct Filter {
  std::string key, option;
  std::vector<std::string> values;
};

bool Matches(const ParameterView& p, const Filter& f) {
  auto any = [&](auto pred) { return std::any_of(f.values.begin(), f.values.end(), pred); };
  if (f.key == "Name") {
    if (f.option == "BeginsWith") {
      return any([&](const std::string& v) { return p.name.rfind(v, 0) == 0; });
    }
    if (f.option == "Contains") {
      return any([&](const std::string& v) { return p.name.find(v) != std::string::npos; });
    }
    return any([&](const std::string& v) { return p.name == v; });
  }
  if (f.key == "Type") {
    return any([&](const std::string& v) { return v == secrets::ParameterTypeName(p.type); });
  }
  if (f.key == "KeyId") return any([&](const std::string& v) { return v == p.key_id; });
  if (f.key == "Tier") return any([&](const std::string& v) { return v == p.tier; });
  if (f.key == "DataType") return any([&](const std::string& v) { return v == p.data_type; });
  if (f.key == "Path") {
    return any([&](std::string v) {
      if (v.empty() || v.back() != '/') v += '/';
      if (v != "/" && p.name.rfind(v, 0) != 0) return false;
      std::string rest =
          v == "/" ? p.name.substr(p.name[0] == '/' ? 1 : 0) : p.name.substr(v.size());
      return f.option == "Recursive" || rest.find('/') == std::string::npos;
    });
  }
  return false;
}

// Reads Filters (the old form: Key Name/Type/KeyId, Values) and ParameterFilters.
bool ReadFilters(Input& in, std::vector<Filter>* out, Reply* error) {
  for (const char* member : {"Filters", "ParameterFilters"}) {
    const json* list = in.Array(member);
    if (!list) continue;
    bool old_form = std::string(member) == "Filters";
    for (const auto& jf : *list) {
      if (!jf.is_object()) {
        *error = ErrorReply({400, "SerializationException", "A filter must be an object."});
        return false;
      }
      Input fin(jf);
      Filter f;
      f.key = fin.StringOr("Key", "");
      f.option = fin.StringOr("Option", "");
      f.values = fin.StringList("Values");
      if (!fin.ok()) {
        *error = InputError(fin);
        return false;
      }
      static const std::vector<std::string> kKeys = {"Name", "Type",     "KeyId",
                                                     "Tier", "DataType", "Path"};
      if (std::find(kKeys.begin(), kKeys.end(), f.key) == kKeys.end() ||
          (old_form && f.key != "Name" && f.key != "Type" && f.key != "KeyId")) {
        *error = ErrorReply(
            {400, "InvalidFilterKey", "berth does not support the filter key " + f.key + "."});
        return false;
      }
      if (old_form && f.key == "Name") f.option = "BeginsWith";
      if (f.key == "Path" && f.option.empty()) f.option = "OneLevel";
      if (f.values.empty()) {
        *error = ErrorReply(
            {400, "InvalidFilterValue", "The filter " + f.key + " needs at least one value."});
        return false;
      }
      out->push_back(std::move(f));
    }
  }
  return true;
}

}  // namespace

AwsError SsmError(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound:
      if (s.resource() == Resource::kParameterVersion) {
        return {400, "ParameterVersionNotFound", s.message()};
      }
      return {400, "ParameterNotFound", s.message()};
    case Code::kAlreadyExists:
      return {400, "ParameterAlreadyExists", s.message()};
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
      return {400, "ValidationException", s.message()};
    case Code::kResourceExhausted:
      return {400, "ParameterLimitExceeded", s.message()};
    default:
      return {500, "InternalServerError", s.message()};
  }
}

HttpResponse SsmApi::Handle(const std::string& op, const std::string& body,
                            const std::string& region) {
  (void)region;
  json j;
  Reply parsed = ParseJsonBody(body, &j);
  if (parsed.error) return ToHttpResponse(parsed);
  Input in(j);
  using Handler = Reply (SsmApi::*)(Input&);
  static const std::map<std::string, Handler> kOps = {
      {"PutParameter", &SsmApi::PutParameter},
      {"GetParameter", &SsmApi::GetParameter},
      {"GetParameters", &SsmApi::GetParameters},
      {"GetParametersByPath", &SsmApi::GetParametersByPath},
      {"GetParameterHistory", &SsmApi::GetParameterHistory},
      {"DeleteParameter", &SsmApi::DeleteParameter},
      {"DeleteParameters", &SsmApi::DeleteParameters},
      {"DescribeParameters", &SsmApi::DescribeParameters},
  };
  auto it = kOps.find(op);
  if (it == kOps.end()) {
    return ToHttpResponse(ErrorReply(
        {400, "UnknownOperationException", "berth does not serve the SSM operation " + op + "."}));
  }
  return ToHttpResponse((this->*(it->second))(in));
}

Reply SsmApi::PutParameter(Input& in) {
  secrets::PutParameterRequest req;
  auto name = in.String("Name");
  auto value = in.String("Value");
  req.type = in.String("Type");
  req.description = in.String("Description");
  req.key_id = in.String("KeyId");
  req.tier = in.String("Tier");
  req.data_type = in.String("DataType");
  req.allowed_pattern = in.String("AllowedPattern");
  req.overwrite = in.Boolean("Overwrite").value_or(false);
  auto policies = in.String("Policies");
  const json* tags = in.Array("Tags");
  if (!in.ok()) return InputError(in);
  if (!name) return NullMember("name");
  if (!value) return NullMember("value");
  if (policies && !policies->empty() && *policies != "[]") {
    return Invalid("berth does not support parameter policies.");
  }
  if (tags && !tags->empty() && req.overwrite) {
    return Invalid(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with "
        "tags, please remove overwrite flag. To update tags for an existing parameter, please "
        "use AddTagsToResource or RemoveTagsFromResource.");
  }
  req.name = std::move(*name);
  req.value = std::move(*value);
  auto r = store_.PutParameter(req);
  if (!r.ok()) return Fail(r.status());
  Reply out;
  out.body = {{"Version", r->version}, {"Tier", r->tier}};
  return out;
}

Reply SsmApi::GetParameter(Input& in) {
  auto name = in.String("Name");
  bool decrypt = in.Boolean("WithDecryption").value_or(false);
  if (!in.ok()) return InputError(in);
  if (!name) return NullMember("name");
  auto p = store_.GetParameter(*name, decrypt);
  if (!p.ok()) {
    // AWS answers a missing parameter with an empty message.
    if (p.status().code() == Code::kNotFound && p.status().resource() == Resource::kParameter) {
      return ErrorReply({400, "ParameterNotFound", ""});
    }
    return Fail(p.status());
  }
  Reply r;
  r.body = {{"Parameter", ParameterJson(*p)}};
  return r;
}

Reply SsmApi::GetParameters(Input& in) {
  std::vector<std::string> names = in.StringList("Names");
  bool decrypt = in.Boolean("WithDecryption").value_or(false);
  if (!in.ok()) return InputError(in);
  if (names.empty()) return NullMember("names");
  if (names.size() > 10) {
    return Invalid(
        "1 validation error detected: Value at 'names' failed to satisfy constraint: Member "
        "must have length less than or equal to 10");
  }
  Reply r;
  r.body = {{"Parameters", json::array()}, {"InvalidParameters", json::array()}};
  for (const auto& n : names) {
    auto p = store_.GetParameter(n, decrypt);
    if (p.ok()) {
      r.body["Parameters"].push_back(ParameterJson(*p));
    } else if (p.status().code() == Code::kNotFound) {
      r.body["InvalidParameters"].push_back(n);
    } else {
      return Fail(p.status());
    }
  }
  return r;
}

Reply SsmApi::GetParametersByPath(Input& in) {
  auto path = in.String("Path");
  bool recursive = in.Boolean("Recursive").value_or(false);
  bool decrypt = in.Boolean("WithDecryption").value_or(false);
  const json* filters = in.Array("ParameterFilters");
  if (!in.ok()) return InputError(in);
  if (!path) return NullMember("path");
  std::vector<Filter> parsed;
  Reply error;
  if (!ReadFilters(in, &parsed, &error)) return error;
  (void)filters;
  auto list = store_.GetParametersByPath(*path, recursive, decrypt);
  if (!list.ok()) return Fail(list.status());
  std::vector<ParameterView> kept;
  for (auto& p : *list) {
    if (std::all_of(parsed.begin(), parsed.end(), [&](const Filter& f) { return Matches(p, f); })) {
      kept.push_back(std::move(p));
    }
  }
  return Page(in, kept, "Parameters", 10, 10, ParameterJson);
}

Reply SsmApi::GetParameterHistory(Input& in) {
  auto name = in.String("Name");
  bool decrypt = in.Boolean("WithDecryption").value_or(false);
  if (!in.ok()) return InputError(in);
  if (!name) return NullMember("name");
  auto list = store_.GetParameterHistory(*name, decrypt);
  if (!list.ok()) return Fail(list.status());
  // Versions share a name, so this pages by position: NextToken is the base64 of the index.
  auto token = in.String("NextToken");
  auto limit = in.Integer("MaxResults");
  if (!in.ok()) return InputError(in);
  if (limit && (*limit < 1 || *limit > 50)) {
    return Invalid(
        "1 validation error detected: Value at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 50");
  }
  size_t start = 0;
  if (token) {
    auto index = secrets::Base64Decode(*token);
    if (!index || index->empty() || index->size() > 4 ||
        index->find_first_not_of("0123456789") != std::string::npos) {
      return ErrorReply({400, "InvalidNextToken", "The specified token isn't valid."});
    }
    start = std::stoul(*index);
  }
  size_t n = static_cast<size_t>(limit.value_or(50));
  std::string user = LastModifiedUser(store_);
  Reply r;
  r.body["Parameters"] = json::array();
  for (size_t i = start; i < list->size() && i < start + n; ++i) {
    json j = MetadataJson((*list)[i], user);
    j["Value"] = (*list)[i].value;
    j["Labels"] = json::array();
    r.body["Parameters"].push_back(std::move(j));
  }
  if (start + n < list->size()) {
    r.body["NextToken"] = secrets::Base64Encode(std::to_string(start + n));
  }
  return r;
}

Reply SsmApi::DeleteParameter(Input& in) {
  auto name = in.String("Name");
  if (!in.ok()) return InputError(in);
  if (!name) return NullMember("name");
  Status st = store_.DeleteParameter(*name);
  if (!st.ok()) return Fail(st);
  return Reply{};
}

Reply SsmApi::DeleteParameters(Input& in) {
  std::vector<std::string> names = in.StringList("Names");
  if (!in.ok()) return InputError(in);
  if (names.empty()) return NullMember("names");
  if (names.size() > 10) {
    return Invalid(
        "1 validation error detected: Value at 'names' failed to satisfy constraint: Member "
        "must have length less than or equal to 10");
  }
  auto deleted = store_.DeleteParameters(names);
  if (!deleted.ok()) return Fail(deleted.status());
  Reply r;
  r.body = {{"DeletedParameters", json::array()}, {"InvalidParameters", json::array()}};
  for (const auto& n : names) {
    bool gone = std::find(deleted->begin(), deleted->end(), n) != deleted->end();
    r.body[gone ? "DeletedParameters" : "InvalidParameters"].push_back(n);
  }
  return r;
}

Reply SsmApi::DescribeParameters(Input& in) {
  std::vector<Filter> filters;
  Reply error;
  if (!ReadFilters(in, &filters, &error)) return error;
  if (!in.ok()) return InputError(in);
  std::vector<ParameterView> kept;
  for (auto& p : store_.DescribeParameters()) {
    if (std::all_of(filters.begin(), filters.end(),
                    [&](const Filter& f) { return Matches(p, f); })) {
      kept.push_back(std::move(p));
    }
  }
  std::string user = LastModifiedUser(store_);
  return Page(in, kept, "Parameters", 50, 50,
              [&](const ParameterView& p) { return MetadataJson(p, user); });
}

}  // namespace berth::api
