// ProcessDriver: runs each container's argv as a host process tree, container-like: its own
// process group (and cgroup when one is usable, see cgroup.h), stdin /dev/null, stdout and
// stderr as two pipes (never sockets: php-fpm and nginx reopen /proc/self/fd/2), the given env
// as the complete environment, user, ulimits and memory limit applied. The image is not used.
//
// Life of a container:
//   Start     prepares everything before fork (spawn.h), forks, and waits for exec: a failure
//             (no such executable, bad working dir, bad user) is returned, and on_exit never
//             runs. The runtime id is 64 random hex characters, like a Docker container id.
//   running   the capture thread (output_reader.h) reads both pipes and calls on_output.
//   exit      the reaper thread sees the main process exit and, before reaping it (so its pid
//             still pins the process group), SIGKILLs the group and the cgroup. It then reaps
//             it, and every other process of the tree as it dies. Once the tree is gone (or
//             after 2 s) and both pipes hit EOF (or 200 ms passed: a process that escaped the
//             group holds them; without a cgroup such processes are found by the pipes they
//             hold and killed), on_exit is posted to the Executor. So every chunk of output
//             is delivered before on_exit.
//
// The daemon process becomes a child subreaper (prctl) so orphaned grandchildren are
// reparented to it and reaped: no zombie ever. Consequence: the reaper waits for *any* child
// of the daemon (waitpid(-1)), so other components must not fork and wait for children of
// their own; they should run processes through a Driver. Use one ProcessDriver per process.
//
// Threads: construct, destroy and call every method on the control thread (the Executor).
// on_exit is posted to the Executor; on_output runs on the capture thread and must not block:
// it holds up the output of every container. Internally a mutex guards the container table,
// shared with the reaper and capture threads.
#pragma once

#include <sys/types.h>

#include <array>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "driver/cgroup.h"
#include "driver/driver.h"
#include "driver/output_reader.h"

namespace berth::driver {

struct ProcessDriverOptions {
  // false: never use cgroups, only process groups (tests exercise this fallback with it).
  bool use_cgroups = true;
};

class ProcessDriver : public Driver {
 public:
  // state_dir is owned by berth; default working directories are state_dir/tasks/<task_id>,
  // created on demand (and chowned to the container's `user`). A container with a `user` can
  // only enter it when state_dir is searchable by that user (o+x); otherwise Start fails with
  // "chdir to cwd ... permission denied".
  ProcessDriver(Executor& executor, std::string state_dir, ProcessDriverOptions options = {});
  // KillAll(), then stops the reaper and capture threads. on_exit of containers killed here is
  // still posted to the Executor.
  ~ProcessDriver() override;
  ProcessDriver(const ProcessDriver&) = delete;
  ProcessDriver& operator=(const ProcessDriver&) = delete;

  // Errors: FailedPrecondition("CannotStartContainerError: ...") for anything that stops the
  // container from starting, with Docker's wording.
  Result<std::string> Start(const ProcessSpec& spec, ExitCallback on_exit,
                            OutputCallback on_output) override;
  // Sends sig to the process group and to any other process in the container's cgroup. After
  // the main process exited (the tree is being killed anyway), unknown ids: OK, nothing sent.
  // Errors: InvalidArgument for a signal number out of range.
  Status Signal(const std::string& runtime_id, int sig) override;
  // SIGKILLs every container and waits (at most ~2.5 s) until each has finished as above.
  void KillAll() override;
  std::string Name() const override { return "process"; }
  // Sums /proc over the container's process group (what escaped the group is not counted).
  Result<ContainerStats> Stats(const std::string& runtime_id) override;

  // Whether ProcessSpec::memory_limit_bytes is enforced (a cgroup with the memory controller).
  bool memory_limits_enforced() const { return cgroups_.memory_limits_enforced(); }
  // One line on the cgroup mode, for the daemon's log and `berth` diagnostics.
  const std::string& cgroup_description() const { return cgroups_.description(); }
  // Where container cgroups are created (<the daemon's cgroup>/berth); empty without cgroups.
  const std::string& cgroup_parent_dir() const { return cgroups_.parent_dir(); }

 private:
  struct Container;
  using ContainerPtr = std::shared_ptr<Container>;

  std::string DefaultWorkingDir(const std::string& task_id) const;
  void ReaperLoop();
  // Reaper thread, mu_ held: one child of the daemon has exited (not yet reaped).
  void OnChildExitedLocked(pid_t pid);
  // mu_ held: main exited and Start finished: start the pipe grace and drain timers.
  void OnMainExitedLocked(const ContainerPtr& c);
  void KillTreeLocked(Container& c);
  void CheckDrainLocked(Container& c);
  void MaybeFinishLocked(const ContainerPtr& c);
  void ReleaseCgroupLocked(Container& c);
  // Capture thread.
  void OnPipeEof(const ContainerPtr& c, bool stdout_pipe);
  void OnPipeGrace(const ContainerPtr& c);
  void DrainTick(const ContainerPtr& c);

  Executor& executor_;
  const std::string state_dir_;
  CgroupManager cgroups_;

  std::mutex mu_;
  std::condition_variable cv_;  // the reaper waits for children; KillAll for the end
  std::unordered_map<pid_t, ContainerPtr> by_pid_;       // main not yet reaped
  std::unordered_map<std::string, ContainerPtr> by_id_;  // started, not yet finished
  std::vector<std::unique_ptr<Cgroup>> busy_cgroups_;    // rmdir to retry
  uint64_t spawn_generation_ = 0;
  bool stop_ = false;
  bool reaper_waiting_ = false;
  bool warned_memory_ = false;
  // The stack a child runs on between clone() and exec (Start holds mu_, so one suffices).
  alignas(64) std::array<char, 256 * 1024> child_stack_{};

  OutputReader reader_;  // after the state above: its thread is joined first
  std::thread reaper_;
};

}  // namespace berth::driver
