#include "daemon/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/ids.h"

namespace berth::daemon {

namespace fs = std::filesystem;

Status EnsureDataDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FailedPrecondition("cannot create data dir " + dir + ": " + ec.message());
  chmod(dir.c_str(), 0700);
  return Status::Ok();
}

Status LockDataDir(const std::string& dir) {
  std::string path = dir + "/berth.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return FailedPrecondition("cannot open " + path + ": " + strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n')) pid.pop_back();
    close(fd);
    return FailedPrecondition("another berth daemon (pid " + pid + ") is already using the data dir " +
                              dir + "; stop it first or pass a different --data-dir");
  }
  std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The pid is only informational; the lock itself is what counts.
  }
  // Deliberately leaked: the lock lives as long as the process.
  return Status::Ok();
}

Result<Credentials> LoadOrCreateCredentials(const std::string& dir) {
  std::string path = dir + "/credentials";
  Credentials c;
  auto existing = ReadSharedCredentials(path, "berth");
  if (existing.ok()) {
    c = *existing;
  } else {
    c.access_key_id = "AKIA" + RandomAlnum(16, true);
    c.secret_access_key = RandomAlnum(40);
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return FailedPrecondition("cannot write " + tmp + ": " + strerror(errno));
    std::string body = "[berth]\naws_access_key_id = " + c.access_key_id +
                       "\naws_secret_access_key = " + c.secret_access_key + "\nregion = " +
                       c.region + "\n";
    bool ok = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
              fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
      return FailedPrecondition("cannot write " + path + ": " + strerror(errno));
    }
  }
  chmod(path.c_str(), 0600);
  const char* ak = getenv("BERTH_ACCESS_KEY_ID");
  const char* sk = getenv("BERTH_SECRET_ACCESS_KEY");
  if (ak && *ak && sk && *sk) {
    c.access_key_id = ak;
    c.secret_access_key = sk;
  }
  return c;
}

Status WriteEndpoint(const std::string& dir, const std::string& url) {
  std::string tmp = dir + "/endpoint.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << url << "\n";
    if (!out) return FailedPrecondition("cannot write " + tmp);
  }
  if (rename(tmp.c_str(), (dir + "/endpoint").c_str()) != 0) {
    return FailedPrecondition("cannot write " + dir + "/endpoint");
  }
  return Status::Ok();
}

void RemoveEndpoint(const std::string& dir) { unlink((dir + "/endpoint").c_str()); }


}  // namespace berth::daemon
