#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <thread>

#include "cli/client.h"
#include "cli/event_commands.h"
#include "cli/logs_command.h"
#include "cli/service_commands.h"
#include "common/clock.h"
#include "common/local_config.h"

namespace berth::cli {

using nlohmann::json;

namespace {

int Fail(const Status& s) {
  fprintf(stderr, "berth: %s\n", s.message().c_str());
  return 1;
}

std::string ShortId(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

std::string Age(double created_s) {
  long long secs = SystemClock().NowMs() / 1000 - static_cast<long long>(created_s);
  if (secs < 0) secs = 0;
  if (secs < 120) return std::to_string(secs) + "s";
  if (secs < 7200) return std::to_string(secs / 60) + "m";
  if (secs < 172800) return std::to_string(secs / 3600) + "h";
  return std::to_string(secs / 86400) + "d";
}

std::string ContainerSummary(const json& task) {
  std::string out;
  for (const auto& c : task.value("containers", json::array())) {
    if (!out.empty()) out += " ";
    out += c.value("name", "?") + ":" + c.value("lastStatus", "?");
    if (c.contains("exitCode")) out += "(" + std::to_string(c["exitCode"].get<int>()) + ")";
  }
  return out;
}

Result<std::vector<json>> Describe(Client& client, const std::string& cluster,
                                   const std::vector<std::string>& arns) {
  std::vector<json> tasks;
  for (size_t i = 0; i < arns.size(); i += 100) {
    json ids = json::array();
    for (size_t j = i; j < arns.size() && j < i + 100; ++j) ids.push_back(arns[j]);
    auto r = client.Ecs("DescribeTasks", {{"cluster", cluster}, {"tasks", ids}});
    if (!r.ok()) return r.status();
    for (auto& t : (*r)["tasks"]) tasks.push_back(t);
  }
  return tasks;
}

Result<std::vector<std::string>> List(Client& client, const std::string& cluster,
                                      const std::string& desired) {
  std::vector<std::string> arns;
  json input = {{"cluster", cluster}, {"desiredStatus", desired}};
  while (true) {
    auto r = client.Ecs("ListTasks", input);
    if (!r.ok()) return r.status();
    for (const auto& a : (*r)["taskArns"]) arns.push_back(a.get<std::string>());
    if (!r->contains("nextToken")) break;
    input["nextToken"] = (*r)["nextToken"];
  }
  return arns;
}

int Ps(Client& client, const std::string& cluster, bool all) {
  auto running = List(client, cluster, "RUNNING");
  if (!running.ok()) return Fail(running.status());
  std::vector<std::string> arns = *running;
  if (all) {
    auto stopped = List(client, cluster, "STOPPED");
    if (!stopped.ok()) return Fail(stopped.status());
    arns.insert(arns.end(), stopped->begin(), stopped->end());
  }
  auto tasks = Describe(client, cluster, arns);
  if (!tasks.ok()) return Fail(tasks.status());
  printf("%-32s  %-24s  %-12s  %-9s  %-5s  %-7s  %s\n", "TASK", "DEFINITION", "STATUS", "HEALTH",
         "AGE", "DRIVER", "CONTAINERS");
  for (const auto& t : *tasks) {
    std::string def = t.value("taskDefinitionArn", "");
    def = def.substr(def.rfind('/') + 1);
    std::string driver = "-";
    for (const auto& a : t.value("attributes", json::array())) {
      if (a.value("name", "") == "berth.driver") driver = a.value("value", "-");
    }
    printf("%-32s  %-24s  %-12s  %-9s  %-5s  %-7s  %s\n", ShortId(t.value("taskArn", "")).c_str(),
           def.c_str(), t.value("lastStatus", "").c_str(), t.value("healthStatus", "").c_str(),
           Age(t.value("createdAt", 0.0)).c_str(), driver.c_str(), ContainerSummary(t).c_str());
  }
  return 0;
}

int RunTask(Client& client, const std::string& cluster, const std::string& taskdef, int count,
            const std::string& override_container, const std::vector<std::string>& args,
            bool wait) {
  json input = {{"cluster", cluster}, {"taskDefinition", taskdef}, {"count", count}};
  if (!override_container.empty()) {
    input["overrides"] = {{"containerOverrides", {{{"name", override_container}, {"command", args}}}}};
  }
  auto r = client.Ecs("RunTask", input);
  if (!r.ok()) return Fail(r.status());
  std::vector<std::string> arns;
  for (const auto& t : (*r)["tasks"]) {
    arns.push_back(t["taskArn"].get<std::string>());
    printf("%s\n", ShortId(arns.back()).c_str());
  }
  for (const auto& f : (*r)["failures"]) {
    fprintf(stderr, "berth: could not place a task: %s\n", f.value("reason", "").c_str());
  }
  if (arns.empty()) return 1;
  if (!wait) return (*r)["failures"].empty() ? 0 : 1;
  std::set<std::string> essential_names;
  auto def = client.Ecs("DescribeTaskDefinition",
                        {{"taskDefinition", (*r)["tasks"][0].value("taskDefinitionArn", "")}});
  if (!def.ok()) return Fail(def.status());
  for (const auto& c : (*def)["taskDefinition"]["containerDefinitions"]) {
    if (c.value("essential", true)) essential_names.insert(c.value("name", ""));
  }
  // --wait: until every task has stopped; exit 0 only if every essential container exited 0
  // (sidecars stopped by SIGTERM when the main container finished do not count).
  while (true) {
    auto tasks = Describe(client, cluster, arns);
    if (!tasks.ok()) return Fail(tasks.status());
    bool all_stopped = true;
    for (const auto& t : *tasks) all_stopped &= t.value("lastStatus", "") == "STOPPED";
    if (all_stopped) {
      int rc = 0;
      for (const auto& t : *tasks) {
        printf("%s  %s  %s\n", ShortId(t["taskArn"]).c_str(), t.value("stoppedReason", "").c_str(),
               ContainerSummary(t).c_str());
        for (const auto& c : t["containers"]) {
          bool essential = essential_names.count(c.value("name", "")) > 0;
          if (essential && (!c.contains("exitCode") || c["exitCode"].get<int>() != 0)) rc = 1;
        }
      }
      return rc;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int StopTask(Client& client, const std::string& cluster, const std::string& task,
             const std::string& reason) {
  json input = {{"cluster", cluster}, {"task", task}};
  if (!reason.empty()) input["reason"] = reason;
  auto r = client.Ecs("StopTask", input);
  if (!r.ok()) return Fail(r.status());
  printf("%s  desired %s, last %s\n", ShortId((*r)["task"]["taskArn"]).c_str(),
         (*r)["task"].value("desiredStatus", "").c_str(), (*r)["task"].value("lastStatus", "").c_str());
  return 0;
}

int DescribeTask(Client& client, const std::string& cluster, const std::string& task) {
  auto tasks = Describe(client, cluster, {task});
  if (!tasks.ok()) return Fail(tasks.status());
  if (tasks->empty()) {
    fprintf(stderr, "berth: no task %s in cluster %s\n", task.c_str(), cluster.c_str());
    return 1;
  }
  printf("%s\n", (*tasks)[0].dump(2).c_str());
  return 0;
}

int Env(const std::string& data_dir) {
  auto ep = ResolveEndpoint(data_dir);
  if (!ep.ok()) return Fail(ep.status());
  printf("export AWS_ACCESS_KEY_ID=%s\n", ep->access_key_id.c_str());
  printf("export AWS_SECRET_ACCESS_KEY=%s\n", ep->secret_access_key.c_str());
  printf("export AWS_DEFAULT_REGION=%s\n", ep->region.c_str());
  printf("export AWS_REGION=%s\n", ep->region.c_str());  // the JS SDK v3 reads only this one
  printf("export AWS_ENDPOINT_URL=%s\n", ep->url.c_str());
  return 0;
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"berth: Amazon ECS on one machine. `berth serve` runs the daemon; the other "
               "verbs talk to it through its AWS API."};
  app.require_subcommand(1);
  std::string data_dir = DefaultDataDir();
  std::string cluster = "default";
  app.add_option("--data-dir", data_dir, "Data dir of the local daemon (env BERTH_DATA_DIR)");

  auto* env = app.add_subcommand("env", "Print the export lines that point AWS tools at berth");
  bool all = false;
  auto* ps = app.add_subcommand("ps", "List tasks: id, definition, status, health, age, containers");
  ps->add_flag("--all,-a", all, "Include stopped tasks");
  ps->add_option("--cluster", cluster, "Cluster (default: default)");

  std::string taskdef, override_container;
  int count = 1;
  bool wait = false;
  std::vector<std::string> args;
  auto* run = app.add_subcommand("run-task", "Run a task: berth run-task FAMILY[:REV] "
                                             "[--override-command CONTAINER -- ARGS...]");
  run->add_option("taskdef", taskdef, "Task definition: family, family:revision or ARN")->required();
  run->add_option("--count", count, "How many tasks (1-10)");
  run->add_option("--cluster", cluster, "Cluster (default: default)");
  run->add_option("--override-command", override_container,
                  "Replace this container's command with the arguments after --");
  run->add_flag("--wait", wait, "Wait until the tasks stop; exit 1 unless every essential container exited 0");
  run->add_option("args", args, "The command for --override-command (after --)");

  std::string task, reason;
  auto* stop = app.add_subcommand("stop", "Stop a task (its stop sequence: SIGTERM, stopTimeout, SIGKILL)");
  stop->add_option("task", task, "Task id or ARN")->required();
  stop->add_option("--reason", reason, "Reason recorded as stoppedReason");
  stop->add_option("--cluster", cluster, "Cluster (default: default)");

  auto* describe = app.add_subcommand("describe", "Show a task as DescribeTasks returns it");
  describe->add_option("task", task, "Task id or ARN")->required();
  describe->add_option("--cluster", cluster, "Cluster (default: default)");

  LogsOptions logs_options;
  auto* logs = app.add_subcommand("logs", "Show a task's or a log group's events "
                                          "(berth logs TASK|GROUP [-f] [--since 10m])");
  logs->add_option("target", logs_options.target, "Task id or ARN, or a log group name")->required();
  logs->add_option("--container", logs_options.container, "Only this container");
  logs->add_flag("--follow,-f", logs_options.follow, "Keep printing new events until Ctrl-C");
  logs->add_option("--since", logs_options.since, "Only events newer than this (30s, 10m, 2h, 1d)");
  logs->add_option("--filter", logs_options.filter, "CloudWatch Logs filter pattern");
  logs->add_option("--cluster", logs_options.cluster, "Cluster (default: default)");

  auto* services = app.add_subcommand("services", "List services: counts and rollout state");
  services->add_option("--cluster", cluster, "Cluster (default: default)");

  DeployOptions deploy_options;
  auto* deploy = app.add_subcommand(
      "deploy", "Deploy a service as the aws-actions render + deploy actions do: berth deploy "
                "--service S (--task-definition FILE | --image CONTAINER=IMAGE ...) [--wait]. "
                "Exit codes with --wait: 0 stable, 1 failed (circuit breaker), 3 timed out");
  deploy->add_option("--service", deploy_options.service, "Service name or ARN")->required();
  deploy->add_option("--cluster", deploy_options.cluster, "Cluster (default: default)");
  deploy->add_option("--task-definition", deploy_options.task_definition_file,
                     "Task definition JSON file (default: the service's current revision)");
  deploy->add_option("--image", deploy_options.images,
                     "CONTAINER=IMAGE: replace that container's image (repeatable)");
  deploy->add_flag("--wait", deploy_options.wait, "Show progress until stable, failed or timed out");
  deploy->add_option("--timeout", deploy_options.timeout, "With --wait: give up after this (default 10m)");

  EventCommands event_commands(app);  // `rules` and `events`

  CLI11_PARSE(app, argc, argv);
  if (env->parsed()) return Env(data_dir);
  if (!override_container.empty() && args.empty()) {
    fprintf(stderr, "berth: --override-command %s needs the command after --\n",
            override_container.c_str());
    return 2;
  }
  auto ep = ResolveEndpoint(data_dir);
  if (!ep.ok()) return Fail(ep.status());
  Client client(*ep);
  if (ps->parsed()) return Ps(client, cluster, all);
  if (run->parsed()) return RunTask(client, cluster, taskdef, count, override_container, args, wait);
  if (stop->parsed()) return StopTask(client, cluster, task, reason);
  if (describe->parsed()) return DescribeTask(client, cluster, task);
  if (logs->parsed()) return LogsCommand(client, logs_options);
  if (services->parsed()) return ServicesCommand(client, cluster);
  if (deploy->parsed()) return DeployCommand(client, deploy_options);
  if (event_commands.parsed()) return event_commands.Run(client);
  return 2;
}

}  // namespace berth::cli
