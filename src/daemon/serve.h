// `berth serve`: wires the components together and runs the control thread until SIGTERM or
// SIGINT. The only place in berth that knows every component.
#pragma once

#include <string>

namespace berth::daemon {

struct ServeOptions {
  std::string listen = "127.0.0.1:4747";
  std::string data_dir;  // empty = DefaultDataDir()
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  bool allow_reset = false;
  int stopped_task_retention_s = 3600;
  std::string lb_bind_address = "127.0.0.1";  // where ELBv2 listeners listen
  std::string lb_forwarding = "auto";  // "auto": kernel (nftables) when possible; "proxy"
  std::string task_subnet = "10.213.0.0/16";   // awsvpc/bridge task addresses
  std::string task_bridge = "berth0";
  int event_retry_cap_s = 60;  // longest wait between two delivery attempts of an event
  int task_credentials_lifetime_s = 6 * 3600;  // task role credentials (task endpoints)
  std::string driver = "auto";  // tasks: docker, process, or auto (docker when its socket answers)
  int docker_remove_delay_s = 3600;  // stopped containers are removed after this long
  bool docker_allow_privileged = false;
};

// Returns the process exit code.
int Serve(const ServeOptions& options);

}  // namespace berth::daemon
