#include "driver/leftovers.h"

#include "driver/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace berth::driver {

namespace {

std::string RunDir(const std::string& state_dir) { return state_dir + "/run"; }

// pgrp and starttime of pid (process_stats.h reads /proc/PID/stat).
bool ReadStat(pid_t pid, pid_t* pgrp, unsigned long long* start) {
  ProcStat st;
  if (!ReadProcStat(pid, &st)) return false;
  *pgrp = st.pgrp;
  *start = st.starttime;
  return true;
}

}  // namespace

int SweepLeftoversOrThrow(const std::string& state_dir);

unsigned long long ProcessStartTime(pid_t pid) {
  pid_t pgrp = 0;
  unsigned long long start = 0;
  return ReadStat(pid, &pgrp, &start) ? start : 0;
}

void RecordTree(const std::string& state_dir, const std::string& runtime_id, pid_t pgid,
                const std::string& cgroup_dir) {
  mkdir(RunDir(state_dir).c_str(), 0700);
  std::ofstream out(RunDir(state_dir) + "/" + runtime_id, std::ios::trunc);
  out << pgid << " " << ProcessStartTime(pgid) << " " << (cgroup_dir.empty() ? "-" : cgroup_dir)
      << "\n";
}

void ForgetTree(const std::string& state_dir, const std::string& runtime_id) {
  unlink((RunDir(state_dir) + "/" + runtime_id).c_str());
}

int SweepLeftovers(const std::string& state_dir) {
  try {
    return SweepLeftoversOrThrow(state_dir);
  } catch (const std::exception& e) {
    // Library stream errors are the only exceptions here; a partial sweep is still useful.
    fprintf(stderr, "berth: sweeping leftover processes failed: %s\n", e.what());
    return 0;
  }
}

int SweepLeftoversOrThrow(const std::string& state_dir) {
  DIR* dir = opendir(RunDir(state_dir).c_str());
  if (!dir) return 0;
  int killed = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::string path = RunDir(state_dir) + "/" + e->d_name;
    pid_t pgid = 0;
    unsigned long long leader_start = 0;
    std::string cgroup;
    {
      std::ifstream in(path);
      in >> pgid >> leader_start >> cgroup;
    }
    if (cgroup.size() > 1) {
      std::ifstream procs(cgroup + "/cgroup.procs");
      pid_t pid;
      while (procs >> pid) {
        if (kill(pid, SIGKILL) == 0) ++killed;
      }
    }
    if (pgid > 1 && leader_start > 0) {
      if (DIR* proc = opendir("/proc")) {
        while (dirent* p = readdir(proc)) {
          pid_t pid = static_cast<pid_t>(atol(p->d_name));
          pid_t pgrp = 0;
          unsigned long long start = 0;
          if (pid <= 1 || !ReadStat(pid, &pgrp, &start)) continue;
          if (pgrp == pgid && start >= leader_start && kill(pid, SIGKILL) == 0) ++killed;
        }
        closedir(proc);
      }
    }
    if (cgroup.size() > 1) {
      for (int i = 0; i < 50 && rmdir(cgroup.c_str()) != 0 && errno == EBUSY; ++i) usleep(10000);
    }
    unlink(path.c_str());
  }
  closedir(dir);
  return killed;
}

}  // namespace berth::driver
