// EngineClient: the Docker Engine API over its unix socket (DOCKER_HOST=unix://…, default
// /var/run/docker.sock), as the ECS agent speaks it. Connect() pings the engine and negotiates
// the API version: the engine's own, capped at the newest berth knows (1.43) and refused below
// 1.41 (Docker 20.10; Podman's compatible API reports 1.41). Every path is sent as /vX.Y/path.
//
// Each call is one blocking HTTP exchange on its own connection (libcurl), so calls may run on
// any thread, concurrently; streamed answers (logs, pulls) hand their body out in pieces as
// they arrive. Never on the control thread for anything that can take long (pull, wait, logs).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace berth::docker {

// The unix socket named by a DOCKER_HOST value ("" or null = /var/run/docker.sock).
// InvalidArgument for other schemes (tcp://, ssh://): berth only talks to a local engine.
Result<std::string> SocketFromDockerHost(const char* docker_host);

struct EngineResponse {
  int status = 0;
  std::string body;  // empty when streamed
};

class EngineClient {
 public:
  // Pings the engine at socket_path and negotiates the API version. Unavailable when nothing
  // answers there, FailedPrecondition for an engine older than API 1.41.
  static Result<std::unique_ptr<EngineClient>> Connect(const std::string& socket_path);

  const std::string& api_version() const { return api_version_; }
  const std::string& socket_path() const { return socket_path_; }

  // method + path (with its query, without the version prefix); a JSON body when non-empty
  // (another Content-Type may be given in headers, e.g. application/x-tar).
  // timeout_ms 0 = none. Unavailable when the engine cannot be reached; any HTTP status is a
  // response (callers map 4xx/5xx to their errors with MessageOf).
  Result<EngineResponse> Call(const std::string& method, const std::string& path,
                              const std::string& json_body = "", int timeout_ms = 30000,
                              const std::vector<std::pair<std::string, std::string>>& headers = {});
  // As Call, but the body goes to on_data piece by piece (on the calling thread) until the
  // engine ends it, on_data returns false, or *cancel becomes true.
  Result<EngineResponse> Stream(const std::string& method, const std::string& path,
                                const std::string& json_body,
                                const std::function<bool(std::string_view)>& on_data,
                                const std::atomic<bool>* cancel = nullptr,
                                const std::vector<std::pair<std::string, std::string>>& headers = {});

  // The "message" of an engine error body ({"message":"..."}), else the body itself.
  static std::string MessageOf(const EngineResponse& r);

 private:
  EngineClient(std::string socket_path, std::string api_version)
      : socket_path_(std::move(socket_path)), api_version_(std::move(api_version)) {}
  Result<EngineResponse> Exchange(const std::string& method, const std::string& url_path,
                                  const std::string& json_body, int timeout_ms,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  const std::function<bool(std::string_view)>* on_data,
                                  const std::atomic<bool>* cancel, std::string* api_header);

  const std::string socket_path_;
  std::string api_version_;
};

}  // namespace berth::docker
