#include "ecs/ecs_events.h"

#include <utility>

#include "common/time_format.h"
#include "model/task_json.h"

namespace berth::ecs {

using nlohmann::json;

namespace {

// arn:aws:ecs:REGION:ACCOUNT:… → REGION.
std::string RegionOfArn(const std::string& arn) {
  size_t a = arn.find(':', arn.find(':', arn.find(':') + 1) + 1);
  if (a == std::string::npos) return "";
  size_t b = arn.find(':', a + 1);
  return b == std::string::npos ? "" : arn.substr(a + 1, b - a - 1);
}

void PutIso(json& j, const char* key, TimeMs t) {
  if (t != 0) {
    j[key] = FormatIsoMillis(t);
  } else {
    j.erase(key);
  }
}

}  // namespace

json TaskStateChangeDetail(const model::Task& t, TimeMs updated_at) {
  json j = model::TaskToJson(t, /*include_tags=*/false);
  j.erase("healthStatus");
  for (auto& c : j["containers"]) c.erase("healthStatus");
  // The wire form has epoch seconds; events carry ISO strings (rebuilt from the exact times).
  PutIso(j, "createdAt", t.created_at);
  PutIso(j, "pullStartedAt", t.pull_started_at);
  PutIso(j, "pullStoppedAt", t.pull_stopped_at);
  PutIso(j, "startedAt", t.started_at);
  PutIso(j, "connectivityAt", t.connectivity_at);
  PutIso(j, "stoppingAt", t.stopping_at);
  PutIso(j, "executionStoppedAt", t.execution_stopped_at);
  PutIso(j, "stoppedAt", t.stopped_at);
  j["updatedAt"] = FormatIsoMillis(updated_at);
  return j;
}

EcsEvent TaskStateChangeEvent(const model::Task& t, TimeMs now) {
  return EcsEvent{
      kTaskStateChange, {t.arn}, TaskStateChangeDetail(t, now), now, RegionOfArn(t.arn)};
}

std::string ServiceEventTypeName(ServiceEventType t) {
  switch (t) {
    case ServiceEventType::kInfo:
      return "INFO";
    case ServiceEventType::kWarn:
      return "WARN";
    case ServiceEventType::kError:
      return "ERROR";
  }
  return "INFO";
}

EcsEvent ServiceActionEvent(const model::Service& s, ServiceEventType type,
                            const std::string& event_name, TimeMs now, const std::string& reason,
                            const std::vector<std::string>& container_instance_arns) {
  json detail = {{"eventType", ServiceEventTypeName(type)},
                 {"eventName", event_name},
                 {"clusterArn", s.cluster_arn},
                 {"createdAt", FormatIsoMillis(now)}};
  if (!reason.empty()) detail["reason"] = reason;
  if (!container_instance_arns.empty()) detail["containerInstanceArns"] = container_instance_arns;
  return EcsEvent{kServiceAction, {s.arn}, std::move(detail), now, RegionOfArn(s.arn)};
}

EcsEvent DeploymentStateChangeEvent(const model::Service& s, const model::Deployment& d,
                                    TimeMs now) {
  ServiceEventType type = ServiceEventType::kInfo;
  std::string name = "SERVICE_DEPLOYMENT_IN_PROGRESS";
  if (d.rollout_state == model::RolloutState::kCompleted) name = "SERVICE_DEPLOYMENT_COMPLETED";
  if (d.rollout_state == model::RolloutState::kFailed) {
    type = ServiceEventType::kError;
    name = "SERVICE_DEPLOYMENT_FAILED";
  }
  json detail = {{"eventType", ServiceEventTypeName(type)},
                 {"eventName", name},
                 {"deploymentId", d.id},
                 {"updatedAt", FormatIsoMillis(d.updated_at != 0 ? d.updated_at : now)},
                 {"reason", d.rollout_state_reason}};
  return EcsEvent{kDeploymentStateChange, {s.arn}, std::move(detail), now, RegionOfArn(s.arn)};
}

}  // namespace berth::ecs
