#include "functions/function_config.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

namespace berth::functions {

using nlohmann::json;

namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool ValidQualifier(std::string_view q) {
  if (q.empty() || q.size() > 128) return false;
  for (char c : q) {
    if (!IsAlnum(c) && c != '$' && c != '_' && c != '-') return false;
  }
  return true;
}

const char* const kReservedKeys[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

json MapJson(const StringMap& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

RuntimeKind KindOf(std::string_view runtime) {
  if (StartsWith(runtime, "nodejs")) return RuntimeKind::kNode;
  if (StartsWith(runtime, "python3")) return RuntimeKind::kPython;
  if (StartsWith(runtime, "provided")) return RuntimeKind::kProvided;
  return RuntimeKind::kUnsupported;
}

bool ValidFunctionName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (!IsAlnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

bool ValidRoleArn(std::string_view role) {
  // arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+
  if (!StartsWith(role, "arn:")) return false;
  role.remove_prefix(4);
  size_t colon = role.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view partition = role.substr(0, colon);
  if (!partition.empty()) {
    if (!StartsWith(partition, "aws")) return false;
    for (char c : partition.substr(3)) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
    }
  }
  role.remove_prefix(colon + 1);
  if (!StartsWith(role, "iam::")) return false;
  role.remove_prefix(5);
  if (role.size() < 13) return false;
  for (int i = 0; i < 12; ++i) {
    if (!IsDigit(role[i])) return false;
  }
  role.remove_prefix(12);
  if (!StartsWith(role, ":role")) return false;
  role.remove_prefix(5);
  if (StartsWith(role, "/")) role.remove_prefix(1);
  if (role.empty()) return false;
  for (char c : role) {
    if (!IsAlnum(c) && std::string_view("_+=,.@-/").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool ValidEnvironmentKey(std::string_view key) {
  if (key.size() < 2) return false;
  if (!((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z'))) return false;
  for (char c : key) {
    if (!IsAlnum(c) && c != '_') return false;
  }
  return true;
}

std::string FirstReservedKey(const StringMap& env) {
  for (const char* k : kReservedKeys) {
    if (env.count(k)) return k;
  }
  return "";
}

Status CheckConstraints(const FunctionConfig& c) {
  auto constraint = [](const std::string& value, const char* field, const std::string& rule) {
    return InvalidArgument("1 validation error detected: Value '" + value + "' at '" + field +
                           "' failed to satisfy constraint: " + rule);
  };
  if (!ValidFunctionName(c.name)) {
    return constraint(c.name, "functionName",
                      "Member must satisfy regular expression pattern: "
                      "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
                      "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
  }
  if (c.timeout_s < kMinTimeoutS) {
    return constraint(std::to_string(c.timeout_s), "timeout",
                      "Member must have value greater than or equal to 1");
  }
  if (c.timeout_s > kMaxTimeoutS) {
    return constraint(std::to_string(c.timeout_s), "timeout",
                      "Member must have value less than or equal to 900");
  }
  if (c.memory_mb < kMinMemoryMb) {
    return constraint(std::to_string(c.memory_mb), "memorySize",
                      "Member must have value greater than or equal to 128");
  }
  if (c.memory_mb > kMaxMemoryMb) {
    return constraint(std::to_string(c.memory_mb), "memorySize",
                      "Member must have value less than or equal to 10240");
  }
  if (c.description.size() > kMaxDescriptionLength) {
    return constraint(c.description, "description",
                      "Member must have length less than or equal to 256");
  }
  if (c.handler.size() > kMaxHandlerLength) {
    return constraint(c.handler, "handler", "Member must have length less than or equal to 128");
  }
  for (char ch : c.handler) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
      return constraint(c.handler, "handler",
                        "Member must satisfy regular expression pattern: [^\\s]+");
    }
  }
  if (!ValidRoleArn(c.role)) {
    return constraint(c.role, "role",
                      "Member must satisfy regular expression pattern: "
                      "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+");
  }
  for (const auto& [k, v] : c.environment) {
    if (!ValidEnvironmentKey(k)) {
      return InvalidArgument(
          "1 validation error detected: Value at 'environment.variables' failed to satisfy "
          "constraint: Map keys must satisfy constraint: [Member must satisfy regular "
          "expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
    }
  }
  return Status::Ok();
}

Status ValidateConfig(const FunctionConfig& c) {
  BERTH_RETURN_IF_ERROR(CheckConstraints(c));
  switch (KindOf(c.runtime)) {
    case RuntimeKind::kUnsupported:
      return InvalidArgument("The runtime parameter of " +
                             (c.runtime.empty() ? std::string("(none)") : c.runtime) +
                             " is not supported by berth, which runs nodejs*, python3* and "
                             "provided* functions.");
    case RuntimeKind::kNode:
    case RuntimeKind::kPython:
      if (c.handler.empty()) {
        return InvalidArgument("The Handler parameter is required for a Zip function with the " +
                               c.runtime + " runtime.");
      }
      break;
    case RuntimeKind::kProvided:
      break;
  }
  if (std::string k = FirstReservedKey(c.environment); !k.empty()) {
    return InvalidArgument(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: " +
        k);
  }
  std::string measured = MapJson(c.environment).dump();
  if (measured.size() > kMaxEnvironmentBytes) {
    return InvalidArgument(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: " +
        measured);
  }
  if (c.tags.size() > kMaxTags) {
    return InvalidArgument("Number of tags exceeds resource tag limit.");
  }
  for (const auto& [k, v] : c.tags) {
    if (k.empty() || k.size() > 128 || v.size() > 256 || StartsWith(k, "aws:")) {
      return InvalidArgument("The tag '" + k +
                             "' is not valid: keys are 1-128 characters and "
                             "may not start with 'aws:', values at most 256 characters.");
    }
  }
  return Status::Ok();
}

std::string FunctionArn(const std::string& region, const std::string& account,
                        const std::string& name) {
  return "arn:aws:lambda:" + region + ":" + account + ":function:" + name;
}

std::string FormatLastModified(TimeMs t) {
  time_t secs = static_cast<time_t>(t / 1000);
  int ms = static_cast<int>(t % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

Result<FunctionRef> ParseFunctionRef(std::string_view s) {
  auto bad = [&] {
    return InvalidArgument("1 validation error detected: Value '" + std::string(s) +
                           "' at 'functionName' failed to satisfy constraint: Member must "
                           "satisfy regular expression pattern: "
                           "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
                           "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
  };
  if (s.empty() || s.size() > 170) return bad();
  std::vector<std::string_view> p = Split(s, ':');
  FunctionRef ref;
  size_t rest = 0;  // index of NAME in p
  if (p[0] == "arn") {
    // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    if (p.size() < 7 || p.size() > 8 || !StartsWith(p[1], "aws") || p[2] != "lambda" ||
        p[5] != "function") {
      return bad();
    }
    ref.region = std::string(p[3]);
    ref.account = std::string(p[4]);
    rest = 6;
  } else if (p.size() >= 3 && p[1] == "function") {
    if (p.size() > 4) return bad();
    ref.account = std::string(p[0]);
    rest = 2;
  } else if (p.size() > 2) {
    return bad();
  }
  if (!ref.account.empty()) {
    if (ref.account.size() != 12) return bad();
    for (char c : ref.account) {
      if (!IsDigit(c)) return bad();
    }
  }
  ref.name = std::string(p[rest]);
  if (!ValidFunctionName(ref.name)) return bad();
  if (p.size() > rest + 1) {
    if (!ValidQualifier(p[rest + 1])) return bad();
    ref.qualifier = std::string(p[rest + 1]);
  }
  return ref;
}

std::string ToStorageJson(const FunctionConfig& c) {
  json j = {{"FunctionName", c.name},
            {"Region", c.region},
            {"Runtime", c.runtime},
            {"Handler", c.handler},
            {"Role", c.role},
            {"Description", c.description},
            {"Environment", MapJson(c.environment)},
            {"Timeout", c.timeout_s},
            {"MemorySize", c.memory_mb},
            {"Tags", MapJson(c.tags)},
            {"CodeSha256", c.code_sha256},
            {"CodeSize", c.code_size},
            {"CodeId", c.code_id},
            {"LastModified", c.last_modified},
            {"RevisionId", c.revision_id}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<FunctionConfig> FromStorageJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("not a JSON object");
  FunctionConfig c;
  auto str = [&](const char* k, std::string* out) {
    auto it = j.find(k);
    if (it != j.end() && it->is_string()) *out = it->get<std::string>();
  };
  auto map = [&](const char* k, StringMap* out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_object()) return;
    for (const auto& [key, v] : it->items()) {
      if (v.is_string()) (*out)[key] = v.get<std::string>();
    }
  };
  auto num = [&](const char* k, auto* out) {
    auto it = j.find(k);
    if (it != j.end() && it->is_number_integer()) {
      *out = it->get<std::remove_pointer_t<decltype(out)>>();
    }
  };
  str("FunctionName", &c.name);
  str("Region", &c.region);
  str("Runtime", &c.runtime);
  str("Handler", &c.handler);
  str("Role", &c.role);
  str("Description", &c.description);
  map("Environment", &c.environment);
  num("Timeout", &c.timeout_s);
  num("MemorySize", &c.memory_mb);
  map("Tags", &c.tags);
  str("CodeSha256", &c.code_sha256);
  num("CodeSize", &c.code_size);
  str("CodeId", &c.code_id);
  num("LastModified", &c.last_modified);
  str("RevisionId", &c.revision_id);
  if (!ValidFunctionName(c.name) || c.code_id.empty() || c.code_id.find('/') != std::string::npos ||
      c.code_id[0] == '.') {
    return InvalidArgument("missing or malformed FunctionName/CodeId");
  }
  return c;
}

}  // namespace berth::functions
