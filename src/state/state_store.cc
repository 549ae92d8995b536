#include "state/state_store.h"

#include <sqlite3.h>

#include "model/service_json.h"
#include "model/task_json.h"

namespace berth::state {

using nlohmann::json;

namespace {

Status SqlError(sqlite3* db, const std::string& what) {
  return Internal("state store: " + what + ": " + sqlite3_errmsg(db));
}

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK; }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return ok_; }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

json TaskDefinitionToStorage(const model::TaskDefinition& td) {
  return {{"family", td.family},
          {"revision", td.revision},
          {"arn", td.arn},
          {"status", model::TaskDefinitionStatusName(td.status)},
          {"registeredAt", td.registered_at},
          {"deregisteredAt", td.deregistered_at},
          {"tags", model::TagsToJson(td.tags)},
          {"document", td.document}};
}

Result<model::TaskDefinition> TaskDefinitionFromStorage(const json& j) {
  try {
    Result<model::TaskDefinition> td = model::ParseTaskDefinition(j.at("document"));
    if (!td.ok()) return Internal("stored task definition no longer parses: " + td.status().message());
    td->family = j.at("family").get<std::string>();
    td->revision = j.at("revision").get<int>();
    td->arn = j.at("arn").get<std::string>();
    std::string status = j.at("status").get<std::string>();
    td->status = status == "ACTIVE"     ? model::TaskDefinitionStatus::kActive
                 : status == "INACTIVE" ? model::TaskDefinitionStatus::kInactive
                                        : model::TaskDefinitionStatus::kDeleteInProgress;
    td->registered_at = j.value("registeredAt", TimeMs{0});
    td->deregistered_at = j.value("deregisteredAt", TimeMs{0});
    Result<model::Tags> tags = model::ParseTags(j.value("tags", json::array()), Resource::kTaskDefinition);
    if (tags.ok()) td->tags = *tags;
    return td;
  } catch (const std::exception& e) {
    return Internal(std::string("stored task definition is malformed: ") + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status st = SqlError(db, "cannot open " + path);
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<StateStore> store(new StateStore(db));
  // WAL + synchronous=NORMAL: a commit is durable against a crash of berth (the WAL is in the
  // page cache) and costs no fsync; a power loss may lose the last commits, never corrupt.
  BERTH_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  BERTH_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=NORMAL"));
  BERTH_RETURN_IF_ERROR(store->Exec("PRAGMA busy_timeout=2000"));
  BERTH_RETURN_IF_ERROR(store->Migrate());
  return store;
}

StateStore::~StateStore() { sqlite3_close(db_); }

Status StateStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Internal(std::string("state store: ") + msg);
  }
  return Status::Ok();
}

Status StateStore::Migrate() {
  Stmt v(db_, "PRAGMA user_version");
  if (!v.ok() || sqlite3_step(v.get()) != SQLITE_ROW) return SqlError(db_, "read schema version");
  int version = sqlite3_column_int(v.get(), 0);
  if (version > kSchemaVersion) {
    return FailedPrecondition("state store: the database has schema version " +
                              std::to_string(version) + ", newer than this berth (" +
                              std::to_string(kSchemaVersion) + "); upgrade berth");
  }
  if (version < 1) {
    BERTH_RETURN_IF_ERROR(Exec(
        "BEGIN;"
        "CREATE TABLE clusters (name TEXT PRIMARY KEY, doc TEXT NOT NULL);"
        "CREATE TABLE task_definitions (arn TEXT PRIMARY KEY, doc TEXT NOT NULL);"
        "CREATE TABLE tasks (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
        "PRAGMA user_version=1;"
        "COMMIT;"));
  }
  if (version < 2) {
    BERTH_RETURN_IF_ERROR(Exec(
        "BEGIN;"
        "CREATE TABLE services (arn TEXT PRIMARY KEY, doc TEXT NOT NULL);"
        "PRAGMA user_version=2;"
        "COMMIT;"));
  }
  return Status::Ok();
}

Status StateStore::Upsert(const char* sql, const std::string& key, const std::string& doc) {
  Stmt s(db_, sql);
  if (!s.ok()) return SqlError(db_, "prepare");
  sqlite3_bind_text(s.get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_text(s.get(), 2, doc.data(), static_cast<int>(doc.size()), SQLITE_STATIC);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return SqlError(db_, "write");
  return Status::Ok();
}

Result<std::vector<std::string>> StateStore::SelectDocs(const char* sql) {
  Stmt s(db_, sql);
  if (!s.ok()) return SqlError(db_, "prepare");
  std::vector<std::string> docs;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    docs.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)),
                      static_cast<size_t>(sqlite3_column_bytes(s.get(), 0)));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "read");
  return docs;
}

Status StateStore::PutCluster(const model::Cluster& c) {
  return Upsert("INSERT OR REPLACE INTO clusters (name, doc) VALUES (?1, ?2)", c.name,
                model::ClusterToStorage(c).dump());
}

Result<std::vector<model::Cluster>> StateStore::LoadClusters() {
  auto docs = SelectDocs("SELECT doc FROM clusters ORDER BY rowid");
  if (!docs.ok()) return docs.status();
  std::vector<model::Cluster> out;
  for (const auto& d : *docs) {
    auto c = model::ClusterFromStorage(json::parse(d, nullptr, false));
    if (!c.ok()) return c.status();
    out.push_back(std::move(*c));
  }
  return out;
}

Status StateStore::PutTaskDefinition(const model::TaskDefinition& td) {
  return Upsert("INSERT OR REPLACE INTO task_definitions (arn, doc) VALUES (?1, ?2)", td.arn,
                TaskDefinitionToStorage(td).dump());
}

Result<std::vector<model::TaskDefinition>> StateStore::LoadTaskDefinitions() {
  auto docs = SelectDocs("SELECT doc FROM task_definitions ORDER BY rowid");
  if (!docs.ok()) return docs.status();
  std::vector<model::TaskDefinition> out;
  for (const auto& d : *docs) {
    auto td = TaskDefinitionFromStorage(json::parse(d, nullptr, false));
    if (!td.ok()) return td.status();
    out.push_back(std::move(*td));
  }
  return out;
}

Status StateStore::PutTask(const model::Task& t) {
  return Upsert("INSERT OR REPLACE INTO tasks (id, doc) VALUES (?1, ?2)", t.id,
                model::TaskToStorage(t).dump());
}

Status StateStore::DeleteTask(const std::string& id) {
  Stmt s(db_, "DELETE FROM tasks WHERE id = ?1");
  if (!s.ok()) return SqlError(db_, "prepare");
  sqlite3_bind_text(s.get(), 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return SqlError(db_, "delete task");
  return Status::Ok();
}

Result<std::vector<model::Task>> StateStore::LoadTasks() {
  auto docs = SelectDocs("SELECT doc FROM tasks ORDER BY rowid");
  if (!docs.ok()) return docs.status();
  std::vector<model::Task> out;
  for (const auto& d : *docs) {
    auto t = model::TaskFromStorage(json::parse(d, nullptr, false));
    if (!t.ok()) return t.status();
    out.push_back(std::move(*t));
  }
  return out;
}

Status StateStore::PutService(const model::Service& s) {
  return Upsert("INSERT OR REPLACE INTO services (arn, doc) VALUES (?1, ?2)", s.arn,
                model::ServiceToStorage(s).dump());
}

Status StateStore::DeleteService(const std::string& arn) {
  Stmt s(db_, "DELETE FROM services WHERE arn = ?1");
  if (!s.ok()) return SqlError(db_, "prepare");
  sqlite3_bind_text(s.get(), 1, arn.data(), static_cast<int>(arn.size()), SQLITE_STATIC);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return SqlError(db_, "delete service");
  return Status::Ok();
}

Result<std::vector<model::Service>> StateStore::LoadServices() {
  auto docs = SelectDocs("SELECT doc FROM services ORDER BY rowid");
  if (!docs.ok()) return docs.status();
  std::vector<model::Service> out;
  for (const auto& d : *docs) {
    auto s = model::ServiceFromStorage(json::parse(d, nullptr, false));
    if (!s.ok()) return s.status();
    out.push_back(std::move(*s));
  }
  return out;
}

Status StateStore::Reset() {
  return Exec(
      "BEGIN; DELETE FROM clusters; DELETE FROM task_definitions; DELETE FROM tasks;"
      " DELETE FROM services; COMMIT;");
}

}  // namespace berth::state
