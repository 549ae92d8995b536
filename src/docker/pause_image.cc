#include "docker/pause_image.h"

#include <cstdio>
#include <cstring>

namespace berth::docker {

extern const unsigned char kPauseBinary[];
extern const size_t kPauseBinarySize;

namespace {

// One ustar header block for a regular file.
std::string TarHeader(const std::string& name, size_t size, unsigned mode) {
  char h[512];
  memset(h, 0, sizeof h);
  snprintf(h, 100, "%s", name.c_str());
  snprintf(h + 100, 8, "%07o", mode);
  snprintf(h + 108, 8, "%07o", 0u);                          // uid
  snprintf(h + 116, 8, "%07o", 0u);                          // gid
  snprintf(h + 124, 12, "%011zo", size);
  snprintf(h + 136, 12, "%011o", 0u);                        // mtime
  memset(h + 148, ' ', 8);                                   // checksum, counted as spaces
  h[156] = '0';                                              // regular file
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  snprintf(h + 148, 8, "%06o", sum);
  return std::string(h, sizeof h);
}

}  // namespace

std::string PauseImageTar() {
  std::string tar = TarHeader("pause", kPauseBinarySize, 0755);
  tar.append(reinterpret_cast<const char*>(kPauseBinary), kPauseBinarySize);
  tar.append((512 - kPauseBinarySize % 512) % 512, '\0');
  tar.append(1024, '\0');  // end of archive
  return tar;
}

}  // namespace berth::docker
