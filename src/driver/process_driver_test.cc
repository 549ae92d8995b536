// Starting containers: exit codes, output, exec errors, env, working dir, limits, user.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "driver/process_driver_test_util.h"

namespace berth::driver::driver_test {
namespace {

using namespace std::chrono_literals;

TEST_F(ProcessDriverTest, NameAndRuntimeIds) {
  EXPECT_EQ(driver_->Name(), "process");
  auto a = std::make_shared<Capture>(), b = std::make_shared<Capture>();
  Result<std::string> id_a = Start(Spec({"true"}), a);
  Result<std::string> id_b = Start(Spec({"true"}), b);
  ASSERT_TRUE(id_a.ok() && id_b.ok());
  EXPECT_EQ(id_a->size(), 64u);
  EXPECT_EQ(id_a->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(*id_a, *id_b);
  ASSERT_TRUE(a->Wait() && b->Wait());
}

TEST_F(ProcessDriverTest, ExitCodes) {
  std::optional<ExitStatus> ok = RunToExit(Spec({"true"}))->Wait();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->signal, 0);
  EXPECT_FALSE(ok->oom_killed);
  std::optional<ExitStatus> three = RunToExit(Shell("exit 3"))->Wait();
  ASSERT_TRUE(three);
  EXPECT_EQ(three->exit_code, 3);
  EXPECT_EQ(three->signal, 0);
}

TEST_F(ProcessDriverTest, KilledBySignalReports128PlusSignal) {
  auto run = std::make_shared<Capture>();
  Result<std::string> id = Start(Spec({"sleep", "1000"}), run);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(driver_->Signal(*id, SIGTERM).ok());
  std::optional<ExitStatus> status = run->Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 143);
  EXPECT_EQ(status->signal, SIGTERM);
  EXPECT_EQ(run->exit_calls.load(), 1);
}

TEST_F(ProcessDriverTest, OutputIsCompleteBeforeExit) {
  std::string expected;
  for (int i = 1; i <= 100000; ++i) expected += std::to_string(i) + "\n";
  auto run = RunToExit(Shell("seq 1 100000; seq 1 100000 >&2"));
  std::lock_guard<std::mutex> lock(run->mu);
  EXPECT_TRUE(run->out == expected) << "stdout has " << run->out.size() << " bytes";
  EXPECT_TRUE(run->err == expected) << "stderr has " << run->err.size() << " bytes";
  EXPECT_EQ(run->out_bytes_at_exit, expected.size());
  EXPECT_EQ(run->err_bytes_at_exit, expected.size());
}

TEST_F(ProcessDriverTest, FiftyMegabytesOnBothStreamsArriveWhole) {
  constexpr uint64_t k50M = 50ull * 1024 * 1024;
  auto run = std::make_shared<Capture>();
  run->keep_data = false;
  auto start = std::chrono::steady_clock::now();
  Result<std::string> id =
      Start(Shell("head -c 52428800 /dev/zero & head -c 52428800 /dev/zero >&2; wait"), run);
  ASSERT_TRUE(id.ok());
  std::optional<ExitStatus> status = run->Wait(60s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_EQ(run->out_bytes_at_exit, k50M);
  EXPECT_EQ(run->err_bytes_at_exit, k50M);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST_F(ProcessDriverTest, MissingExecutableFailsSynchronously) {
  auto run = std::make_shared<Capture>();
  Result<std::string> id = Start(Spec({"no-such-binary-xyz", "arg"}), run);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(id.status().message(),
            "CannotStartContainerError: Error response from daemon: failed to create shim task: "
            "OCI runtime create failed: runc create failed: unable to start container process: "
            "exec: \"no-such-binary-xyz\": executable file not found in $PATH: unknown");

  Result<std::string> abs = Start(Spec({"/nonexistent/bin/app"}), run);
  ASSERT_FALSE(abs.ok());
  EXPECT_NE(abs.status().message().find(
                "exec: \"/nonexistent/bin/app\": stat /nonexistent/bin/app: no such file or "
                "directory: unknown"),
            std::string::npos)
      << abs.status().message();

  std::string data_file = state_dir_ + "/data.txt";
  std::ofstream(data_file) << "not a program\n";
  chmod(data_file.c_str(), 0644);
  Result<std::string> not_exec = Start(Spec({data_file}), run);
  ASSERT_FALSE(not_exec.ok());
  EXPECT_NE(not_exec.status().message().find("exec: \"" + data_file + "\": permission denied"),
            std::string::npos)
      << not_exec.status().message();

  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(run->exit_calls.load(), 0);
}

TEST_F(ProcessDriverTest, FailedStartThenDestroyLeavesNothing) {
  for (int i = 0; i < 20; ++i) {
    MakeDriver(true);
    ProcessSpec spec = Spec({"true"});
    spec.working_dir = "/nonexistent/dir";
    EXPECT_FALSE(Start(spec, std::make_shared<Capture>()).ok());
    std::string cgroup_parent = driver_->cgroup_parent_dir();
    driver_.reset();
    EXPECT_EQ(ZombieChildren(), std::vector<pid_t>{});
    if (!cgroup_parent.empty()) {
      EXPECT_FALSE(std::filesystem::exists(cgroup_parent + "/" + spec.task_id + "-app"));
    }
  }
}

TEST_F(ProcessDriverTest, BadWorkingDirFails) {
  ProcessSpec spec = Spec({"true"});
  spec.working_dir = "/nonexistent/dir";
  auto run = std::make_shared<Capture>();
  Result<std::string> id = Start(spec, run);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find(
                "chdir to cwd (\"/nonexistent/dir\") set in config.json failed: no such file or "
                "directory"),
            std::string::npos)
      << id.status().message();
  spec.working_dir = "relative/dir";
  EXPECT_FALSE(Start(spec, run).ok());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(run->exit_calls.load(), 0);
}

TEST_F(ProcessDriverTest, EnvIsExactlyTheGivenEnv) {
  ProcessSpec spec = Spec({"env"});  // found through the daemon's PATH: env has none
  spec.env = {{"A", "1"}, {"B", "two words"}, {"EMPTY", ""}};
  EXPECT_EQ(RunToExit(spec)->Out(), "A=1\nB=two words\nEMPTY=\n");
}

TEST_F(ProcessDriverTest, PathLookupUsesThePathInEnv) {
  std::string bin = state_dir_ + "/bin";
  std::filesystem::create_directories(bin);
  {
    std::ofstream script(bin + "/hello-from-path");
    script << "#!/bin/sh\necho hi from $0\n";
  }
  chmod((bin + "/hello-from-path").c_str(), 0755);
  ProcessSpec spec = Spec({"hello-from-path"});
  spec.env = {{"PATH", "/nonexistent:" + bin}};
  EXPECT_EQ(RunToExit(spec)->Out(), "hi from " + bin + "/hello-from-path\n");
}

TEST_F(ProcessDriverTest, WorkingDirectory) {
  ProcessSpec spec = Spec({"pwd"});
  spec.working_dir = state_dir_;
  EXPECT_EQ(RunToExit(spec)->Out(), state_dir_ + "\n");
  ProcessSpec default_dir = Spec({"pwd"});
  EXPECT_EQ(RunToExit(default_dir)->Out(), state_dir_ + "/tasks/" + default_dir.task_id + "\n");
}

TEST_F(ProcessDriverTest, UlimitsApplied) {
  ProcessSpec spec = Shell("ulimit -n; ulimit -Hn");
  spec.ulimits = {{"nofile", 1000, 2000}};
  EXPECT_EQ(RunToExit(spec)->Out(), "1000\n2000\n");
  spec.ulimits = {{"nofiles", 1, 1}};
  Result<std::string> bad = Start(spec, std::make_shared<Capture>());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invalid ulimit type: nofiles"), std::string::npos);
}

TEST_F(ProcessDriverTest, StdioSignalsAndFdsAreClean) {
  // A leaked fd, an ignored and a blocked signal in the daemon must not reach the container.
  int leaked = open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 3);
  struct sigaction ignore = {}, old_usr1 = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGUSR1, &ignore, &old_usr1);
  sigset_t usr2, old_mask;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, &old_mask);
  ProcessSpec spec = Shell(
      "readlink /proc/$$/fd/0; readlink /proc/$$/fd/1 | cut -c1-5; readlink /proc/$$/fd/2 | cut "
      "-c1-5; test -e /proc/$$/fd/" +
      std::to_string(leaked) +
      " && echo leaked || echo closed; exec grep -E '^Sig(Blk|Ign)' /proc/self/status");
  std::string out = RunToExit(spec)->Out();
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGUSR1, &old_usr1, nullptr);
  close(leaked);
  EXPECT_EQ(out,
            "/dev/null\npipe:\npipe:\nclosed\nSigBlk:\t0000000000000000\n"
            "SigIgn:\t0000000000000000\n");
}

}  // namespace
}  // namespace berth::driver::driver_test
