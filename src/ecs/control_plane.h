// ControlPlane: ECS's control plane on one host — clusters, task definitions and tasks, each
// task driven by a runner::TaskRunner. It owns the in-memory state (the source of truth while
// running) and writes every change through to the StateStore before anyone can observe it.
//
// Requests arrive already decoded (api/ecs does the wire format); results are model objects.
// Names and ARNs are both accepted wherever ECS accepts both.
//
// Threads: control thread only (the Executor), including every callback it makes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "driver/driver.h"
#include "model/task.h"
#include "model/task_definition.h"
#include "model/task_json.h"
#include "runner/task_runner.h"
#include "state/state_store.h"

namespace berth::ecs {

// Who is asking: the region comes from the request's SigV4 credential scope.
struct RequestContext {
  std::string region = "us-east-1";
};

struct Options {
  std::string account_id = "123456789012";
  std::string default_region = "us-east-1";
  int host_cpu_units = 0;   // 0 = nproc × 1024
  int host_memory_mib = 0;  // 0 = MemTotal
  int64_t stopped_task_retention_ms = 3600 * 1000;  // ECS keeps stopped tasks ≥ 1 h
  runner::RunnerOptions runner;
};

struct Failure {
  std::string arn;
  std::string reason;
  std::string detail;
};

struct RunTaskRequest {
  std::string cluster;
  std::string task_definition;
  int count = 1;
  std::string launch_type;  // EC2 when empty
  std::string started_by;
  std::string group;
  nlohmann::json overrides = nlohmann::json::object();
  model::Tags tags;
  std::string client_token;
  std::string fingerprint;  // canonical request, to detect a reused clientToken
};

struct RunTaskResult {
  std::vector<model::Task> tasks;
  std::vector<Failure> failures;
};

struct ListTasksFilter {
  std::string cluster;
  std::string family;
  std::string started_by;
  std::string service_name;
  std::string launch_type;
  bool desired_stopped = false;
};

struct ListTaskDefinitionsFilter {
  std::string family;  // exact match, despite the wire name familyPrefix
  model::TaskDefinitionStatus status = model::TaskDefinitionStatus::kActive;
  bool descending = false;
};

class ControlPlane {
 public:
  ControlPlane(Executor& executor, driver::Driver& driver, state::StateStore& store,
               Options options);
  ~ControlPlane();

  // Loads the stored state; tasks that were running when the previous daemon went away are
  // marked STOPPED. Creates the `default` cluster if missing.
  Status Load();

  const Options& options() const { return options_; }

  // Clusters.
  Result<model::Cluster> CreateCluster(const RequestContext& ctx, const std::string& name,
                                       const model::Tags& tags, const nlohmann::json& settings);
  Result<const model::Cluster*> FindCluster(const std::string& name_or_arn) const;
  std::vector<const model::Cluster*> Clusters() const;
  model::ClusterCounts Counts(const model::Cluster& c) const;
  Result<model::Cluster> DeleteCluster(const std::string& name_or_arn);

  // Task definitions.
  Result<model::TaskDefinition> RegisterTaskDefinition(const RequestContext& ctx,
                                                       model::TaskDefinition td);
  // `family`, `family:revision` or an ARN. A bare family means its latest ACTIVE revision.
  Result<const model::TaskDefinition*> FindTaskDefinition(const std::string& ref) const;
  std::vector<const model::TaskDefinition*> ListTaskDefinitions(
      const ListTaskDefinitionsFilter& f) const;
  // Families with any revision (status ALL), or with/without an ACTIVE one.
  std::vector<std::string> ListFamilies(const std::string& prefix, const std::string& status) const;
  Result<model::TaskDefinition> DeregisterTaskDefinition(const std::string& ref);
  Result<model::TaskDefinition> DeleteTaskDefinition(const std::string& ref);

  // Tasks.
  Result<RunTaskResult> RunTask(const RequestContext& ctx, const RunTaskRequest& req);
  Result<model::Task> StopTask(const std::string& cluster, const std::string& task,
                               const std::string& reason);
  // nullptr when the task is unknown (DescribeTasks reports MISSING).
  const model::Task* FindTask(const model::Cluster& cluster, const std::string& id_or_arn) const;
  Result<std::vector<const model::Task*>> ListTasks(const ListTasksFilter& f) const;
  std::vector<const model::Task*> AllTasks() const;

  // Tags on cluster, task-definition and task ARNs.
  Status TagResource(const std::string& arn, const model::Tags& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<model::Tags> ListTagsForResource(const std::string& arn) const;

  // Stops every task with its stop sequence; `done` runs once all are STOPPED.
  void StopAllTasks(const std::string& reason, std::function<void()> done);
  int MaxStopTimeoutS() const;
  // Stops every task (SIGKILL) and deletes all state.
  Status Reset();

 private:
  struct TaskEntry {
    model::Task task;
    std::unique_ptr<runner::TaskRunner> runner;
  };
  struct TokenUse {
    std::string fingerprint;
    std::vector<std::string> task_ids;
  };

  // The tags of the cluster, task definition or task an ARN names, and how to store them.
  struct TagTarget {
    model::Tags* tags;
    std::function<Status()> persist;
  };
  Result<TagTarget> ResolveTagTarget(const std::string& arn);

  std::string Arn(const std::string& region, const std::string& resource) const;
  // False for an ARN of another account or partition (it can never name our resources).
  bool OwnArn(const std::string& name_or_arn) const;
  model::Cluster* MutableCluster(const std::string& name_or_arn);
  model::TaskDefinition* MutableTaskDefinition(const std::string& ref);
  TaskEntry* MutableTask(const std::string& id_or_arn);
  void OnTaskChanged(const std::string& id, const model::Task& t, bool state_change);
  // Writes the task through to the store and bumps its change_seq.
  void Persist(model::Task& t);
  void PurgeStoppedTasks();
  void CheckAllStopped();
  int UsedCpu() const;
  int UsedMemory() const;

  Executor& executor_;
  driver::Driver& driver_;
  state::StateStore& store_;
  Options options_;
  std::vector<model::Cluster> clusters_;
  std::vector<std::unique_ptr<model::TaskDefinition>> definitions_;  // registration order
  std::map<std::string, int> max_revision_;  // family → highest revision ever
  std::map<std::string, std::unique_ptr<TaskEntry>> tasks_;  // by id
  std::vector<std::string> task_order_;                       // ids, creation order
  std::map<std::string, TokenUse> client_tokens_;
  std::function<void()> all_stopped_;
  TimerId purge_timer_ = 0;
  uint64_t change_counter_ = 0;
};

}  // namespace berth::ecs
