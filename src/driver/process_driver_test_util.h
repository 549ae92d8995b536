// Helpers shared by the ProcessDriver tests: Capture (what one container produced), spec
// builders, /proc probes, and the ProcessDriverTest fixture (a temp state dir, a ThreadExecutor
// as the control thread, a driver; TearDown checks that no zombie child is left).
// Test-only; the fixture runs on the gtest thread, callbacks on the executor/capture threads.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "driver/process_driver.h"
#include "driver/test_executor.h"

namespace berth::driver::driver_test {

// What one container produced, filled in by the driver's callbacks.
struct Capture {
  std::mutex mu;
  std::string out, err;
  bool keep_data = true;  // false: count bytes only (huge output)
  uint64_t out_bytes = 0, err_bytes = 0;
  uint64_t out_bytes_at_exit = 0, err_bytes_at_exit = 0;
  std::atomic<int> exit_calls{0};
  std::promise<ExitStatus> exited;
  std::shared_future<ExitStatus> exit_future = exited.get_future().share();

  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (exit_future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return exit_future.get();
  }
  std::string Out() {
    std::lock_guard<std::mutex> lock(mu);
    return out;
  }
  // Waits until stdout holds a full line; returns it.
  std::string FirstLine(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu);
        size_t nl = out.find('\n');
        if (nl != std::string::npos) return out.substr(0, nl);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return "";
  }
};

inline ProcessSpec Spec(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.task_id = RandomHex(32);
  spec.container_name = "app";
  spec.argv = std::move(argv);
  spec.env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}};
  return spec;
}

inline ProcessSpec Shell(const std::string& script) { return Spec({"sh", "-c", script}); }

inline bool Exists(pid_t pid) {
  return access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

inline bool WaitGone(pid_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Exists(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, ...
inline std::vector<std::string> StatFields(const std::string& stat) {
  std::vector<std::string> fields;
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 2));
  std::string f;
  while (in >> f) fields.push_back(f);
  return fields;
}

// /proc files of processes that may vanish: POSIX reads (an ifstream may throw on ESRCH).
inline std::string ReadProcFile(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

inline std::vector<pid_t> ZombieChildren() {
  std::vector<pid_t> zombies;
  std::string self = std::to_string(getpid());
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::vector<std::string> f =
        StatFields(ReadProcFile(std::string("/proc/") + e->d_name + "/stat"));
    if (f.size() > 1 && f[0] == "Z" && f[1] == self) zombies.push_back(std::atoi(e->d_name));
  }
  closedir(proc);
  return zombies;
}

inline double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

class ProcessDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-driver-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_dir_ = tmpl;
    chmod(tmpl, 0755);  // containers running as another user reach their default working dir
    MakeDriver(UseCgroups());
  }
  void TearDown() override {
    driver_.reset();
    EXPECT_EQ(ZombieChildren(), std::vector<pid_t>{}) << "zombie children left behind";
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
  virtual bool UseCgroups() const { return true; }
  void MakeDriver(bool use_cgroups) {
    driver_.reset();
    ProcessDriverOptions options;
    options.use_cgroups = use_cgroups;
    driver_ = std::make_unique<ProcessDriver>(executor_, state_dir_, options);
  }
  Result<std::string> Start(const ProcessSpec& spec, const std::shared_ptr<Capture>& run) {
    return driver_->Start(
        spec,
        [run](ExitStatus status) {
          {
            std::lock_guard<std::mutex> lock(run->mu);
            run->out_bytes_at_exit = run->out_bytes;
            run->err_bytes_at_exit = run->err_bytes;
          }
          if (run->exit_calls.fetch_add(1) == 0) run->exited.set_value(status);
        },
        [run](Stream stream, std::string_view data, int64_t) {
          std::lock_guard<std::mutex> lock(run->mu);
          (stream == Stream::kStdout ? run->out_bytes : run->err_bytes) += data.size();
          if (run->keep_data) (stream == Stream::kStdout ? run->out : run->err).append(data);
        });
  }
  // Starts spec and waits for its exit.
  std::shared_ptr<Capture> RunToExit(const ProcessSpec& spec) {
    auto run = std::make_shared<Capture>();
    Result<std::string> id = Start(spec, run);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (id.ok()) {
      EXPECT_TRUE(run->Wait().has_value()) << "no exit for " << spec.argv.back();
    }
    return run;
  }

  ThreadExecutor executor_;
  std::string state_dir_;
  std::unique_ptr<ProcessDriver> driver_;
};

}  // namespace berth::driver::driver_test
