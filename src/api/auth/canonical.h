// Building blocks of SigV4 shared by Verify, Sign and Presign: the canonical request, the
// string to sign and the signing key. Internal to api/auth (tests use it too).
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth/sigv4.h"

namespace berth::auth {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kTerminator = "aws4_request";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

std::string ToLower(std::string_view s);
// s without leading and trailing spaces and tabs.
std::string_view TrimBlanks(std::string_view s);
// First header named lower_name (compared case-insensitively), or nullptr.
const std::string* FindHeader(const Headers& headers, std::string_view lower_name);
std::string HexEncode(std::string_view raw);
// Decodes %XX escapes; a '%' not followed by two hex digits is kept as is, '+' stays '+'.
std::string PercentDecode(std::string_view s);

// Splits a request-target into path and query (the text after the first '?', or empty).
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);
// Query parameters in order, keys and values percent-decoded; "k" without '=' has value "".
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

// The path as it goes into the canonical request. For "s3": decoded, then encoded once, no
// normalisation. Otherwise: empty, "." and ".." segments resolved, then the path as it arrived
// (already encoded by the client) is encoded again — AWS's double encoding.
std::string CanonicalUri(std::string_view path, std::string_view service);
// Parameters decoded, re-encoded, sorted by key then value; drop_signature leaves out
// X-Amz-Signature (presigned form).
std::string CanonicalQuery(std::string_view query, bool drop_signature);
// "name:value\n" for each name of signed_headers ("a;b;c"), values trimmed, inner runs of
// blanks collapsed, repeated headers joined with ','.
std::string CanonicalHeaders(const Headers& headers, std::string_view signed_headers);

// The views borrow; everything they point to must outlive the CanonicalRequest call.
struct CanonicalRequestParts {
  std::string_view method;
  std::string_view target;
  std::string_view service;
  const Headers* headers = nullptr;
  std::string_view signed_headers;  // "a;b;c", lowercase
  std::string_view payload_hash;
  bool presigned = false;
};
std::string CanonicalRequest(const CanonicalRequestParts& parts);

// HMAC chain "AWS4"+secret → date → region → service → aws4_request (raw bytes).
std::string SigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service);
std::string CredentialScope(std::string_view date8, std::string_view region,
                            std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// Lowercase hex signature of canonical_request.
std::string ComputeSignature(std::string_view secret, std::string_view amz_date,
                             std::string_view region, std::string_view service,
                             std::string_view canonical_request);

}  // namespace berth::auth
