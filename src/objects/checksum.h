// Digests of object bodies, computed while the bytes stream by: MD5 (S3's ETag), SHA-1,
// SHA-256, CRC32 and CRC32C (S3's x-amz-checksum-* values: base64 of the big-endian digest),
// plus the base64 and hex codings those headers use.
//
// Value types and pure functions; any thread (one Digest is not shared between threads).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace berth::objects {

enum class Algorithm { kMd5, kSha1, kSha256, kCrc32, kCrc32c };

// "CRC32", "CRC32C", "SHA1", "SHA256" (S3's ChecksumAlgorithm names, any case) → algorithm.
std::optional<Algorithm> ChecksumAlgorithmFromName(std::string_view name);
// S3's name of a checksum algorithm ("CRC32", …; "MD5" for kMd5).
const char* AlgorithmName(Algorithm a);
// The header that carries it: "x-amz-checksum-crc32", …
std::string ChecksumHeader(Algorithm a);

// An incremental digest. Finish() returns the raw digest bytes (4 bytes big-endian for CRCs).
class Digest {
 public:
  explicit Digest(Algorithm a);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Update(std::string_view data);
  std::string Finish();  // once
  Algorithm algorithm() const { return algorithm_; }

 private:
  Algorithm algorithm_;
  uint32_t crc_ = 0;
  struct Evp;
  std::unique_ptr<Evp> evp_;
};

// One-shot helpers.
std::string DigestOf(Algorithm a, std::string_view data);  // raw bytes
uint32_t Crc32(uint32_t crc, std::string_view data);       // zlib's crc32 (start with 0)
uint32_t Crc32c(uint32_t crc, std::string_view data);      // Castagnoli (start with 0)

std::string Base64Encode(std::string_view raw);
// Strict: standard alphabet, padding required; nullopt on anything else.
std::optional<std::string> Base64Decode(std::string_view text);
std::string HexEncode(std::string_view raw);  // lowercase
// Lowercase or uppercase hex; nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace berth::objects
