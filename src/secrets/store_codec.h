// The SecretStore's file formats: DATA_DIR/secrets/parameters.json and secrets.json, to and from
// the records of secret_types.h. Sealed values stay sealed (base64 strings). The decoders check
// every member's type and never throw: a damaged file is an InvalidArgument naming the file's
// part, never its values. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "secrets/secret_types.h"

namespace berth::secrets {

std::string EncodeParameters(const std::vector<const Parameter*>& params);
Result<std::vector<Parameter>> DecodeParameters(std::string_view text);

std::string EncodeSecrets(const std::vector<const Secret*>& secrets);
Result<std::vector<Secret>> DecodeSecrets(std::string_view text);

}  // namespace berth::secrets
