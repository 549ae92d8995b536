// StoreConfigSource: runner::TaskConfigSource over berth's own stores — environment files are
// objects of the S3 store (objects::ObjectStore), secrets come from SSM parameters and Secrets
// Manager secrets (secrets::SecretStore). Failure messages are shaped like the ECS agent's
// (the S3 or service error, then the object or parameter it concerns) and never hold a value.
//
// Threads: the control thread (TaskRunner::Start calls it).
#pragma once

#include <string>

#include "objects/object_store.h"
#include "runner/task_config_source.h"
#include "secrets/secret_store.h"

namespace berth::daemon {

class StoreConfigSource : public runner::TaskConfigSource {
 public:
  StoreConfigSource(objects::ObjectStore& objects, secrets::SecretStore& secrets)
      : objects_(objects), secrets_(secrets) {}
  Result<std::string> ReadEnvironmentFile(const std::string& arn) override;
  Result<std::string> ResolveSecret(const std::string& value_from) override;

  // An env file bigger than this fails the task (the whole environment must fit in the
  // kernel's argument space anyway).
  static constexpr size_t kMaxEnvironmentFileBytes = 1 << 20;

 private:
  objects::ObjectStore& objects_;
  secrets::SecretStore& secrets_;
};

}  // namespace berth::daemon
