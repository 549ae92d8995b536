// TaskEndpointService: the endpoints code inside a task uses to find out about itself and to
// call AWS APIs as its task role, as the ECS agent offers them — served by the daemon on its
// own port, at 127.0.0.1:
//
//   ECS_CONTAINER_METADATA_URI_V4       http://127.0.0.1:PORT/v4/<container token>
//                                       (+ /task, /stats, /task/stats, /taskWithTags)
//   AWS_CONTAINER_CREDENTIALS_FULL_URI  http://127.0.0.1:PORT/v2/credentials/<id>  (tasks with a
//   AWS_CONTAINER_AUTHORIZATION_TOKEN   <token>, sent back in the Authorization header   taskRoleArn)
//   AWS_ENDPOINT_URL                    http://127.0.0.1:PORT (berth's API, for SDKs that read it)
//
// A task in its own network namespace (awsvpc, bridge) reaches the same URLs: the service opens a
// listening socket at 127.0.0.1:PORT inside the namespace (network::ListenInNamespace) and hands
// it to the HTTP server; requests on it are tagged with the task.
//
// Credentials: a random access key (ASIA…), secret and session token per task, valid for
// `credentials_lifetime_ms` (default 6 h, as a role session), reissued when a fetch finds less
// than half of it left; SigV4 accepts them (SessionLookup) with their token until they expire.
// When the task stops, its credentials stop working at once and its endpoints answer 404. They
// grant what the daemon's own key grants: berth has no IAM policies. Tokens and ids are 128+
// random bits from OpenSSL; nothing of them is logged. The session keys of running tasks are
// stored in `sessions_path` (0600, like berth's own credentials file), and a task adopted after
// a daemon restart keeps its tokens (read back from its containers' environment) and keys.
//
// Threads: the control thread only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/auth/sigv4.h"
#include "api/http/http_server.h"
#include "api/http/http_types.h"
#include "common/clock.h"
#include "driver/driver.h"
#include "ecs/control_plane.h"
#include "runner/task_endpoints.h"

namespace berth::daemon {

struct TaskEndpointOptions {
  int64_t credentials_lifetime_ms = 6 * 3600 * 1000LL;
  std::string availability_zone = "us-east-1a";
  // Where the session credentials handed out are kept (mode 0600), so that SDKs inside tasks a
  // restarted daemon adopts keep working with the keys they hold; "" = memory only.
  std::string sessions_path;
};

class TaskEndpointService : public runner::TaskEndpoints {
 public:
  TaskEndpointService(const Clock& clock, driver::Driver& driver, TaskEndpointOptions options);
  ~TaskEndpointService() override;

  // Wiring, before the first task starts: the control plane (task lookups) and the HTTP server
  // with the port it listens on.
  void set_control_plane(const ecs::ControlPlane* cp) { control_plane_ = cp; }
  void set_server(api::HttpServer* server, int port) {
    server_ = server;
    port_ = port;
  }

  // runner::TaskEndpoints
  std::map<std::string, runner::EnvironmentList> Open(
      const model::Task& task, const model::TaskDefinition& definition, int netns_fd,
      const std::map<std::string, runner::EnvironmentList>& running) override;
  void AddNamespace(const std::string& task_arn, int netns_fd) override;
  void Close(const std::string& task_arn) override;

  // GET /v4/... and /v2/credentials/... (Router::SetTaskEndpoints).
  api::HttpResponse Handle(const api::HttpRequest& req);
  // Once the stored tasks were adopted: stored session keys no task claimed stop working.
  void ForgetUnclaimed();
  // Router::SetSessionLookup.
  std::optional<auth::SessionCredentials> FindSession(const std::string& access_key_id) const;

 private:
  struct ContainerRef {
    std::string task_arn, cluster_arn, container_name;
  };
  struct Role {
    std::string task_arn, role_arn, auth_token;
    std::vector<std::string> access_keys;  // issued, newest last
  };
  struct TaskState {
    std::vector<std::string> container_tokens;
    std::string credentials_id;  // "" = no role
    std::vector<int> listeners;  // HttpServer::AddListener ids (one per network namespace)
  };

  api::HttpResponse HandleMetadata(const std::string& token, const std::string& rest);
  api::HttpResponse HandleCredentials(const api::HttpRequest& req, const std::string& id);
  const auth::SessionCredentials& Issue(Role& role);
  void LoadStoredSessions();
  void ClaimStoredSessions(const std::string& credentials_id, Role& role);
  void SaveSessions();

  const Clock& clock_;
  driver::Driver& driver_;
  TaskEndpointOptions options_;
  const ecs::ControlPlane* control_plane_ = nullptr;
  api::HttpServer* server_ = nullptr;
  int port_ = 0;
  std::map<std::string, ContainerRef> containers_;          // by metadata token
  std::map<std::string, Role> roles_;                       // by credentials id
  std::map<std::string, auth::SessionCredentials> keys_;    // by access key id
  std::map<std::string, TaskState> tasks_;                  // by task ARN
  // Keys a previous daemon handed out, by credentials id, until an adopted task claims them.
  std::map<std::string, std::vector<auth::SessionCredentials>> stored_;
};

}  // namespace berth::daemon
