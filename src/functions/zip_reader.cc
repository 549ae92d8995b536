#include "functions/zip_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "common/unique_fd.h"

namespace berth::functions {

namespace {

constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr size_t kEocdSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr size_t kChunk = 64 * 1024;

Status Bad(const std::string& why) { return InvalidArgument(why); }

// Bounds-checked little-endian reads over the archive.
class Bytes {
 public:
  explicit Bytes(std::string_view data) : d_(data) {}
  bool Has(uint64_t off, uint64_t n) const { return off <= d_.size() && n <= d_.size() - off; }
  uint16_t U16(uint64_t off) const { return static_cast<uint16_t>(B(off) | (B(off + 1) << 8)); }
  uint32_t U32(uint64_t off) const {
    return static_cast<uint32_t>(B(off)) | (static_cast<uint32_t>(B(off + 1)) << 8) |
           (static_cast<uint32_t>(B(off + 2)) << 16) | (static_cast<uint32_t>(B(off + 3)) << 24);
  }
  uint64_t U64(uint64_t off) const {
    return static_cast<uint64_t>(U32(off)) | (static_cast<uint64_t>(U32(off + 4)) << 32);
  }
  std::string_view Sub(uint64_t off, uint64_t n) const { return d_.substr(off, n); }
  uint64_t size() const { return d_.size(); }

 private:
  uint32_t B(uint64_t off) const { return static_cast<unsigned char>(d_[off]); }
  std::string_view d_;
};

struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

Result<Directory> FindDirectory(const Bytes& z) {
  if (z.size() < kEocdSize) return Bad("the archive is too short to be a zip file");
  uint64_t lowest = z.size() >= kEocdSize + 65535 ? z.size() - kEocdSize - 65535 : 0;
  uint64_t pos = z.size() - kEocdSize;
  for (;; --pos) {
    if (z.U32(pos) == kEocdSig && pos + kEocdSize + z.U16(pos + 20) <= z.size()) break;
    if (pos == lowest) return Bad("no end of central directory record (not a zip file)");
  }
  uint16_t disk = z.U16(pos + 4), cd_disk = z.U16(pos + 6);
  uint16_t disk_entries = z.U16(pos + 8);
  Directory d;
  d.entries = z.U16(pos + 10);
  d.size = z.U32(pos + 12);
  d.offset = z.U32(pos + 16);
  if (disk != 0 || cd_disk != 0 || disk_entries != d.entries) {
    if (disk != 0xFFFF && cd_disk != 0xFFFF) return Bad("multi-disk archives are not supported");
  }
  bool zip64 = d.entries == 0xFFFF || d.size == 0xFFFFFFFF || d.offset == 0xFFFFFFFF ||
               disk == 0xFFFF || cd_disk == 0xFFFF;
  if (zip64) {
    if (pos < 20 || z.U32(pos - 20) != kZip64LocatorSig) {
      return Bad("a ZIP64 archive without its end of central directory locator");
    }
    uint64_t off = z.U64(pos - 20 + 8);
    if (z.U32(pos - 20 + 4) != 0 || z.U32(pos - 20 + 16) > 1) {
      return Bad("multi-disk archives are not supported");
    }
    if (!z.Has(off, 56) || z.U32(off) != kZip64EocdSig) {
      return Bad("the ZIP64 end of central directory record is missing");
    }
    if (z.U32(off + 16) != 0 || z.U32(off + 20) != 0 || z.U64(off + 24) != z.U64(off + 32)) {
      return Bad("multi-disk archives are not supported");
    }
    d.entries = z.U64(off + 32);
    d.size = z.U64(off + 40);
    d.offset = z.U64(off + 48);
    pos = off;
  }
  if (!z.Has(d.offset, d.size) || d.offset + d.size > pos) {
    return Bad("the central directory lies outside the archive");
  }
  return d;
}

// Checks a raw entry name and returns its normalised form (sets *is_dir for a trailing '/').
Result<std::string> NormalisePath(std::string_view raw, bool* is_dir) {
  auto quoted = [&] {
    std::string s;
    for (char c : raw.substr(0, 200)) s.push_back(c == '\0' ? '?' : c);
    return "entry '" + s + "'";
  };
  if (raw.empty()) return Bad("an entry has an empty name");
  if (raw.find('\0') != std::string_view::npos)
    return Bad(quoted() + " has a NUL byte in its name");
  if (raw.size() > 4000) return Bad(quoted() + " has a name longer than 4000 bytes");
  if (raw.front() == '/') return Bad(quoted() + " has an absolute path");
  *is_dir = raw.back() == '/';
  if (*is_dir) raw.remove_suffix(1);
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view comp = raw.substr(start, slash - start);
    if (comp.empty()) return Bad(quoted() + " has an empty path component");
    if (comp == "..") return Bad(quoted() + " has a '..' component");
    if (comp.size() > 255) return Bad(quoted() + " has a path component longer than 255 bytes");
    if (comp != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(comp);
    }
    start = slash + 1;
  }
  if (out.empty()) return Bad(quoted() + " names the archive's root");
  return out;
}

// Records paths and their implied parent directories; refuses duplicates and file/directory
// clashes ("a" as a file and "a/b").
class PathSet {
 public:
  Status Add(const std::string& path, bool is_dir) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      auto [it, fresh] = kinds_.emplace(path.substr(0, slash), true);
      if (!it->second) return Clash(path);
    }
    auto [it, fresh] = kinds_.emplace(path, is_dir);
    if (!fresh && (!is_dir || !it->second)) return Clash(path);
    return Status::Ok();
  }

 private:
  static Status Clash(const std::string& path) {
    return Bad("entry '" + path + "' appears twice or clashes with a file of the same name");
  }
  std::map<std::string, bool> kinds_;  // path → is a directory
};

Status ParseZip64Extra(const Bytes& z, uint64_t off, uint16_t len, uint64_t* usize, uint64_t* csize,
                       uint64_t* local) {
  uint64_t end = off + len;
  while (off + 4 <= end) {
    uint16_t id = z.U16(off), n = z.U16(off + 2);
    if (off + 4 + n > end) return Bad("an entry has a malformed extra field");
    if (id == 0x0001) {
      uint64_t p = off + 4, stop = off + 4 + n;
      for (uint64_t* v : {usize, csize, local}) {
        if (*v != 0xFFFFFFFF) continue;
        if (p + 8 > stop) return Bad("an entry has a truncated ZIP64 extra field");
        *v = z.U64(p);
        p += 8;
      }
      return Status::Ok();
    }
    off += 4 + n;
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ZipEntry>> ListZip(std::string_view zip, const ZipLimits& limits) {
  if (zip.size() > limits.max_zip_bytes) {
    return ResourceExhausted("Zipped size must be smaller than " +
                             std::to_string(limits.max_zip_bytes) + " bytes");
  }
  Bytes z(zip);
  auto dir = FindDirectory(z);
  if (!dir.ok()) return dir.status();
  if (dir->entries > limits.max_entries) {
    return ResourceExhausted("The archive has more than " + std::to_string(limits.max_entries) +
                             " entries");
  }
  std::vector<ZipEntry> entries;
  PathSet paths;
  uint64_t total = 0;
  uint64_t off = dir->offset, end = dir->offset + dir->size;
  for (uint64_t i = 0; i < dir->entries; ++i) {
    if (off + kCentralSize > end || z.U32(off) != kCentralSig) {
      return Bad("the central directory is truncated or corrupt");
    }
    uint16_t made_by = z.U16(off + 4), flags = z.U16(off + 8), method = z.U16(off + 10);
    uint32_t crc = z.U32(off + 16);
    uint64_t csize = z.U32(off + 20), usize = z.U32(off + 24);
    uint16_t name_len = z.U16(off + 28), extra_len = z.U16(off + 30), comment_len = z.U16(off + 32);
    uint32_t external = z.U32(off + 38);
    uint64_t local = z.U32(off + 42);
    uint64_t next = off + kCentralSize + name_len + extra_len + comment_len;
    if (next > end) return Bad("the central directory is truncated or corrupt");
    bool is_dir = false;
    auto path = NormalisePath(z.Sub(off + kCentralSize, name_len), &is_dir);
    if (!path.ok()) return path.status();
    BERTH_RETURN_IF_ERROR(
        ParseZip64Extra(z, off + kCentralSize + name_len, extra_len, &usize, &csize, &local));
    const std::string& name = *path;
    if (flags & 0x0001) return Bad("entry '" + name + "' is encrypted");
    uint32_t unix_mode = 0;
    uint8_t host = static_cast<uint8_t>(made_by >> 8);
    if (host == 3 || host == 19) unix_mode = external >> 16;  // Unix, OS X
    uint32_t type = unix_mode & S_IFMT;
    if (type == S_IFLNK) return Bad("entry '" + name + "' is a symbolic link");
    if (type != 0 && type != S_IFREG && type != S_IFDIR) {
      return Bad("entry '" + name + "' is a special file");
    }
    if (type == S_IFDIR || (external & 0x10)) is_dir = true;
    ZipEntry e;
    e.path = name;
    e.is_dir = is_dir;
    e.mode = is_dir ? 0755 : ((unix_mode & 0111) ? 0755 : 0644);
    e.size = is_dir ? 0 : usize;
    e.crc32 = crc;
    e.method = method;
    e.compressed_size = csize;
    if (!is_dir) {
      if (method != 0 && method != 8) {
        return Bad("entry '" + name + "' uses compression method " + std::to_string(method) +
                   " (only stored and deflate are supported)");
      }
      if (method == 0 && csize != usize) {
        return Bad("entry '" + name + "' is stored but its sizes differ");
      }
      if (usize > limits.max_unzipped_bytes || total + usize > limits.max_unzipped_bytes) {
        return ResourceExhausted("Unzipped size must be smaller than " +
                                 std::to_string(limits.max_unzipped_bytes) + " bytes");
      }
      total += usize;
    }
    if (!z.Has(local, kLocalSize) || z.U32(local) != kLocalSig) {
      return Bad("entry '" + name + "' has no local header where the directory says");
    }
    uint64_t data = local + kLocalSize + z.U16(local + 26) + z.U16(local + 28);
    if (!is_dir && !z.Has(data, csize)) {
      return Bad("entry '" + name + "' has data past the end of the archive");
    }
    e.data_offset = data;
    BERTH_RETURN_IF_ERROR(paths.Add(name, is_dir));
    entries.push_back(std::move(e));
    off = next;
  }
  return entries;
}

namespace {

Status InflateEntry(std::string_view in, const ZipEntry& e, ZipSink& sink) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return Internal("zlib inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_streamp)> guard(&zs, inflateEnd);
  std::string out(kChunk, '\0');
  uint64_t produced = 0;
  uint32_t crc = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
  size_t pos = 0;
  while (true) {
    if (zs.avail_in == 0 && pos < in.size()) {
      size_t n = std::min<size_t>(in.size() - pos, 1u << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
      zs.avail_in = static_cast<uInt>(n);
      pos += n;
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t got = out.size() - zs.avail_out;
    if (got > 0) {
      produced += got;
      if (produced > e.size) return Bad("entry '" + e.path + "' inflates past its declared size");
      crc = static_cast<uint32_t>(
          crc32(crc, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(got)));
      BERTH_RETURN_IF_ERROR(sink.Data(std::string_view(out.data(), got)));
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && got == 0 && zs.avail_in == 0 && pos >= in.size()) {
      return Bad("entry '" + e.path + "' has truncated compressed data");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Bad("entry '" + e.path + "' has corrupt compressed data");
    }
  }
  if (produced != e.size) return Bad("entry '" + e.path + "' is shorter than its declared size");
  if (crc != e.crc32) return Bad("entry '" + e.path + "' fails its CRC-32 check");
  return Status::Ok();
}

}  // namespace

Status ReadZip(std::string_view zip, ZipSink& sink, const ZipLimits& limits) {
  auto entries = ListZip(zip, limits);
  if (!entries.ok()) return entries.status();
  for (const ZipEntry& e : *entries) {
    BERTH_RETURN_IF_ERROR(sink.Begin(e));
    if (!e.is_dir) {
      std::string_view data = zip.substr(e.data_offset, e.compressed_size);
      if (e.method == 0) {
        uint32_t crc = 0;
        for (size_t off = 0; off < data.size(); off += kChunk) {
          std::string_view chunk = data.substr(off, kChunk);
          crc = static_cast<uint32_t>(crc32(crc, reinterpret_cast<const Bytef*>(chunk.data()),
                                            static_cast<uInt>(chunk.size())));
          BERTH_RETURN_IF_ERROR(sink.Data(chunk));
        }
        if (crc != e.crc32) return Bad("entry '" + e.path + "' fails its CRC-32 check");
      } else {
        BERTH_RETURN_IF_ERROR(InflateEntry(data, e, sink));
      }
    }
    BERTH_RETURN_IF_ERROR(sink.End());
  }
  return Status::Ok();
}

namespace {

Status Errno(const std::string& what) { return Internal(what + ": " + strerror(errno)); }

// Writes entries below one directory fd, never following a link and never replacing a file.
class DirSink : public ZipSink {
 public:
  explicit DirSink(int root) : root_(root) {}

  Status Begin(const ZipEntry& e) override {
    path_ = e.path;
    UniqueFd parent;
    int at = root_;
    size_t start = 0;
    while (true) {
      size_t slash = e.path.find('/', start);
      bool last = slash == std::string::npos;
      std::string comp = e.path.substr(start, last ? std::string::npos : slash - start);
      if (last && !e.is_dir) {
        int fd =
            openat(at, comp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, e.mode);
        if (fd < 0) return Errno("cannot create '" + e.path + "'");
        file_.reset(fd);
        fchmod(fd, e.mode);  // past the umask
        return Status::Ok();
      }
      if (mkdirat(at, comp.c_str(), 0755) != 0 && errno != EEXIST) {
        return Errno("cannot create directory for '" + e.path + "'");
      }
      if (last) return Status::Ok();
      int fd = openat(at, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return Errno("cannot open directory for '" + e.path + "'");
      parent.reset(fd);
      at = fd;
      start = slash + 1;
    }
  }

  Status Data(std::string_view chunk) override {
    while (!chunk.empty()) {
      ssize_t n = write(file_.get(), chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Errno("cannot write '" + path_ + "'");
      chunk.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status End() override {
    if (file_.valid() && close(file_.release()) != 0) return Errno("cannot write '" + path_ + "'");
    return Status::Ok();
  }

  uint64_t written() const { return written_; }

 private:
  int root_;
  std::string path_;
  UniqueFd file_;
  uint64_t written_ = 0;
};

}  // namespace

Result<uint64_t> ExtractZip(std::string_view zip, const std::string& dest_dir,
                            const ZipLimits& limits) {
  UniqueFd root(open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) return Errno("cannot open " + dest_dir);
  DirSink sink(root.get());
  BERTH_RETURN_IF_ERROR(ReadZip(zip, sink, limits));
  // One sync for the whole tree, before the caller commits a configuration that points at it.
  syncfs(root.get());
  return sink.written();
}

}  // namespace berth::functions
