#include "driver/process_driver.h"

#include "driver/process_stats.h"

#include "driver/leftovers.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/ids.h"
#include "driver/pipe_holders.h"
#include "driver/spawn.h"

namespace berth::driver {
namespace {

struct SpawnArgs {
  const SpawnPlan* plan;
  char* const* argv;
  char* const* envp;
  const ChildFds* fds;
};

int SpawnEntry(void* p) {
  auto* a = static_cast<SpawnArgs*>(p);
  RunChild(*a->plan, a->argv, a->envp, *a->fds);
}

using SteadyClock = std::chrono::steady_clock;

// After the main process exited and its tree was killed, the pipes get this long to reach
// EOF; then a process that escaped the tree and still holds them no longer delays on_exit.
constexpr int64_t kPipeGraceMs = 200;
// While the killed tree dies, it is checked this often, and given up on after kDrainLimit.
constexpr int64_t kDrainPollMs = 20;
constexpr auto kDrainLimit = std::chrono::milliseconds(2000);
constexpr auto kKillAllWait = std::chrono::milliseconds(2500);

// A file name made of [A-Za-z0-9_.-] only.
std::string SafeName(const std::string& s, const char* if_empty) {
  std::string out = s.empty() ? if_empty : s.substr(0, 200);
  for (char& ch : out) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-';
    if (!ok) ch = '_';
  }
  if (out == "." || out == "..") out = "_";
  return out;
}

bool MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->reset(MoveAboveStdio(fds[0]));
  write_end->reset(MoveAboveStdio(fds[1]));
  // A 1 MiB pipe (Linux's default cap for unprivileged users too) lets a chatty container
  // write far more per wake-up of the capture thread than the default 64 KiB; best effort.
  (void)fcntl(write_end->get(), F_SETPIPE_SZ, 1 << 20);
  return read_end->valid() && write_end->valid() &&
         fcntl(read_end->get(), F_SETFL, O_NONBLOCK) == 0;
}

ExitStatus ToExitStatus(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
    s.exit_code = 128 + s.signal;
  }
  return s;
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

ino_t PipeInode(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

}  // namespace

struct ProcessDriver::Container {
  std::string runtime_id;
  std::string label;  // task_id/container_name, for the log
  pid_t pid = -1;     // also the process group id
  long long memory_limit_bytes = 0;
  std::unique_ptr<Cgroup> cgroup;
  ExitCallback on_exit;
  uint64_t pipe_keys[2] = {0, 0};  // stdout, stderr
  ino_t pipe_inodes[2] = {0, 0};
  ExitStatus status;
  SteadyClock::time_point exited_at;
  bool registered = false;    // Start succeeded
  bool start_failed = false;  // exec failed: reap, clean up, never call on_exit
  bool main_reaped = false;
  bool eof[2] = {false, false};
  bool tree_drained = false;
  bool drain_given_up = false;
  bool finished = false;
};

ProcessDriver::ProcessDriver(Executor& executor, std::string state_dir,
                             ProcessDriverOptions options)
    : executor_(executor), state_dir_(std::move(state_dir)), cgroups_(options.use_cgroups) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    spdlog::warn("process driver: cannot become a child subreaper: {}", std::strerror(errno));
  }
  reaper_ = std::thread([this] { ReaperLoop(); });
  if (int n = SweepLeftovers(state_dir_); n > 0) {
    spdlog::warn("process driver: killed {} processes left by an earlier daemon", n);
  }
}

ProcessDriver::~ProcessDriver() {
  KillAll();
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    wake = reaper_waiting_;
    cv_.notify_all();
  }
  // The reaper may be blocked in waitid() for a child that is not ours: give it one to reap.
  pid_t dummy = wake ? fork() : -1;
  if (dummy == 0) _exit(0);
  reaper_.join();
  if (dummy > 0) waitpid(dummy, nullptr, 0);  // unless the reaper took it
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, c] : by_id_) {
    if (c->cgroup) c->cgroup->Remove();
  }
  for (auto& cgroup : busy_cgroups_) cgroup->Remove();
}

std::string ProcessDriver::DefaultWorkingDir(const std::string& task_id) const {
  return state_dir_ + "/tasks/" + SafeName(task_id, "_");
}

Result<std::string> ProcessDriver::Start(const ProcessSpec& spec, ExitCallback on_exit,
                                         OutputCallback on_output) {
  Result<SpawnPlan> planned = PrepareSpawn(spec, DefaultWorkingDir(spec.task_id));
  if (!planned.ok()) return planned.status();
  const SpawnPlan& plan = *planned;

  UniqueFd out_r, out_w, err_r, err_w, status_r, status_w;
  UniqueFd null_fd(MoveAboveStdio(open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (!MakePipe(&out_r, &out_w) || !MakePipe(&err_r, &err_w) || !MakePipe(&status_r, &status_w) ||
      !null_fd.valid()) {
    return FailedPrecondition(std::string(kCannotStartPrefix) +
                              "cannot create stdio pipes: " + std::strerror(errno));
  }
  fcntl(status_r.get(), F_SETFL, 0);  // Start blocks on it until exec

  auto c = std::make_shared<Container>();
  c->label = spec.task_id + "/" + spec.container_name;
  c->memory_limit_bytes = spec.memory_limit_bytes;
  c->on_exit = std::move(on_exit);
  c->cgroup = cgroups_.Create(
      SafeName(spec.task_id, "task") + "-" + SafeName(spec.container_name, "container"),
      spec.memory_limit_bytes, spec.cpu_shares);
  UniqueFd procs_fd = c->cgroup ? c->cgroup->OpenProcs() : UniqueFd();
  if (spec.memory_limit_bytes > 0 && !memory_limits_enforced() && !warned_memory_) {
    warned_memory_ = true;
    spdlog::warn("process driver: memory limits are not enforced ({})", cgroup_description());
  }

  std::vector<char*> argv = CStrings(plan.argv);
  std::vector<char*> envp = CStrings(plan.env);
  ChildFds fds{null_fd.get(), out_w.get(), err_w.get(), status_w.get(), procs_fd.get()};
  sigset_t all, old;
  sigfillset(&all);
  {
    // Holding mu_ across fork() makes the reaper wait until the pid is in by_pid_.
    std::lock_guard<std::mutex> lock(mu_);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    // clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no copy of the daemon's page tables
    // (fork() was most of RunTask's latency), and this thread waits until the child has exec'd
    // or failed. The child runs RunChild on its own stack and only makes system calls.
    SpawnArgs args{&plan, argv.data(), envp.data(), &fds};
    pid_t pid = clone(&SpawnEntry, child_stack_.data() + child_stack_.size(),
                      CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
      ReleaseCgroupLocked(*c);
      return FailedPrecondition(std::string(kCannotStartPrefix) +
                                "clone: " + std::strerror(fork_errno));
    }
    setpgid(pid, pid);  // also done by the child; whichever runs first wins the race
    c->pid = pid;
    by_pid_[pid] = c;
    ++spawn_generation_;
    cv_.notify_all();
  }
  out_w.reset();
  err_w.reset();
  status_w.reset();
  null_fd.reset();
  procs_fd.reset();

  ChildError error;
  size_t got = 0;
  while (got < sizeof error) {
    ssize_t n = read(status_r.get(), reinterpret_cast<char*>(&error) + got, sizeof error - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == sizeof error) {
    std::lock_guard<std::mutex> lock(mu_);
    c->start_failed = true;
    if (c->main_reaped) ReleaseCgroupLocked(*c);  // else the reaper does it
    return FailedPrecondition(DescribeChildError(error, plan));
  }

  std::string runtime_id = RandomHex(64);
  c->runtime_id = runtime_id;
  RecordTree(state_dir_, runtime_id, c->pid, c->cgroup ? c->cgroup->dir() : "");
  c->pipe_inodes[0] = PipeInode(out_r.get());
  c->pipe_inodes[1] = PipeInode(err_r.get());
  auto output = std::make_shared<OutputCallback>(std::move(on_output));
  std::lock_guard<std::mutex> lock(mu_);
  c->registered = true;
  by_id_[runtime_id] = c;
  c->pipe_keys[0] = reader_.Add(
      std::move(out_r),
      [output](std::string_view data) {
        if (*output) (*output)(Stream::kStdout, data, 0);
      },
      [this, c] { OnPipeEof(c, true); });
  c->pipe_keys[1] = reader_.Add(
      std::move(err_r),
      [output](std::string_view data) {
        if (*output) (*output)(Stream::kStderr, data, 0);
      },
      [this, c] { OnPipeEof(c, false); });
  if (c->main_reaped) OnMainExitedLocked(c);
  return runtime_id;
}

Status ProcessDriver::Signal(const std::string& runtime_id, int sig) {
  if (sig < 0 || sig >= NSIG) return InvalidArgument("invalid signal " + std::to_string(sig));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(runtime_id);
  if (it == by_id_.end() || it->second->main_reaped) return Status::Ok();
  Container& c = *it->second;
  // The main process is not reaped (mu_ is held), so its pid still names this group.
  if (kill(-c.pid, sig) != 0 && errno != ESRCH) {
    return Internal("kill " + c.label + ": " + std::strerror(errno));
  }
  if (c.cgroup) c.cgroup->SignalOutsideGroup(sig, c.pid);
  return Status::Ok();
}

Result<ContainerStats> ProcessDriver::Stats(const std::string& runtime_id) {
  pid_t pgid = -1;
  long long limit = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(runtime_id);
    if (it == by_id_.end() || it->second->main_reaped) {
      return NotFound("container " + runtime_id + " is not running");
    }
    pgid = it->second->pid;
    limit = it->second->memory_limit_bytes;
  }
  // Outside mu_: the scan reads /proc (a few ms with many processes). A group that ends
  // meanwhile only reads as fewer processes.
  ContainerStats s = ProcessGroupStats(pgid);
  s.memory_limit_bytes = limit > 0 ? static_cast<uint64_t>(limit) : 0;
  return s;
}

void ProcessDriver::KillAll() {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [id, c] : by_id_) KillTreeLocked(*c);
  for (auto& [pid, c] : by_pid_) KillTreeLocked(*c);  // also children of failed starts
  // by_pid_ empties as main processes are reaped, by_id_ as containers finish.
  if (!cv_.wait_for(lock, kKillAllWait, [this] { return by_id_.empty() && by_pid_.empty(); })) {
    spdlog::warn("process driver: {} container(s) still finishing after KillAll",
                 by_id_.size() + by_pid_.size());
  }
}

void ProcessDriver::ReaperLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    uint64_t generation = spawn_generation_;
    reaper_waiting_ = true;
    lock.unlock();
    // WNOWAIT: look without reaping, so a main process still pins its group while it is killed.
    siginfo_t info{};
    int rc = waitid(P_ALL, 0, &info, WEXITED | WNOWAIT);
    int err = errno;
    lock.lock();
    reaper_waiting_ = false;
    if (rc == 0 && info.si_pid > 0) {
      OnChildExitedLocked(info.si_pid);
    } else if (rc != 0 && err == ECHILD) {
      // No children: sleep until Start forks one (waitid would return at once: no spinning).
      cv_.wait(lock, [&] { return stop_ || spawn_generation_ != generation; });
    } else if (rc != 0 && err != EINTR) {
      spdlog::error("process driver: waitid: {}", std::strerror(err));
      cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; });
    }
  }
}

void ProcessDriver::OnChildExitedLocked(pid_t pid) {
  auto it = by_pid_.find(pid);
  ContainerPtr c = it == by_pid_.end() ? nullptr : it->second;
  if (c) KillTreeLocked(*c);
  int wstatus = 0;
  pid_t reaped = waitpid(pid, &wstatus, WNOHANG);
  if (c) {
    by_pid_.erase(pid);  // the pid may be reused from now on
    c->main_reaped = true;
    c->exited_at = SteadyClock::now();
    if (reaped == pid) {
      c->status = ToExitStatus(wstatus);
    } else {
      c->status.exit_code = 255;  // someone else reaped it: status unknown
    }
    if (c->cgroup) c->status.oom_killed = c->cgroup->OomKilled(c->status.signal == SIGKILL);
    if (c->start_failed) {
      ReleaseCgroupLocked(*c);
    } else if (c->registered) {
      OnMainExitedLocked(c);
    }
    cv_.notify_all();
  }
  // Any reap may have been the last process of a killed tree.
  std::vector<ContainerPtr> draining;
  for (auto& [id, other] : by_id_) {
    if (other->main_reaped && !other->tree_drained && !other->drain_given_up) {
      draining.push_back(other);
    }
  }
  for (const ContainerPtr& other : draining) {
    CheckDrainLocked(*other);
    MaybeFinishLocked(other);
  }
  std::erase_if(busy_cgroups_, [](const std::unique_ptr<Cgroup>& cg) { return cg->Remove(); });
}

void ProcessDriver::KillTreeLocked(Container& c) {
  if (!c.main_reaped) kill(-c.pid, SIGKILL);
  if (c.cgroup) c.cgroup->KillAll();
}

void ProcessDriver::CheckDrainLocked(Container& c) {
  // After the main process was reaped its pid can be reused, but only once the group is empty:
  // a "still there" answer for a reused pid only delays on_exit, and signal 0 harms nothing.
  bool group_gone = kill(-c.pid, 0) != 0 && errno == ESRCH;
  bool cgroup_gone = true;
  if (c.cgroup && !c.cgroup->Empty()) {
    cgroup_gone = false;
    c.cgroup->KillAll();  // again: catches processes forked while the first kill ran
  }
  c.tree_drained = group_gone && cgroup_gone;
}

void ProcessDriver::OnMainExitedLocked(const ContainerPtr& c) {
  CheckDrainLocked(*c);
  reader_.RunAfter(kPipeGraceMs, [this, c] { OnPipeGrace(c); });
  if (!c->tree_drained) reader_.RunAfter(kDrainPollMs, [this, c] { DrainTick(c); });
  MaybeFinishLocked(c);
}

void ProcessDriver::MaybeFinishLocked(const ContainerPtr& c) {
  if (c->finished || !c->registered || !c->main_reaped || !c->eof[0] || !c->eof[1]) return;
  if (!c->tree_drained && !c->drain_given_up) return;
  c->finished = true;
  by_id_.erase(c->runtime_id);
  ForgetTree(state_dir_, c->runtime_id);
  ReleaseCgroupLocked(*c);
  if (c->on_exit) {
    executor_.Post([on_exit = std::move(c->on_exit), status = c->status] { on_exit(status); });
  }
  cv_.notify_all();
}

void ProcessDriver::ReleaseCgroupLocked(Container& c) {
  if (c.cgroup && !c.cgroup->Remove()) busy_cgroups_.push_back(std::move(c.cgroup));
  c.cgroup.reset();
}

void ProcessDriver::OnPipeEof(const ContainerPtr& c, bool stdout_pipe) {
  std::lock_guard<std::mutex> lock(mu_);
  c->eof[stdout_pipe ? 0 : 1] = true;
  MaybeFinishLocked(c);
}

void ProcessDriver::OnPipeGrace(const ContainerPtr& c) {
  std::vector<ino_t> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (c->finished || (c->eof[0] && c->eof[1])) return;
    // With a cgroup every process of the tree is dead by now; without one, a process that left
    // the group (setsid) can only be found by the pipes it holds.
    if (!c->cgroup) {
      for (int i = 0; i < 2; ++i) {
        if (!c->eof[i]) held.push_back(c->pipe_inodes[i]);
      }
    }
  }
  for (pid_t pid : KillPipeHolders(held)) {
    spdlog::warn("process driver: killed process {} that left container {} but held its output",
                 pid, c->label);
  }
  reader_.DrainAndClose(c->pipe_keys[0]);
  reader_.DrainAndClose(c->pipe_keys[1]);
}

void ProcessDriver::DrainTick(const ContainerPtr& c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (c->finished || c->tree_drained || c->drain_given_up) return;
  CheckDrainLocked(*c);
  if (!c->tree_drained && SteadyClock::now() - c->exited_at >= kDrainLimit) {
    c->drain_given_up = true;
    spdlog::warn("process driver: processes of container {} survive SIGKILL; reporting its exit",
                 c->label);
  }
  if (c->tree_drained || c->drain_given_up) {
    MaybeFinishLocked(c);
  } else {
    reader_.RunAfter(kDrainPollMs, [this, c] { DrainTick(c); });
  }
}

}  // namespace berth::driver
