// How a container ended, read from the engine's inspect answer (State.ExitCode, OOMKilled).
// dockerd sets OOMKilled from the runtime's OOM event, which can arrive just after the exit
// that /wait reports; so an exit 137 that berth did not cause is inspected again for a while
// before it is reported as a plain SIGKILL.
#pragma once

#include <cstdint>
#include <functional>

#include "common/status.h"
#include "docker/engine_client.h"
#include "driver/driver.h"

namespace berth::docker {

struct ExitRead {
  // GET /containers/ID/json
  std::function<Result<EngineResponse>()> inspect;
  // Waits between inspections (a sleep; a test's clock in unit tests).
  std::function<void(int64_t ms)> pause;
  bool berth_sent_sigkill = false;  // berth killed it (stop sequence): 137 is expected
  int64_t oom_recheck_ms = 1000;    // how long to wait for a late OOMKilled
  int64_t recheck_every_ms = 100;
};

// The exit status; a container that cannot be inspected (gone) is reported as killed.
driver::ExitStatus ReadExitStatus(const ExitRead& read);

}  // namespace berth::docker
