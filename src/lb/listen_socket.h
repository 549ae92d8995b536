// Binding a listener's port synchronously, on the control thread, so CreateListener can answer
// InvalidConfigurationRequest for a port that is already taken; the fd then moves to the lb
// thread's ListenerProxy. Any thread.
#pragma once

#include <string>

#include "common/status.h"

namespace berth::lb {

// A non-blocking, close-on-exec TCP socket bound to address:port and listening. Conflict (a
// port in use, an address not on this machine) or InvalidArgument (a malformed address).
Result<int> OpenListenSocket(const std::string& address, int port);

}  // namespace berth::lb
