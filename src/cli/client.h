// Client: how the berth CLI reaches the daemon — like any AWS client, over HTTP with SigV4.
// It honours the standard AWS environment (AWS_ENDPOINT_URL[_ECS], AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION/AWS_DEFAULT_REGION, AWS_PROFILE) and otherwise finds the
// local daemon and its credentials in the data dir.
// Threads: single-threaded use; blocking calls.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace berth::cli {

struct Endpoint {
  std::string url;  // http://127.0.0.1:4747
  std::string host;
  std::string port;
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
};

// Resolves endpoint and credentials from the environment, else from data_dir.
Result<Endpoint> ResolveEndpoint(const std::string& data_dir);

class Client {
 public:
  explicit Client(Endpoint ep) : ep_(std::move(ep)) {}
  // Calls an ECS action. A transport failure is Unavailable; an AWS error from the daemon is
  // returned as FailedPrecondition with "Type: message".
  Result<nlohmann::json> Ecs(const std::string& action, const nlohmann::json& input) {
    return Call("AmazonEC2ContainerServiceV20141113.", "ecs", action, input);
  }
  Result<nlohmann::json> Logs(const std::string& action, const nlohmann::json& input) {
    return Call("Logs_20140328.", "logs", action, input);
  }
  // One awsJson call: POST / with X-Amz-Target target_prefix + action, signed for `service`.
  Result<nlohmann::json> Call(const std::string& target_prefix, const std::string& service,
                              const std::string& action, const nlohmann::json& input);
  const Endpoint& endpoint() const { return ep_; }

 private:
  Endpoint ep_;
};

}  // namespace berth::cli
