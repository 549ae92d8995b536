// Spawning one container's main process, in two halves around fork():
//
//   PrepareSpawn  (parent, before fork) does everything that may allocate, take a lock or ask
//                 NSS: it checks the spec, resolves the user and group names, maps the ECS
//                 ulimit names, lists the PATH candidates for argv[0] and creates the default
//                 working directory. The result is a SpawnPlan.
//   RunChild      (child, after fork) uses only async-signal-safe system calls: default
//                 signal dispositions and an empty mask, its own process group, the cgroup,
//                 the task's network namespace (setns), stdio, no other fds, rlimits,
//                 groups/gid/uid, chdir, then execve. A failure is written to the status pipe
//                 as a ChildError and the child _exit()s; the pipe is CLOEXEC, so a successful
//                 exec shows as EOF.
//   DescribeChildError (parent) turns a ChildError into a Docker-like `reason`.
//
// Threads: PrepareSpawn and DescribeChildError run on the caller's thread; RunChild only in the
// forked child. A SpawnPlan is a plain value owned by the caller.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "driver/driver.h"

namespace berth::driver {

// Every start failure's message begins with this, as ECS shows it in `stoppedReason`.
inline constexpr char kCannotStartPrefix[] =
    "CannotStartContainerError: Error response from daemon: ";

struct SpawnPlan {
  std::string argv0;                         // as given, for messages
  std::vector<std::string> exec_candidates;  // paths tried with execve, in order
  bool argv0_has_slash = false;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value"
  std::string working_dir;       // absolute
  pid_t parent_pid = 0;          // the daemon (for PR_SET_PDEATHSIG's race check)

  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, set with setgroups

  struct Limit {
    int resource = 0;  // RLIMIT_*
    rlimit value{};
  };
  std::vector<Limit> rlimits;
  std::vector<std::string> rlimit_names;  // parallel to rlimits, for messages
  int max_fd = 1024;  // highest fd to mark CLOEXEC when close_range() is missing
  int netns_fd = -1;  // network namespace to join (setns), -1 = stay in the daemon's
};

// Validates spec and resolves everything RunChild needs. default_working_dir is used (and
// created, owned by the container's user) when spec.working_dir is empty.
// Errors: FailedPrecondition with a message starting with kCannotStartPrefix.
Result<SpawnPlan> PrepareSpawn(const ProcessSpec& spec, const std::string& default_working_dir);

// What the child reports on the status pipe when it cannot exec.
struct ChildError {
  enum Step : int32_t {
    kSetpgid = 1,
    kStdio,
    kRlimit,
    kSetgroups,
    kSetgid,
    kSetuid,
    kChdir,
    kExec,
    kSetns,
  };
  int32_t step = 0;
  int32_t err = 0;    // errno
  int32_t index = 0;  // which rlimit, for kRlimit
};

// The child's file descriptors, all open in the parent before fork (and all >= 3).
struct ChildFds {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int status_fd = -1;        // write end of the CLOEXEC status pipe
  int cgroup_procs_fd = -1;  // the container cgroup's cgroup.procs, or -1
};

// In the forked child only. argv/envp are null-terminated arrays built from plan before fork.
[[noreturn]] void RunChild(const SpawnPlan& plan, char* const* argv, char* const* envp,
                           const ChildFds& fds);

// The container `reason` for a ChildError, e.g.
// `CannotStartContainerError: Error response from daemon: failed to create shim task: OCI
// runtime create failed: runc create failed: unable to start container process: exec: "foo":
// executable file not found in $PATH: unknown`.
std::string DescribeChildError(const ChildError& error, const SpawnPlan& plan);

// Returns a copy of fd that is >= 3 and CLOEXEC, closing fd (so dup2 onto 0..2 in the child
// never meets its own source). Returns -1 (fd closed) on failure.
int MoveAboveStdio(int fd);

}  // namespace berth::driver
