#include "functions/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/ids.h"
#include "common/unique_fd.h"

namespace berth::functions {

namespace {

Status Errno(const std::string& what) { return Internal(what + ": " + strerror(errno)); }

Status WriteAll(int fd, const std::string& content, const std::string& path) {
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write " + path);
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status WriteFileAtomic(const std::string& path, const std::string& content, int mode) {
  std::string tmp = path + ".tmp-" + RandomHex(8);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return Errno("cannot create " + tmp);
  Status st = WriteAll(fd.get(), content, tmp);
  if (st.ok() && fsync(fd.get()) != 0) st = Errno("cannot sync " + tmp);
  fd.reset();
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Errno("cannot rename to " + path);
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  SyncDir(Parent(path));
  return Status::Ok();
}

Status WriteFile(const std::string& path, const std::string& content) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Errno("cannot create " + path);
  return WriteAll(fd.get(), content, path);
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
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
  if (out.size() > max_bytes + 1) out.resize(max_bytes + 1);
  return out;
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Internal("cannot create " + path + ": " + ec.message());
  return Status::Ok();
}

void SyncDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) fsync(fd.get());
}

}  // namespace berth::functions
