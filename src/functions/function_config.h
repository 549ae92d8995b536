// FunctionConfig: one Lambda function as berth keeps it (DATA_DIR/functions/registry/NAME.json),
// Lambda's limits, and the pure helpers around it: validation with Lambda's messages, ARNs,
// name-or-ARN references, LastModified's format, and the storage JSON.
//
// Value types and pure functions; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace berth::functions {

inline constexpr int kMinTimeoutS = 1;
inline constexpr int kMaxTimeoutS = 900;
inline constexpr int kDefaultTimeoutS = 3;
inline constexpr int kMinMemoryMb = 128;
inline constexpr int kMaxMemoryMb = 10240;
inline constexpr int kDefaultMemoryMb = 128;
inline constexpr size_t kMaxNameLength = 64;
inline constexpr size_t kMaxHandlerLength = 128;
inline constexpr size_t kMaxDescriptionLength = 256;
inline constexpr size_t kMaxEnvironmentBytes = 4096;  // keys + values, as Lambda counts
inline constexpr size_t kMaxTags = 50;

using StringMap = std::map<std::string, std::string>;

// Which local runtime runs a Lambda `Runtime` value (see functions.h for the contracts).
enum class RuntimeKind { kUnsupported, kNode, kPython, kProvided };
RuntimeKind KindOf(std::string_view runtime);

struct FunctionConfig {
  std::string name;
  std::string region;  // the region it was created in: part of its ARN
  std::string runtime;
  std::string handler;
  std::string role;  // accepted and echoed; berth does not assume roles
  std::string description;
  StringMap environment;
  int timeout_s = kDefaultTimeoutS;
  int memory_mb = kDefaultMemoryMb;
  StringMap tags;
  std::string code_sha256;  // base64 SHA-256 of the zip
  int64_t code_size = 0;    // bytes of the zip
  std::string code_id;      // its extracted tree: DATA_DIR/functions/code/<code_id>
  TimeMs last_modified = 0;
  std::string revision_id;  // a new UUID on every change
};

// 1-64 of [a-zA-Z0-9-_].
bool ValidFunctionName(std::string_view name);
// Lambda's RoleArn pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+
bool ValidRoleArn(std::string_view role);
// Environment variable names: [a-zA-Z]([a-zA-Z0-9_])+ (Lambda wants at least two characters).
bool ValidEnvironmentKey(std::string_view key);
// The first reserved key (AWS_REGION, _HANDLER, …) in env, or "".
std::string FirstReservedKey(const StringMap& env);

// The constraints Lambda's API model puts on the members (name pattern, Timeout 1-900,
// MemorySize 128-10240, Role and Handler patterns, Description length, environment variable
// names), with Lambda's ValidationException wording ("1 validation error detected: …"), as
// InvalidArgument. The API layer reports these as ValidationException.
Status CheckConstraints(const FunctionConfig& config);
// CheckConstraints, then the rest of CreateFunction/UpdateFunctionConfiguration's rules on a
// complete configuration (the code fields excepted): a runtime berth can run, a Handler where
// the runtime needs one, no reserved environment keys, 4 KB of environment, tags. InvalidArgument
// with Lambda's wording where Lambda has one (InvalidParameterValueException).
Status ValidateConfig(const FunctionConfig& config);

// arn:aws:lambda:REGION:ACCOUNT:function:NAME
std::string FunctionArn(const std::string& region, const std::string& account,
                        const std::string& name);
// 2026-11-30T03:00:00.000+0000 (UTC), Lambda's LastModified.
std::string FormatLastModified(TimeMs t);

// A FunctionName as Lambda accepts it: NAME, NAME:QUALIFIER, ACCOUNT:function:NAME[:QUALIFIER]
// or arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
struct FunctionRef {
  std::string name;
  std::string qualifier;  // "" = none
  std::string region;     // from a full ARN, else ""
  std::string account;    // from an ARN, else ""
};
// InvalidArgument when it is none of the forms above.
Result<FunctionRef> ParseFunctionRef(std::string_view name_or_arn);

// The storage form (a JSON object, written atomically by the registry).
std::string ToStorageJson(const FunctionConfig& config);
Result<FunctionConfig> FromStorageJson(const std::string& text);

}  // namespace berth::functions
