#include "driver/leftovers.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace berth::driver {

namespace {

std::string RunDir(const std::string& state_dir) { return state_dir + "/run"; }

// pgrp (field 5) and starttime (field 22) from /proc/PID/stat.
bool ReadStat(pid_t pid, pid_t* pgrp, unsigned long long* start) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  // Fields after the command: 3 state, 4 ppid, 5 pgrp, ..., 22 starttime.
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 5) *pgrp = static_cast<pid_t>(std::stol(field));
    if (i == 22) {
      *start = std::stoull(field);
      return true;
    }
  }
  return false;
}

}  // namespace

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
