// StateStore: berth's durable state in one SQLite database (WAL) under the data dir —
// clusters, task definitions, tasks and services. Domain methods only; no SQL above this folder.
//
// Every Put is one write transaction. The schema is versioned with PRAGMA user_version; Open()
// migrates older versions forward and refuses newer ones. Documents are stored as JSON in the
// model's storage form, so adding a field needs no migration.
//
// Threads: not thread-safe; owned and called by the control thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/service.h"
#include "model/task.h"
#include "model/task_definition.h"

struct sqlite3;

namespace berth::state {

class StateStore {
 public:
  static constexpr int kSchemaVersion = 2;

  // Opens (creating if needed) the database at path. ":memory:" gives a private in-memory one.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  Status PutCluster(const model::Cluster& c);
  Result<std::vector<model::Cluster>> LoadClusters();

  Status PutTaskDefinition(const model::TaskDefinition& td);
  // Every revision ever registered (DeleteTaskDefinitions only marks them), oldest first.
  Result<std::vector<model::TaskDefinition>> LoadTaskDefinitions();

  Status PutTask(const model::Task& t);
  Status DeleteTask(const std::string& id);
  Result<std::vector<model::Task>> LoadTasks();

  Status PutService(const model::Service& s);
  Status DeleteService(const std::string& arn);
  Result<std::vector<model::Service>> LoadServices();

  // Deletes everything (POST /_berth/reset).
  Status Reset();

 private:
  explicit StateStore(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Status Upsert(const char* sql, const std::string& key, const std::string& doc);
  Result<std::vector<std::string>> SelectDocs(const char* sql);
  Status Migrate();

  sqlite3* db_;
};

}  // namespace berth::state
