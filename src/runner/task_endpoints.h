// TaskEndpoints: what lets code inside a task find berth — each container's task metadata
// endpoint (ECS_CONTAINER_METADATA_URI_V4) and, for a task with a role, its credentials
// (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN). The runner asks for
// the variables when the task starts and says when it has stopped; the daemon implements it
// (daemon/task_endpoints.h), since serving them needs the HTTP server and the control plane.
//
// Threads: the control thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/task.h"
#include "model/task_definition.h"

namespace berth::runner {

using EnvironmentList = std::vector<std::pair<std::string, std::string>>;

class TaskEndpoints {
 public:
  virtual ~TaskEndpoints() = default;
  // Before any container of `task` starts. netns_fd: the task's network namespace, or -1 (host
  // network). Returns, per container name, variables added to berth's base environment (the
  // task's own environment still wins). `running`: for a task adopted after a daemon restart,
  // the environment its running containers were started with — the tokens in it stay valid.
  virtual std::map<std::string, EnvironmentList> Open(
      const model::Task& task, const model::TaskDefinition& definition, int netns_fd,
      const std::map<std::string, EnvironmentList>& running) = 0;
  // One more network namespace of the task that must reach the endpoints at 127.0.0.1 (a
  // container with a namespace of its own, Docker's bridge mode); netns_fd stays the caller's.
  virtual void AddNamespace(const std::string& task_arn, int netns_fd) {}
  // The task has stopped: its credentials stop working and its endpoints stop answering.
  virtual void Close(const std::string& task_arn) = 0;
};

}  // namespace berth::runner
