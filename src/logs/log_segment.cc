#include "logs/log_segment.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <system_error>

namespace berth::logs {

namespace {

constexpr uint32_t kCrc32cPoly = 0x82F63B78;  // Castagnoli, reflected

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCrc32cPoly : c >> 1;
    t[i] = c;
  }
  return t;
}

uint32_t Crc32cSoftware(uint32_t crc, const char* p, size_t n) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ static_cast<uint8_t>(p[i])) & 0xff] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const char* p, size_t n) {
  uint64_t c = ~crc & 0xffffffffu;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*p++));
  return ~c32;
}
#endif

// A window of a file read with pread, for the recovery pass.
class Window {
 public:
  explicit Window(int fd) : fd_(fd) {}
  // Returns a pointer to bytes [off, off + n), reading them if needed; nullptr on error.
  const char* Get(uint64_t off, size_t n) {
    if (off >= start_ && off + n <= start_ + have_) return buf_.data() + (off - start_);
    if (buf_.size() < std::max(n, kReadBlockSize)) buf_.resize(std::max(n, kReadBlockSize));
    start_ = off;
    have_ = 0;
    while (have_ < buf_.size()) {
      ssize_t r =
          pread(fd_, buf_.data() + have_, buf_.size() - have_, static_cast<off_t>(off + have_));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      have_ += static_cast<size_t>(r);
    }
    return have_ >= n ? buf_.data() : nullptr;
  }

 private:
  int fd_;
  std::vector<char> buf_;
  uint64_t start_ = 0;
  size_t have_ = 0;
};

bool ChecksumOk(const char* rec, uint32_t size) {
  uint32_t stored;
  std::memcpy(&stored, rec, 4);
  return Crc32c(0, rec + 4, size - 4) == stored;
}

// True if a whole record with a good checksum starts at off.
bool RecordValidAt(Window* w, uint64_t off, uint64_t file_size) {
  if (off + kRecordHeaderSize > file_size) return false;
  const char* p = w->Get(off, kRecordHeaderSize);
  if (p == nullptr) return false;
  RecordView r;
  DecodeHeader(p, &r);
  if (r.size > kRecordHeaderSize + kMaxMessageSize || off + r.size > file_size) return false;
  p = w->Get(off, r.size);
  return p != nullptr && ChecksumOk(p, r.size);
}

std::string At(uint64_t off) { return "at offset " + std::to_string(off); }

}  // namespace

uint32_t Crc32c(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  if (hw) return Crc32cHardware(crc, data, n);
#endif
  return Crc32cSoftware(crc, data, n);
}

void EncodeRecord(uint32_t stream, int64_t timestamp, int64_t ingestion_time,
                  std::string_view message, std::string* out) {
  char h[kRecordHeaderSize];
  uint32_t n = static_cast<uint32_t>(message.size());
  std::memcpy(h + 4, &n, 4);
  std::memcpy(h + 8, &stream, 4);
  std::memcpy(h + 12, &timestamp, 8);
  std::memcpy(h + 20, &ingestion_time, 8);
  size_t at = out->size();
  out->append(h, kRecordHeaderSize);
  out->append(message.data(), message.size());
  uint32_t crc = Crc32c(0, out->data() + at + 4, kRecordHeaderSize - 4 + message.size());
  std::memcpy(out->data() + at, &crc, 4);
}

Result<RecoveryResult> RecoverSegment(int fd, uint64_t file_size,
                                      const std::function<void(const RecordView&)>& fn) {
  RecoveryResult res;
  Window w(fd);
  if (file_size < kSegmentHeaderSize) {
    res.notes.push_back("segment shorter than its header (" + std::to_string(file_size) +
                        " bytes)");
    return res;
  }
  const char* magic = w.Get(0, kSegmentHeaderSize);
  if (magic == nullptr) return ErrnoStatus("reading segment header");
  if (std::memcmp(magic, kSegmentMagic, kSegmentHeaderSize) != 0) {
    res.bad_magic = true;
    res.notes.push_back("not a segment file (bad magic)");
    return res;
  }
  file_size = std::min<uint64_t>(file_size, UINT32_MAX);
  uint64_t off = kSegmentHeaderSize;
  RecordView r;
  while (off < file_size) {
    if (file_size - off < kRecordHeaderSize) {
      res.notes.push_back("torn record header " + At(off));
      break;
    }
    const char* p = w.Get(off, kRecordHeaderSize);
    if (p == nullptr) return ErrnoStatus("reading segment");
    DecodeHeader(p, &r);
    if (r.size > kRecordHeaderSize + kMaxMessageSize) {
      res.notes.push_back("impossible record length " + At(off));
      break;
    }
    if (off + r.size > file_size) {
      res.notes.push_back("record cut short " + At(off));
      break;
    }
    p = w.Get(off, r.size);
    if (p == nullptr) return ErrnoStatus("reading segment");
    if (ChecksumOk(p, r.size)) {
      r.offset = static_cast<uint32_t>(off);
      r.message = std::string_view(p + kRecordHeaderSize, r.size - kRecordHeaderSize);
      fn(r);
      off += r.size;
      continue;
    }
    uint64_t next = off + r.size;
    if (next < file_size && RecordValidAt(&w, next, file_size)) {
      // Neutralise it in place — no stream, checksum fixed — so that scans, which do not
      // verify checksums, pass over it and the next Open does not complain again.
      std::string rec(p, r.size);
      std::memcpy(rec.data() + 8, &kDeadStream, 4);
      uint32_t crc = Crc32c(0, rec.data() + 4, r.size - 4);
      std::memcpy(rec.data(), &crc, 4);
      Status s = WriteAll(fd, rec.data(), kRecordHeaderSize, off);
      if (!s.ok()) return s;
      res.notes.push_back("dropped a record with a bad checksum " + At(off));
      ++res.skipped;
      off = next;
      continue;
    }
    res.notes.push_back("bad checksum at the tail " + At(off));
    break;
  }
  res.valid_end = static_cast<uint32_t>(off);
  return res;
}

Status WriteAll(int fd, const char* data, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t w = pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoStatus("writing log segment");
    data += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening " + dir);
  int rc = fsync(fd);
  Status s = rc == 0 ? Status::Ok() : ErrnoStatus("syncing " + dir);
  close(fd);
  return s;
}

std::string SegmentPath(const std::string& group_dir, uint32_t segno) {
  char name[32];
  std::snprintf(name, sizeof(name), "/%010u.log", segno);
  return group_dir + name;
}

Status ErrnoStatus(const std::string& what) {
  int e = errno;
  return Internal("log store: " + what + ": " +
                  std::error_code(e, std::generic_category()).message());
}

}  // namespace berth::logs
