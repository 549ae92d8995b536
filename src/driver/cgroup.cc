#include "driver/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <system_error>

namespace berth::driver {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Returns 0 or the errno of the failed open/write.
int WriteFile(const std::string& path, const std::string& data) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  ssize_t n = write(fd.get(), data.data(), data.size());
  if (n < 0) return errno;
  return n == static_cast<ssize_t>(data.size()) ? 0 : EIO;
}

std::string ErrText(int err) { return std::generic_category().message(err); }

bool HasToken(const std::string& text, const std::string& token, char sep = ' ') {
  std::istringstream in(text);
  std::string word;
  while (std::getline(in, word, sep)) {
    while (!word.empty() && (word.back() == '\n' || word.back() == ' ')) word.pop_back();
    if (word == token) return true;
  }
  return false;
}

// The value of the line "key N" in a flat-keyed cgroup file, or -1.
long long KeyValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ' ') {
      return std::atoll(line.c_str() + key.size() + 1);
    }
  }
  return -1;
}

struct Mount {
  std::string root;
  std::string mountpoint;
  std::string fstype;
  std::string super_options;
};

std::vector<Mount> CgroupMounts() {
  std::vector<Mount> mounts;
  std::optional<std::string> text = ReadFile("/proc/self/mountinfo");
  if (!text) return mounts;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options [optional...] - fstype source super_options
    std::istringstream fields(line);
    std::vector<std::string> f;
    std::string word;
    while (fields >> word) f.push_back(word);
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 5 || dash + 1 >= f.size()) continue;
    Mount m{f[3], f[4], f[dash + 1], dash + 3 < f.size() ? f[dash + 3] : ""};
    if (m.fstype == "cgroup" || m.fstype == "cgroup2") mounts.push_back(m);
  }
  return mounts;
}

// The directory of cgroup `path` (as in /proc/self/cgroup) under mount m, or "".
std::string DirUnder(const Mount& m, const std::string& path) {
  std::string rel;
  if (m.root == "/") {
    rel = path;
  } else if (path.compare(0, m.root.size(), m.root) == 0) {
    rel = path.substr(m.root.size());
  } else {
    return "";
  }
  if (rel == "/") rel.clear();
  return m.mountpoint + rel;
}

}  // namespace

UniqueFd Cgroup::OpenProcs() const {
  return UniqueFd(open((dir_ + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
}

std::vector<pid_t> Cgroup::Pids() const {
  std::vector<pid_t> pids;
  std::optional<std::string> text = ReadFile(dir_ + "/cgroup.procs");
  if (!text) return pids;
  std::istringstream in(*text);
  long pid;
  while (in >> pid) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

void Cgroup::KillAll() const {
  if (v2_ && WriteFile(dir_ + "/cgroup.kill", "1") == 0) return;
  // Without cgroup.kill a process forked between the read and the kill survives this round;
  // the driver repeats KillAll until the cgroup is empty.
  for (pid_t pid : Pids()) kill(pid, SIGKILL);
}

void Cgroup::SignalOutsideGroup(int sig, pid_t pgid) const {
  for (pid_t pid : Pids()) {
    if (getpgid(pid) != pgid) kill(pid, sig);
  }
}

bool Cgroup::OomKilled(bool main_sigkilled) const {
  if (v2_) {
    std::optional<std::string> events = ReadFile(dir_ + "/memory.events");
    return events && KeyValue(*events, "oom_kill") > 0;
  }
  std::optional<std::string> control = ReadFile(dir_ + "/memory.oom_control");
  long long kills = control ? KeyValue(*control, "oom_kill") : -1;
  if (kills >= 0) return kills > 0;
  // Kernels before 4.13 have no counter: a SIGKILL after hitting the limit is taken as OOM.
  std::optional<std::string> failcnt = ReadFile(dir_ + "/memory.failcnt");
  return main_sigkilled && failcnt && std::atoll(failcnt->c_str()) > 0;
}

bool Cgroup::Remove() const { return rmdir(dir_.c_str()) == 0 || errno == ENOENT; }

CgroupManager::CgroupManager(bool enabled) {
  if (!enabled) {
    description_ = "cgroups disabled: using process groups only";
    return;
  }
  std::string v2_path, v1_memory_path;
  bool have_v2_path = false, have_v1_path = false;
  if (std::optional<std::string> text = ReadFile("/proc/self/cgroup")) {
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      size_t a = line.find(':');
      size_t b = a == std::string::npos ? a : line.find(':', a + 1);
      if (b == std::string::npos) continue;
      std::string controllers = line.substr(a + 1, b - a - 1);
      std::string path = line.substr(b + 1);
      if (line.compare(0, a, "0") == 0 && controllers.empty()) {
        v2_path = path;
        have_v2_path = true;
      } else if (HasToken(controllers, "memory", ',')) {
        v1_memory_path = path;
        have_v1_path = true;
      }
    }
  }
  std::string v2_dir, v1_dir;
  for (const Mount& m : CgroupMounts()) {
    if (m.fstype == "cgroup2" && have_v2_path && v2_dir.empty()) {
      v2_dir = DirUnder(m, v2_path);
    } else if (m.fstype == "cgroup" && have_v1_path && v1_dir.empty() &&
               HasToken(m.super_options, "memory", ',')) {
      v1_dir = DirUnder(m, v1_memory_path);
    }
  }
  std::string why_v2, why_v1, why_tree;
  if (!v2_dir.empty() && TryV2(v2_dir, /*want_memory=*/true, &why_v2)) {
    mode_ = Mode::kV2Memory;
    description_ = "cgroup v2 with memory limits at " + base_;
  } else if (!v1_dir.empty() && TryV1(v1_dir, &why_v1)) {
    mode_ = Mode::kV1Memory;
    description_ = "cgroup v1 memory hierarchy at " + base_;
  } else if (!v2_dir.empty() && TryV2(v2_dir, /*want_memory=*/false, &why_tree)) {
    mode_ = Mode::kV2TreeOnly;
    description_ = "cgroup v2 at " + base_ +
                   " (process tracking only, memory limits not enforced: " + why_v2 + ")";
  } else {
    description_ = "no usable cgroup, using process groups only (memory limits not enforced)";
    if (v2_dir.empty() && v1_dir.empty()) description_ += ": no cgroup mount found";
    for (const std::string* why : {&why_v2, &why_v1, &why_tree}) {
      if (!why->empty()) description_ += "; " + *why;
    }
  }
  if (memory_limits_enforced()) {
    spdlog::info("process driver: {}", description_);
  } else {
    spdlog::warn("process driver: {}", description_);
  }
}

CgroupManager::~CgroupManager() {
  if (!base_.empty()) rmdir(base_.c_str());
}

bool CgroupManager::TryV2(const std::string& own_dir, bool want_memory, std::string* why) {
  std::string base = own_dir + "/berth";
  if (want_memory) {
    std::optional<std::string> controllers = ReadFile(own_dir + "/cgroup.controllers");
    if (!controllers || !HasToken(*controllers, "memory")) {
      *why = "v2: no memory controller in " + own_dir;
      return false;
    }
    std::optional<std::string> own_sub = ReadFile(own_dir + "/cgroup.subtree_control");
    if (!own_sub || !HasToken(*own_sub, "memory")) {
      if (int err = WriteFile(own_dir + "/cgroup.subtree_control", "+memory")) {
        *why = "v2: cannot enable memory in " + own_dir +
               "/cgroup.subtree_control: " + ErrText(err) +
               (err == EBUSY ? " (the daemon's cgroup holds processes)" : "");
        return false;
      }
    }
    if (HasToken(*controllers, "cpu") && (!own_sub || !HasToken(*own_sub, "cpu"))) {
      WriteFile(own_dir + "/cgroup.subtree_control", "+cpu");  // best effort: cpu.weight
    }
  }
  if (int err = MakeBase(base, want_memory)) {
    *why = "v2: cannot create " + base + (want_memory ? " with the memory controller: " : ": ") +
           ErrText(err);
    return false;
  }
  base_ = base;
  return true;
}

int CgroupManager::MakeBase(const std::string& base, bool memory) const {
  if (mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) return errno;
  if (mode_ == Mode::kV1Memory || !memory) return 0;
  if (int err = WriteFile(base + "/cgroup.subtree_control", "+memory")) return err;
  WriteFile(base + "/cgroup.subtree_control", "+cpu");  // best effort: cpu.weight
  return 0;
}

bool CgroupManager::TryV1(const std::string& own_dir, std::string* why) {
  std::string base = own_dir + "/berth";
  if (mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) {
    *why = "v1: cannot create " + base + ": " + ErrText(errno);
    return false;
  }
  if (access((base + "/memory.limit_in_bytes").c_str(), W_OK) != 0) {
    *why = "v1: " + base + "/memory.limit_in_bytes is not writable";
    return false;
  }
  base_ = base;
  return true;
}

std::unique_ptr<Cgroup> CgroupManager::Create(const std::string& name, long long memory_limit_bytes,
                                              int cpu_shares) const {
  if (mode_ == Mode::kNone) return nullptr;
  bool v2 = mode_ != Mode::kV1Memory;
  std::string dir;
  for (int attempt = 1; attempt <= 10 && dir.empty(); ++attempt) {
    std::string candidate =
        base_ + "/" + name + (attempt == 1 ? "" : "-" + std::to_string(attempt));
    int made = mkdir(candidate.c_str(), 0755) == 0 ? 0 : errno;
    if (made == ENOENT && MakeBase(base_, mode_ == Mode::kV2Memory) == 0) {
      made = mkdir(candidate.c_str(), 0755) == 0 ? 0 : errno;
    }
    if (made == 0) {
      dir = candidate;
    } else if (made != EEXIST) {
      spdlog::warn("process driver: cannot create cgroup {}: {}", candidate, ErrText(made));
      return nullptr;
    } else if (Cgroup stale(candidate, v2);
               stale.Empty() && stale.Remove() && mkdir(candidate.c_str(), 0755) == 0) {
      dir = candidate;  // left over from an earlier run
    }
  }
  if (dir.empty()) return nullptr;
  auto cgroup = std::make_unique<Cgroup>(dir, v2);
  if (memory_limit_bytes > 0 && memory_limits_enforced()) {
    std::string limit = std::to_string(memory_limit_bytes);
    int err = WriteFile(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"), limit);
    if (err != 0) {
      spdlog::warn("process driver: cannot set memory limit {} on {}: {}", limit, dir,
                   ErrText(err));
    } else if (v2) {
      WriteFile(dir + "/memory.swap.max", "0");  // like a container without swap
    } else {
      WriteFile(dir + "/memory.memsw.limit_in_bytes", limit);
    }
  }
  if (cpu_shares > 0 && mode_ == Mode::kV2Memory) {
    // runc's conversion of cpu shares [2, 262144] to cpu.weight [1, 10000].
    long long shares = cpu_shares < 2 ? 2 : (cpu_shares > 262144 ? 262144 : cpu_shares);
    // Best effort: cpu.weight exists only when the cpu controller could be delegated too.
    WriteFile(dir + "/cpu.weight", std::to_string(1 + ((shares - 2) * 9999) / 262142));
  }
  return cgroup;
}

}  // namespace berth::driver
