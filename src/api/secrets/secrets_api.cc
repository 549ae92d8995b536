// SecretsApi: dispatch and the Secrets Manager actions.
#include "api/secrets/secrets_api.h"

#include <algorithm>
#include <map>

#include "common/time_format.h"

namespace berth::api {

using nlohmann::json;
using secrets::Secret;
using secrets::SecretPayload;

namespace {

Reply Fail(const Status& s) { return ErrorReply(SecretsError(s)); }

Reply InvalidParameter(const std::string& message) {
  return ErrorReply({400, "InvalidParameterException", message});
}

Reply NullMember(const char* member) {
  return ErrorReply({400, "ValidationException",
                     std::string("1 validation error detected: Value null at '") + member +
                         "' failed to satisfy constraint: Member must not be null"});
}

// SecretString or SecretBinary (base64 on the wire); nullopt when neither. *error is set when
// both are given or the binary is not base64.
std::optional<SecretPayload> ReadValue(Input& in, Reply* error) {
  auto text = in.String("SecretString");
  auto binary = in.String("SecretBinary");
  if (!in.ok()) return std::nullopt;
  if (text && binary) {
    *error = InvalidParameter(
        "You can't specify both a binary secret value and a string secret value in the same "
        "secret.");
    return std::nullopt;
  }
  if (binary) {
    auto bytes = secrets::Base64Decode(*binary);
    if (!bytes) {
      *error = ErrorReply({400, "SerializationException", "SecretBinary is not valid base64."});
      return std::nullopt;
    }
    return SecretPayload{true, std::move(*bytes)};
  }
  if (text) return SecretPayload{false, std::move(*text)};
  return std::nullopt;
}

secrets::Tags ReadTags(Input& in, const char* key, Reply* error) {
  secrets::Tags tags;
  const json* list = in.Array(key);
  if (!list) return tags;
  for (const auto& t : *list) {
    if (!t.is_object()) {
      *error = ErrorReply({400, "SerializationException", "A tag must be an object."});
      return {};
    }
    Input tin(t);
    auto k = tin.String("Key");
    auto v = tin.String("Value");
    if (!tin.ok()) {
      *error = InputError(tin);
      return {};
    }
    if (!k || k->empty()) {
      *error = InvalidParameter("A tag key must not be empty.");
      return {};
    }
    tags.emplace_back(*k, v.value_or(""));
  }
  return tags;
}

json TagsJson(const secrets::Tags& tags) {
  json a = json::array();
  for (const auto& [k, v] : tags) a.push_back({{"Key", k}, {"Value", v}});
  return a;
}

json VersionsToStages(const Secret& s) {
  json m = json::object();
  for (const auto& v : s.versions) {
    if (!v.stages.empty()) m[v.id] = v.stages;
  }
  return m;
}

// DescribeSecret's shape; ListSecrets' entries use SecretVersionsToStages for the same map.
json SecretJson(const Secret& s, const char* versions_key) {
  json j = {{"ARN", s.arn},
            {"Name", s.name},
            {"LastChangedDate", EpochSeconds(s.changed_ms)},
            {"CreatedDate", EpochSeconds(s.created_ms)},
            {versions_key, VersionsToStages(s)}};
  if (!s.description.empty()) j["Description"] = s.description;
  if (!s.kms_key_id.empty()) j["KmsKeyId"] = s.kms_key_id;
  if (!s.tags.empty()) j["Tags"] = TagsJson(s.tags);
  if (s.deleted_ms) j["DeletedDate"] = EpochSeconds(s.deleted_ms);
  return j;
}

std::string SecretId(Input& in) { return in.StringOr("SecretId", ""); }

bool PrefixMatch(const std::string& text, std::string value) {
  bool negate = !value.empty() && value[0] == '!';
  if (negate) value.erase(0, 1);
  bool hit = text.rfind(value, 0) == 0;
  return negate ? !hit : hit;
}

// ListSecrets filters: name, description, tag-key, tag-value, all — prefix matches, '!'
// negates; Values of one filter are ORed, filters are ANDed.
bool FilterMatches(const Secret& s, const std::string& key,
                   const std::vector<std::string>& values) {
  return std::any_of(values.begin(), values.end(), [&](const std::string& v) {
    bool by_name = PrefixMatch(s.name, v), by_description = PrefixMatch(s.description, v);
    bool by_tag_key = std::any_of(s.tags.begin(), s.tags.end(),
                                  [&](const auto& t) { return PrefixMatch(t.first, v); });
    bool by_tag_value = std::any_of(s.tags.begin(), s.tags.end(),
                                    [&](const auto& t) { return PrefixMatch(t.second, v); });
    if (key == "name") return by_name;
    if (key == "description") return by_description;
    if (key == "tag-key") return by_tag_key;
    if (key == "tag-value") return by_tag_value;
    return by_name || by_description || by_tag_key || by_tag_value;  // all
  });
}

}  // namespace

AwsError SecretsError(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound:
      return {400, "ResourceNotFoundException", s.message()};
    case Code::kAlreadyExists:
      return {400, "ResourceExistsException", s.message()};
    case Code::kInvalidArgument:
      return {400, "InvalidParameterException", s.message()};
    case Code::kFailedPrecondition:
      return {400, "InvalidRequestException", s.message()};
    case Code::kResourceExhausted:
      return {400, "LimitExceededException", s.message()};
    default:
      return {500, "InternalServiceError", s.message()};
  }
}

HttpResponse SecretsApi::Handle(const std::string& op, const std::string& body,
                                const std::string& region) {
  (void)region;
  json j;
  Reply parsed = ParseJsonBody(body, &j);
  if (parsed.error) return ToHttpResponse(parsed);
  Input in(j);
  using Handler = Reply (SecretsApi::*)(Input&);
  static const std::map<std::string, Handler> kOps = {
      {"CreateSecret", &SecretsApi::CreateSecret},
      {"GetSecretValue", &SecretsApi::GetSecretValue},
      {"PutSecretValue", &SecretsApi::PutSecretValue},
      {"UpdateSecret", &SecretsApi::UpdateSecret},
      {"DeleteSecret", &SecretsApi::DeleteSecret},
      {"RestoreSecret", &SecretsApi::RestoreSecret},
      {"DescribeSecret", &SecretsApi::DescribeSecret},
      {"ListSecrets", &SecretsApi::ListSecrets},
      {"ListSecretVersionIds", &SecretsApi::ListSecretVersionIds},
      {"TagResource", &SecretsApi::TagResource},
      {"UntagResource", &SecretsApi::UntagResource},
  };
  auto it = kOps.find(op);
  if (it == kOps.end()) {
    return ToHttpResponse(
        ErrorReply({400, "UnknownOperationException",
                    "berth does not serve the Secrets Manager operation " + op + "."}));
  }
  return ToHttpResponse((this->*(it->second))(in));
}

Reply SecretsApi::CreateSecret(Input& in) {
  secrets::CreateSecretRequest req;
  auto name = in.String("Name");
  req.client_request_token = in.String("ClientRequestToken");
  req.description = in.StringOr("Description", "");
  req.kms_key_id = in.StringOr("KmsKeyId", "");
  const json* replicas = in.Array("AddReplicaRegions");
  in.Boolean("ForceOverwriteReplicaSecret");
  Reply error;
  req.tags = ReadTags(in, "Tags", &error);
  if (error.error) return error;
  auto value = ReadValue(in, &error);
  if (error.error) return error;
  if (!in.ok()) return InputError(in);
  if (!name) return NullMember("name");
  if (replicas && !replicas->empty()) {
    return InvalidParameter("berth does not replicate secrets to other regions.");
  }
  req.name = std::move(*name);
  req.value = std::move(value);
  auto r = store_.CreateSecret(req);
  if (!r.ok()) return Fail(r.status());
  Reply out;
  out.body = {{"ARN", r->arn}, {"Name", r->name}};
  if (!r->version_id.empty()) out.body["VersionId"] = r->version_id;
  return out;
}

Reply SecretsApi::GetSecretValue(Input& in) {
  std::string id = SecretId(in);
  std::string version_id = in.StringOr("VersionId", "");
  std::string stage = in.StringOr("VersionStage", "");
  if (!in.ok()) return InputError(in);
  if (id.empty()) return NullMember("secretId");
  auto v = store_.GetSecretValue(id, version_id, stage);
  if (!v.ok()) return Fail(v.status());
  Reply r;
  r.body = {{"ARN", v->arn},
            {"Name", v->name},
            {"VersionId", v->version_id},
            {"VersionStages", v->stages},
            {"CreatedDate", EpochSeconds(v->created_ms)}};
  if (v->value.binary) {
    r.body["SecretBinary"] = secrets::Base64Encode(v->value.bytes);
  } else {
    r.body["SecretString"] = v->value.bytes;
  }
  return r;
}

Reply SecretsApi::PutSecretValue(Input& in) {
  secrets::PutSecretValueRequest req;
  req.secret_id = SecretId(in);
  req.client_request_token = in.String("ClientRequestToken");
  req.stages = in.StringList("VersionStages");
  in.String("RotationToken");
  Reply error;
  req.value = ReadValue(in, &error);
  if (error.error) return error;
  if (!in.ok()) return InputError(in);
  if (req.secret_id.empty()) return NullMember("secretId");
  auto r = store_.PutSecretValue(req);
  if (!r.ok()) return Fail(r.status());
  Reply out;
  out.body = {{"ARN", r->arn},
              {"Name", r->name},
              {"VersionId", r->version_id},
              {"VersionStages", r->stages}};
  return out;
}

Reply SecretsApi::UpdateSecret(Input& in) {
  secrets::UpdateSecretRequest req;
  req.secret_id = SecretId(in);
  req.client_request_token = in.String("ClientRequestToken");
  req.description = in.String("Description");
  req.kms_key_id = in.String("KmsKeyId");
  Reply error;
  req.value = ReadValue(in, &error);
  if (error.error) return error;
  if (!in.ok()) return InputError(in);
  if (req.secret_id.empty()) return NullMember("secretId");
  auto r = store_.UpdateSecret(req);
  if (!r.ok()) return Fail(r.status());
  Reply out;
  out.body = {{"ARN", r->arn}, {"Name", r->name}};
  if (!r->version_id.empty()) out.body["VersionId"] = r->version_id;
  return out;
}

Reply SecretsApi::DeleteSecret(Input& in) {
  std::string id = SecretId(in);
  auto window = in.Integer("RecoveryWindowInDays");
  bool force = in.Boolean("ForceDeleteWithoutRecovery").value_or(false);
  if (!in.ok()) return InputError(in);
  if (id.empty()) return NullMember("secretId");
  auto r = store_.DeleteSecret(id, window, force);
  if (!r.ok()) return Fail(r.status());
  Reply out;
  out.body = {{"ARN", r->arn}, {"Name", r->name}, {"DeletionDate", EpochSeconds(r->deletion_ms)}};
  return out;
}

Reply SecretsApi::RestoreSecret(Input& in) {
  std::string id = SecretId(in);
  if (!in.ok()) return InputError(in);
  if (id.empty()) return NullMember("secretId");
  auto r = store_.RestoreSecret(id);
  if (!r.ok()) return Fail(r.status());
  Reply out;
  out.body = {{"ARN", r->arn}, {"Name", r->name}};
  return out;
}

Reply SecretsApi::DescribeSecret(Input& in) {
  std::string id = SecretId(in);
  if (!in.ok()) return InputError(in);
  if (id.empty()) return NullMember("secretId");
  auto s = store_.DescribeSecret(id);
  if (!s.ok()) return Fail(s.status());
  Reply r;
  r.body = SecretJson(*s, "VersionIdsToStages");
  r.body["RotationEnabled"] = false;
  return r;
}

Reply SecretsApi::ListSecrets(Input& in) {
  bool include_deleted = in.Boolean("IncludePlannedDeletion").value_or(false);
  std::string order = in.StringOr("SortOrder", "asc");
  auto token = in.String("NextToken");
  auto limit = in.Integer("MaxResults");
  const json* filters = in.Array("Filters");
  if (!in.ok()) return InputError(in);
  if (limit && (*limit < 1 || *limit > 100)) {
    return InvalidParameter("MaxResults must be between 1 and 100.");
  }
  std::vector<Secret> list = store_.ListSecrets(include_deleted);
  if (filters) {
    for (const auto& f : *filters) {
      if (!f.is_object()) return ErrorReply({400, "SerializationException", "Bad filter."});
      Input fin(f);
      std::string key = fin.StringOr("Key", "");
      std::vector<std::string> values = fin.StringList("Values");
      if (!fin.ok()) return InputError(fin);
      static const std::vector<std::string> kKeys = {"name", "description", "tag-key", "tag-value",
                                                     "all"};
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        return InvalidParameter("berth does not support the filter key " + key + ".");
      }
      list.erase(std::remove_if(list.begin(), list.end(),
                                [&](const Secret& s) { return !FilterMatches(s, key, values); }),
                 list.end());
    }
  }
  if (order == "desc") std::reverse(list.begin(), list.end());
  size_t start = 0;
  if (token) {
    auto index = secrets::Base64Decode(*token);
    if (!index || index->empty() || index->size() > 6 ||
        index->find_first_not_of("0123456789") != std::string::npos) {
      return InvalidParameter("The NextToken value is invalid.");
    }
    start = std::stoul(*index);
  }
  size_t n = static_cast<size_t>(limit.value_or(100));
  Reply r;
  r.body["SecretList"] = json::array();
  for (size_t i = start; i < list.size() && i < start + n; ++i) {
    r.body["SecretList"].push_back(SecretJson(list[i], "SecretVersionsToStages"));
  }
  if (start + n < list.size())
    r.body["NextToken"] = secrets::Base64Encode(std::to_string(start + n));
  return r;
}

Reply SecretsApi::ListSecretVersionIds(Input& in) {
  std::string id = SecretId(in);
  bool deprecated = in.Boolean("IncludeDeprecated").value_or(false);
  in.Integer("MaxResults");
  in.String("NextToken");
  if (!in.ok()) return InputError(in);
  if (id.empty()) return NullMember("secretId");
  auto s = store_.DescribeSecret(id);
  if (!s.ok()) return Fail(s.status());
  Reply r;
  r.body = {{"ARN", s->arn}, {"Name", s->name}, {"Versions", json::array()}};
  for (const auto& v : s->versions) {
    if (v.stages.empty() && !deprecated) continue;
    r.body["Versions"].push_back({{"VersionId", v.id},
                                  {"VersionStages", v.stages},
                                  {"CreatedDate", EpochSeconds(v.created_ms)}});
  }
  return r;
}

Reply SecretsApi::TagResource(Input& in) {
  std::string id = SecretId(in);
  Reply error;
  secrets::Tags tags = ReadTags(in, "Tags", &error);
  if (error.error) return error;
  if (!in.ok()) return InputError(in);
  if (id.empty()) return NullMember("secretId");
  Status st = store_.TagResource(id, tags);
  if (!st.ok()) return Fail(st);
  return Reply{};
}

Reply SecretsApi::UntagResource(Input& in) {
  std::string id = SecretId(in);
  std::vector<std::string> keys = in.StringList("TagKeys");
  if (!in.ok()) return InputError(in);
  if (id.empty()) return NullMember("secretId");
  Status st = store_.UntagResource(id, keys);
  if (!st.ok()) return Fail(st);
  return Reply{};
}

}  // namespace berth::api
