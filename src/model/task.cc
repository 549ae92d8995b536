#include "model/task.h"

namespace berth::model {

namespace {
constexpr const char* kTaskStatusNames[] = {"PROVISIONING", "PENDING",  "ACTIVATING",
                                            "RUNNING",      "DEACTIVATING", "STOPPING",
                                            "DEPROVISIONING", "STOPPED"};
}  // namespace

std::string TaskStatusName(TaskStatus s) { return kTaskStatusNames[static_cast<int>(s)]; }

bool ParseTaskStatus(const std::string& s, TaskStatus* out) {
  for (int i = 0; i < 8; ++i) {
    if (s == kTaskStatusNames[i]) {
      *out = static_cast<TaskStatus>(i);
      return true;
    }
  }
  return false;
}

std::string ContainerStatusName(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::kPending: return "PENDING";
    case ContainerStatus::kRunning: return "RUNNING";
    case ContainerStatus::kStopped: return "STOPPED";
  }
  return "PENDING";
}

std::string HealthStatusName(HealthStatus s) {
  switch (s) {
    case HealthStatus::kUnknown: return "UNKNOWN";
    case HealthStatus::kHealthy: return "HEALTHY";
    case HealthStatus::kUnhealthy: return "UNHEALTHY";
  }
  return "UNKNOWN";
}

std::string StopCodeName(StopCode c) {
  switch (c) {
    case StopCode::kNone: return "";
    case StopCode::kTaskFailedToStart: return "TaskFailedToStart";
    case StopCode::kEssentialContainerExited: return "EssentialContainerExited";
    case StopCode::kUserInitiated: return "UserInitiated";
    case StopCode::kServiceSchedulerInitiated: return "ServiceSchedulerInitiated";
  }
  return "";
}

Container* Task::FindContainer(const std::string& name) {
  for (auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace berth::model
