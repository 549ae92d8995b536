// SsmApi: the SSM Parameter Store wire protocol (awsJson1_1, X-Amz-Target AmazonSSM.*, signing
// name "ssm") over secrets::SecretStore — PutParameter, GetParameter(s), GetParametersByPath,
// GetParameterHistory, DeleteParameter(s), DescribeParameters. Errors carry SSM's __type
// (ParameterNotFound, ParameterAlreadyExists, ParameterVersionNotFound, ValidationException,
// InvalidNextToken, …); no answer or error ever echoes a SecureString's plaintext unless the
// caller asked for it with WithDecryption.
// Threads: control thread only.
#pragma once

#include <string>

#include "api/http/http_types.h"
#include "api/http/input.h"
#include "api/http/json_reply.h"
#include "secrets/secret_store.h"

namespace berth::api {

class SsmApi {
 public:
  static constexpr const char* kTargetPrefix = "AmazonSSM.";
  static constexpr const char* kSigningName = "ssm";

  explicit SsmApi(secrets::SecretStore& store) : store_(store) {}

  HttpResponse Handle(const std::string& operation, const std::string& body,
                      const std::string& region);

 private:
  Reply PutParameter(Input& in);
  Reply GetParameter(Input& in);
  Reply GetParameters(Input& in);
  Reply GetParametersByPath(Input& in);
  Reply GetParameterHistory(Input& in);
  Reply DeleteParameter(Input& in);
  Reply DeleteParameters(Input& in);
  Reply DescribeParameters(Input& in);

  secrets::SecretStore& store_;
};

// (code, resource) → SSM's __type and HTTP status.
AwsError SsmError(const Status& s);

}  // namespace berth::api
