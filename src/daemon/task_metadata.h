// The JSON shapes of the ECS task metadata endpoint v4 (what ECS_CONTAINER_METADATA_URI_V4
// answers): container metadata, task metadata, and Docker-style stats. Pure functions of the
// control plane's task, its definition and the driver's numbers.
// Threads: any (no state).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "driver/driver.h"
#include "model/task.h"
#include "model/task_definition.h"

namespace berth::daemon {

struct MetadataContext {
  std::string cluster_name;
  std::string availability_zone;
  std::string service_name;  // "" for a task that belongs to no service
};

// ${ECS_CONTAINER_METADATA_URI_V4}: one container.
nlohmann::json ContainerMetadata(const model::Task& task, const model::Container& container,
                                 const model::TaskDefinition& definition,
                                 const MetadataContext& ctx);
// ${ECS_CONTAINER_METADATA_URI_V4}/task: the task and every container.
nlohmann::json TaskMetadata(const model::Task& task, const model::TaskDefinition& definition,
                            const MetadataContext& ctx);
// ${ECS_CONTAINER_METADATA_URI_V4}/stats: Docker's stats object (memory_stats.limit 0 = none).
nlohmann::json ContainerStatsJson(const model::Container& container,
                                  const driver::ContainerStats& now, TimeMs now_ms);

}  // namespace berth::daemon
