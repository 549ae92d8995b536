#include "driver/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace berth::driver {

bool ReadProcStat(pid_t pid, ProcStat* out) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* paren = strrchr(buf, ')');
  if (!paren || paren[1] != ' ') return false;
  const char* p = paren + 2;
  for (int field = 3; field <= 24; ++field) {
    const char* space = strchr(p, ' ');
    if (field != 3) {
      char* end = nullptr;
      long long v = strtoll(p, &end, 10);
      if (end == p) return false;
      if (field == 5) out->pgrp = static_cast<pid_t>(v);
      if (field == 14) out->utime = static_cast<unsigned long long>(v);
      if (field == 15) out->stime = static_cast<unsigned long long>(v);
      if (field == 22) out->starttime = static_cast<unsigned long long>(v);
      if (field == 24) {
        out->rss_pages = v;
        return true;
      }
    }
    if (!space) return false;
    p = space + 1;
  }
  return false;
}

ContainerStats ProcessGroupStats(pid_t pgid) {
  ContainerStats s;
  static const long kTick = sysconf(_SC_CLK_TCK);
  static const long kPage = sysconf(_SC_PAGESIZE);
  uint64_t ns_per_tick = kTick > 0 ? 1000000000ULL / static_cast<uint64_t>(kTick) : 10000000ULL;
  DIR* dir = opendir("/proc");
  if (!dir) return s;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    ProcStat st;
    if (!ReadProcStat(static_cast<pid_t>(atoi(e->d_name)), &st) || st.pgrp != pgid) continue;
    s.cpu_user_ns += st.utime * ns_per_tick;
    s.cpu_system_ns += st.stime * ns_per_tick;
    if (st.rss_pages > 0) s.memory_bytes += static_cast<uint64_t>(st.rss_pages) * kPage;
    ++s.pids;
  }
  closedir(dir);
  return s;
}

}  // namespace berth::driver
