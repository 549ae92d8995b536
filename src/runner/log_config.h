// Where a container's output goes: its logConfiguration turned into a logs::ContainerLogConfig,
// with ECS's naming (stream "<awslogs-stream-prefix>/<container>/<task-id>").
//
// Containers without an awslogs logConfiguration (none, or another driver) are kept too, in
// berth's own group "/berth/tasks/<family>", stream "<container>/<task-id>", one event per
// line — so `berth logs` always has something to show.
// Pure; any thread.
#pragma once

#include <string>

#include "common/status.h"
#include "logs/pipeline.h"
#include "model/task_definition.h"

namespace berth::runner {

// Errors are start failures (FailedPrecondition with the reason a container shows).
Result<logs::ContainerLogConfig> LogConfigFor(const model::ContainerDefinition& container,
                                              const std::string& family,
                                              const std::string& task_id);

// "10m", "512k", "1g", "1000" → bytes; 0 on bad input.
size_t ParseByteSize(const std::string& s);

}  // namespace berth::runner
