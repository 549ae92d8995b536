// Cgroups for containers, best effort. A cgroup lets the driver find and kill every process of
// a container (even one that left the process group with setsid) and enforce the memory limit.
//
// CgroupManager picks, once at construction, the first usable of:
//   1. cgroup v2 with the memory controller delegated to berth's sub-tree  (tree + memory)
//   2. cgroup v1's memory hierarchy                                        (tree + memory)
//   3. cgroup v2 without controllers (e.g. the `unified` mount of a hybrid) (tree only)
//   4. none: the driver falls back to process groups (logged once).
// Each container gets <the daemon's own cgroup>/berth/<task_id>-<container>. In v2 the
// daemon's own cgroup usually holds processes, so ("no internal processes") the memory
// controller can be delegated only when that cgroup is a root; otherwise limits are not
// enforced and memory_limits_enforced() says so.
//
// Threads: CgroupManager is immutable after construction; Create() may be called from any
// thread. A Cgroup is owned by one container record and only touches the file system: callers
// serialise calls on one Cgroup (the driver holds its mutex).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace berth::driver {

class Cgroup {
 public:
  Cgroup(std::string dir, bool v2) : dir_(std::move(dir)), v2_(v2) {}

  const std::string& dir() const { return dir_; }
  // cgroup.procs opened for writing (the child writes "0" into it before exec).
  UniqueFd OpenProcs() const;
  std::vector<pid_t> Pids() const;
  bool Empty() const { return Pids().empty(); }
  // SIGKILLs every process in the cgroup (v2: cgroup.kill when the kernel has it).
  void KillAll() const;
  // Sends sig to every process in the cgroup that is not in process group pgid (those get it
  // from kill(-pgid) already, and must not get it twice).
  void SignalOutsideGroup(int sig, pid_t pgid) const;
  // Whether the memory controller OOM-killed a process in this cgroup. main_sigkilled lets v1
  // kernels without the oom_kill counter fall back to memory.failcnt.
  bool OomKilled(bool main_sigkilled) const;
  // rmdir; false while processes remain.
  bool Remove() const;

 private:
  std::string dir_;
  bool v2_;
};

class CgroupManager {
 public:
  enum class Mode { kNone, kV2Memory, kV1Memory, kV2TreeOnly };

  // enabled=false forces Mode::kNone (tests of the process-group fallback).
  explicit CgroupManager(bool enabled);
  // Removes berth's (then empty) parent cgroup.
  ~CgroupManager();
  CgroupManager(const CgroupManager&) = delete;
  CgroupManager& operator=(const CgroupManager&) = delete;

  Mode mode() const { return mode_; }
  bool memory_limits_enforced() const {
    return mode_ == Mode::kV2Memory || mode_ == Mode::kV1Memory;
  }
  // One line for the daemon's log: the mode, the directory, and why not better.
  const std::string& description() const { return description_; }
  // <the daemon's own cgroup>/berth, where container cgroups go; empty in Mode::kNone.
  const std::string& parent_dir() const { return base_; }

  // Creates the container's cgroup `name` (a file name) with its limits; nullptr when cgroups
  // are unusable or the directory cannot be made. memory_limit_bytes/cpu_shares 0 = none.
  std::unique_ptr<Cgroup> Create(const std::string& name, long long memory_limit_bytes,
                                 int cpu_shares) const;

 private:
  bool TryV2(const std::string& own_dir, bool want_memory, std::string* why);
  bool TryV1(const std::string& own_dir, std::string* why);
  // Creates base_ (again: another berth process in the same cgroup may have removed it when it
  // was empty) with its controllers. Returns 0 or an errno.
  int MakeBase(const std::string& base, bool memory) const;

  Mode mode_ = Mode::kNone;
  std::string base_;  // <own cgroup>/berth
  std::string description_;
};

}  // namespace berth::driver
