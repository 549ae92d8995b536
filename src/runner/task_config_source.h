// TaskConfigSource: where a task's environment files and secrets come from when it starts —
// objects in berth's S3 store, SSM parameters and Secrets Manager secrets. Those stores live
// above the runner, so the daemon implements this over them (daemon/task_config_source.h).
//
// Threads: called on the control thread by TaskRunner::Start. Implementations read local
// stores only (small files, no network), so a call is short.
#pragma once

#include <string>

#include "common/status.h"

namespace berth::runner {

class TaskConfigSource {
 public:
  virtual ~TaskConfigSource() = default;
  // The content of an environment file; `arn` is what the task definition names
  // (arn:aws:s3:::BUCKET/KEY). On failure the message says what is missing, in S3's words,
  // and names the object — never any of its content.
  virtual Result<std::string> ReadEnvironmentFile(const std::string& arn) = 0;
  // The value of a `secrets[].valueFrom`. On failure the message names the parameter or
  // secret, in the words of the service that keeps it — never a value.
  virtual Result<std::string> ResolveSecret(const std::string& value_from) = 0;
};

}  // namespace berth::runner
