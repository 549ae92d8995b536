#include "model/service.h"

namespace berth::model {

std::string ServiceStatusName(ServiceStatus s) {
  switch (s) {
    case ServiceStatus::kActive: return "ACTIVE";
    case ServiceStatus::kDraining: return "DRAINING";
    case ServiceStatus::kInactive: return "INACTIVE";
  }
  return "ACTIVE";
}

std::string RolloutStateName(RolloutState s) {
  switch (s) {
    case RolloutState::kInProgress: return "IN_PROGRESS";
    case RolloutState::kCompleted: return "COMPLETED";
    case RolloutState::kFailed: return "FAILED";
  }
  return "IN_PROGRESS";
}

Deployment* Service::FindDeployment(const std::string& id) {
  for (auto& d : deployments) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

}  // namespace berth::model
