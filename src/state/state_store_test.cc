#include "state/state_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/test_temp_path.h"

namespace berth::state {
namespace {

model::TaskDefinition SampleDefinition() {
  auto td = model::ParseTaskDefinition(nlohmann::json::parse(R"({
    "family": "web",
    "containerDefinitions": [{"name": "app", "image": "php", "memory": 128,
                              "command": ["sleep", "1"]}]})"));
  EXPECT_TRUE(td.ok()) << td.status().ToString();
  td->revision = 2;
  td->arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";
  td->registered_at = 1700000000123;
  td->tags = {{"k", "v"}};
  return *td;
}

TEST(StateStore, SurvivesReopen) {
  TestTempPath temp("berth-state-test", ".db");
  const std::string& path = temp.path();
  {
    auto store = StateStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    model::Cluster c;
    c.name = "default";
    c.arn = "arn:aws:ecs:us-east-1:123456789012:cluster/default";
    ASSERT_TRUE((*store)->PutCluster(c).ok());
    ASSERT_TRUE((*store)->PutTaskDefinition(SampleDefinition()).ok());
    model::Task t;
    t.id = "abc";
    t.arn = "arn:aws:ecs:us-east-1:123456789012:task/default/abc";
    t.last_status = model::TaskStatus::kRunning;
    ASSERT_TRUE((*store)->PutTask(t).ok());
    t.version = 2;
    ASSERT_TRUE((*store)->PutTask(t).ok());  // upsert, not a second row
  }
  auto store = StateStore::Open(path);
  ASSERT_TRUE(store.ok());
  auto clusters = (*store)->LoadClusters();
  ASSERT_TRUE(clusters.ok());
  ASSERT_EQ(clusters->size(), 1u);
  EXPECT_EQ((*clusters)[0].name, "default");
  auto tds = (*store)->LoadTaskDefinitions();
  ASSERT_TRUE(tds.ok()) << tds.status().ToString();
  ASSERT_EQ(tds->size(), 1u);
  EXPECT_EQ((*tds)[0].revision, 2);
  EXPECT_EQ((*tds)[0].registered_at, 1700000000123);
  EXPECT_EQ((*tds)[0].tags.size(), 1u);
  EXPECT_EQ((*tds)[0].containers[0].command, (std::vector<std::string>{"sleep", "1"}));
  auto tasks = (*store)->LoadTasks();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].version, 2);
  ASSERT_TRUE((*store)->DeleteTask("abc").ok());
  EXPECT_TRUE((*store)->LoadTasks()->empty());
  ASSERT_TRUE((*store)->Reset().ok());
  EXPECT_TRUE((*store)->LoadClusters()->empty());
}

TEST(StateStore, RefusesNewerSchema) {
  TestTempPath temp("berth-state-test", ".db");
  const std::string& path = temp.path();
  { ASSERT_TRUE(StateStore::Open(path).ok()); }
  {
    // Simulate a database written by a future berth.
    auto store = StateStore::Open(path);
    ASSERT_TRUE(store.ok());
  }
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = StateStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer"), std::string::npos);
}

}  // namespace
}  // namespace berth::state
