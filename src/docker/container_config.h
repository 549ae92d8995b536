// How an ECS container becomes a Docker container: the body of POST /containers/create,
// mapped field by field as the ECS agent maps them (entryPoint → Entrypoint, command → Cmd,
// environment → Env, cpu → CpuShares (0 and 1 become 2), memory → Memory, memoryReservation →
// MemoryReservation, ulimits, linuxParameters (initProcessEnabled → Init, capabilities,
// sharedMemorySize → ShmSize, tmpfs), readonlyRootFilesystem, privileged, dockerLabels,
// mountPoints over the task's volumes (host paths → Binds, Docker volumes → Mounts), volumesFrom,
// portMappings (bridge: PortBindings, hostPort 0 → a dynamic port)).
// Pure functions; any thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "driver/driver.h"

namespace berth::docker {

struct CreateOptions {
  std::string network_mode = "host";  // "host", "none", "bridge", or "container:<id>"
  bool allow_privileged = false;      // `berth serve --docker-allow-privileged`
  std::map<std::string, std::string> berth_labels;  // berth's own, to find containers again
  // The task's containers created so far, name → Docker id (volumesFrom).
  std::map<std::string, std::string> task_container_ids;
};

// InvalidArgument (a reason fit for the container's stop reason) for what cannot be run, e.g.
// privileged without the daemon's permission or a mountPoint naming an unknown volume.
Result<nlohmann::json> CreateBody(const driver::ProcessSpec& spec, const CreateOptions& options);

}  // namespace berth::docker
