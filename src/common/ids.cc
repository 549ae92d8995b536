#include "common/ids.h"

#include <openssl/rand.h>

#include <random>

namespace berth {

namespace {
void RandomBytes(unsigned char* buf, size_t n) {
  if (RAND_bytes(buf, static_cast<int>(n)) != 1) {
    // OpenSSL's RNG only fails when the OS has no entropy source; fall back rather than die.
    static thread_local std::random_device rd;
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<unsigned char>(rd());
  }
}
}  // namespace

std::string RandomHex(size_t n_chars) {
  static const char kHex[] = "0123456789abcdef";
  std::string bytes((n_chars + 1) / 2, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size());
  std::string out;
  out.reserve(n_chars);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  out.resize(n_chars);
  return out;
}

std::string NewUuid() {
  std::string h = RandomHex(32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string RandomAlnum(size_t n, bool upper_only) {
  static const char kAll[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static const char kUpper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const char* set = upper_only ? kUpper : kAll;
  size_t set_size = upper_only ? 36 : 62;
  std::string bytes(n, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(bytes.data()), n);
  std::string out;
  for (unsigned char b : bytes) out.push_back(set[b % set_size]);
  return out;
}

}  // namespace berth
