// ECS's `secrets[].valueFrom`: the parser and SecretStore::ResolveValueFrom.
#include <nlohmann/json.hpp>

#include "secrets/secret_store.h"
#include "secrets/value_from.h"

namespace berth::secrets {

namespace {

std::vector<std::string> SplitColons(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(':', start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? s.npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

Status Unsupported(std::string_view value_from) {
  return InvalidArgument("valueFrom " + std::string(value_from) +
                         " is neither an SSM parameter (name or ARN) nor a Secrets Manager "
                         "secret ARN");
}

// Keeps the code and resource of `s`, naming the reference first.
Status Named(const std::string& what, const Status& s) {
  return Status(s.code(), what + ": " + s.message(), s.resource());
}

}  // namespace

bool JsonNestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

Result<ValueFromRef> ParseValueFrom(std::string_view value_from) {
  if (value_from.empty()) return InvalidArgument("valueFrom is empty");
  if (value_from.size() > 2048) return InvalidArgument("valueFrom is longer than 2048 characters");
  ValueFromRef ref;
  if (value_from.substr(0, 4) != "arn:") {
    if (value_from.find(':') != std::string_view::npos) return Unsupported(value_from);
    ref.kind = ValueFromRef::Kind::kParameter;
    ref.id = std::string(value_from);
    return ref;
  }
  std::vector<std::string> f = SplitColons(value_from);
  if (f.size() < 6 || f[1].empty()) return Unsupported(value_from);
  if (f[2] == "ssm") {
    if (f.size() != 6 || f[5].rfind("parameter/", 0) != 0 || f[5].size() == 10) {
      return Unsupported(value_from);
    }
    ref.kind = ValueFromRef::Kind::kParameter;
    ref.id = std::string(value_from);
    return ref;
  }
  if (f[2] == "secretsmanager") {
    if (f.size() < 7 || f.size() > 10 || f[5] != "secret" || f[6].empty()) {
      return Unsupported(value_from);
    }
    ref.kind = ValueFromRef::Kind::kSecret;
    ref.id = f[0] + ":" + f[1] + ":" + f[2] + ":" + f[3] + ":" + f[4] + ":" + f[5] + ":" + f[6];
    if (f.size() > 7) ref.json_key = f[7];
    if (f.size() > 8) ref.version_stage = f[8];
    if (f.size() > 9) ref.version_id = f[9];
    return ref;
  }
  return Unsupported(value_from);
}

Result<std::string> SecretStore::ResolveValueFrom(const std::string& value_from) const {
  auto ref = ParseValueFrom(value_from);
  if (!ref.ok()) return ref.status();
  if (ref->kind == ValueFromRef::Kind::kParameter) {
    const Parameter* p = FindParameter(ref->id);
    if (!p) {
      return Status(Code::kNotFound, "SSM parameter " + ref->id + " not found",
                    Resource::kParameter);
    }
    Status error;
    ParameterView v = View(*p, p->latest(), /*decrypt=*/true, &error);
    if (!error.ok()) return error;
    return std::move(v.value);
  }
  std::string what = "Secrets Manager secret " + ref->id;
  auto got = GetSecretValue(ref->id, ref->version_id, ref->version_stage);
  if (!got.ok()) return Named(what, got.status());
  if (got->value.binary) {
    return InvalidArgument(what + " holds a SecretBinary; ECS injects only SecretString values");
  }
  if (ref->json_key.empty()) return std::move(got->value.bytes);
  const std::string& text = got->value.bytes;
  nlohmann::json j = JsonNestingWithin(text, 64)
                         ? nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false)
                         : nlohmann::json(nullptr);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument(what + ": its SecretString is not a JSON object, so json-key " +
                           ref->json_key + " cannot be selected");
  }
  auto it = j.find(ref->json_key);
  if (it == j.end()) {
    return InvalidArgument(what + ": its SecretString has no json key " + ref->json_key);
  }
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace berth::secrets
