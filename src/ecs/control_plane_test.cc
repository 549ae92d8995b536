#include "ecs/control_plane.h"

#include <gtest/gtest.h>

#include "common/fake_executor.h"
#include "common/test_temp_path.h"
#include "runner/fake_driver.h"

namespace berth::ecs {
namespace {

constexpr char kDefinition[] = R"({"family":"web","containerDefinitions":[
  {"name":"app","image":"php","memory":512,"command":["serve"]}]})";

class ControlPlaneTest : public ::testing::Test {
 protected:
  ControlPlaneTest() : driver_(ex_) { Open(); }

  void Open() {
    cp_.reset();
    store_.reset();
    store_ = std::move(*state::StateStore::Open(db_.path()));
    Options o;
    o.host_cpu_units = 2048;
    o.host_memory_mib = 1024;
    cp_ = std::make_unique<ControlPlane>(ex_, driver_, *store_, o);
    ASSERT_TRUE(cp_->Load().ok());
  }

  model::TaskDefinition Register(const char* json = kDefinition) {
    auto td = model::ParseTaskDefinition(nlohmann::json::parse(json));
    EXPECT_TRUE(td.ok()) << td.status().ToString();
    auto r = cp_->RegisterTaskDefinition(ctx_, *td);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  RunTaskResult Run(const std::string& def, const std::string& token = "") {
    RunTaskRequest req;
    req.task_definition = def;
    req.client_token = token;
    req.fingerprint = def;
    auto r = cp_->RunTask(ctx_, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    ex_.RunPending();
    return *r;
  }

  FakeExecutor ex_;
  runner::FakeDriver driver_;
  TestTempPath db_{"berth-cp-test", ".db"};  // (before the store: removed after it closes)
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<ControlPlane> cp_;
  RequestContext ctx_{"eu-west-1"};
};

TEST_F(ControlPlaneTest, DefaultClusterExists) {
  auto c = cp_->FindCluster("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->name, "default");
  EXPECT_TRUE(cp_->FindCluster("arn:aws:ecs:us-east-1:123456789012:cluster/default").ok());
  EXPECT_EQ(cp_->FindCluster("nope").status().resource(), Resource::kCluster);
}

TEST_F(ControlPlaneTest, RevisionsAreNeverReused) {
  EXPECT_EQ(Register().revision, 1);
  EXPECT_EQ(Register().revision, 2);
  ASSERT_TRUE(cp_->DeregisterTaskDefinition("web:2").ok());
  EXPECT_EQ((*cp_->FindTaskDefinition("web"))->revision, 1);
  ASSERT_TRUE(cp_->DeleteTaskDefinition("web:2").ok());
  Open();
  EXPECT_EQ(Register().revision, 3);
  EXPECT_EQ(Register().arn, "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:4");
}

TEST_F(ControlPlaneTest, RunTaskReportsCapacityFailures) {
  Register();
  RunTaskRequest req;
  req.task_definition = "web";
  req.count = 3;  // 3 × 512 MiB on a 1024 MiB host
  auto r = cp_->RunTask(ctx_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tasks.size(), 2u);
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].reason, "RESOURCE:MEMORY");
}

TEST_F(ControlPlaneTest, RunTaskReportsCpuFailures) {
  Register(R"({"family":"cpu","containerDefinitions":[
    {"name":"app","image":"php","memory":16,"cpu":1500,"command":["serve"]}]})");
  RunTaskRequest req;
  req.task_definition = "cpu";
  req.count = 2;  // 2 × 1500 units on a 2048-unit host
  auto r = cp_->RunTask(ctx_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tasks.size(), 1u);
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].reason, "RESOURCE:CPU");
}

TEST_F(ControlPlaneTest, ClientTokenIsIdempotent) {
  Register();
  auto a = Run("web", "tok");
  auto b = Run("web", "tok");
  ASSERT_EQ(a.tasks.size(), 1u);
  ASSERT_EQ(b.tasks.size(), 1u);
  EXPECT_EQ(a.tasks[0].arn, b.tasks[0].arn);
  RunTaskRequest other;
  other.task_definition = "web:1";
  other.client_token = "tok";
  other.fingerprint = "different";
  auto c = cp_->RunTask(ctx_, other);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kConflict);
}

TEST_F(ControlPlaneTest, StopTaskAndList) {
  Register();
  auto r = Run("web");
  std::string id = r.tasks[0].id;
  ListTasksFilter running;
  EXPECT_EQ(cp_->ListTasks(running)->size(), 1u);
  auto stopped = cp_->StopTask("", id, "");
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->stopped_reason, "Task stopped by user");
  EXPECT_EQ(stopped->last_status, model::TaskStatus::kRunning);
  ex_.RunPending();
  ListTasksFilter f;
  f.desired_stopped = true;
  auto list = cp_->ListTasks(f);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0]->last_status, model::TaskStatus::kStopped);
  EXPECT_EQ(cp_->StopTask("", "0000", "").status().resource(), Resource::kTask);
}

TEST_F(ControlPlaneTest, RestartMarksInterruptedTasksStopped) {
  Register();
  auto r = Run("web");
  std::string id = r.tasks[0].id;
  ASSERT_EQ(cp_->AllTasks()[0]->last_status, model::TaskStatus::kRunning);
  Open();  // a new daemon on the same state
  const model::Task* t = cp_->FindTask(**cp_->FindCluster("default"), id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->last_status, model::TaskStatus::kStopped);
  EXPECT_TRUE(t->desired_stopped);
  EXPECT_NE(t->stopped_reason.find("berth daemon"), std::string::npos);
  EXPECT_EQ(t->containers[0].last_status, model::ContainerStatus::kStopped);
}

TEST_F(ControlPlaneTest, DeleteClusterWithRunningTasksFails) {
  Register();
  ASSERT_TRUE(cp_->CreateCluster(ctx_, "other", {}, nullptr).ok());
  RunTaskRequest req;
  req.cluster = "other";
  req.task_definition = "web";
  ASSERT_TRUE(cp_->RunTask(ctx_, req).ok());
  ex_.RunPending();
  auto d = cp_->DeleteCluster("other");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(d.status().resource(), Resource::kTask);
}

}  // namespace
}  // namespace berth::ecs
