// AWS Signature Version 4: verifying incoming requests (Authorization header or presigned
// query string) and signing outgoing ones (the berth CLI, tests).
//
// Everything here is a pure function of its arguments: no clock is read (callers pass
// now_ms), nothing is cached and nothing is logged, so any thread may call any function.
// Verify's messages are AWS's own texts and are meant to be returned to the client; the API
// layer maps AuthError (never the message) to the HTTP status and AWS error name.
// The Host check (Host must be the listen address) is the HTTP layer's job; Verify only
// requires that host is among the signed headers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace berth::auth {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};

// One incoming request, borrowed from the HTTP layer for the duration of Verify.
struct RequestView {
  std::string method;
  std::string target;  // raw request-target: path + optional ?query, exactly as on the wire
  Headers headers;     // as received, any case, duplicates allowed
  std::string_view body;
  // The body streams (S3): it is not in `body` yet. Verify then signs with the payload hash the
  // client claims in x-amz-content-sha256 and the caller must check the body against it.
  bool defer_payload_check = false;
};

enum class AuthError {
  kNone,
  kMissingToken,         // neither an Authorization header nor X-Amz-Algorithm in the query
  kIncompleteSignature,  // present but not parseable
  kUnknownKey,           // access key id is not ours
  kSignatureMismatch,
  kExpired,  // clock skew beyond 15 minutes, or a presigned URL past its expiry
  kInvalidToken,  // temporary credentials with a missing or wrong session token
  kExpiredToken,  // temporary credentials past their expiry
};

struct AuthResult {
  AuthError error = AuthError::kNone;
  std::string message;  // AWS's text; empty when error == kNone
  // Filled once the request parsed: always when ok, and on kUnknownKey, kSignatureMismatch
  // and kExpired (for logs and for checking region and service).
  std::string access_key_id, region, service, amz_date;
  std::string signature;  // the verified signature (aws-chunked's seed); set when ok
  Credentials creds;      // the key pair that verified it (aws-chunked chains on); set when ok

  bool ok() const { return error == AuthError::kNone; }
};

// Checks req's SigV4 signature against creds at time now_ms. Region and service are taken
// from the credential scope and returned; the caller decides whether they are acceptable.
AuthResult Verify(const RequestView& req, const Credentials& creds, TimeMs now_ms);

// Temporary credentials (a task role's, served to code inside a task): a key pair plus the
// session token every request signed with it must carry (X-Amz-Security-Token header or query
// parameter), valid until expires_ms.
struct SessionCredentials {
  Credentials creds;
  std::string session_token;
  TimeMs expires_ms = 0;
};
// The session credentials whose access key id is given, if any are live.
using SessionLookup =
    std::function<std::optional<SessionCredentials>(const std::string& access_key_id)>;

// Verify against `own`; when the request names another access key, against the session
// credentials `lookup` finds for it (null lookup: none), whose token and expiry are checked too:
// kInvalidToken ("The security token included in the request is invalid.") for a missing or
// different token, kExpiredToken ("The security token included in the request is expired") once
// they have expired.
AuthResult VerifyWithSessions(const RequestView& req, const Credentials& own,
                              const SessionLookup& lookup, TimeMs now_ms);

// Signs a request the caller is about to send to `host` with `target` (path?query, already
// percent-encoded as it will be sent). Signs host, x-amz-date and every header in `headers`
// (which must not contain Authorization or X-Amz-Date). Returns the headers to add:
// Authorization, X-Amz-Date and, for service "s3" only, x-amz-content-sha256 (unless the
// caller already passes one, which is then used as the payload hash).
Headers Sign(const std::string& method, const std::string& host, const std::string& target,
             const Headers& headers, std::string_view body, const Credentials& creds,
             const std::string& region, const std::string& service, TimeMs now_ms);

// A presigned GET: returns target with the X-Amz-* query parameters (signature last)
// appended, valid for expires_s seconds from now_ms (Verify accepts 1..604800). Signs only host;
// the payload is UNSIGNED-PAYLOAD. Existing query parameters (e.g. X-Amz-Security-Token) are signed
// too.
std::string Presign(const std::string& host, const std::string& target, const Credentials& creds,
                    const std::string& region, const std::string& service, TimeMs now_ms,
                    int64_t expires_s);

// aws-chunked bodies (x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]): each
// chunk's signature chains from the previous one, starting at the request's seed signature.
// Value type; one per request, used by one thread.
class ChunkSignatureChain {
 public:
  // auth: a successful Verify of the request (its scope, date and seed signature).
  ChunkSignatureChain(const Credentials& creds, const AuthResult& auth);
  // The signature the next chunk must carry (chunk_sha256_hex: SHA-256 of its data, lowercase
  // hex); the chain moves on to it.
  std::string NextChunk(std::string_view chunk_sha256_hex);
  // The signature of the trailing headers (their canonical text "name:value\n"...).
  std::string Trailer(std::string_view trailer_text);

 private:
  std::string key_, amz_date_, scope_, previous_;
};

// Helpers, exposed for reuse (S3 checksums, the CLI, tests).
std::string Sha256Hex(std::string_view data);                         // lowercase hex
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
// Percent-encodes every byte outside A-Za-z0-9-._~ (and '/' when keep_slash) as %XX.
std::string UriEncode(std::string_view s, bool keep_slash);
// Equality whose running time does not depend on where a and b differ (only on length).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace berth::auth
