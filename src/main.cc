// berth: `berth serve` runs the daemon; every other verb is a client of its API.
#include <CLI/CLI.hpp>
#include <cstring>

#include "cli/cli.h"
#include "daemon/serve.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "serve") == 0) {
    berth::daemon::ServeOptions opts;
    CLI::App app{"berth serve: the berth daemon (ECS API on a loopback port; runs tasks)"};
    app.add_option("--listen", opts.listen, "HOST:PORT to listen on (port 0: any free port)");
    app.add_option("--data-dir", opts.data_dir,
                   "State, credentials and task files (default ~/.local/share/berth)");
    app.add_option("--region", opts.region, "Region for resources created before any request");
    app.add_option("--account-id", opts.account_id, "Account id in ARNs");
    app.add_flag("--allow-reset", opts.allow_reset, "Enable POST /_berth/reset (test harnesses)");
    app.add_option("--task-subnet", opts.task_subnet,
                   "IPv4 subnet for awsvpc/bridge tasks' own addresses (default 10.213.0.0/16; "
                   "the first address is the host's, on the bridge)");
    app.add_option("--task-bridge", opts.task_bridge,
                   "Linux bridge for task networks (default berth0)");
    app.add_option("--lb-bind-address", opts.lb_bind_address,
                   "IPv4 address ELBv2 listeners listen on (default 127.0.0.1)");
    app.add_option("--lb-forwarding", opts.lb_forwarding,
                   "How listeners forward local connections: auto (in the kernel with nftables "
                   "when berth runs as root, else through berth's proxy) or proxy (always)")
        ->check(CLI::IsMember({"auto", "proxy"}));
    app.add_option("--event-retry-cap", opts.event_retry_cap_s,
                   "Longest wait in seconds between two delivery attempts of an event to a "
                   "failing target (default 60; back-off doubles from 1 s with jitter)")
        ->check(CLI::Range(1, 3600));
    app.add_option("--task-credentials-lifetime", opts.task_credentials_lifetime_s,
                   "Seconds a task role's credentials stay valid (default 21600, 6 h; a new set "
                   "is issued when half of it has passed)")
        ->check(CLI::Range(1, 43200));
    app.add_option("--driver", opts.driver,
                   "How tasks run: docker (containers from their images, through the Docker "
                   "engine at DOCKER_HOST, default unix:///var/run/docker.sock), process (as "
                   "host processes), or auto (default: docker when its socket answers)")
        ->check(CLI::IsMember({"auto", "docker", "process"}));
    app.add_option("--docker-remove-delay", opts.docker_remove_delay_s,
                   "Seconds a stopped task's Docker containers are kept (default 3600)")
        ->check(CLI::Range(0, 7 * 24 * 3600));
    app.add_flag("--docker-allow-privileged", opts.docker_allow_privileged,
                 "Let task definitions run privileged Docker containers (refused by default)");
    app.add_option("--stopped-task-retention", opts.stopped_task_retention_s,
                   "Seconds a stopped task stays describable (default 3600)");
    try {
      app.parse(argc - 1, argv + 1);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
    return berth::daemon::Serve(opts);
  }
  return berth::cli::Run(argc, argv);
}
