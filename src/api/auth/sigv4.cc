// Verify: parses the Authorization header or the presigned query, checks key, clock and
// signature, and answers with AWS's own error texts.
#include "api/auth/sigv4.h"

#include <cstdio>
#include <ctime>
#include <optional>

#include "api/auth/canonical.h"
#include "common/time_format.h"

namespace berth::auth {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

constexpr TimeMs kMaxSkewMs = 15 * 60 * 1000;
constexpr int64_t kMaxExpiresS = 604800;
constexpr size_t kMaxEcho = 256;

constexpr char kMissingTokenMsg[] = "Missing Authentication Token";
constexpr char kUnknownKeyMsg[] = "The security token included in the request is invalid.";
constexpr char kMismatchMsg[] =
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details.";
constexpr char kContentShaMismatchMsg[] =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";
constexpr char kQueryParamsMsg[] =
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
constexpr char kHostUnsignedMsg[] =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";

// What the Authorization header or the presigned query claims.
struct Claim {
  std::string access_key_id, date8, region, service;
  std::string signed_headers, signature;
  std::string amz_date;  // as it goes into the string to sign
  TimeMs date_ms = 0;
  int64_t expires_s = 0;  // presigned only
  bool presigned = false;
};

AuthResult Fail(AuthError error, std::string message, AuthResult r = AuthResult()) {
  r.error = error;
  r.message = std::move(message);
  return r;
}

std::string Truncated(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

std::string Echo(std::string_view authz) { return "Authorization=" + Truncated(authz, kMaxEcho); }

const std::string* FindParam(const Params& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool SignsHost(std::string_view signed_headers) {
  size_t start = 0;
  while (start <= signed_headers.size()) {
    size_t semi = signed_headers.find(';', start);
    if (semi == std::string_view::npos) semi = signed_headers.size();
    if (ToLower(signed_headers.substr(start, semi - start)) == "host") return true;
    start = semi + 1;
  }
  return false;
}

// RFC 1123 ("Sun, 06 Nov 1994 08:49:37 GMT"), the other form a Date header may take.
bool ParseHttpDate(const std::string& s, TimeMs* out) {
  char weekday[4] = {}, month[4] = {}, zone[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(s.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", weekday, &day, month, &year, &hour,
                  &minute, &second, zone) != 8 ||
      std::string_view(zone) != "GMT") {
    return false;
  }
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  size_t m = kMonths.find(month);
  if (std::string_view(month).size() != 3 || m == std::string_view::npos || m % 3 != 0 || day < 1 ||
      day > 31 || year < 1970 || year > 9999 || hour > 23 || minute > 59 || second > 60 ||
      hour < 0 || minute < 0 || second < 0) {
    return false;
  }
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = static_cast<int>(m / 3);
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  *out = static_cast<TimeMs>(timegm(&tm)) * 1000;
  return true;
}

// "AKID/20150830/us-east-1/ecs/aws4_request"; returns an error message or nullopt.
std::optional<std::string> ParseCredential(std::string_view cred, Claim* c) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= cred.size() && parts.size() < 6) {
    size_t slash = cred.find('/', start);
    if (slash == std::string_view::npos) slash = cred.size();
    parts.push_back(cred.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.size() != 5) {
    return "Credential must have exactly 5 slash-delimited elements, e.g. "
           "keyid/date/region/service/term, got '" +
           Truncated(cred, kMaxEcho) + "'";
  }
  if (parts[1].size() != 8 || !AllDigits(parts[1])) {
    return "Invalid credential date \"" + Truncated(parts[1], 32) +
           "\". Date is not the required format, yyyyMMdd.";
  }
  if (parts[2].empty()) return std::string("Credential should be scoped to a valid region.");
  if (parts[3].empty()) return std::string("Credential should be scoped to a valid service.");
  if (parts[4] != kTerminator) {
    return "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
           Truncated(parts[4], 32) + "'.";
  }
  c->access_key_id = parts[0];
  c->date8 = parts[1];
  c->region = parts[2];
  c->service = parts[3];
  return std::nullopt;
}

// Header form. On failure fills *r and returns false.
bool ParseHeaderForm(const Headers& headers, std::string_view authz, Claim* c, AuthResult* r) {
  std::string_view v = TrimBlanks(authz);
  size_t sp = v.find_first_of(" \t");
  if (v.substr(0, sp) != kAlgorithm) {
    *r = Fail(AuthError::kIncompleteSignature,
              "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm.");
    return false;
  }
  std::optional<std::string> credential, signed_headers, signature;
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : v.substr(sp);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    if (comma == std::string_view::npos) comma = rest.size();
    std::string_view piece = TrimBlanks(rest.substr(start, comma - start));
    start = comma + 1;
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    if (eq == std::string_view::npos) {
      *r = Fail(
          AuthError::kIncompleteSignature,
          "Invalid key=value pair (missing equal-sign) in Authorization header. " + Echo(authz));
      return false;
    }
    std::string_view key = TrimBlanks(piece.substr(0, eq));
    std::string value(TrimBlanks(piece.substr(eq + 1)));
    if (value.empty()) continue;
    if (key == "Credential" && !credential) credential = value;
    if (key == "SignedHeaders" && !signed_headers) signed_headers = value;
    if (key == "Signature" && !signature) signature = value;
  }
  const std::string* amz_date = FindHeader(headers, "x-amz-date");
  const std::string* date = amz_date ? amz_date : FindHeader(headers, "date");
  std::string missing;
  if (!credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!date) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) {
    *r = Fail(AuthError::kIncompleteSignature, missing + Echo(authz));
    return false;
  }
  if (auto err = ParseCredential(*credential, c)) {
    *r = Fail(AuthError::kIncompleteSignature, *err);
    return false;
  }
  std::string date_value(TrimBlanks(*date));
  if (ParseAmzDate(date_value, &c->date_ms)) {
    c->amz_date = date_value;
  } else if (!amz_date && ParseHttpDate(date_value, &c->date_ms)) {
    c->amz_date = FormatAmzDate(c->date_ms);
  } else {
    *r = Fail(AuthError::kIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '" +
                                                   Truncated(date_value, 64) +
                                                   "'. See http://en.wikipedia.org/wiki/ISO_8601");
    return false;
  }
  if (!SignsHost(*signed_headers)) {
    *r = Fail(AuthError::kIncompleteSignature, kHostUnsignedMsg);
    return false;
  }
  c->signed_headers = *signed_headers;
  c->signature = *signature;
  return true;
}

// Presigned form. On failure fills *r and returns false.
bool ParseQueryForm(const Params& params, Claim* c, AuthResult* r) {
  const std::string* algorithm = FindParam(params, "X-Amz-Algorithm");
  const std::string* credential = FindParam(params, "X-Amz-Credential");
  const std::string* signature = FindParam(params, "X-Amz-Signature");
  const std::string* date = FindParam(params, "X-Amz-Date");
  const std::string* signed_headers = FindParam(params, "X-Amz-SignedHeaders");
  const std::string* expires = FindParam(params, "X-Amz-Expires");
  if (!algorithm || !credential || !signature || !date || !signed_headers || !expires) {
    *r = Fail(AuthError::kIncompleteSignature, kQueryParamsMsg);
    return false;
  }
  std::optional<std::string> err;
  if (*algorithm != kAlgorithm) err = "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"";
  if (!err) err = ParseCredential(*credential, c);
  if (!err && !ParseAmzDate(*date, &c->date_ms)) {
    err = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"";
  }
  if (!err && !AllDigits(*expires)) err = "X-Amz-Expires should be a number";
  if (!err) {
    for (char digit : *expires) {
      c->expires_s = c->expires_s * 10 + (digit - '0');
      if (c->expires_s > kMaxExpiresS) break;  // no overflow, however long the number
    }
    if (c->expires_s > kMaxExpiresS) {
      err = "X-Amz-Expires must be less than a week (in seconds) that is 604800";
    } else if (c->expires_s < 1) {
      err = "X-Amz-Expires must be at least 1";
    }
  }
  if (!err && !SignsHost(*signed_headers)) err = kHostUnsignedMsg;
  if (err) {
    *r = Fail(AuthError::kIncompleteSignature, *err);
    return false;
  }
  c->amz_date = *date;
  c->signed_headers = *signed_headers;
  c->signature = *signature;
  c->presigned = true;
  return true;
}

bool IsLiteralPayloadHash(std::string_view v) {
  return v == kUnsignedPayload || v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" ||
         v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" ||
         v == "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
}

}  // namespace

AuthResult Verify(const RequestView& req, const Credentials& creds, TimeMs now_ms) {
  auto [path, query] = SplitTarget(req.target);
  const std::string* authz = FindHeader(req.headers, "authorization");
  Params params = ParseQuery(query);
  bool query_auth = FindParam(params, "X-Amz-Algorithm") != nullptr;
  if (!authz && !query_auth) return Fail(AuthError::kMissingToken, kMissingTokenMsg);
  if (authz && query_auth) {
    return Fail(AuthError::kIncompleteSignature,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or "
                "the Authorization header should be specified");
  }

  Claim c;
  AuthResult r;
  if (authz ? !ParseHeaderForm(req.headers, *authz, &c, &r) : !ParseQueryForm(params, &c, &r)) {
    return r;
  }
  r.access_key_id = c.access_key_id;
  r.region = c.region;
  r.service = c.service;
  r.amz_date = c.amz_date;

  if (c.access_key_id != creds.access_key_id) {
    return Fail(AuthError::kUnknownKey, kUnknownKeyMsg, std::move(r));
  }
  if (c.date8 != std::string_view(c.amz_date).substr(0, 8)) {
    return Fail(AuthError::kSignatureMismatch,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '" +
                    c.date8 + "' != '" + c.amz_date.substr(0, 8) + "', from '" + c.amz_date + "'.",
                std::move(r));
  }
  if (c.date_ms > now_ms + kMaxSkewMs) {
    return Fail(AuthError::kExpired,
                "Signature not yet current: " + FormatAmzDate(c.date_ms) + " is still later than " +
                    FormatAmzDate(now_ms + kMaxSkewMs) + " (" + FormatAmzDate(now_ms) +
                    " + 15 min.)",
                std::move(r));
  }
  if (!c.presigned && c.date_ms < now_ms - kMaxSkewMs) {
    return Fail(AuthError::kExpired,
                "Signature expired: " + FormatAmzDate(c.date_ms) + " is now earlier than " +
                    FormatAmzDate(now_ms - kMaxSkewMs) + " (" + FormatAmzDate(now_ms) +
                    " - 15 min.)",
                std::move(r));
  }
  if (c.presigned && now_ms > c.date_ms + c.expires_s * 1000) {
    return Fail(AuthError::kExpired, "Request has expired", std::move(r));
  }

  std::string payload_hash;
  if (const std::string* given = FindHeader(req.headers, "x-amz-content-sha256")) {
    payload_hash = TrimBlanks(*given);
    if (!IsLiteralPayloadHash(payload_hash) && !req.defer_payload_check &&
        ToLower(payload_hash) != Sha256Hex(req.body)) {
      return Fail(AuthError::kSignatureMismatch, kContentShaMismatchMsg, std::move(r));
    }
  } else {
    // Presigned S3 URLs sign UNSIGNED-PAYLOAD; every other service (botocore's SigV4QueryAuth)
    // signs the body's hash, as the header form does.
    payload_hash = c.presigned && c.service == "s3" ? std::string(kUnsignedPayload)
                                                     : Sha256Hex(req.body);
  }

  CanonicalRequestParts parts;
  parts.method = req.method;
  parts.target = req.target;
  parts.service = c.service;
  parts.headers = &req.headers;
  parts.signed_headers = c.signed_headers;
  parts.payload_hash = payload_hash;
  parts.presigned = c.presigned;
  std::string expected = ComputeSignature(creds.secret_access_key, c.amz_date, c.region, c.service,
                                          CanonicalRequest(parts));
  if (!ConstantTimeEquals(expected, c.signature)) {
    return Fail(AuthError::kSignatureMismatch, kMismatchMsg, std::move(r));
  }
  r.signature = ToLower(c.signature);
  r.creds = creds;
  return r;
}

AuthResult VerifyWithSessions(const RequestView& req, const Credentials& own,
                              const SessionLookup& lookup, TimeMs now_ms) {
  AuthResult r = Verify(req, own, now_ms);
  if (r.error != AuthError::kUnknownKey || !lookup) return r;
  std::optional<SessionCredentials> session = lookup(r.access_key_id);
  if (!session) return r;
  // The token: a header, or (presigned) a query parameter; signed either way when present.
  std::string token;
  if (const std::string* h = FindHeader(req.headers, "x-amz-security-token")) {
    token = std::string(TrimBlanks(*h));
  } else {
    for (const auto& [k, v] : ParseQuery(SplitTarget(req.target).second)) {
      if (k == "X-Amz-Security-Token") token = v;
    }
  }
  if (token.empty() || !ConstantTimeEquals(token, session->session_token)) {
    return Fail(AuthError::kInvalidToken, kUnknownKeyMsg, std::move(r));
  }
  if (now_ms >= session->expires_ms) {
    return Fail(AuthError::kExpiredToken, "The security token included in the request is expired",
                std::move(r));
  }
  return Verify(req, session->creds, now_ms);
}

ChunkSignatureChain::ChunkSignatureChain(const Credentials& creds, const AuthResult& auth)
    : key_(SigningKey(creds.secret_access_key, std::string_view(auth.amz_date).substr(0, 8),
                      auth.region, auth.service)),
      amz_date_(auth.amz_date),
      scope_(CredentialScope(std::string_view(auth.amz_date).substr(0, 8), auth.region,
                             auth.service)),
      previous_(auth.signature) {}

std::string ChunkSignatureChain::NextChunk(std::string_view chunk_sha256_hex) {
  static const std::string kEmptyHash = Sha256Hex("");
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date_ + "\n" + scope_ + "\n" + previous_ +
                    "\n" + kEmptyHash + "\n" + std::string(chunk_sha256_hex);
  previous_ = HexEncode(HmacSha256(key_, sts));
  return previous_;
}

std::string ChunkSignatureChain::Trailer(std::string_view trailer_text) {
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n" + amz_date_ + "\n" + scope_ + "\n" + previous_ +
                    "\n" + Sha256Hex(trailer_text);
  previous_ = HexEncode(HmacSha256(key_, sts));
  return previous_;
}

}  // namespace berth::auth
