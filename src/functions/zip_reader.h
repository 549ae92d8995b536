// Zip archives of function code: a small, defensive reader and extractor (PKWARE APPNOTE
// subset). Supported: stored (0) and deflate (8) entries, data descriptors, ZIP64 sizes and
// offsets, Unix permission bits. Refused, with a reason: encryption, other methods, multi-disk
// archives, symbolic links and other special files, absolute paths, `..` components, empty
// components, NUL bytes, duplicate or conflicting paths, CRC mismatches, sizes that differ from
// the central directory, and archives past the limits (Lambda's: 50 MB zipped, 250 MB unzipped).
//
// The central directory is the authority: every entry's declared size is summed and checked
// against the limit before any byte is inflated, and no entry may inflate past its declared
// size, so a zip bomb stops at the limit. ExtractZip creates only regular files and
// directories, below a directory it opened itself, component by component with O_NOFOLLOW and
// O_EXCL: it never writes outside that directory, whatever the archive says.
//
// Pure functions over a byte buffer; any thread. Errors: InvalidArgument with a short reason
// ("entry 'a/../b' has a '..' component") for a malformed or unsafe archive; ResourceExhausted
// for the limits (Lambda's "Unzipped size must be smaller than 262144000 bytes"); Internal for
// the disk (ExtractZip).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace berth::functions {

struct ZipLimits {
  uint64_t max_zip_bytes = 52428800;        // 50 MiB, Lambda's direct-upload limit
  uint64_t max_unzipped_bytes = 262144000;  // 250 MiB, Lambda's unzipped limit
  size_t max_entries = 100000;
};

struct ZipEntry {
  std::string path;  // normalised: '/'-separated, relative, no '.', no trailing '/'
  bool is_dir = false;
  uint32_t mode = 0644;  // permission bits to create it with (0755 for directories)
  uint64_t size = 0;     // uncompressed bytes
  uint32_t crc32 = 0;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint64_t compressed_size = 0;
  uint64_t data_offset = 0;  // where the entry's (compressed) data starts in the archive
};

// Receives the entries of ReadZip in central-directory order: Begin, Data chunks (files only),
// End. A non-OK Status stops the read and is returned as is.
class ZipSink {
 public:
  virtual ~ZipSink() = default;
  virtual Status Begin(const ZipEntry& entry) = 0;
  virtual Status Data(std::string_view chunk) = 0;
  virtual Status End() = 0;
};

// Parses and checks the central directory and every local header (names, types, limits,
// conflicts); inflates nothing.
Result<std::vector<ZipEntry>> ListZip(std::string_view zip, const ZipLimits& limits = {});

// ListZip, then decompresses every file entry into the sink in chunks of at most 64 KiB,
// checking each entry's size and CRC-32.
Status ReadZip(std::string_view zip, ZipSink& sink, const ZipLimits& limits = {});

// Extracts into dest_dir, an existing empty directory: files 0644 (0755 when the archive marks
// them executable for anyone), directories 0755. Returns the unzipped byte count. On error the
// directory may hold part of the archive; the caller removes it.
Result<uint64_t> ExtractZip(std::string_view zip, const std::string& dest_dir,
                            const ZipLimits& limits = {});

}  // namespace berth::functions
