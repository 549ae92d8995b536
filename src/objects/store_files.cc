#include "objects/store_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/ids.h"
#include "objects/checksum.h"

namespace berth::objects::internal {

Status Errno(const std::string& what) { return Internal(what + ": " + strerror(errno)); }

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

bool ParseU64(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

void AddPairs(Record& r, const char* field, const Pairs& pairs) {
  for (const auto& [k, v] : pairs) r.push_back({field, Encode(k), Encode(v)});
}

void AddAttrs(Record& r, const ObjectAttributes& a) {
  r.push_back({"ctype", Encode(a.content_type)});
  AddPairs(r, "header", a.headers);
  AddPairs(r, "meta", a.metadata);
  AddPairs(r, "tag", a.tags);
  if (!a.checksum_algorithm.empty()) {
    r.push_back({"checksum", Encode(a.checksum_algorithm), Encode(a.checksum)});
  }
}

// Applies one attribute line; false if the field is not an attribute.
bool ParseAttr(const std::vector<std::string>& line, ObjectAttributes* a) {
  const std::string& f = line[0];
  if (f == "ctype" && line.size() == 2) {
    a->content_type = Decode(line[1]);
  } else if ((f == "header" || f == "meta" || f == "tag") && line.size() == 3) {
    Pairs& p = f == "header" ? a->headers : f == "meta" ? a->metadata : a->tags;
    p.emplace_back(Decode(line[1]), Decode(line[2]));
  } else if (f == "checksum" && line.size() == 3) {
    a->checksum_algorithm = Decode(line[1]);
    a->checksum = Decode(line[2]);
  } else {
    return false;
  }
  return true;
}

}  // namespace

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp-" + RandomHex(8);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return Errno("cannot create " + tmp);
  TempFile file(std::move(fd), tmp);
  Status st = file.Write(content);
  if (st.ok() && fsync(file.fd()) != 0) st = Errno("cannot sync " + tmp);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Errno("cannot rename to " + path);
  if (!st.ok()) return st;  // ~TempFile removes tmp
  file.Release();
  SyncDir(Parent(path));
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound(path + " does not exist");
    return Errno("cannot open " + path);
  }
  std::string out;
  char buf[65536];
  while (out.size() <= max_bytes) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void SyncDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) fsync(fd.get());
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Internal("cannot create " + path + ": " + ec.message());
  return Status::Ok();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

Status CopyBytes(int in_fd, uint64_t size, TempFile& out, Digest* md5) {
  std::string buf(1 << 20, '\0');
  uint64_t off = 0;
  while (off < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    ssize_t n = pread(in_fd, buf.data(), want, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read object data");
    if (n == 0) return Internal("object data is shorter than its record says");
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    if (md5) md5->Update(chunk);
    BERTH_RETURN_IF_ERROR(out.Write(chunk));
    off += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

std::string Encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == '%') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (out.empty()) out = "%";  // an empty value is still one token
  return out;
}

std::string Decode(std::string_view s) {
  if (s == "%") return "";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto h = HexDecode(s.substr(i + 1, 2));
      if (h) {
        out += *h;
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string FormatRecord(const Record& r) {
  std::string out;
  for (const auto& line : r) {
    for (size_t i = 0; i < line.size(); ++i) {
      if (i) out.push_back(' ');
      out += line[i];
    }
    out.push_back('\n');
  }
  return out;
}

Record ParseRecord(std::string_view text) {
  Record r;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) break;  // a line without '\n' is a torn write: ignore
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    std::vector<std::string> tokens;
    size_t p = 0;
    while (p <= line.size()) {
      size_t sp = line.find(' ', p);
      if (sp == std::string_view::npos) sp = line.size();
      tokens.emplace_back(line.substr(p, sp - p));
      p = sp + 1;
    }
    if (!tokens.empty() && !tokens[0].empty()) r.push_back(std::move(tokens));
  }
  return r;
}

std::string FormatObject(const ObjectInfo& info) {
  Record r;
  r.push_back({"key", Encode(info.key)});
  r.push_back({"size", std::to_string(info.size)});
  r.push_back({"etag", Encode(info.etag)});
  r.push_back({"mtime", std::to_string(info.last_modified)});
  r.push_back({"parts", std::to_string(info.parts)});
  r.push_back({"data", Encode(info.data_file)});
  AddAttrs(r, info.attrs);
  r.push_back({"end"});
  return FormatRecord(r);
}

bool ParseObject(std::string_view text, ObjectInfo* info) {
  bool has_key = false, has_data = false, has_end = false;
  for (const auto& line : ParseRecord(text)) {
    const std::string& f = line[0];
    uint64_t n = 0;
    if (f == "key" && line.size() == 2) {
      info->key = Decode(line[1]);
      has_key = true;
    } else if (f == "size" && line.size() == 2 && ParseU64(line[1], &n)) {
      info->size = n;
    } else if (f == "etag" && line.size() == 2) {
      info->etag = Decode(line[1]);
    } else if (f == "mtime" && line.size() == 2 && ParseU64(line[1], &n)) {
      info->last_modified = static_cast<TimeMs>(n);
    } else if (f == "parts" && line.size() == 2 && ParseU64(line[1], &n) && n <= 10000) {
      info->parts = static_cast<int>(n);
    } else if (f == "data" && line.size() == 2) {
      info->data_file = Decode(line[1]);
      has_data = true;
    } else if (f == "end") {
      has_end = true;
    } else {
      ParseAttr(line, &info->attrs);
    }
  }
  return has_key && has_data && has_end;
}

std::string FormatUpload(const UploadInfo& up) {
  Record r;
  r.push_back({"id", Encode(up.id)});
  r.push_back({"bucket", Encode(up.bucket)});
  r.push_back({"key", Encode(up.key)});
  r.push_back({"initiated", std::to_string(up.initiated)});
  AddAttrs(r, up.attrs);
  r.push_back({"end"});
  return FormatRecord(r);
}

bool ParseUpload(std::string_view text, UploadInfo* up) {
  bool has_key = false, has_end = false;
  for (const auto& line : ParseRecord(text)) {
    const std::string& f = line[0];
    uint64_t n = 0;
    if (f == "id" && line.size() == 2) {
      up->id = Decode(line[1]);
    } else if (f == "bucket" && line.size() == 2) {
      up->bucket = Decode(line[1]);
    } else if (f == "key" && line.size() == 2) {
      up->key = Decode(line[1]);
      has_key = true;
    } else if (f == "initiated" && line.size() == 2 && ParseU64(line[1], &n)) {
      up->initiated = static_cast<TimeMs>(n);
    } else if (f == "end") {
      has_end = true;
    } else {
      ParseAttr(line, &up->attrs);
    }
  }
  return has_key && has_end;
}

std::string KeyHash(std::string_view key) { return HexEncode(DigestOf(Algorithm::kSha256, key)); }

}  // namespace berth::objects::internal
