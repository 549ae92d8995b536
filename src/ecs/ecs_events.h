// The events ECS sends to EventBridge (spec/ecs.md §8), built from the control plane's model:
// "ECS Task State Change" (resources [taskArn]), "ECS Service Action" and "ECS Deployment State
// Change" (resources [serviceArn]). Timestamps inside `detail` are ISO 8601 strings with
// milliseconds, trailing zeros trimmed ("2024-11-13T20:56:36.54Z"). Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "ecs/event_sink.h"
#include "model/service.h"
#include "model/task.h"

namespace berth::ecs {

inline constexpr char kTaskStateChange[] = "ECS Task State Change";
inline constexpr char kServiceAction[] = "ECS Service Action";
inline constexpr char kDeploymentStateChange[] = "ECS Deployment State Change";

// The detail of an ECS Task State Change: the DescribeTasks Task object (model/task_json.h)
// with ISO timestamps, plus `updatedAt`, minus healthStatus (task and containers) and tags.
nlohmann::json TaskStateChangeDetail(const model::Task& t, TimeMs updated_at);
// The event for the task as it is now; `now` is the time of the change.
EcsEvent TaskStateChangeEvent(const model::Task& t, TimeMs now);

enum class ServiceEventType { kInfo, kWarn, kError };
std::string ServiceEventTypeName(ServiceEventType t);

// An ECS Service Action: {eventType, eventName, clusterArn, createdAt} plus `reason` and
// `containerInstanceArns` when given (placement failures). No detail.version.
EcsEvent ServiceActionEvent(const model::Service& s, ServiceEventType type,
                            const std::string& event_name, TimeMs now,
                            const std::string& reason = "",
                            const std::vector<std::string>& container_instance_arns = {});

// An ECS Deployment State Change for the deployment's current rolloutState:
// IN_PROGRESS → INFO SERVICE_DEPLOYMENT_IN_PROGRESS (also for a circuit-breaker rollback, told
// apart by its reason), COMPLETED → INFO SERVICE_DEPLOYMENT_COMPLETED, FAILED → ERROR
// SERVICE_DEPLOYMENT_FAILED; reason = rolloutStateReason, updatedAt = the deployment's.
EcsEvent DeploymentStateChangeEvent(const model::Service& s, const model::Deployment& d,
                                    TimeMs now);

}  // namespace berth::ecs
