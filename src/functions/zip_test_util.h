// Test-only: builds zip archives in memory, including malformed and malicious ones (lying
// sizes, bad CRCs, symlinks, traversal names). Header-only; any thread.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::functions::testing {

struct TestEntry {
  std::string name;
  std::string data;
  bool deflate = true;
  bool unix_host = true;         // "made by" Unix: external attributes carry st_mode
  uint32_t unix_mode = 0100644;  // regular file, rw-r--r--
  uint16_t flags = 0;
  std::optional<uint16_t> method;  // overrides stored/deflate
  std::optional<uint32_t> declared_size;
  std::optional<uint32_t> crc;
  std::optional<std::string> compressed;  // overrides the compressed bytes
};

inline std::string RawDeflate(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline void Put16(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void Put32(std::string& s, uint32_t v) {
  Put16(s, v & 0xFFFF);
  Put16(s, v >> 16);
}

inline std::string BuildZip(const std::vector<TestEntry>& entries) {
  std::string out, central;
  for (const TestEntry& e : entries) {
    uint16_t method = e.method.value_or(e.deflate ? 8 : 0);
    std::string body = e.compressed ? *e.compressed : (method == 8 ? RawDeflate(e.data) : e.data);
    uint32_t crc = e.crc.value_or(static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(e.data.data()), static_cast<uInt>(e.data.size()))));
    uint32_t usize = e.declared_size.value_or(static_cast<uint32_t>(e.data.size()));
    uint32_t offset = static_cast<uint32_t>(out.size());
    Put32(out, 0x04034b50);
    Put16(out, 20);
    Put16(out, e.flags);
    Put16(out, method);
    Put16(out, 0);
    Put16(out, 0x21);
    Put32(out, crc);
    Put32(out, static_cast<uint32_t>(body.size()));
    Put32(out, usize);
    Put16(out, static_cast<uint32_t>(e.name.size()));
    Put16(out, 0);
    out += e.name;
    out += body;
    Put32(central, 0x02014b50);
    Put16(central, e.unix_host ? (3u << 8) | 20 : 20);
    Put16(central, 20);
    Put16(central, e.flags);
    Put16(central, method);
    Put16(central, 0);
    Put16(central, 0x21);
    Put32(central, crc);
    Put32(central, static_cast<uint32_t>(body.size()));
    Put32(central, usize);
    Put16(central, static_cast<uint32_t>(e.name.size()));
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, 0);
    Put32(central, e.unix_host ? e.unix_mode << 16 : 0);
    Put32(central, offset);
    central += e.name;
  }
  uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  Put32(out, 0x06054b50);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, static_cast<uint32_t>(entries.size()));
  Put16(out, static_cast<uint32_t>(entries.size()));
  Put32(out, static_cast<uint32_t>(central.size()));
  Put32(out, cd_offset);
  Put16(out, 0);
  return out;
}

}  // namespace berth::functions::testing
