// Segment files: the on-disk unit of LogStore event data. A group's events live in
// append-only files DIR/g<group-id>/<segno>.log, each opening with an 8-byte magic and then
// holding records back to back (little-endian):
//
//   [u32 crc32c of bytes 4..end][u32 message length n][u32 stream id]
//   [i64 timestamp ms][i64 ingestion time ms][n bytes of message]
//
// A record's position — (segno << 32) | byte offset — never changes, so it is the event's
// stable id and what paging tokens point at. This file has the record codec, a sequential
// reader that walks records in 1 MiB preads (no checksums: scans must run near disk/memcpy
// speed), and the recovery pass that validates every checksum on Open and finds where a torn
// tail starts. Pure functions and a value-type reader; any thread.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace berth::logs {

static_assert(std::endian::native == std::endian::little, "segment format is little-endian");

inline constexpr char kSegmentMagic[8] = {'B', 'E', 'R', 'T', 'H', 'L', 'G', '1'};
inline constexpr uint32_t kSegmentHeaderSize = 8;
inline constexpr uint32_t kRecordHeaderSize = 28;
// Larger lengths are corruption (CloudWatch events are at most 1 MB).
inline constexpr uint32_t kMaxMessageSize = 8u << 20;
inline constexpr size_t kReadBlockSize = 1u << 20;
// The stream id of a record found corrupt by recovery: no stream has it, so scans skip it.
inline constexpr uint32_t kDeadStream = 0xffffffffu;

// Global position of a record: segment number in the high half, byte offset in the low half.
inline uint64_t MakePos(uint32_t segno, uint32_t offset) {
  return (static_cast<uint64_t>(segno) << 32) | offset;
}
inline uint32_t PosSegment(uint64_t pos) { return static_cast<uint32_t>(pos >> 32); }
inline uint32_t PosOffset(uint64_t pos) { return static_cast<uint32_t>(pos); }

uint32_t Crc32c(uint32_t crc, const char* data, size_t n);

struct RecordView {
  uint32_t offset = 0;  // within the segment
  uint32_t size = 0;    // header + message
  uint32_t stream = 0;
  int64_t timestamp = 0;
  int64_t ingestion_time = 0;
  std::string_view message;
};

// Appends one encoded record to *out.
void EncodeRecord(uint32_t stream, int64_t timestamp, int64_t ingestion_time,
                  std::string_view message, std::string* out);

// Decodes the header at p (at least kRecordHeaderSize bytes); does not check the checksum.
inline void DecodeHeader(const char* p, RecordView* r) {
  uint32_t n;
  std::memcpy(&n, p + 4, 4);
  std::memcpy(&r->stream, p + 8, 4);
  std::memcpy(&r->timestamp, p + 12, 8);
  std::memcpy(&r->ingestion_time, p + 20, 8);
  r->size = kRecordHeaderSize + n;
}

// Reads the records of one segment file sequentially, in large preads, into a reusable
// buffer. Used by queries; it trusts the checksums verified at Open and only bounds-checks.
class SegmentReader {
 public:
  // Calls fn(const RecordView&) for each record of the segment file fd in [begin, end) —
  // which must start at a record boundary — until fn returns false. Returns false on an I/O
  // error or a record cut short by the end of the file or range.
  template <typename Fn>
  bool Scan(int fd, uint32_t begin, uint32_t end, Fn&& fn);

 private:
  std::vector<char> buf_;
};

// What Recover found in one segment file.
struct RecoveryResult {
  uint32_t valid_end = 0;          // bytes [0, valid_end) hold whole, checksummed records
  uint32_t skipped = 0;            // records with a bad checksum in the middle, skipped
  bool bad_magic = false;          // not a segment file: nothing was read
  std::vector<std::string> notes;  // what was skipped or cut, for the daemon's log
};

// Validates every record of a segment file of file_size bytes, calling fn for the good
// ones. A record that is cut short, has an impossible length or a bad checksum at the end
// marks the torn tail: valid_end stops before it (the caller truncates there). A record with a
// bad checksum followed by a valid record is dropped: rewritten in place as a record of
// kDeadStream with a good checksum (so fd must be writable), which every scan passes over.
Result<RecoveryResult> RecoverSegment(int fd, uint64_t file_size,
                                      const std::function<void(const RecordView&)>& fn);

// File helpers; they retry EINTR and short writes.
Status WriteAll(int fd, const char* data, size_t n, uint64_t offset);
Status SyncDir(const std::string& dir);
std::string SegmentPath(const std::string& group_dir, uint32_t segno);
Status ErrnoStatus(const std::string& what);

template <typename Fn>
bool SegmentReader::Scan(int fd, uint32_t begin, uint32_t end, Fn&& fn) {
  if (buf_.size() < kReadBlockSize) buf_.resize(kReadBlockSize);
  uint64_t off = begin;
  RecordView r;
  while (off < end) {
    size_t want = std::min<uint64_t>(buf_.size(), end - off);
    size_t have = 0;
    while (have < want) {
      ssize_t n = pread(fd, buf_.data() + have, want - have, static_cast<off_t>(off + have));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      have += static_cast<size_t>(n);
    }
    const char* base = buf_.data();
    size_t p = 0;
    while (p + kRecordHeaderSize <= have) {
      DecodeHeader(base + p, &r);
      if (r.size > kRecordHeaderSize + kMaxMessageSize) return false;
      if (p + r.size > have) break;
      r.offset = static_cast<uint32_t>(off + p);
      r.message = std::string_view(base + p + kRecordHeaderSize, r.size - kRecordHeaderSize);
      if (!fn(static_cast<const RecordView&>(r))) return true;
      p += r.size;
    }
    if (p > 0) {
      off += p;
      continue;
    }
    // No whole record in the buffer: the file or the range ends inside one, or the record is
    // larger than the buffer.
    if (have < want || have < kRecordHeaderSize) return false;
    DecodeHeader(base, &r);
    if (r.size <= buf_.size()) return false;
    buf_.resize(r.size);
  }
  return true;
}

}  // namespace berth::logs
