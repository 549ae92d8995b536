#include "runner/task_runner.h"

#include <gtest/gtest.h>

#include "common/fake_executor.h"
#include "runner/fake_driver.h"

namespace berth::runner {
namespace {

using model::ContainerStatus;
using model::HealthStatus;
using model::StopCode;
using model::TaskStatus;

class TaskRunnerTest : public ::testing::Test {
 protected:
  TaskRunnerTest() : driver_(ex_) {}

  void Launch(const std::string& definition_json,
              nlohmann::json overrides = nlohmann::json::object()) {
    auto td = model::ParseTaskDefinition(nlohmann::json::parse(definition_json));
    ASSERT_TRUE(td.ok()) << td.status().ToString();
    model::Task t;
    t.id = "0123456789abcdef0123456789abcdef";
    t.arn = "arn:aws:ecs:us-east-1:123456789012:task/default/" + t.id;
    t.created_at = ex_.clock().NowMs();
    for (const auto& c : td->containers) {
      model::Container mc;
      mc.name = c.name;
      mc.essential = c.essential;
      t.containers.push_back(mc);
    }
    t.overrides = overrides;
    RunnerOptions options{{{"PATH", "/usr/bin:/bin"}}, 30};
    options.config = config_;
    options.endpoints = endpoints_;
    runner_ = std::make_unique<TaskRunner>(
        ex_, driver_, *td, t, options,
        [this](const model::Task& task, bool state_change) {
          if (state_change) versions_.push_back(task.version);
          statuses_.push_back(task.last_status);
        });
    runner_->Start();
    ex_.RunPending();
  }

  const model::Task& task() { return runner_->task(); }
  const model::Container& container(size_t i) { return task().containers[i]; }

  FakeExecutor ex_;
  FakeDriver driver_;
  TaskConfigSource* config_ = nullptr;
  TaskEndpoints* endpoints_ = nullptr;
  std::unique_ptr<TaskRunner> runner_;
  std::vector<int64_t> versions_;
  std::vector<TaskStatus> statuses_;
};

constexpr char kOneContainer[] = R"({"family":"one","containerDefinitions":[
  {"name":"app","image":"busybox","memory":64,"entryPoint":["sh","-c"],"command":["sleep 60"]}]})";

TEST_F(TaskRunnerTest, RunsAndStopsWhenEssentialContainerExits) {
  Launch(kOneContainer);
  EXPECT_EQ(task().last_status, TaskStatus::kRunning);
  EXPECT_EQ(container(0).last_status, ContainerStatus::kRunning);
  EXPECT_EQ(driver_.Get("app").spec.argv, (std::vector<std::string>{"sh", "-c", "sleep 60"}));
  EXPECT_NE(task().started_at, 0);
  driver_.Exit("app", 3);
  ex_.RunPending();
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_TRUE(task().desired_stopped);
  EXPECT_EQ(task().stop_code, StopCode::kEssentialContainerExited);
  EXPECT_EQ(task().stopped_reason, "Essential container in task exited");
  EXPECT_EQ(container(0).exit_code, 3);
  EXPECT_NE(task().stopped_at, 0);
  // Versions go up by one per state change, ending at the task's version.
  for (size_t i = 1; i < versions_.size(); ++i) EXPECT_EQ(versions_[i], versions_[i - 1] + 1);
  EXPECT_EQ(versions_.back(), task().version);
}

TEST_F(TaskRunnerTest, CommandAndEnvironmentOverrides) {
  Launch(R"({"family":"f","containerDefinitions":[{"name":"app","image":"x","memory":64,
      "command":["sleep","60"],"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]})",
         nlohmann::json::parse(R"({"containerOverrides":[{"name":"app","command":["echo","hi"],
      "environment":[{"name":"B","value":"override"},{"name":"C","value":"3"}]}]})"));
  const auto& spec = driver_.Get("app").spec;
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"echo", "hi"}));
  std::map<std::string, std::string> env(spec.env.begin(), spec.env.end());
  EXPECT_EQ(env["A"], "1");
  EXPECT_EQ(env["B"], "override");
  EXPECT_EQ(env["C"], "3");
  EXPECT_EQ(env["PATH"], "/usr/bin:/bin");
}

TEST_F(TaskRunnerTest, NoCommandFailsToStart) {
  Launch(R"({"family":"f","containerDefinitions":[{"name":"app","image":"nginx","memory":64}]})");
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().stop_code, StopCode::kTaskFailedToStart);
  EXPECT_NE(container(0).reason.find("neither entryPoint nor command"), std::string::npos);
  EXPECT_FALSE(container(0).exit_code.has_value());
  EXPECT_EQ(task().started_at, 0);
}

TEST_F(TaskRunnerTest, StartFailureReasonFromDriver) {
  driver_.fail_start["app"] = "CannotStartContainerError: exec: \"nope\": not found";
  Launch(R"({"family":"f","containerDefinitions":[{"name":"app","image":"x","memory":64,
      "command":["nope"]}]})");
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().stopped_reason, "CannotStartContainerError: exec: \"nope\": not found");
}

constexpr char kWebWithSidecar[] = R"({"family":"web","containerDefinitions":[
  {"name":"web","image":"php","memory":64,"command":["serve"],
   "healthCheck":{"command":["CMD-SHELL","true"],"interval":5,"retries":2}},
  {"name":"worker","image":"php","memory":64,"command":["work"],
   "dependsOn":[{"containerName":"web","condition":"HEALTHY"}]}]})";

TEST_F(TaskRunnerTest, HealthyDependencyGatesTheSidecar) {
  Launch(kWebWithSidecar);
  EXPECT_TRUE(driver_.Running("web"));
  EXPECT_FALSE(driver_.Running("worker"));
  EXPECT_EQ(task().last_status, TaskStatus::kPending);
  EXPECT_EQ(container(0).health_status, HealthStatus::kUnknown);
  ex_.Advance(4999);
  EXPECT_FALSE(driver_.Running("worker"));
  ex_.Advance(1);
  EXPECT_EQ(container(0).health_status, HealthStatus::kHealthy);
  EXPECT_TRUE(driver_.Running("worker"));
  EXPECT_EQ(task().last_status, TaskStatus::kRunning);
  // Task health counts essential containers with a health check: web only.
  EXPECT_EQ(task().health_status, HealthStatus::kHealthy);
}

TEST_F(TaskRunnerTest, UnhealthyAfterRetriesAndStandaloneTaskKeepsRunning) {
  driver_.probe_exit_code["web"] = 0;
  Launch(kWebWithSidecar);
  ex_.Advance(5000);
  ASSERT_EQ(task().health_status, HealthStatus::kHealthy);
  driver_.probe_exit_code["web"] = 1;
  ex_.Advance(5000);
  EXPECT_EQ(container(0).health_status, HealthStatus::kHealthy);  // 1 failure < retries 2
  ex_.Advance(5000);
  EXPECT_EQ(container(0).health_status, HealthStatus::kUnhealthy);
  EXPECT_EQ(task().health_status, HealthStatus::kUnhealthy);
  EXPECT_EQ(task().last_status, TaskStatus::kRunning);
}

TEST_F(TaskRunnerTest, FailuresInStartPeriodDoNotCount) {
  driver_.probe_exit_code["web"] = 1;
  Launch(R"({"family":"web","containerDefinitions":[{"name":"web","image":"php","memory":64,
      "command":["serve"],"healthCheck":{"command":["CMD","false"],"interval":5,"retries":1,
      "startPeriod":12}}]})");
  ex_.Advance(10000);  // probes at 5 s and 10 s, inside the start period
  EXPECT_EQ(container(0).health_status, HealthStatus::kUnknown);
  ex_.Advance(5000);  // 15 s: counts
  EXPECT_EQ(container(0).health_status, HealthStatus::kUnhealthy);
  EXPECT_EQ(driver_.probes["web"], 3);
}

// A check whose command never ends (an engine's exec that hangs) has failed at its timeout; the
// next one runs on schedule, and the hung one's late end changes nothing.
TEST_F(TaskRunnerTest, AHungCheckFailsAtItsTimeoutAndTheNextRunsOnSchedule) {
  driver_.probe_hangs.insert("web");
  Launch(R"({"family":"web","containerDefinitions":[
      {"name":"web","image":"php","memory":64,"command":["serve"],
       "healthCheck":{"command":["CMD-SHELL","true"],"interval":5,"timeout":2,"retries":2}},
      {"name":"worker","image":"php","memory":64,"command":["work"],
       "dependsOn":[{"containerName":"web","condition":"HEALTHY"}]}]})");
  ex_.Advance(5000);  // the first check starts, and hangs
  EXPECT_EQ(driver_.probes["web"], 1);
  ex_.Advance(2000);  // its timeout: 1 failure < retries 2
  EXPECT_EQ(container(0).health_status, HealthStatus::kUnknown);
  driver_.probe_hangs.clear();
  ex_.Advance(5000);  // the next check, on schedule, passes
  EXPECT_EQ(driver_.probes["web"], 2);
  EXPECT_EQ(container(0).health_status, HealthStatus::kHealthy);
  EXPECT_TRUE(driver_.Running("worker"));
  EXPECT_EQ(task().last_status, TaskStatus::kRunning);
  // The hung check ending now, with a failure, is not counted.
  ASSERT_EQ(driver_.hung_probes.size(), 1u);
  driver_.hung_probes[0](driver::ExitStatus{1, 0, false});
  ex_.RunPending();
  EXPECT_EQ(container(0).health_status, HealthStatus::kHealthy);
}

TEST_F(TaskRunnerTest, UnhealthyHealthyDependencyStopsTask) {
  driver_.probe_exit_code["web"] = 1;
  Launch(kWebWithSidecar);
  ex_.Advance(10000);
  EXPECT_EQ(container(0).health_status, HealthStatus::kUnhealthy);
  ex_.RunPending();
  EXPECT_FALSE(driver_.Running("worker"));
  EXPECT_EQ(container(1).last_status, ContainerStatus::kStopped);
  EXPECT_NE(container(1).reason.find("HEALTHY"), std::string::npos);
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().stop_code, StopCode::kTaskFailedToStart);
}

constexpr char kMigrateThenApp[] = R"({"family":"f","containerDefinitions":[
  {"name":"migrate","image":"php","memory":64,"essential":false,"command":["migrate"]},
  {"name":"app","image":"php","memory":64,"command":["serve"],
   "dependsOn":[{"containerName":"migrate","condition":"SUCCESS"}]}]})";

TEST_F(TaskRunnerTest, SuccessDependencyStartsDependentAfterExitZero) {
  Launch(kMigrateThenApp);
  EXPECT_FALSE(driver_.Running("app"));
  driver_.Exit("migrate", 0);
  ex_.RunPending();
  EXPECT_TRUE(driver_.Running("app"));
  EXPECT_EQ(task().last_status, TaskStatus::kRunning);  // a finished init container counts
  EXPECT_EQ(container(0).exit_code, 0);
}

TEST_F(TaskRunnerTest, FailedSuccessDependencyStopsDependent) {
  Launch(kMigrateThenApp);
  driver_.Exit("migrate", 2);
  ex_.RunPending();
  EXPECT_FALSE(driver_.procs.count(driver_.by_name["app"]));  // never started
  EXPECT_EQ(container(1).last_status, ContainerStatus::kStopped);
  EXPECT_FALSE(container(1).exit_code.has_value());
  EXPECT_NE(container(1).reason.find("exited with code 2"), std::string::npos);
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().stop_code, StopCode::kTaskFailedToStart);
}

TEST_F(TaskRunnerTest, StartTimeoutOnDependency) {
  driver_.probe_exit_code["web"] = 1;
  Launch(R"({"family":"f","containerDefinitions":[
    {"name":"web","image":"php","memory":64,"command":["serve"],"startTimeout":7,
     "healthCheck":{"command":["CMD","false"],"interval":5,"retries":10}},
    {"name":"worker","image":"php","memory":64,"command":["work"],
     "dependsOn":[{"containerName":"web","condition":"HEALTHY"}]}]})");
  ex_.Advance(6999);
  EXPECT_EQ(task().last_status, TaskStatus::kPending);
  ex_.Advance(1);
  ex_.RunPending();
  EXPECT_NE(container(1).reason.find("startTimeout"), std::string::npos);
  EXPECT_TRUE(task().desired_stopped);
}

TEST_F(TaskRunnerTest, StopTaskIsAsynchronousAndReverseOrdered) {
  Launch(kWebWithSidecar);
  ex_.Advance(5000);
  ASSERT_EQ(task().last_status, TaskStatus::kRunning);
  int64_t v = task().version;
  runner_->Stop(StopCode::kUserInitiated, "Task stopped by user");
  EXPECT_TRUE(task().desired_stopped);
  EXPECT_EQ(task().last_status, TaskStatus::kRunning);  // what StopTask returns
  EXPECT_EQ(task().version, v + 1);
  ex_.RunPending();
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  // worker depends on web, so worker gets SIGTERM first.
  ASSERT_GE(driver_.signal_order.size(), 2u);
  EXPECT_EQ(driver_.signal_order[0], "worker:15");
  EXPECT_EQ(driver_.signal_order[1], "web:15");
  EXPECT_EQ(task().stop_code, StopCode::kUserInitiated);
  EXPECT_EQ(container(0).exit_code, 128 + 15);
}

TEST_F(TaskRunnerTest, StopTimeoutEscalatesToSigkill) {
  driver_.term_exits = false;
  Launch(R"({"family":"f","containerDefinitions":[{"name":"app","image":"x","memory":64,
      "command":["sleep","60"],"stopTimeout":10}]})");
  runner_->Stop(StopCode::kUserInitiated, "bye");
  ex_.RunPending();
  EXPECT_EQ(task().last_status, TaskStatus::kStopping);
  ex_.Advance(9999);
  EXPECT_TRUE(driver_.Running("app"));
  ex_.Advance(1);
  ex_.RunPending();
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(container(0).exit_code, 137);
  EXPECT_EQ(task().stopped_reason, "bye");
}

TEST_F(TaskRunnerTest, NonEssentialExitKeepsTaskRunning) {
  Launch(R"({"family":"f","containerDefinitions":[
    {"name":"app","image":"x","memory":64,"command":["a"]},
    {"name":"helper","image":"x","memory":64,"command":["b"],"essential":false}]})");
  driver_.Exit("helper", 1);
  ex_.RunPending();
  EXPECT_EQ(task().last_status, TaskStatus::kRunning);
  EXPECT_FALSE(task().desired_stopped);
  EXPECT_EQ(container(1).exit_code, 1);
}

TEST_F(TaskRunnerTest, StopBeforeRunningSkipsRunning) {
  Launch(kWebWithSidecar);
  runner_->Stop(StopCode::kUserInitiated, "early");
  ex_.RunPending();
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().started_at, 0);
  for (TaskStatus s : statuses_) EXPECT_NE(s, TaskStatus::kRunning);
  EXPECT_FALSE(driver_.procs.count(driver_.by_name["worker"]));
}

// Env files and secrets from maps; records what was asked for.
class FakeConfigSource : public TaskConfigSource {
 public:
  Result<std::string> ReadEnvironmentFile(const std::string& arn) override {
    asked.push_back(arn);
    auto it = files.find(arn);
    if (it == files.end()) return NotFound("NoSuchKey: The specified key does not exist. (" + arn + ")");
    return it->second;
  }
  Result<std::string> ResolveSecret(const std::string& value_from) override {
    asked.push_back(value_from);
    auto it = secrets.find(value_from);
    if (it == secrets.end()) return NotFound("invalid parameters: " + value_from);
    return it->second;
  }
  std::map<std::string, std::string> files, secrets;
  std::vector<std::string> asked;
};

constexpr char kWithFilesAndSecrets[] = R"({"family":"f","containerDefinitions":[{"name":"app",
  "image":"x","memory":64,"command":["sleep","60"],
  "environment":[{"name":"FROM_DEF","value":"def"},{"name":"BOTH","value":"def"}],
  "environmentFiles":[{"value":"arn:aws:s3:::cfg/first.env","type":"s3"},
                      {"value":"arn:aws:s3:::cfg/second.env","type":"s3"}],
  "secrets":[{"name":"DB_PASSWORD","valueFrom":"/app/db/password"},
             {"name":"BOTH","valueFrom":"/app/both"}]}]})";

TEST_F(TaskRunnerTest, EnvironmentFilesAndSecretsWithEcsPrecedence) {
  FakeConfigSource config;
  config.files["arn:aws:s3:::cfg/first.env"] =
      "# comment\nA=first\nSHARED=first\nFROM_DEF=file\nPATH=/opt/bin\n";
  config.files["arn:aws:s3:::cfg/second.env"] = "SHARED=second\nB=second\n";
  config.secrets["/app/db/password"] = "s3cr3t";
  config.secrets["/app/both"] = "from-secret";
  config_ = &config;
  Launch(kWithFilesAndSecrets, nlohmann::json::parse(R"({"containerOverrides":[{"name":"app",
      "environment":[{"name":"OVERRIDDEN","value":"override"}]}]})"));
  ASSERT_EQ(task().last_status, TaskStatus::kRunning);
  const auto& spec = driver_.Get("app").spec;
  std::map<std::string, std::string> env(spec.env.begin(), spec.env.end());
  EXPECT_EQ(env["A"], "first");
  EXPECT_EQ(env["SHARED"], "first");  // the first file listed wins
  EXPECT_EQ(env["B"], "second");      // later files add keys
  EXPECT_EQ(env["FROM_DEF"], "def");  // environment beats files
  EXPECT_EQ(env["PATH"], "/opt/bin");  // a file beats berth's base environment
  EXPECT_EQ(env["OVERRIDDEN"], "override");
  EXPECT_EQ(env["DB_PASSWORD"], "s3cr3t");
  EXPECT_EQ(env["BOTH"], "from-secret");  // secrets are set last, as the agent does
}

TEST_F(TaskRunnerTest, OverrideEnvironmentFilesReplaceTheDefinitions) {
  FakeConfigSource config;
  config.files["arn:aws:s3:::cfg/other.env"] = "ONLY=other\n";
  config.secrets["/app/db/password"] = "p";
  config.secrets["/app/both"] = "b";
  config_ = &config;
  Launch(kWithFilesAndSecrets, nlohmann::json::parse(R"({"containerOverrides":[{"name":"app",
      "environmentFiles":[{"value":"arn:aws:s3:::cfg/other.env","type":"s3"}]}]})"));
  ASSERT_EQ(task().last_status, TaskStatus::kRunning);
  std::map<std::string, std::string> env(driver_.Get("app").spec.env.begin(),
                                         driver_.Get("app").spec.env.end());
  EXPECT_EQ(env["ONLY"], "other");
  EXPECT_EQ(env.count("A"), 0u);
}

TEST_F(TaskRunnerTest, MissingEnvironmentFileStopsTheTaskBeforeAnyContainerRuns) {
  FakeConfigSource config;
  config.files["arn:aws:s3:::cfg/first.env"] = "A=1\n";
  config_ = &config;
  Launch(kWithFilesAndSecrets);
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().stop_code, StopCode::kTaskFailedToStart);
  EXPECT_EQ(task().stopped_reason,
            "ResourceInitializationError: failed to download env files: file download command: "
            "non empty error stream: NoSuchKey: The specified key does not exist. "
            "(arn:aws:s3:::cfg/second.env)");
  EXPECT_TRUE(driver_.procs.empty());
  EXPECT_EQ(task().started_at, 0);
}

TEST_F(TaskRunnerTest, MissingSecretStopsTheTaskAndNamesIt) {
  FakeConfigSource config;
  config.files["arn:aws:s3:::cfg/first.env"] = "A=1\n";
  config.files["arn:aws:s3:::cfg/second.env"] = "B=1\n";
  config.secrets["/app/db/password"] = "hunter2";
  config_ = &config;
  Launch(kWithFilesAndSecrets);
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().stop_code, StopCode::kTaskFailedToStart);
  EXPECT_EQ(task().stopped_reason,
            "ResourceInitializationError: unable to pull secrets or registry auth: execution "
            "resource retrieval failed: invalid parameters: /app/both");
  EXPECT_EQ(task().stopped_reason.find("hunter2"), std::string::npos);
  EXPECT_TRUE(driver_.procs.empty());
}

TEST_F(TaskRunnerTest, SecretsWithoutAConfigSourceFailToStart) {
  Launch(kWithFilesAndSecrets);
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(task().stop_code, StopCode::kTaskFailedToStart);
  EXPECT_TRUE(driver_.procs.empty());
}

// Docker's create/start answer later (StartAsync): a container being started is neither started
// nor abandoned — START dependents wait for it, and a stop asked for meanwhile signals it once
// it runs.
TEST_F(TaskRunnerTest, AsyncStartsGateStartDependenciesAndStopsSignalOnceRunning) {
  driver_.hold_starts = true;
  Launch(R"({"family":"two","containerDefinitions":[
    {"name":"db","image":"x","memory":64,"command":["db"]},
    {"name":"app","image":"x","memory":64,"command":["app"],
     "dependsOn":[{"containerName":"db","condition":"START"}]}]})");
  EXPECT_EQ(driver_.held_starts(), 1u);  // only db: app waits for it to be started
  EXPECT_EQ(task().last_status, TaskStatus::kPending);
  driver_.FinishStarts();
  ex_.RunPending();
  EXPECT_EQ(container(0).last_status, ContainerStatus::kRunning);
  EXPECT_EQ(driver_.held_starts(), 1u);  // now app
  runner_->Stop(StopCode::kUserInitiated, "stop while app starts");
  ex_.RunPending();
  EXPECT_NE(task().last_status, TaskStatus::kStopped);  // app is on its way: not abandoned
  EXPECT_EQ(driver_.signal_order, std::vector<std::string>{});  // db: app depends on it
  driver_.FinishStarts();
  ex_.RunPending();
  // app ran, was stopped first (its dependency after it), and the task is STOPPED.
  EXPECT_EQ(driver_.signal_order,
            (std::vector<std::string>{"app:" + std::to_string(SIGTERM),
                                      "db:" + std::to_string(SIGTERM)}));
  EXPECT_EQ(task().last_status, TaskStatus::kStopped);
}

// The metadata/credentials endpoints: their variables sit just above berth's base environment
// (the task's own environment wins), and the task is closed once it has stopped.
class FakeEndpoints : public TaskEndpoints {
 public:
  std::map<std::string, EnvironmentList> Open(const model::Task& task,
                                              const model::TaskDefinition& def, int netns_fd,
                                              const std::map<std::string, EnvironmentList>&) override {
    opened.push_back(task.arn);
    seen_netns = netns_fd;
    std::map<std::string, EnvironmentList> out;
    for (const auto& c : def.containers) {
      out[c.name] = {{"ECS_CONTAINER_METADATA_URI_V4", "http://127.0.0.1:1/v4/" + c.name},
                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
                     {"PATH", "/from/endpoints"}};
    }
    return out;
  }
  void Close(const std::string& task_arn) override { closed.push_back(task_arn); }
  std::vector<std::string> opened, closed;
  int seen_netns = 0;
};

TEST_F(TaskRunnerTest, EndpointVariablesJoinTheBaseEnvironmentAndCloseAtStop) {
  FakeEndpoints endpoints;
  endpoints_ = &endpoints;
  Launch(R"({"family":"one","containerDefinitions":[
    {"name":"app","image":"busybox","memory":64,"entryPoint":["sh","-c"],"command":["sleep 60"],
     "environment":[{"name":"AWS_ENDPOINT_URL","value":"http://mine"}]}]})");
  ASSERT_EQ(task().last_status, TaskStatus::kRunning);
  EXPECT_EQ(endpoints.opened, std::vector<std::string>{task().arn});
  EXPECT_EQ(endpoints.seen_netns, -1);  // host network
  const auto& spec = driver_.Get("app").spec;
  std::map<std::string, std::string> env(spec.env.begin(), spec.env.end());
  EXPECT_EQ(env["ECS_CONTAINER_METADATA_URI_V4"], "http://127.0.0.1:1/v4/app");
  EXPECT_EQ(env["AWS_ENDPOINT_URL"], "http://mine");  // the definition wins
  EXPECT_EQ(env["PATH"], "/from/endpoints");          // over berth's base
  EXPECT_TRUE(endpoints.closed.empty());
  runner_->Stop(StopCode::kUserInitiated, "stop");
  ex_.RunPending();
  driver_.Exit("app", 143);
  ex_.RunPending();
  ASSERT_EQ(task().last_status, TaskStatus::kStopped);
  EXPECT_EQ(endpoints.closed, std::vector<std::string>{task().arn});
}

}  // namespace
}  // namespace berth::runner
