// Byte encodings Lambda's wire format needs: base64 (blobs in JSON, X-Amz-Log-Result) and the
// base64 SHA-256 a function's CodeSha256 is. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::functions {

std::string Base64Encode(std::string_view bytes);
// Standard alphabet with padding; whitespace is not allowed. nullopt on malformed input.
std::optional<std::string> Base64Decode(std::string_view text);
// base64(SHA-256(bytes)), e.g. Lambda's CodeSha256.
std::string Sha256Base64(std::string_view bytes);

}  // namespace berth::functions
