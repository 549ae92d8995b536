// Process trees: signals, killing, reaping, KillAll, cgroups and memory limits.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>


#include "driver/process_driver_test_util.h"

namespace berth::driver::driver_test {
namespace {

using namespace std::chrono_literals;

TEST_F(ProcessDriverTest, OwnProcessGroup) {
  std::string stat = RunToExit(Spec({"cat", "/proc/self/stat"}))->Out();
  std::vector<std::string> f = StatFields(stat);  // state, ppid, pgrp, session, ...
  ASSERT_GT(f.size(), 3u);
  EXPECT_EQ(f[2], stat.substr(0, stat.find(' '))) << "process group id == pid";
  EXPECT_EQ(f[1], std::to_string(getpid()));
}

TEST_F(ProcessDriverTest, SignalUnknownIdIsOk) {
  EXPECT_TRUE(driver_->Signal("no-such-id", SIGTERM).ok());
  EXPECT_EQ(driver_->Signal("no-such-id", -1).code(), Code::kInvalidArgument);
}

TEST_F(ProcessDriverTest, SignalReachesTheWholeGroup) {
  auto run = std::make_shared<Capture>();
  Result<std::string> id = Start(Shell("sleep 1000 & echo $!; wait"), run);
  ASSERT_TRUE(id.ok());
  pid_t child = std::atoi(run->FirstLine().c_str());
  ASSERT_GT(child, 0);
  ASSERT_TRUE(driver_->Signal(*id, SIGTERM).ok());
  std::optional<ExitStatus> status = run->Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 143);
  EXPECT_FALSE(Exists(child)) << "the group member must be reaped before on_exit";
}

TEST_F(ProcessDriverTest, KillAllKillsEverythingAndWaits) {
  std::vector<std::shared_ptr<Capture>> runs;
  for (int i = 0; i < 3; ++i) {
    runs.push_back(std::make_shared<Capture>());
    ASSERT_TRUE(Start(Shell("sleep 1000 & sleep 1000"), runs.back()).ok());
  }
  std::this_thread::sleep_for(50ms);
  auto start = std::chrono::steady_clock::now();
  driver_->KillAll();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  for (auto& run : runs) {
    std::optional<ExitStatus> status = run->Wait(2s);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->exit_code, 137);
    EXPECT_EQ(status->signal, SIGKILL);
  }
}

TEST_F(ProcessDriverTest, DestructorKillsRunningContainers) {
  auto run = std::make_shared<Capture>();
  ASSERT_TRUE(Start(Shell("echo $$; exec sleep 1000"), run).ok());
  pid_t pid = std::atoi(run->FirstLine().c_str());
  ASSERT_GT(pid, 0);
  driver_.reset();
  EXPECT_TRUE(WaitGone(pid));
  ASSERT_TRUE(run->Wait(2s));
  EXPECT_EQ(run->Wait()->exit_code, 137);
}

TEST_F(ProcessDriverTest, ReaperDoesNotSpinWhenIdle) {
  RunToExit(Spec({"true"}));
  double before = ProcessCpuSeconds();
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(ProcessCpuSeconds() - before, 0.05);
}

TEST_F(ProcessDriverTest, User) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  EXPECT_EQ(RunToExit(Shell("id -u; id -g"))->Out(), "0\n0\n");
  ProcessSpec spec = Shell("id -u; id -g; touch here && echo writable");
  spec.user = "nobody";
  std::string nobody_gid = std::to_string(getpwnam("nobody") ? getpwnam("nobody")->pw_gid : 0);
  EXPECT_EQ(RunToExit(spec)->Out(), "65534\n" + nobody_gid + "\nwritable\n");
  spec.user = "1234:5678";
  spec.task_id = RandomHex(32);
  EXPECT_EQ(RunToExit(spec)->Out(), "1234\n5678\nwritable\n");
  spec.user = "1234";  // no passwd entry: gid 0, as Docker does
  spec.task_id = RandomHex(32);
  EXPECT_EQ(RunToExit(spec)->Out(), "1234\n0\nwritable\n");
  spec.user = "no-such-user";
  Result<std::string> bad = Start(spec, std::make_shared<Capture>());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "CannotStartContainerError: Error response from daemon: unable to find user "
            "no-such-user: no matching entries in passwd file");
  spec.user = "nobody:no-such-group";
  bad = Start(spec, std::make_shared<Capture>());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unable to find group no-such-group"), std::string::npos);
}

TEST_F(ProcessDriverTest, MemoryLimitOomKills) {
  if (!driver_->memory_limits_enforced()) {
    GTEST_SKIP() << "memory limits not enforced here: " << driver_->cgroup_description();
  }
  ProcessSpec spec = Shell("head -c 300M /dev/zero | tail");
  spec.memory_limit_bytes = 64ll * 1024 * 1024;
  std::optional<ExitStatus> status = RunToExit(spec)->Wait();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->oom_killed);
  EXPECT_EQ(status->exit_code, 137);

  ProcessSpec fits = Shell("head -c 10M /dev/zero | tail | wc -c");
  fits.memory_limit_bytes = 64ll * 1024 * 1024;
  auto run = RunToExit(fits);
  EXPECT_FALSE(run->Wait()->oom_killed);
  EXPECT_EQ(run->Out(), "10485760\n");
}

TEST_F(ProcessDriverTest, ContainerRunsInItsCgroup) {
  if (driver_->cgroup_parent_dir().empty()) {
    GTEST_SKIP() << driver_->cgroup_description();
  }
  ProcessSpec spec = Spec({"cat", "/proc/self/cgroup"});
  std::string out = RunToExit(spec)->Out();
  EXPECT_NE(out.find("/berth/" + spec.task_id + "-app\n"), std::string::npos) << out;
}

// The process-tree tests run with the cgroup (when usable) and with process groups only.
class ProcessTreeTest : public ProcessDriverTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool UseCgroups() const override { return GetParam(); }
};

TEST_P(ProcessTreeTest, ChildrenDieWithTheMainProcess) {
  auto run = std::make_shared<Capture>();
  ASSERT_TRUE(Start(Shell("sleep 1000 & echo $!"), run).ok());
  std::optional<ExitStatus> status = run->Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  pid_t child = std::atoi(run->Out().c_str());
  ASSERT_GT(child, 0);
  EXPECT_FALSE(Exists(child)) << "killed and reaped before on_exit";
}

TEST_P(ProcessTreeTest, EscapedGrandchildHoldingThePipeIsKilled) {
  auto run = std::make_shared<Capture>();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Start(Shell("setsid sh -c 'echo $$; exec sleep 1000' & sleep 0.3"), run).ok());
  std::optional<ExitStatus> status = run->Wait(5s);
  ASSERT_TRUE(status) << "on_exit must fire although a grandchild holds stdout";
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  pid_t grandchild = std::atoi(run->Out().c_str());
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(WaitGone(grandchild)) << "no orphan left running, no zombie";
}

TEST_P(ProcessTreeTest, EscapedDaemonWithoutPipesIsKilledByTheCgroup) {
  if (driver_->cgroup_parent_dir().empty()) {
    GTEST_SKIP() << "only a cgroup can find a process that left the group and closed stdio";
  }
  auto run = std::make_shared<Capture>();
  ASSERT_TRUE(
      Start(Shell("setsid sh -c 'exec sleep 1000' </dev/null >/dev/null 2>&1 & echo $!"), run)
          .ok());
  ASSERT_TRUE(run->Wait());
  pid_t escaped = std::atoi(run->Out().c_str());
  ASSERT_GT(escaped, 0);
  EXPECT_TRUE(WaitGone(escaped));
}

INSTANTIATE_TEST_SUITE_P(CgroupOrProcessGroup, ProcessTreeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Cgroup" : "ProcessGroupOnly";
                         });

}  // namespace
}  // namespace berth::driver::driver_test
