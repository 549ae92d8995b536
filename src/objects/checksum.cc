#include "objects/checksum.h"

#include <openssl/evp.h>

#include <array>

namespace berth::objects {

namespace {

using Table = std::array<uint32_t, 256>;

constexpr Table MakeTable(uint32_t poly) {
  Table t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? poly ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr Table kCrc32Table = MakeTable(0xEDB88320u);
constexpr Table kCrc32cTable = MakeTable(0x82F63B78u);

uint32_t Crc(const Table& t, uint32_t crc, std::string_view data) {
  crc = ~crc;
  for (unsigned char b : data) crc = t[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

const EVP_MD* EvpFor(Algorithm a) {
  switch (a) {
    case Algorithm::kMd5:
      return EVP_md5();
    case Algorithm::kSha1:
      return EVP_sha1();
    case Algorithm::kSha256:
      return EVP_sha256();
    default:
      return nullptr;
  }
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

struct Digest::Evp {
  EVP_MD_CTX* ctx = nullptr;
  ~Evp() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Algorithm a) : algorithm_(a) {
  if (const EVP_MD* md = EvpFor(a)) {
    evp_ = std::make_unique<Evp>();
    evp_->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(evp_->ctx, md, nullptr);
  }
}
Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::Update(std::string_view data) {
  switch (algorithm_) {
    case Algorithm::kCrc32:
      crc_ = Crc32(crc_, data);
      return;
    case Algorithm::kCrc32c:
      crc_ = Crc32c(crc_, data);
      return;
    default:
      if (evp_ && evp_->ctx) EVP_DigestUpdate(evp_->ctx, data.data(), data.size());
  }
}

std::string Digest::Finish() {
  if (algorithm_ == Algorithm::kCrc32 || algorithm_ == Algorithm::kCrc32c) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((crc_ >> (24 - 8 * i)) & 0xff);
    return out;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!evp_ || !evp_->ctx || EVP_DigestFinal_ex(evp_->ctx, md, &n) != 1) return "";
  return std::string(reinterpret_cast<char*>(md), n);
}

std::string DigestOf(Algorithm a, std::string_view data) {
  Digest d(a);
  d.Update(data);
  return d.Finish();
}

uint32_t Crc32(uint32_t crc, std::string_view data) { return Crc(kCrc32Table, crc, data); }
uint32_t Crc32c(uint32_t crc, std::string_view data) { return Crc(kCrc32cTable, crc, data); }

std::optional<Algorithm> ChecksumAlgorithmFromName(std::string_view name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
  if (n == "CRC32") return Algorithm::kCrc32;
  if (n == "CRC32C") return Algorithm::kCrc32c;
  if (n == "SHA1") return Algorithm::kSha1;
  if (n == "SHA256") return Algorithm::kSha256;
  return std::nullopt;
}

const char* AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kMd5:
      return "MD5";
    case Algorithm::kSha1:
      return "SHA1";
    case Algorithm::kSha256:
      return "SHA256";
    case Algorithm::kCrc32:
      return "CRC32";
    case Algorithm::kCrc32c:
      return "CRC32C";
  }
  return "";
}

std::string ChecksumHeader(Algorithm a) {
  std::string n = AlgorithmName(a);
  for (char& c : n) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return "x-amz-checksum-" + n;
}

std::string Base64Encode(std::string_view raw) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(raw[k])); };
  for (; i + 3 <= raw.size(); i += 3) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(v >> s) & 63]);
  }
  if (raw.size() - i == 1) {
    uint32_t v = b(i) << 16;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out += "==";
  } else if (raw.size() - i == 2) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out += "=";
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    int pad = 0;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      int d = 0;
      if (c == '=') {
        // Padding only at the very end, in the last one or two places.
        if (i + 4 != text.size() || k < 2) return std::nullopt;
        ++pad;
      } else {
        if (pad > 0) return std::nullopt;
        d = val(c);
        if (d < 0) return std::nullopt;
      }
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
  }
  return out;
}

std::string HexEncode(std::string_view raw) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = val(hex[i]), lo = val(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace berth::objects
