// What both the daemon and the CLI read from the local machine: the default data dir, AWS
// shared-credentials files, and the data dir's endpoint file. Pure file reads; any thread.
#pragma once

#include <string>

#include "common/status.h"

namespace berth {

struct ProfileKeys {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
};

// $BERTH_DATA_DIR, else ~/.local/share/berth.
std::string DefaultDataDir();

// [profile] (or [profile NAME]) of an AWS shared-credentials/config file. NotFound when the
// file or the profile's two keys are missing.
Result<ProfileKeys> ReadSharedCredentials(const std::string& path, const std::string& profile);

// DIR/endpoint: the URL of the running daemon. Unavailable when the daemon is not running.
Result<std::string> ReadEndpointFile(const std::string& dir);

}  // namespace berth
