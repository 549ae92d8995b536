// Sign and Presign: the client side of SigV4 (the berth CLI and tests).
#include <algorithm>

#include "api/auth/canonical.h"
#include "api/auth/sigv4.h"
#include "common/time_format.h"

namespace berth::auth {

Headers Sign(const std::string& method, const std::string& host, const std::string& target,
             const Headers& headers, std::string_view body, const Credentials& creds,
             const std::string& region, const std::string& service, TimeMs now_ms) {
  const std::string amz_date = FormatAmzDate(now_ms);
  const std::string date8 = amz_date.substr(0, 8);

  Headers all;
  bool has_host = false;
  std::string payload_hash;
  for (const auto& [name, value] : headers) {
    std::string lower = ToLower(name);
    if (lower == "authorization" || lower == "x-amz-date") continue;
    if (lower == "host") has_host = true;
    if (lower == "x-amz-content-sha256" && payload_hash.empty()) {
      payload_hash = TrimBlanks(value);
    }
    all.emplace_back(std::move(lower), value);
  }
  if (!has_host) all.emplace_back("host", host);
  all.emplace_back("x-amz-date", amz_date);
  const bool add_content_sha = service == "s3" && payload_hash.empty();
  if (payload_hash.empty()) payload_hash = Sha256Hex(body);
  if (add_content_sha) all.emplace_back("x-amz-content-sha256", payload_hash);

  std::vector<std::string> names;
  for (const auto& [name, value] : all) names.push_back(name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_headers;
  for (const std::string& name : names) {
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += name;
  }

  CanonicalRequestParts parts;
  parts.method = method;
  parts.target = target;
  parts.service = service;
  parts.headers = &all;
  parts.signed_headers = signed_headers;
  parts.payload_hash = payload_hash;
  std::string signature =
      ComputeSignature(creds.secret_access_key, amz_date, region, service, CanonicalRequest(parts));

  Headers out;
  out.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" + creds.access_key_id +
                                        "/" + CredentialScope(date8, region, service) +
                                        ", SignedHeaders=" + signed_headers +
                                        ", Signature=" + signature);
  out.emplace_back("X-Amz-Date", amz_date);
  if (add_content_sha) out.emplace_back("x-amz-content-sha256", payload_hash);
  return out;
}

std::string Presign(const std::string& host, const std::string& target, const Credentials& creds,
                    const std::string& region, const std::string& service, TimeMs now_ms,
                    int64_t expires_s) {
  const std::string amz_date = FormatAmzDate(now_ms);
  const std::string scope = CredentialScope(amz_date.substr(0, 8), region, service);

  std::string out = target;
  out.push_back(out.find('?') == std::string::npos ? '?' : '&');
  out += "X-Amz-Algorithm=";
  out += kAlgorithm;
  out += "&X-Amz-Credential=" + UriEncode(creds.access_key_id + "/" + scope, false);
  out += "&X-Amz-Date=" + amz_date;
  out += "&X-Amz-Expires=" + std::to_string(expires_s);
  out += "&X-Amz-SignedHeaders=host";

  Headers headers = {{"host", host}};
  CanonicalRequestParts parts;
  parts.method = "GET";
  parts.target = out;
  parts.service = service;
  parts.headers = &headers;
  parts.signed_headers = "host";
  // As Verify expects: S3 presigns UNSIGNED-PAYLOAD, other services the (empty) body's hash.
  const std::string payload_hash = service == "s3" ? std::string(kUnsignedPayload) : Sha256Hex("");
  parts.payload_hash = payload_hash;
  parts.presigned = true;
  out += "&X-Amz-Signature=" + ComputeSignature(creds.secret_access_key, amz_date, region, service,
                                                CanonicalRequest(parts));
  return out;
}

}  // namespace berth::auth
