// The daemon's data directory: its lock (one daemon per directory), its credentials file
// (AWS shared-credentials format, profile "berth", mode 0600) and the runtime file that tells
// clients where the running daemon listens (common/local_config.h reads them back).
// Threads: any; no shared state.
#pragma once

#include <string>

#include "common/local_config.h"
#include "common/status.h"

namespace berth::daemon {

using Credentials = ProfileKeys;

// Creates the directory (mode 0700) if missing.
Status EnsureDataDir(const std::string& dir);

// Takes the exclusive lock on DIR/berth.lock for the life of the process. A second daemon
// gets FailedPrecondition naming the pid that holds it.
Status LockDataDir(const std::string& dir);

// Reads DIR/credentials, creating it with fresh random keys on first use (mode 0600).
// BERTH_ACCESS_KEY_ID / BERTH_SECRET_ACCESS_KEY override the file when both are set.
Result<Credentials> LoadOrCreateCredentials(const std::string& dir);

// DIR/endpoint holds the URL of the running daemon; removed on clean exit.
Status WriteEndpoint(const std::string& dir, const std::string& url);
void RemoveEndpoint(const std::string& dir);

}  // namespace berth::daemon
