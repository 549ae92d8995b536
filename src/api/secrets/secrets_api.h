// SecretsApi: the Secrets Manager wire protocol (awsJson1_1, X-Amz-Target secretsmanager.*,
// signing name "secretsmanager") over secrets::SecretStore — CreateSecret, GetSecretValue,
// PutSecretValue, UpdateSecret, DeleteSecret, RestoreSecret, DescribeSecret, ListSecrets,
// ListSecretVersionIds, TagResource, UntagResource. Errors carry Secrets Manager's __type
// (ResourceNotFoundException, ResourceExistsException, InvalidRequestException,
// InvalidParameterException, …); only GetSecretValue's answer contains a secret value.
// Threads: control thread only.
#pragma once

#include <string>

#include "api/http/http_types.h"
#include "api/http/input.h"
#include "api/http/json_reply.h"
#include "secrets/secret_store.h"

namespace berth::api {

class SecretsApi {
 public:
  static constexpr const char* kTargetPrefix = "secretsmanager.";
  static constexpr const char* kSigningName = "secretsmanager";

  explicit SecretsApi(secrets::SecretStore& store) : store_(store) {}

  HttpResponse Handle(const std::string& operation, const std::string& body,
                      const std::string& region);

 private:
  Reply CreateSecret(Input& in);
  Reply GetSecretValue(Input& in);
  Reply PutSecretValue(Input& in);
  Reply UpdateSecret(Input& in);
  Reply DeleteSecret(Input& in);
  Reply RestoreSecret(Input& in);
  Reply DescribeSecret(Input& in);
  Reply ListSecrets(Input& in);
  Reply ListSecretVersionIds(Input& in);
  Reply TagResource(Input& in);
  Reply UntagResource(Input& in);

  secrets::SecretStore& store_;
};

// (code, resource) → Secrets Manager's __type and HTTP status.
AwsError SecretsError(const Status& s);

}  // namespace berth::api
