#include "driver/pipe_holders.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace berth::driver {
namespace {

bool HoldsPipe(pid_t pid, const std::vector<std::string>& links) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* fds = opendir(dir.c_str());
  if (fds == nullptr) return false;
  bool found = false;
  char target[64];
  while (!found) {
    dirent* entry = readdir(fds);
    if (entry == nullptr) break;
    if (entry->d_name[0] == '.') continue;
    std::string path = dir + "/" + entry->d_name;
    ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    std::string link(target, static_cast<size_t>(n));
    found = std::find(links.begin(), links.end(), link) != links.end();
  }
  closedir(fds);
  return found;
}

}  // namespace

std::vector<pid_t> KillPipeHolders(const std::vector<ino_t>& pipe_inodes) {
  std::vector<pid_t> killed;
  if (pipe_inodes.empty()) return killed;
  std::vector<std::string> links;
  for (ino_t inode : pipe_inodes) links.push_back("pipe:[" + std::to_string(inode) + "]");
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return killed;
  pid_t self = getpid();
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0 || pid == self) continue;
    if (HoldsPipe(static_cast<pid_t>(pid), links) && kill(static_cast<pid_t>(pid), SIGKILL) == 0) {
      killed.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
  return killed;
}

}  // namespace berth::driver
