// The service scheduler on simulated time: deployment bounds, the 40 s warm-up, singleton
// services, the circuit breaker and the "stuck" event (spec/ecs.md §6).
#include <gtest/gtest.h>

#include <algorithm>

#include "common/fake_executor.h"
#include "common/test_temp_path.h"
#include "ecs/control_plane.h"
#include "runner/fake_driver.h"

namespace berth::ecs {
namespace {

constexpr char kApp[] = R"({"family":"web","containerDefinitions":[
  {"name":"app","image":"php:1","memory":64,"command":["serve"]}]})";
constexpr char kApp2[] = R"({"family":"web","containerDefinitions":[
  {"name":"app","image":"php:2","memory":64,"command":["serve"]}]})";
constexpr char kBroken[] = R"({"family":"web","containerDefinitions":[
  {"name":"broken","image":"php:3","memory":64,"command":["serve"]}]})";

class ServiceSchedulerTest : public ::testing::Test {
 protected:
  ServiceSchedulerTest() : driver_(ex_) {
    store_ = std::move(*state::StateStore::Open(db_.path()));
    Options o;
    o.host_cpu_units = 64 * 1024;
    o.host_memory_mib = 64 * 1024;
    cp_ = std::make_unique<ControlPlane>(ex_, driver_, *store_, o);
    EXPECT_TRUE(cp_->Load().ok());
    driver_.fail_start["broken"] = "CannotStartContainerError: no such file";
  }

  void Register(const char* json) {
    auto td = model::ParseTaskDefinition(nlohmann::json::parse(json));
    ASSERT_TRUE(td.ok()) << td.status().ToString();
    ASSERT_TRUE(cp_->RegisterTaskDefinition(ctx_, *td).ok());
  }

  void Create(int desired, int max_percent, int min_percent, bool breaker = false) {
    CreateServiceRequest req;
    req.name = "svc";
    req.task_definition = "web";
    req.desired_count = desired;
    req.deployment_configuration.maximum_percent = max_percent;
    req.deployment_configuration.minimum_healthy_percent = min_percent;
    req.deployment_configuration.circuit_breaker_enable = breaker;
    req.deployment_configuration.circuit_breaker_rollback = breaker;
    auto s = cp_->CreateService(ctx_, req);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ex_.RunPending();
  }

  // Starts a deployment of `td` and returns its id.
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

  // Service tasks not yet STOPPED, and those of them still wanted (desired RUNNING).
  int Alive() {
    int n = 0;
    for (const auto* t : cp_->AllTasks()) n += t->group == "service:svc" && !t->stopped();
    return n;
  }
  int Wanted() {
    int n = 0;
    for (const auto* t : cp_->AllTasks()) {
      n += t->group == "service:svc" && !t->stopped() && !t->desired_stopped;
    }
    return n;
  }
  bool HasEvent(const std::string& text) {
    for (const auto& e : Svc().events) {
      if (e.message.find(text) != std::string::npos) return true;
    }
    return false;
  }
  // Steps simulated time, checking `invariant` after every step.
  void Run(int64_t ms, const std::function<void()>& invariant = [] {}) {
    for (int64_t t = 0; t < ms; t += 100) {
      ex_.Advance(100);
      invariant();
    }
  }

  FakeExecutor ex_;
  runner::FakeDriver driver_;
  TestTempPath db_{"berth-svc-test", ".db"};  // (before the store: removed after it closes)
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<ControlPlane> cp_;
  RequestContext ctx_{"us-east-1"};
};

TEST_F(ServiceSchedulerTest, CompletesOnlyAfterTheFortySecondWarmUp) {
  Register(kApp);
  Create(2, 200, 100);
  EXPECT_EQ(Alive(), 2);
  Run(39000);
  EXPECT_EQ(Svc().Primary()->running_count, 2);
  EXPECT_EQ(Svc().Primary()->rollout_state, model::RolloutState::kInProgress);
  Run(1500);
  EXPECT_EQ(Svc().Primary()->rollout_state, model::RolloutState::kCompleted);
  EXPECT_TRUE(HasEvent("(service svc) has reached a steady state."));
}

TEST_F(ServiceSchedulerTest, MinimumHealthyFiftyOfFourStopsTwoFirst) {
  Register(kApp);
  Create(4, 100, 50);
  Run(41000);
  ASSERT_EQ(Svc().Primary()->rollout_state, model::RolloutState::kCompleted);
  Register(kApp2);
  std::string dep = Deploy("web:2");
  // max 100 % leaves no room above 4; min 50 % lets two of the four old tasks go first: the
  // newest events read "stopped 2", then the replacements start.
  std::vector<std::string> order;
  for (auto it = Svc().events.rbegin(); it != Svc().events.rend(); ++it)
    order.push_back(it->message);
  auto stopped2 = std::find_if(order.begin(), order.end(), [](const std::string& m) {
    return m.find("has stopped 2 running tasks") != std::string::npos;
  });
  ASSERT_NE(stopped2, order.end());
  int most_alive = 0;
  Run(120000, [&] { most_alive = std::max(most_alive, Alive()); });
  EXPECT_LE(most_alive, 4);
  EXPECT_FALSE(HasEvent("was unable to stop or start tasks"));  // it was never stuck
  EXPECT_EQ(Svc().Primary()->id, dep);
  EXPECT_EQ(Svc().deployments.size(), 1u);
  EXPECT_EQ(Svc().Primary()->rollout_state, model::RolloutState::kCompleted);
  EXPECT_EQ(Svc().Primary()->running_count, 4);
}

TEST_F(ServiceSchedulerTest, SingletonNeverRunsTwoTasks) {
  Register(kApp);
  Create(1, 100, 0);
  Run(41000);
  Register(kApp2);
  Deploy("web:2");
  Run(60000, [&] { ASSERT_LE(Alive(), 1); });
  EXPECT_EQ(Svc().Primary()->rollout_state, model::RolloutState::kCompleted);
  EXPECT_EQ(Alive(), 1);
}

TEST_F(ServiceSchedulerTest, CircuitBreakerFailsAndRollsBack) {
  Register(kApp);
  Create(2, 200, 100, /*breaker=*/true);
  Run(41000);
  std::string good = Svc().Primary()->id;
  Register(kBroken);
  std::string bad = Deploy("web:2");
  Run(5000);
  const model::Service& s = Svc();
  ASSERT_NE(s.Primary()->id, bad);
  EXPECT_EQ(s.Primary()->rollout_state_reason,
            "ECS deployment circuit breaker: rolling back to deploymentId " + good + ".");
  EXPECT_EQ(s.task_definition_arn.substr(s.task_definition_arn.rfind(':') + 1), "1");
  EXPECT_TRUE(HasEvent("(deployment " + bad + ") deployment failed: tasks failed to start."));
  EXPECT_TRUE(HasEvent("rolling back to deployment " + good + "."));
  // Threshold min(200, max(3, ceil(0.5 × 2))) = 3: the breaker tripped with the second pair
  // of broken tasks, and no more were tried.
  int broken = 0;
  for (const auto* t : cp_->AllTasks()) broken += t->started_by == bad;
  EXPECT_EQ(broken, 4);
  // The old tasks kept serving throughout (minimumHealthyPercent 100).
  Run(60000);
  EXPECT_EQ(Svc().deployments.size(), 1u);
  EXPECT_EQ(Svc().Primary()->rollout_state, model::RolloutState::kCompleted);
}

TEST_F(ServiceSchedulerTest, BoundsThatAllowNothingPostTheStuckEvent) {
  Register(kApp);
  Create(1, 100, 100);
  Run(41000);
  Register(kApp2);
  Deploy("web:2");
  Run(1000);
  EXPECT_TRUE(
      HasEvent("was unable to stop or start tasks during a deployment because of the "
               "service deployment configuration."));
  EXPECT_EQ(Svc().deployments.size(), 2u);
}

TEST_F(ServiceSchedulerTest, RestartsBackOffWhenTasksKeepFailing) {
  Register(kBroken);
  Create(1, 200, 100);
  Run(1000);
  EXPECT_TRUE(HasEvent("is unable to consistently start tasks successfully."));
  size_t tried = 0;
  for (const auto* t : cp_->AllTasks()) tried += t->group == "service:svc";
  Run(3000);  // inside the 5 s back-off: no new attempt
  size_t later = 0;
  for (const auto* t : cp_->AllTasks()) later += t->group == "service:svc";
  EXPECT_EQ(later, tried);
  Run(3000);
  later = 0;
  for (const auto* t : cp_->AllTasks()) later += t->group == "service:svc";
  EXPECT_GT(later, tried);
}

}  // namespace
}  // namespace berth::ecs
