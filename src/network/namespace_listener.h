// A TCP listening socket inside another network namespace: how the daemon, which lives in the
// host's namespace, serves code in a task's own namespace at the task's 127.0.0.1 (the task
// metadata and credentials endpoints, and the API for SDKs inside the task). A socket belongs
// to the namespace it was created in, whichever thread later accepts on it.
//
// Threads: any; blocks for well under a millisecond (a short-lived thread enters the namespace,
// since setns() moves only the calling thread). Needs CAP_SYS_ADMIN (as TaskNetworks does).
#pragma once

#include <string>

#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::network {

// Binds ipv4:port (e.g. "127.0.0.1", the daemon's port) in the namespace netns_fd and listens.
// Errors: FailedPrecondition with the kernel's reason (setns, bind, ...).
Result<UniqueFd> ListenInNamespace(int netns_fd, const std::string& ipv4, int port);

}  // namespace berth::network
