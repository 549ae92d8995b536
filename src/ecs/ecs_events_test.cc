// ECS events (spec/ecs.md §8): the pure builders, and what the control plane publishes — in
// order, after each commit — for a task's life, a service deployment and the circuit breaker.
#include "ecs/ecs_events.h"

#include <gtest/gtest.h>

#include "common/fake_executor.h"
#include "common/test_temp_path.h"
#include "ecs/control_plane.h"
#include "runner/fake_driver.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

constexpr char kApp[] = R"({"family":"web","containerDefinitions":[
  {"name":"app","image":"php:1","memory":64,"command":["serve"]}]})";
constexpr char kApp2[] = R"({"family":"web","containerDefinitions":[
  {"name":"app","image":"php:2","memory":64,"command":["serve"]}]})";
constexpr char kBroken[] = R"({"family":"web","containerDefinitions":[
  {"name":"broken","image":"php:3","memory":64,"command":["serve"]}]})";

// Records what is published, and checks each event's change is already in the store.
class RecordingSink : public EventSink {
 public:
  void Publish(EcsEvent event) override {
    if (check) check(event);
    events.push_back(std::move(event));
  }
  std::vector<EcsEvent> Of(const std::string& detail_type) const {
    std::vector<EcsEvent> out;
    for (const auto& e : events) {
      if (e.detail_type == detail_type) out.push_back(e);
    }
    return out;
  }
  std::vector<EcsEvent> events;
  std::function<void(const EcsEvent&)> check;
};

TEST(EcsEventsTest, TaskDetailIsTheDescribeTasksShapeWithIsoTimes) {
  model::Task t;
  t.id = "0123456789abcdef0123456789abcdef";
  t.arn = "arn:aws:ecs:eu-west-1:123456789012:task/default/" + t.id;
  t.cluster_arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/default";
  t.task_definition_arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1";
  t.group = "family:web";
  t.launch_type = "EC2";
  t.last_status = model::TaskStatus::kRunning;
  t.health_status = model::HealthStatus::kHealthy;
  t.version = 3;
  t.created_at = 1'700'000'000'540;
  t.started_at = 1'700'000'001'000;
  t.tags = {{"team", "a"}};
  model::Container c;
  c.name = "app";
  c.image = "php:1";
  c.container_arn = "arn:aws:ecs:eu-west-1:123456789012:container/default/x/y";
  c.runtime_id = "rt-1";
  c.last_status = model::ContainerStatus::kRunning;
  c.health_status = model::HealthStatus::kHealthy;
  c.memory = 64;
  t.containers.push_back(c);

  EcsEvent e = TaskStateChangeEvent(t, 1'700'000'001'123);
  EXPECT_EQ(e.detail_type, "ECS Task State Change");
  EXPECT_EQ(e.resources, std::vector<std::string>{t.arn});
  EXPECT_EQ(e.region, "eu-west-1");
  EXPECT_EQ(e.time, 1'700'000'001'123);
  const json& d = e.detail;
  EXPECT_EQ(d["taskArn"], t.arn);
  EXPECT_EQ(d["clusterArn"], t.cluster_arn);
  EXPECT_EQ(d["taskDefinitionArn"], t.task_definition_arn);
  EXPECT_EQ(d["group"], "family:web");
  EXPECT_EQ(d["lastStatus"], "RUNNING");
  EXPECT_EQ(d["desiredStatus"], "RUNNING");
  EXPECT_EQ(d["version"], 3);
  EXPECT_EQ(d["launchType"], "EC2");
  EXPECT_EQ(d["availabilityZone"], "eu-west-1a");
  EXPECT_EQ(d["createdAt"], "2023-11-14T22:13:20.54Z");
  EXPECT_EQ(d["startedAt"], "2023-11-14T22:13:21Z");
  EXPECT_EQ(d["updatedAt"], "2023-11-14T22:13:21.123Z");
  EXPECT_FALSE(d.contains("stoppedAt"));
  EXPECT_FALSE(d.contains("healthStatus"));
  EXPECT_FALSE(d.contains("tags"));
  EXPECT_TRUE(d["overrides"].is_object());
  EXPECT_TRUE(d["attachments"].is_array());
  ASSERT_EQ(d["containers"].size(), 1u);
  const json& cj = d["containers"][0];
  EXPECT_EQ(cj["name"], "app");
  EXPECT_EQ(cj["image"], "php:1");
  EXPECT_EQ(cj["runtimeId"], "rt-1");
  EXPECT_EQ(cj["taskArn"], t.arn);
  EXPECT_EQ(cj["lastStatus"], "RUNNING");
  EXPECT_EQ(cj["cpu"], "0");
  EXPECT_EQ(cj["memory"], "64");
  EXPECT_FALSE(cj.contains("exitCode"));
  EXPECT_FALSE(cj.contains("healthStatus"));
}

TEST(EcsEventsTest, ServiceAndDeploymentDetails) {
  model::Service s;
  s.name = "svc";
  s.arn = "arn:aws:ecs:us-east-1:123456789012:service/default/svc";
  s.cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/default";
  EcsEvent a =
      ServiceActionEvent(s, ServiceEventType::kInfo, "SERVICE_STEADY_STATE", 1'700'000'000'100);
  EXPECT_EQ(a.detail_type, "ECS Service Action");
  EXPECT_EQ(a.resources, std::vector<std::string>{s.arn});
  EXPECT_EQ(a.region, "us-east-1");
  EXPECT_EQ(a.detail, json::parse(R"({"eventType":"INFO","eventName":"SERVICE_STEADY_STATE",
      "clusterArn":"arn:aws:ecs:us-east-1:123456789012:cluster/default",
      "createdAt":"2023-11-14T22:13:20.1Z"})"));
  EcsEvent p = ServiceActionEvent(s, ServiceEventType::kError, "SERVICE_TASK_PLACEMENT_FAILURE",
                                  1'700'000'000'000, "RESOURCE:CPU", {"arn:ci"});
  EXPECT_EQ(p.detail["reason"], "RESOURCE:CPU");
  EXPECT_EQ(p.detail["containerInstanceArns"], json::array({"arn:ci"}));
  EXPECT_EQ(p.detail["eventType"], "ERROR");

  model::Deployment d;
  d.id = "ecs-svc/1234567890123456789";
  d.updated_at = 1'700'000'000'000;
  d.rollout_state = model::RolloutState::kFailed;
  d.rollout_state_reason = "ECS deployment circuit breaker: tasks failed to start.";
  EcsEvent f = DeploymentStateChangeEvent(s, d, 1'700'000'000'500);
  EXPECT_EQ(f.detail_type, "ECS Deployment State Change");
  EXPECT_EQ(f.resources, std::vector<std::string>{s.arn});
  EXPECT_EQ(f.detail, json::parse(R"({"eventType":"ERROR","eventName":"SERVICE_DEPLOYMENT_FAILED",
      "deploymentId":"ecs-svc/1234567890123456789","updatedAt":"2023-11-14T22:13:20Z",
      "reason":"ECS deployment circuit breaker: tasks failed to start."})"));
  d.rollout_state = model::RolloutState::kCompleted;
  EXPECT_EQ(DeploymentStateChangeEvent(s, d, 0).detail["eventName"],
            "SERVICE_DEPLOYMENT_COMPLETED");
  d.rollout_state = model::RolloutState::kInProgress;
  EXPECT_EQ(DeploymentStateChangeEvent(s, d, 0).detail["eventName"],
            "SERVICE_DEPLOYMENT_IN_PROGRESS");
  EXPECT_EQ(DeploymentStateChangeEvent(s, d, 0).detail["eventType"], "INFO");
}

class ControlPlaneEventsTest : public ::testing::Test {
 protected:
  ControlPlaneEventsTest() : driver_(ex_) {
    driver_.fail_start["broken"] = "CannotStartContainerError: no such file";
    Open();
  }

  void Open() {
    cp_.reset();
    store_.reset();
    store_ = std::move(*state::StateStore::Open(db_.path()));
    Options o;
    o.host_cpu_units = 64 * 1024;
    o.host_memory_mib = 64 * 1024;
    o.events = &sink_;
    cp_ = std::make_unique<ControlPlane>(ex_, driver_, *store_, o);
    ASSERT_TRUE(cp_->Load().ok());
  }

  void Register(const char* json) {
    auto td = model::ParseTaskDefinition(nlohmann::json::parse(json));
    ASSERT_TRUE(td.ok()) << td.status().ToString();
    ASSERT_TRUE(cp_->RegisterTaskDefinition(ctx_, *td).ok());
  }

  std::string RunOne() {
    RunTaskRequest req;
    req.task_definition = "web";
    auto r = cp_->RunTask(ctx_, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->tasks.empty()) return "";
    ex_.RunPending();
    return r->tasks[0].arn;
  }

  void CreateService(int desired, bool breaker = false) {
    CreateServiceRequest req;
    req.name = "svc";
    req.task_definition = "web";
    req.desired_count = desired;
    req.deployment_configuration.circuit_breaker_enable = breaker;
    req.deployment_configuration.circuit_breaker_rollback = breaker;
    auto s = cp_->CreateService(ctx_, req);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ex_.RunPending();
  }

  std::string Deploy(const std::string& td) {
    UpdateServiceRequest req;
    req.service = "svc";
    req.task_definition = td;
    auto s = cp_->UpdateService(req);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    ex_.RunPending();
    return s.ok() ? s->deployments.front().id : "";
  }

  const model::Service& Svc() { return *cp_->FindService(**cp_->FindCluster(""), "svc"); }

  // "eventName deploymentId" of every deployment event and "eventName" of every service
  // action, in publication order.
  std::vector<std::string> ServiceEvents() const {
    std::vector<std::string> out;
    for (const auto& e : sink_.events) {
      if (e.detail_type == kDeploymentStateChange) {
        out.push_back(e.detail["eventName"].get<std::string>() + " " +
                      e.detail["deploymentId"].get<std::string>());
      } else if (e.detail_type == kServiceAction) {
        out.push_back(e.detail["eventName"].get<std::string>());
      }
    }
    return out;
  }

  void Run(int64_t ms) {
    for (int64_t t = 0; t < ms; t += 100) ex_.Advance(100);
  }

  FakeExecutor ex_;
  runner::FakeDriver driver_;
  RecordingSink sink_;
  TestTempPath db_{"berth-ev-test", ".db"};  // (before the store: removed after it closes)
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<ControlPlane> cp_;
  RequestContext ctx_{"eu-west-1"};
};

TEST_F(ControlPlaneEventsTest, RunTaskPublishesEveryStateChangeInOrder) {
  Register(kApp);
  // Each event describes a change already committed: the stored task has its version.
  sink_.check = [&](const EcsEvent& e) {
    if (e.detail_type != kTaskStateChange) return;
    auto tasks = store_->LoadTasks();
    ASSERT_TRUE(tasks.ok());
    bool found = false;
    for (const auto& t : *tasks) {
      if (t.arn == e.resources[0]) {
        found = true;
        EXPECT_EQ(t.version, e.detail["version"].get<int64_t>());
      }
    }
    EXPECT_TRUE(found);
  };
  std::string arn = RunOne();
  ASSERT_FALSE(arn.empty());
  auto events = sink_.Of(kTaskStateChange);
  ASSERT_FALSE(events.empty());
  // Created: PENDING, desired RUNNING, version 1.
  EXPECT_EQ(events[0].detail["lastStatus"], "PENDING");
  EXPECT_EQ(events[0].detail["desiredStatus"], "RUNNING");
  EXPECT_EQ(events[0].detail["version"], 1);
  EXPECT_EQ(events[0].detail["containers"][0]["lastStatus"], "PENDING");
  EXPECT_EQ(events[0].resources, std::vector<std::string>{arn});
  EXPECT_EQ(events[0].region, "eu-west-1");
  EXPECT_EQ(events[0].detail["group"], "family:web");
  EXPECT_EQ(events.back().detail["lastStatus"], "RUNNING");
  EXPECT_EQ(events.back().detail["desiredStatus"], "RUNNING");  // the notifier's "completed"
  EXPECT_EQ(events.back().detail["containers"][0]["lastStatus"], "RUNNING");
  EXPECT_TRUE(events.back().detail.contains("startedAt"));

  driver_.Exit("app", 0);
  ex_.RunPending();
  events = sink_.Of(kTaskStateChange);
  const json& last = events.back().detail;
  EXPECT_EQ(last["lastStatus"], "STOPPED");
  EXPECT_EQ(last["desiredStatus"], "STOPPED");
  EXPECT_EQ(last["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(last["containers"][0]["exitCode"], 0);
  EXPECT_TRUE(last.contains("stoppedAt"));
  // One event per version, in order, none skipped; statuses only move forward.
  const std::vector<std::string> order = {"PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
                                          "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
  size_t rank = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].detail["version"], static_cast<int64_t>(i + 1));
    size_t r =
        std::find(order.begin(), order.end(), events[i].detail["lastStatus"]) - order.begin();
    EXPECT_GE(r, rank);
    rank = r;
  }
  const model::Task* t = cp_->FindTask(**cp_->FindCluster(""), arn);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(events.back().detail["version"], t->version);
  // Nothing more once STOPPED.
  size_t n = sink_.events.size();
  Run(5000);
  EXPECT_EQ(sink_.events.size(), n);
}

TEST_F(ControlPlaneEventsTest, StopTaskPublishesDesiredStoppedWhileRunning) {
  Register(kApp);
  std::string arn = RunOne();
  size_t before = sink_.Of(kTaskStateChange).size();
  ASSERT_TRUE(cp_->StopTask("", arn, "").ok());
  auto events = sink_.Of(kTaskStateChange);
  ASSERT_EQ(events.size(), before + 1);
  EXPECT_EQ(events.back().detail["lastStatus"], "RUNNING");
  EXPECT_EQ(events.back().detail["desiredStatus"], "STOPPED");
  EXPECT_EQ(events.back().detail["stopCode"], "UserInitiated");
  EXPECT_EQ(events.back().detail["stoppedReason"], "Task stopped by user");
  EXPECT_TRUE(events.back().detail.contains("stoppingAt"));
  ex_.RunPending();
  EXPECT_EQ(sink_.Of(kTaskStateChange).back().detail["lastStatus"], "STOPPED");
}

TEST_F(ControlPlaneEventsTest, RestartPublishesOnlyTasksItStops) {
  Register(kApp);
  std::string stopped = RunOne();
  driver_.Exit("app", 0);
  ex_.RunPending();
  std::string running = RunOne();
  int64_t version = cp_->FindTask(**cp_->FindCluster(""), running)->version;
  sink_.events.clear();
  Open();  // the "daemon" restarts: the running task is marked STOPPED, the stopped one is not
  auto events = sink_.Of(kTaskStateChange);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].resources, std::vector<std::string>{running});
  EXPECT_EQ(events[0].detail["lastStatus"], "STOPPED");
  EXPECT_EQ(events[0].detail["desiredStatus"], "STOPPED");
  EXPECT_EQ(events[0].detail["version"], version + 1);
  EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_F(ControlPlaneEventsTest, DeploymentInProgressCompletedAndSteadyState) {
  Register(kApp);
  CreateService(1);
  std::string first = Svc().Primary()->id;
  // IN_PROGRESS is published with the committed CreateService, before any task event.
  ASSERT_FALSE(sink_.events.empty());
  EXPECT_EQ(sink_.events[0].detail_type, kDeploymentStateChange);
  EXPECT_EQ(sink_.events[0].detail["reason"], "ECS deployment " + first + " in progress.");
  EXPECT_EQ(sink_.events[0].resources, std::vector<std::string>{Svc().arn});
  Run(41000);
  EXPECT_EQ(ServiceEvents(), (std::vector<std::string>{"SERVICE_DEPLOYMENT_IN_PROGRESS " + first,
                                                       "SERVICE_DEPLOYMENT_COMPLETED " + first,
                                                       "SERVICE_STEADY_STATE"}));
  auto deployments = sink_.Of(kDeploymentStateChange);
  EXPECT_EQ(deployments[1].detail["eventType"], "INFO");
  EXPECT_EQ(deployments[1].detail["reason"], "ECS deployment " + first + " completed.");
  auto actions = sink_.Of(kServiceAction);
  EXPECT_EQ(actions[0].detail["clusterArn"], Svc().cluster_arn);
  EXPECT_EQ(actions[0].detail["eventType"], "INFO");
  // The service's tasks: group service:svc, started by the deployment.
  auto tasks = sink_.Of(kTaskStateChange);
  ASSERT_FALSE(tasks.empty());
  EXPECT_EQ(tasks[0].detail["group"], "service:svc");
  EXPECT_EQ(tasks[0].detail["startedBy"], first);

  Register(kApp2);
  std::string second = Deploy("web:2");
  Run(60000);
  EXPECT_EQ(ServiceEvents(),
            (std::vector<std::string>{
                "SERVICE_DEPLOYMENT_IN_PROGRESS " + first, "SERVICE_DEPLOYMENT_COMPLETED " + first,
                "SERVICE_STEADY_STATE", "SERVICE_DEPLOYMENT_IN_PROGRESS " + second,
                "SERVICE_DEPLOYMENT_COMPLETED " + second, "SERVICE_STEADY_STATE"}));
  // The old task was stopped by the scheduler: its last event says so.
  bool scheduler_stop = false;
  for (const auto& e : sink_.Of(kTaskStateChange)) {
    scheduler_stop =
        scheduler_stop || (e.detail["startedBy"] == first && e.detail["lastStatus"] == "STOPPED" &&
                           e.detail["stopCode"] == "ServiceSchedulerInitiated");
  }
  EXPECT_TRUE(scheduler_stop);
}

TEST_F(ControlPlaneEventsTest, CircuitBreakerPublishesFailedThenRollback) {
  Register(kApp);
  CreateService(2, /*breaker=*/true);
  Run(41000);
  std::string good = Svc().Primary()->id;
  Register(kBroken);
  std::string bad = Deploy("web:2");
  Run(5000);
  std::string rollback = Svc().Primary()->id;
  ASSERT_NE(rollback, bad);
  std::vector<std::string> names = ServiceEvents();
  auto at = [&](const std::string& s) { return std::find(names.begin(), names.end(), s); };
  ASSERT_NE(at("SERVICE_DEPLOYMENT_IN_PROGRESS " + bad), names.end());
  ASSERT_NE(at("SERVICE_DEPLOYMENT_FAILED " + bad), names.end());
  ASSERT_NE(at("SERVICE_DEPLOYMENT_IN_PROGRESS " + rollback), names.end());
  EXPECT_LT(at("SERVICE_DEPLOYMENT_IN_PROGRESS " + bad), at("SERVICE_DEPLOYMENT_FAILED " + bad));
  EXPECT_EQ(at("SERVICE_DEPLOYMENT_FAILED " + bad) + 1,
            at("SERVICE_DEPLOYMENT_IN_PROGRESS " + rollback));
  for (const auto& e : sink_.Of(kDeploymentStateChange)) {
    if (e.detail["deploymentId"] == bad && e.detail["eventName"] == "SERVICE_DEPLOYMENT_FAILED") {
      EXPECT_EQ(e.detail["eventType"], "ERROR");
      EXPECT_EQ(e.detail["reason"], "ECS deployment circuit breaker: tasks failed to start.");
    }
    if (e.detail["deploymentId"] == rollback) {
      EXPECT_EQ(e.detail["reason"],
                "ECS deployment circuit breaker: rolling back to deploymentId " + good + ".");
    }
  }
  // The broken tasks' events are TaskFailedToStart stops.
  bool failed_to_start = false;
  for (const auto& e : sink_.Of(kTaskStateChange)) {
    failed_to_start = failed_to_start ||
                      (e.detail["startedBy"] == bad && e.detail["stopCode"] == "TaskFailedToStart");
  }
  EXPECT_TRUE(failed_to_start);
  // The rollback completes and the service is steady again.
  Run(60000);
  names = ServiceEvents();
  ASSERT_GE(names.size(), 2u);
  EXPECT_EQ(names[names.size() - 2], "SERVICE_DEPLOYMENT_COMPLETED " + rollback);
  EXPECT_EQ(names.back(), "SERVICE_STEADY_STATE");
}

TEST_F(ControlPlaneEventsTest, FailingTasksPublishStartImpaired) {
  Register(kBroken);
  CreateService(1);
  Run(1000);
  std::vector<std::string> names = ServiceEvents();
  EXPECT_NE(std::find(names.begin(), names.end(), "SERVICE_TASK_START_IMPAIRED"), names.end());
  for (const auto& e : sink_.Of(kServiceAction)) {
    if (e.detail["eventName"] == "SERVICE_TASK_START_IMPAIRED") {
      EXPECT_EQ(e.detail["eventType"], "WARN");
    }
  }
}

}  // namespace
}  // namespace berth::ecs
