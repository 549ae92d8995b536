// The one table from a domain Status to an AWS error on the wire (HTTP status and __type) for
// each protocol. Keyed by (code, resource) — never by message.
// Pure; any thread.
#pragma once

#include <string>

#include "common/status.h"

namespace berth::api {

struct AwsError {
  int http_status = 400;
  std::string type;  // __type, e.g. "ClusterNotFoundException"
  std::string message;
};

// ECS (awsJson1_1, AmazonEC2ContainerServiceV20141113).
AwsError EcsError(const Status& s);
// CloudWatch Logs (awsJson1_1, Logs_20140328).
AwsError LogsError(const Status& s);

}  // namespace berth::api
