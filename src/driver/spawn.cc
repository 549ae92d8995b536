#include "driver/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace berth::driver {
namespace {

constexpr char kRuncPrefix[] =
    "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
    "start container process: ";
constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Status CannotStart(const std::string& detail) {
  return FailedPrecondition(kCannotStartPrefix + detail);
}

// "No such file or directory" -> "no such file or directory", as Go prints errno values.
std::string ErrnoText(int err) {
  std::string s = std::generic_category().message(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::optional<unsigned long> ParseId(const std::string& s) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
  if (v > 0xfffffffeUL) return std::nullopt;  // (uid_t)-1 means "unchanged" to the kernel
  return v;
}

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// getpwnam_r/getpwuid_r with a growing buffer; nullopt when there is no such entry.
std::optional<PasswdEntry> LookupPasswd(const std::string* name, uid_t uid) {
  std::vector<char> buf(16384);
  while (true) {
    passwd pw{};
    passwd* found = nullptr;
    int rc = name ? getpwnam_r(name->c_str(), &pw, buf.data(), buf.size(), &found)
                  : getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return PasswdEntry{pw.pw_name, pw.pw_uid, pw.pw_gid};
  }
}

std::optional<gid_t> LookupGroup(const std::string& name) {
  std::vector<char> buf(16384);
  while (true) {
    group gr{};
    group* found = nullptr;
    int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return gr.gr_gid;
  }
}

std::vector<gid_t> GroupList(const std::string& user, gid_t gid) {
  int n = 32;
  std::vector<gid_t> groups;
  for (int attempt = 0; attempt < 8; ++attempt) {
    groups.resize(n);
    int want = n;
    if (getgrouplist(user.c_str(), gid, groups.data(), &want) >= 0) {
      groups.resize(want);
      return groups;
    }
    n = want > n ? want : n * 2;
  }
  return {gid};
}

// ECS `user`: user, uid, user:group, uid:gid (and the mixed forms).
Status ResolveUser(const std::string& spec, SpawnPlan* plan) {
  if (spec.empty()) return Status::Ok();
  size_t colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string grp = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (user.empty() || (colon != std::string::npos && grp.empty())) {
    return CannotStart("invalid user \"" + spec + "\"");
  }
  std::optional<PasswdEntry> pw;
  if (std::optional<unsigned long> uid = ParseId(user)) {
    plan->uid = static_cast<uid_t>(*uid);
    pw = LookupPasswd(nullptr, plan->uid);
  } else {
    pw = LookupPasswd(&user, 0);
    if (!pw)
      return CannotStart("unable to find user " + user + ": no matching entries in passwd file");
    plan->uid = pw->uid;
  }
  if (grp.empty()) {
    plan->gid = pw ? pw->gid : 0;  // Docker: a uid without a passwd entry runs with gid 0
  } else if (std::optional<unsigned long> gid = ParseId(grp)) {
    plan->gid = static_cast<gid_t>(*gid);
  } else {
    std::optional<gid_t> gid_by_name = LookupGroup(grp);
    if (!gid_by_name) {
      return CannotStart("unable to find group " + grp + ": no matching entries in group file");
    }
    plan->gid = *gid_by_name;
  }
  plan->groups = pw ? GroupList(pw->name, plan->gid) : std::vector<gid_t>{plan->gid};
  if (geteuid() != 0) {
    if (plan->uid == geteuid() && plan->gid == getegid()) return Status::Ok();  // nothing to do
    return CannotStart("cannot run as user \"" + spec +
                       "\": the berth daemon is not running as root");
  }
  plan->switch_user = true;
  return Status::Ok();
}

struct UlimitName {
  const char* name;
  int resource;
};
constexpr UlimitName kUlimits[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

rlim_t ToRlim(long long v) { return v < 0 ? RLIM_INFINITY : static_cast<rlim_t>(v); }

Status ResolveUlimits(const std::vector<Ulimit>& ulimits, SpawnPlan* plan) {
  for (const Ulimit& u : ulimits) {
    int resource = -1;
    for (const UlimitName& known : kUlimits) {
      if (u.name == known.name) resource = known.resource;
    }
    if (resource < 0) return CannotStart("invalid ulimit type: " + u.name);
    rlimit value{ToRlim(u.soft), ToRlim(u.hard)};
    if (value.rlim_cur > value.rlim_max) {
      return CannotStart("ulimit soft limit must be less than or equal to hard limit: " +
                         std::to_string(u.soft) + " > " + std::to_string(u.hard));
    }
    plan->rlimits.push_back({resource, value});
    plan->rlimit_names.push_back(u.name);
  }
  return Status::Ok();
}

std::string PathFrom(const ProcessSpec& spec) {
  for (const auto& [name, value] : spec.env) {
    if (name == "PATH") return value;
  }
  const char* daemon_path = std::getenv("PATH");
  return daemon_path ? daemon_path : kDefaultPath;
}

Status ResolveWorkingDir(const ProcessSpec& spec, const std::string& default_dir, SpawnPlan* plan) {
  if (!spec.working_dir.empty()) {
    if (spec.working_dir[0] != '/') {
      return CannotStart("the working directory '" + spec.working_dir +
                         "' is invalid, it needs to be an absolute path");
    }
    plan->working_dir = spec.working_dir;
    return Status::Ok();
  }
  plan->working_dir = default_dir;
  std::error_code ec;
  bool created = std::filesystem::create_directories(default_dir, ec);
  if (ec) {
    return CannotStart("failed to create the working directory " + default_dir + ": " +
                       ec.message());
  }
  if (created && plan->switch_user && chown(default_dir.c_str(), plan->uid, plan->gid) != 0) {
    return CannotStart("failed to chown the working directory " + default_dir + ": " +
                       ErrnoText(errno));
  }
  return Status::Ok();
}

[[noreturn]] void Fail(int status_fd, int32_t step, int err, int32_t index = 0) {
  ChildError error;
  error.step = step;
  error.err = err;
  error.index = index;
  ssize_t ignored = write(status_fd, &error, sizeof error);
  (void)ignored;
  _exit(127);
}

}  // namespace

Result<SpawnPlan> PrepareSpawn(const ProcessSpec& spec, const std::string& default_working_dir) {
  SpawnPlan plan;
  plan.parent_pid = getpid();
  if (spec.argv.empty())
    return FailedPrecondition(std::string(kCannotStartPrefix) + "No command specified");
  BERTH_RETURN_IF_ERROR(ResolveUser(spec.user, &plan));
  BERTH_RETURN_IF_ERROR(ResolveUlimits(spec.ulimits, &plan));
  BERTH_RETURN_IF_ERROR(ResolveWorkingDir(spec, default_working_dir, &plan));

  plan.argv0 = spec.argv[0];
  plan.argv = spec.argv;
  plan.argv0_has_slash = plan.argv0.find('/') != std::string::npos;
  if (plan.argv0_has_slash) {
    plan.exec_candidates.push_back(plan.argv0);
  } else if (!plan.argv0.empty()) {
    std::string path = PathFrom(spec);
    size_t begin = 0;
    while (begin <= path.size()) {
      size_t end = path.find(':', begin);
      if (end == std::string::npos) end = path.size();
      std::string dir = path.substr(begin, end - begin);
      if (dir.empty()) dir = ".";  // POSIX: an empty entry is the current directory
      plan.exec_candidates.push_back(dir + "/" + plan.argv0);
      begin = end + 1;
    }
  }
  if (spec.netns_fd >= 0) {
    // Checked here so that a stale fd is a clear error rather than a setns() of whatever file
    // now has that number; the child's setns() still refuses anything but a network namespace.
    if (fcntl(spec.netns_fd, F_GETFD) < 0) {
      return CannotStart("joining the task's network namespace: fd " +
                         std::to_string(spec.netns_fd) + " is not open");
    }
    plan.netns_fd = spec.netns_fd;
  }
  plan.env.reserve(spec.env.size());
  for (const auto& [name, value] : spec.env) plan.env.push_back(name + "=" + value);

  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    plan.max_fd = nofile.rlim_cur == RLIM_INFINITY || nofile.rlim_cur > (1u << 20)
                      ? (1 << 20)
                      : static_cast<int>(nofile.rlim_cur);
  }
  return plan;
}

void RunChild(const SpawnPlan& plan, char* const* argv, char* const* envp, const ChildFds& fds) {
  // The parent blocked every signal around fork(): reset the dispositions first so that no
  // handler of the daemon can run here, then open the mask.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, &dfl, nullptr) != 0) {
      // glibc refuses its reserved real-time signals (32, 33), which a parent of the daemon may
      // have left ignored; the kernel call resets them (its struct: handler, flags, restorer,
      // mask).
      struct {
        void* handler;
        unsigned long flags;
        void* restorer;
        unsigned long mask;
      } kernel_dfl = {nullptr, 0, nullptr, 0};
      syscall(SYS_rt_sigaction, sig, &kernel_dfl, nullptr, sizeof kernel_dfl.mask);
    }
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  if (setpgid(0, 0) != 0) Fail(fds.status_fd, ChildError::kSetpgid, errno);
  // Die with the daemon, even on kill -9 (the rest of the tree: see leftovers.h). If the
  // daemon is already gone, our parent is no longer the one that forked us.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != plan.parent_pid) _exit(127);
  if (fds.cgroup_procs_fd >= 0) {
    // "0" moves the writing process. Best effort: without it the process group still holds.
    ssize_t ignored = write(fds.cgroup_procs_fd, "0", 1);
    (void)ignored;
  }
  // Before stdio (whose dup2 could land on the fd's number) and before dropping privileges
  // (setns needs CAP_SYS_ADMIN). Like every fd above stdio, it is closed at exec (below).
  if (plan.netns_fd >= 0 && setns(plan.netns_fd, CLONE_NEWNET) != 0) {
    Fail(fds.status_fd, ChildError::kSetns, errno);
  }
  if (dup2(fds.stdin_fd, 0) < 0 || dup2(fds.stdout_fd, 1) < 0 || dup2(fds.stderr_fd, 2) < 0) {
    Fail(fds.status_fd, ChildError::kStdio, errno);
  }
  // Everything above stdio closes at exec (the status pipe too: that is how the parent learns
  // that exec worked).
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd <= plan.max_fd; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  umask(022);
  for (size_t i = 0; i < plan.rlimits.size(); ++i) {
    if (setrlimit(plan.rlimits[i].resource, &plan.rlimits[i].value) != 0) {
      Fail(fds.status_fd, ChildError::kRlimit, errno, static_cast<int32_t>(i));
    }
  }
  if (plan.switch_user) {
    // Raw system calls: this process has one thread, and glibc's set*id wrappers would try to
    // synchronise the (gone) other threads of the daemon.
    if (syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) != 0) {
      Fail(fds.status_fd, ChildError::kSetgroups, errno);
    }
    if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) {
      Fail(fds.status_fd, ChildError::kSetgid, errno);
    }
    if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) {
      Fail(fds.status_fd, ChildError::kSetuid, errno);
    }
  }
  if (chdir(plan.working_dir.c_str()) != 0) Fail(fds.status_fd, ChildError::kChdir, errno);

  bool saw_eacces = false;
  for (const std::string& candidate : plan.exec_candidates) {
    execve(candidate.c_str(), argv, envp);
    int err = errno;
    if (plan.argv0_has_slash) Fail(fds.status_fd, ChildError::kExec, err);
    if (err == EACCES) {
      saw_eacces = true;
    } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV &&
               err != ETIMEDOUT) {
      Fail(fds.status_fd, ChildError::kExec, err);  // found, but cannot run: stop here
    }
  }
  Fail(fds.status_fd, ChildError::kExec, saw_eacces ? EACCES : ENOENT);
}

std::string DescribeChildError(const ChildError& error, const SpawnPlan& plan) {
  std::string detail;
  std::string text = ErrnoText(error.err);
  switch (error.step) {
    case ChildError::kExec:
      if (error.err == ENOENT && !plan.argv0_has_slash) {
        detail = "exec: \"" + plan.argv0 + "\": executable file not found in $PATH";
      } else if (error.err == ENOENT) {
        detail = "exec: \"" + plan.argv0 + "\": stat " + plan.argv0 + ": " + text;
      } else {
        detail = "exec: \"" + plan.argv0 + "\": " + text;
      }
      break;
    case ChildError::kChdir:
      detail = "chdir to cwd (\"" + plan.working_dir + "\") set in config.json failed: " + text;
      break;
    case ChildError::kRlimit: {
      size_t i = static_cast<size_t>(error.index);
      std::string name = i < plan.rlimit_names.size() ? plan.rlimit_names[i] : "?";
      detail = "error setting rlimit type " + name + ": " + text;
      break;
    }
    case ChildError::kSetgroups:
      detail = "setgroups: " + text;
      break;
    case ChildError::kSetgid:
      detail = "setgid " + std::to_string(plan.gid) + ": " + text;
      break;
    case ChildError::kSetuid:
      detail = "setuid " + std::to_string(plan.uid) + ": " + text;
      break;
    case ChildError::kSetpgid:
      detail = "setpgid: " + text;
      break;
    case ChildError::kSetns:
      detail = "joining the task's network namespace: setns: " + text;
      break;
    default:
      detail = "setting up stdio: " + text;
      break;
  }
  return std::string(kCannotStartPrefix) + kRuncPrefix + detail + ": unknown";
}

int MoveAboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

}  // namespace berth::driver
