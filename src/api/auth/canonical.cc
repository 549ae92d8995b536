// The canonical request and key derivation of SigV4, plus the hashing and encoding helpers
// declared in sigv4.h.
#include "api/auth/canonical.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace berth::auth {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// a == lower (already lowercase), ignoring ASCII case in a.
bool EqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != lower[i]) return false;
  }
  return true;
}

// Trims blanks and collapses inner runs of them to one space.
void AppendTrimmedValue(std::string_view v, std::string* out) {
  bool pending_space = false;
  bool any = false;
  for (char c : v) {
    if (IsBlank(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    any = true;
    out->push_back(c);
  }
}

// Resolves empty, "." and ".." segments; keeps a trailing slash when the path had one.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') out.push_back('/');
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const char kEmpty[1] = {0};
  const char* p = data.empty() ? kEmpty : data.data();
  if (EVP_Digest(p, data.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const unsigned char kEmpty[1] = {0};
  const void* k = key.empty() ? static_cast<const void*>(kEmpty) : key.data();
  const unsigned char* d =
      data.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()), d, data.size(), md, &len) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // lengths are public (hex signatures are 64)
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

const std::string* FindHeader(const Headers& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (EqualsLower(name, lower_name)) return &value;
  }
  return nullptr;
}

std::string HexEncode(std::string_view raw) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (char ch : raw) {
    unsigned char c = static_cast<unsigned char>(ch);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, std::string_view()};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view piece = query.substr(start, amp - start);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(PercentDecode(piece), std::string());
      } else {
        out.emplace_back(PercentDecode(piece.substr(0, eq)), PercentDecode(piece.substr(eq + 1)));
      }
    }
    start = amp + 1;
  }
  return out;
}

std::string CanonicalUri(std::string_view path, std::string_view service) {
  if (service == "s3") {
    if (path.empty()) return "/";
    return UriEncode(PercentDecode(path), /*keep_slash=*/true);
  }
  return UriEncode(NormalizePath(path), /*keep_slash=*/true);
}

std::string CanonicalQuery(std::string_view query, bool drop_signature) {
  std::vector<std::pair<std::string, std::string>> params;
  for (auto& [key, value] : ParseQuery(query)) {
    if (drop_signature && key == "X-Amz-Signature") continue;
    params.emplace_back(UriEncode(key, false), UriEncode(value, false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += key;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string CanonicalHeaders(const Headers& headers, std::string_view signed_headers) {
  std::string out;
  if (signed_headers.empty()) return out;
  size_t start = 0;
  while (start <= signed_headers.size()) {
    size_t semi = signed_headers.find(';', start);
    if (semi == std::string_view::npos) semi = signed_headers.size();
    std::string name = ToLower(signed_headers.substr(start, semi - start));
    out += name;
    out.push_back(':');
    bool first = true;
    for (const auto& [n, v] : headers) {
      if (!EqualsLower(n, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendTrimmedValue(v, &out);
    }
    out.push_back('\n');
    start = semi + 1;
  }
  return out;
}

std::string CanonicalRequest(const CanonicalRequestParts& parts) {
  auto [path, query] = SplitTarget(parts.target);
  std::string out;
  out.append(parts.method).push_back('\n');
  out.append(CanonicalUri(path, parts.service)).push_back('\n');
  out.append(CanonicalQuery(query, parts.presigned)).push_back('\n');
  out.append(CanonicalHeaders(*parts.headers, parts.signed_headers)).push_back('\n');
  out.append(parts.signed_headers).push_back('\n');
  out.append(parts.payload_hash);
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service) {
  std::string k = HmacSha256(std::string("AWS4").append(secret), date8);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, kTerminator);
}

std::string CredentialScope(std::string_view date8, std::string_view region,
                            std::string_view service) {
  std::string out(date8);
  out.append("/").append(region).append("/").append(service).append("/").append(kTerminator);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string ComputeSignature(std::string_view secret, std::string_view amz_date,
                             std::string_view region, std::string_view service,
                             std::string_view canonical_request) {
  std::string_view date8 = amz_date.substr(0, 8);
  std::string sts =
      StringToSign(amz_date, CredentialScope(date8, region, service), canonical_request);
  return HexEncode(HmacSha256(SigningKey(secret, date8, region, service), sts));
}

}  // namespace berth::auth
