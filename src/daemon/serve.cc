#include "daemon/serve.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>

#include "api/ecs/ecs_api.h"
#include "api/elbv2/elbv2_api.h"
#include "api/events/events_api.h"
#include "api/http/http_server.h"
#include "api/lambda/lambda_api.h"
#include "api/router.h"
#include "api/s3/s3_api.h"
#include "api/secrets/secrets_api.h"
#include "api/ssm/ssm_api.h"
#include "common/asio_executor.h"
#include "daemon/data_dir.h"
#include "daemon/event_targets.h"
#include "daemon/service_load_balancing.h"
#include "daemon/task_config_source.h"
#include "daemon/task_endpoints.h"
#include "docker/docker_driver.h"
#include "driver/process_driver.h"
#include "ecs/control_plane.h"
#include "events/api_destination_invoker.h"
#include "events/event_bus.h"
#include "functions/functions.h"
#include "lb/load_balancing.h"
#include "logs/log_store.h"
#include "logs/pipeline.h"
#include "network/task_networks.h"
#include "objects/object_store.h"
#include "secrets/secret_store.h"
#include "state/state_store.h"

namespace berth::daemon {

namespace {

void Log(const std::string& msg) {
  std::string line = "berth: " + msg + "\n";
  fwrite(line.data(), 1, line.size(), stderr);
}

bool SplitListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  std::string p = listen.substr(colon + 1);
  if (host->empty() || p.empty() || p.size() > 5 ||
      p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *port = std::stoi(p);
  return *port <= 65535;
}

std::vector<std::pair<std::string, std::string>> BaseEnvironment(const std::string& region) {
  const char* path = getenv("PATH");
  const char* home = getenv("HOME");
  return {
      {"PATH",
       path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", home && *home ? home : "/root"},
      {"AWS_EXECUTION_ENV", "AWS_ECS_EC2"},
      {"AWS_REGION", region},
      {"AWS_DEFAULT_REGION", region},
  };
}

}  // namespace

int Serve(const ServeOptions& options) {
  std::string host;
  int port = 0;
  if (!SplitListen(options.listen, &host, &port)) {
    Log("--listen must be HOST:PORT, e.g. 127.0.0.1:4747");
    return 2;
  }
  std::string dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  Status st = EnsureDataDir(dir);
  if (st.ok()) st = LockDataDir(dir);
  if (!st.ok()) {
    Log(st.message());
    return 1;
  }
  auto creds = LoadOrCreateCredentials(dir);
  if (!creds.ok()) {
    Log(creds.status().message());
    return 1;
  }
  auto store = state::StateStore::Open(dir + "/state.db");
  if (!store.ok()) {
    Log(store.status().message());
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);

  boost::asio::io_context io;
  AsioExecutor executor(io);
  // Destruction runs bottom-up: the control plane, then the driver (its capture thread writes
  // into the pipeline), then the pipeline (flushes the store), then the store.
  auto log_store = logs::LogStore::Open(dir + "/logs", executor.clock());
  if (!log_store.ok()) {
    Log("cannot open the log store: " + log_store.status().message());
    return 1;
  }
  logs::Pipeline pipeline(**log_store, executor.clock());
  driver::ProcessDriver driver(executor, dir);
  // Tasks run with Docker (images) or as host processes; functions always as host processes.
  std::unique_ptr<docker::DockerDriver> docker_driver;
  if (options.driver != "process") {
    auto socket = docker::SocketFromDockerHost(getenv("DOCKER_HOST"));
    auto engine = socket.ok() ? docker::EngineClient::Connect(*socket)
                              : Result<std::unique_ptr<docker::EngineClient>>(socket.status());
    if (engine.ok()) {
      docker::DockerDriverOptions docker_options;
      docker_options.labels = {{"berth.daemon", dir}};
      docker_options.remove_delay_ms = options.docker_remove_delay_s * 1000LL;
      docker_options.allow_privileged = options.docker_allow_privileged;
      docker_options.cursor_dir = dir + "/docker-cursors";
      if (mkdir(docker_options.cursor_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        Log("cannot create " + docker_options.cursor_dir + ": " + strerror(errno) +
            "; tasks will not survive a restart of the daemon");
        docker_options.cursor_dir.clear();
      }
      docker_driver = std::make_unique<docker::DockerDriver>(executor, std::move(*engine),
                                                             docker_options);
    } else if (options.driver == "docker") {
      Log("--driver docker: " + engine.status().message());
      return 1;
    }
  }
  driver::Driver& task_driver = docker_driver ? static_cast<driver::Driver&>(*docker_driver)
                                              : static_cast<driver::Driver&>(driver);
  // Lambda functions: one process per invocation through the driver, output into the logs.
  functions::Options fn_options;
  fn_options.data_dir = dir;
  fn_options.account_id = options.account_id;
  fn_options.default_region = options.region;
  fn_options.base_env = BaseEnvironment(options.region);
  fn_options.log_store = log_store->get();
  fn_options.pipeline = &pipeline;
  functions::Functions functions(executor, driver, fn_options);
  if (Status fs = functions.Load(); !fs.ok()) {
    Log("cannot load the functions: " + fs.message());
    return 1;
  }
  // Load balancers: their own thread for the listeners' proxies and health checks. Declared
  // before the control plane so it outlives it: tasks stop (and deregister) before the
  // listeners close.
  lb::Options lb_options;
  lb_options.data_dir = dir;
  lb_options.bind_address = options.lb_bind_address;
  lb_options.account_id = options.account_id;
  lb_options.kernel_forwarding = options.lb_forwarding != "proxy";
  lb_options.task_interfaces = {options.task_bridge};
  lb_options.task_subnets = {options.task_subnet};
  auto load_balancing = lb::LoadBalancing::Open(executor, lb_options);
  if (!load_balancing.ok()) {
    Log("cannot start the load balancers: " + load_balancing.status().message());
    return 1;
  }
  for (const auto& w : (*load_balancing)->TakeWarnings()) Log(w);
  if (!(*load_balancing)->kernel_table().empty()) {
    Log("listeners forward local connections in the kernel (nftables table ip " +
        (*load_balancing)->kernel_table() + ")");
  }
  // Task network namespaces (awsvpc, bridge). Without root, awsvpc is refused at RunTask and
  // bridge tasks use the host network.
  network::Options net_options;
  net_options.subnet = options.task_subnet;
  net_options.bridge = options.task_bridge;
  network::TaskNetworks networks(net_options);
  if (Status a = networks.Available(); a.ok()) {
    if (int n = networks.SweepLeftovers(); n > 0) {
      Log("removed " + std::to_string(n) + " task network links left by an earlier daemon");
    }
  } else {
    Log("task networks unavailable: " + a.message());
  }
  ServiceLoadBalancing service_lb(executor, **load_balancing);
  // S3 buckets and objects (DATA_DIR/objects); environment files are read from it.
  auto object_store = objects::ObjectStore::Open(dir + "/objects", executor.clock());
  if (!object_store.ok()) {
    Log("cannot open the object store: " + object_store.status().message());
    return 1;
  }
  // SSM parameters and Secrets Manager secrets (DATA_DIR/secrets, values sealed at rest); the
  // task runner resolves containers' `secrets` from it.
  auto secret_store = secrets::SecretStore::Open(
      executor.clock(), {dir, options.region, options.account_id});
  if (!secret_store.ok()) {
    Log("cannot open the secret store: " + secret_store.status().message());
    return 1;
  }
  // The event bus: rules, targets, the durable outbox. Before the control plane, which
  // publishes ECS events into it; its targets are registered below, once they exist.
  events::BusOptions bus_options;
  bus_options.data_dir = dir;
  bus_options.account_id = options.account_id;
  bus_options.region = options.region;
  bus_options.retry_cap_ms = options.event_retry_cap_s * 1000LL;
  auto event_bus = events::EventBus::Open(executor, bus_options);
  if (!event_bus.ok()) {
    Log("cannot open the event bus: " + event_bus.status().message());
    return 1;
  }
  EcsEventPublisher ecs_events(**event_bus);
  ecs::Options cp_options;
  cp_options.events = &ecs_events;
  cp_options.networks = &networks;
  cp_options.load_balancing = &service_lb;
  cp_options.account_id = options.account_id;
  cp_options.default_region = options.region;
  cp_options.stopped_task_retention_ms = options.stopped_task_retention_s * 1000LL;
  cp_options.runner.base_env = BaseEnvironment(options.region);
  cp_options.runner.pipeline = &pipeline;
  StoreConfigSource task_config(**object_store, **secret_store);  // env files and secrets
  cp_options.runner.config = &task_config;
  // Task metadata and role credentials for code inside tasks (served once the server listens).
  TaskEndpointOptions endpoint_options;
  endpoint_options.credentials_lifetime_ms = options.task_credentials_lifetime_s * 1000LL;
  endpoint_options.availability_zone = options.region + "a";
  endpoint_options.sessions_path = dir + "/task-credentials.json";
  TaskEndpointService task_endpoints(executor.clock(), task_driver, endpoint_options);
  cp_options.runner.endpoints = &task_endpoints;
  ecs::ControlPlane control_plane(executor, task_driver, **store, cp_options);
  task_endpoints.set_control_plane(&control_plane);
  st = control_plane.Load();
  if (!st.ok()) {
    Log("cannot load state: " + st.message());
    return 1;
  }
  // After the adoptions Load posted: what no adopted task claimed goes.
  executor.Post([&docker_driver, &task_endpoints] {
    task_endpoints.ForgetUnclaimed();
    if (!docker_driver) return;
    if (int n = docker_driver->SweepLeftovers(); n > 0) {
      Log("removed " + std::to_string(n) + " Docker containers left by an earlier daemon");
    }
  });

  // Event targets; the bus starts delivering (and replays its outbox) once they are in.
  events::ApiDestinationInvoker api_destination_invoker(executor, **event_bus);
  EcsTaskInvoker ecs_task_invoker(control_plane, options.region);
  LogGroupInvoker log_group_invoker(**log_store, executor.clock());
  FunctionInvoker function_invoker(functions);
  (*event_bus)->AddInvoker(&api_destination_invoker);
  (*event_bus)->AddInvoker(&ecs_task_invoker);
  (*event_bus)->AddInvoker(&log_group_invoker);
  (*event_bus)->AddInvoker(&function_invoker);
  (*event_bus)->Start();

  api::EcsApi ecs_api(control_plane);
  api::EventsApi events_api(**event_bus);
  api::LogsApi logs_api(**log_store, executor.clock(), options.account_id);
  api::Elbv2Api elbv2_api(**load_balancing);
  api::RouterOptions router_options;
  router_options.listen_host = host;
  router_options.port = port;
  router_options.allow_reset = options.allow_reset;
  router_options.credentials = {creds->access_key_id, creds->secret_access_key};
  api::Router router(router_options, executor.clock(), ecs_api, logs_api, elbv2_api,
                     [&control_plane, &log_store, &load_balancing, &event_bus, &functions, &object_store,
                      &secret_store] {
                       Status st = control_plane.Reset();
                       if (st.ok()) st = functions.Reset();
                       if (st.ok()) st = (*event_bus)->Reset();
                       for (const auto& g : (*log_store)->ListGroups()) {
                         if (st.ok()) st = (*log_store)->DeleteGroup(g.name);
                       }
                       if (st.ok()) st = (*load_balancing)->Reset();
                       if (st.ok()) st = (*object_store)->Reset();
                       if (st.ok()) st = (*secret_store)->Reset();
                       return st;
                     });
  router.AddJsonService(api::EventsApi::kTargetPrefix, api::EventsApi::kSigningName,
                        [&events_api](const std::string& op, const std::string& body,
                                      const std::string& region) {
                          return events_api.Handle(op, body, region);
                        });
  router.AddJsonService(api::EventsApi::kBerthTargetPrefix, api::EventsApi::kSigningName,
                        [&events_api](const std::string& op, const std::string& body,
                                      const std::string&) {
                          return events_api.HandleBerth(op, body);
                        });
  api::SsmApi ssm_api(**secret_store);
  router.AddJsonService(api::SsmApi::kTargetPrefix, api::SsmApi::kSigningName,
                        [&ssm_api](const std::string& op, const std::string& body,
                                   const std::string& region) {
                          return ssm_api.Handle(op, body, region);
                        });
  api::SecretsApi secrets_api(**secret_store);
  router.AddJsonService(api::SecretsApi::kTargetPrefix, api::SecretsApi::kSigningName,
                        [&secrets_api](const std::string& op, const std::string& body,
                                       const std::string& region) {
                          return secrets_api.Handle(op, body, region);
                        });
  // Lambda: Invoke answers when the function has finished, so its synchronous Router handler
  // runs the loop meanwhile (api/lambda/lambda_api.h).
  api::LambdaApi::Options lambda_options;
  lambda_options.run_until = [&io](const std::function<bool()>& done) {
    while (!done() && !io.stopped()) io.run_one();
  };
  api::LambdaApi lambda_api(functions, lambda_options);
  router.AddRestService(api::LambdaApi::kSigningName,
                        [&lambda_api](const api::HttpRequest& req, const std::string& region) {
                          return lambda_api.Handle(req, region);
                        });
  // S3: every request streams (bodies to the store's temp files, answers from object files).
  api::s3::S3Api s3_api(**object_store, {options.region});
  router.AddStreamingService(api::s3::S3Api::kSigningName,
                             [&s3_api](const api::HttpRequest& head, const auth::AuthResult& a) {
                               return s3_api.Begin(head, a);
                             });
  router.SetTaskEndpoints([&task_endpoints](const api::HttpRequest& req, const std::string&) {
    return task_endpoints.Handle(req);
  });
  router.SetSessionLookup([&task_endpoints](const std::string& access_key_id) {
    return task_endpoints.FindSession(access_key_id);
  });
  api::HttpServer server(
      io, [&router](const api::HttpRequest& r) { return router.Handle(r); },
      [&router](const api::HttpRequest& head) { return router.BeginStream(head); });
  st = server.Listen(host, port);
  if (!st.ok()) {
    Log(st.message());
    return 1;
  }
  router.set_port(server.port());
  task_endpoints.set_server(&server, server.port());
  std::string url = "http://" + host + ":" + std::to_string(server.port());
  st = WriteEndpoint(dir, url);
  if (!st.ok()) Log(st.message());
  router.ready = true;
  Log("listening on " + url + " (data dir " + dir + ", driver " + task_driver.Name() +
      (docker_driver ? " at " + docker_driver->engine().socket_path() + ", API " +
                           docker_driver->engine().api_version()
                     : std::string()) +
      ")");

  // Shutdown: stop accepting, stop every task with its stop sequence, then leave the loop.
  // A deadline of the longest stopTimeout plus half a second bounds it.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  bool shutting_down = false;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec || shutting_down) return;
    shutting_down = true;
    Log(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", stopping tasks");
    server.StopAccepting();
    router.ready = false;
    // Deliveries not yet done stay in the outbox for the next start.
    (*event_bus)->Shutdown();
    int grace_ms = control_plane.MaxStopTimeoutS() * 1000 + 500;
    executor.RunAfter(grace_ms, [&] {
      Log("stop timeout passed; killing what is left");
      io.stop();
    });
    control_plane.StopAllTasks("berth daemon shutting down", [&] { io.stop(); });
  });
  io.run();
  task_endpoints.set_server(nullptr, 0);  // the server goes first; its listeners with it
  (*event_bus)->Shutdown();  // before the invokers it points to go away
  if (docker_driver) docker_driver->KillAll();
  driver.KillAll();
  RemoveEndpoint(dir);
  Log("stopped");
  return 0;
}

}  // namespace berth::daemon
