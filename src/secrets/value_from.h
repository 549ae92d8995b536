// ValueFrom: the parser of ECS's `secrets[].valueFrom` references (what the SecretStore
// resolves at task start):
//   NAME or /path/name                                   an SSM parameter in this region
//   arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME      (".../parameter/a/b" is "/a/b")
//   arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[-XXXXXX][:JSONKEY[:STAGE[:ID]]]
// Empty JSONKEY/STAGE/ID mean "the whole SecretString" / AWSCURRENT / any version.
// Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace berth::secrets {

struct ValueFromRef {
  enum class Kind { kParameter, kSecret };
  Kind kind = Kind::kParameter;
  // kParameter: a parameter name or ARN (as given). kSecret: the secret's ARN (full or partial,
  // without the json-key/stage/version fields).
  std::string id;
  std::string json_key;
  std::string version_stage;
  std::string version_id;
};

// InvalidArgument (naming the reference) for anything that is neither form.
Result<ValueFromRef> ParseValueFrom(std::string_view value_from);

// True when `text` nests JSON objects/arrays at most max_depth deep (strings skipped); checked
// before parsing a SecretString, since nlohmann's dump recurses.
bool JsonNestingWithin(std::string_view text, int max_depth);

}  // namespace berth::secrets
