#include "model/task_json.h"

#include <gtest/gtest.h>

namespace berth::model {
namespace {

Task SampleTask() {
  Task t;
  t.id = "0123456789abcdef0123456789abcdef";
  t.arn = "arn:aws:ecs:us-east-1:123456789012:task/default/" + t.id;
  t.cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/default";
  t.task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
  t.group = "family:web";
  t.launch_type = "EC2";
  t.last_status = TaskStatus::kStopped;
  t.desired_stopped = true;
  t.version = 7;
  t.created_at = 1731531396540;
  t.stopped_at = 1731531400000;
  t.stop_code = StopCode::kEssentialContainerExited;
  t.stopped_reason = "Essential container in task exited";
  t.tags = {{"team", "a"}};
  Container c;
  c.name = "web";
  c.image = "nginx";
  c.last_status = ContainerStatus::kStopped;
  c.exit_code = 3;
  c.memory = 128;
  c.has_health_check = true;
  c.essential = false;
  t.containers.push_back(c);
  return t;
}

TEST(TaskJson, WireShape) {
  nlohmann::json j = TaskToJson(SampleTask(), false);
  EXPECT_EQ(j["lastStatus"], "STOPPED");
  EXPECT_EQ(j["desiredStatus"], "STOPPED");
  EXPECT_EQ(j["stopCode"], "EssentialContainerExited");
  EXPECT_DOUBLE_EQ(j["createdAt"].get<double>(), 1731531396.540);
  EXPECT_EQ(j["availabilityZone"], "us-east-1a");
  EXPECT_FALSE(j.contains("tags"));
  EXPECT_FALSE(j.contains("startedAt"));
  EXPECT_EQ(j["containers"][0]["exitCode"], 3);
  EXPECT_EQ(j["containers"][0]["memory"], "128");
  EXPECT_EQ(j["containers"][0]["cpu"], "0");
  EXPECT_TRUE(TaskToJson(SampleTask(), true).contains("tags"));
}

TEST(TaskJson, StorageRoundTrip) {
  Task t = SampleTask();
  Result<Task> back = TaskFromStorage(TaskToStorage(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(TaskToStorage(*back), TaskToStorage(t));
  EXPECT_FALSE(back->containers[0].essential);
  EXPECT_TRUE(back->containers[0].has_health_check);
}

TEST(TaskJson, MalformedStorageIsAnError) {
  EXPECT_FALSE(TaskFromStorage(nlohmann::json::parse(R"({"_berth":{}})")).ok());
  EXPECT_FALSE(TaskFromStorage(nlohmann::json::parse(R"([1,2])")).ok());
}

}  // namespace
}  // namespace berth::model
