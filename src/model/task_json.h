// The ECS wire shapes of clusters and tasks (spec/ecs.md §3), and the storage form of a task.
// The storage form is the wire form plus berth's own bookkeeping under "_berth", so one codec
// serves DescribeTasks and the StateStore. Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "model/task.h"

namespace berth::model {

struct ClusterCounts {
  int running_tasks = 0;
  int pending_tasks = 0;
  int active_services = 0;
};

nlohmann::json ClusterToJson(const Cluster& c, const ClusterCounts& counts, bool include_tags,
                             bool include_settings);

// The DescribeTasks `Task` object. Tags only when include_tags.
nlohmann::json TaskToJson(const Task& t, bool include_tags);

nlohmann::json TaskToStorage(const Task& t);
Result<Task> TaskFromStorage(const nlohmann::json& j);

nlohmann::json ClusterToStorage(const Cluster& c);
Result<Cluster> ClusterFromStorage(const nlohmann::json& j);

}  // namespace berth::model
