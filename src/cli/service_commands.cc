#include "cli/service_commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "common/clock.h"

namespace berth::cli {

using nlohmann::json;

namespace {

int Fail(const std::string& message) {
  fprintf(stderr, "berth: %s\n", message.c_str());
  return 1;
}

std::string Short(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

// "90s", "10m", "2h" → milliseconds; -1 when malformed.
long long ParseDuration(const std::string& s) {
  if (s.size() < 2) return -1;
  long long n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (!isdigit(static_cast<unsigned char>(s[i]))) return -1;
    n = n * 10 + (s[i] - '0');
    if (n > 100000000) return -1;
  }
  switch (s.back()) {
    case 's': return n * 1000;
    case 'm': return n * 60 * 1000;
    case 'h': return n * 3600 * 1000;
    default: return -1;
  }
}

Result<json> DescribeService(Client& client, const std::string& cluster, const std::string& name) {
  auto r = client.Ecs("DescribeServices", {{"cluster", cluster}, {"services", {name}}});
  if (!r.ok()) return r.status();
  if ((*r)["services"].empty()) {
    return NotFound("no service " + name + " in cluster " + cluster);
  }
  return (*r)["services"][0];
}

// The render action: the named container's image replaced; an unknown name is an error.
Status RenderImages(json& td, const std::vector<std::string>& images) {
  for (const auto& spec : images) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return InvalidArgument("--image takes CONTAINER=IMAGE, got '" + spec + "'");
    }
    std::string name = spec.substr(0, eq);
    bool found = false;
    for (auto& c : td["containerDefinitions"]) {
      if (c.value("name", "") == name) {
        c["image"] = spec.substr(eq + 1);
        found = true;
      }
    }
    if (!found) {
      return InvalidArgument("Invalid task definition: Could not find container definition with "
                             "matching name '" + name + "'");
    }
  }
  return Status::Ok();
}

// What DescribeTaskDefinition returns but RegisterTaskDefinition does not take.
void CleanForRegister(json& td) {
  for (const char* k : {"taskDefinitionArn", "revision", "status", "requiresAttributes",
                        "compatibilities", "registeredAt", "registeredBy", "deregisteredAt"}) {
    td.erase(k);
  }
}

std::string DeploymentLine(const json& d) {
  char buf[256];
  snprintf(buf, sizeof buf, "  %-26s %-7s %-11s running %d/%d  pending %d  failed %d",
           d.value("id", "").c_str(), d.value("status", "").c_str(),
           d.value("rolloutState", "").c_str(), d.value("runningCount", 0),
           d.value("desiredCount", 0), d.value("pendingCount", 0), d.value("failedTasks", 0));
  return buf;
}

}  // namespace

int ServicesCommand(Client& client, const std::string& cluster) {
  std::vector<std::string> arns;
  json input = {{"cluster", cluster}};
  while (true) {
    auto r = client.Ecs("ListServices", input);
    if (!r.ok()) return Fail(r.status().message());
    for (const auto& a : (*r)["serviceArns"]) arns.push_back(a.get<std::string>());
    if (!r->contains("nextToken")) break;
    input["nextToken"] = (*r)["nextToken"];
  }
  printf("%-24s  %-8s  %-7s  %-7s  %-7s  %-24s  %-11s  %s\n", "SERVICE", "STATUS", "DESIRED",
         "RUNNING", "PENDING", "TASK DEFINITION", "ROLLOUT", "DEPLOYMENTS");
  for (size_t i = 0; i < arns.size(); i += 10) {
    json names = json::array();
    for (size_t j = i; j < arns.size() && j < i + 10; ++j) names.push_back(arns[j]);
    auto r = client.Ecs("DescribeServices", {{"cluster", cluster}, {"services", names}});
    if (!r.ok()) return Fail(r.status().message());
    for (const auto& s : (*r)["services"]) {
      std::string rollout;
      if (!s["deployments"].empty()) rollout = s["deployments"][0].value("rolloutState", "");
      printf("%-24s  %-8s  %-7d  %-7d  %-7d  %-24s  %-11s  %zu\n",
             s.value("serviceName", "").c_str(), s.value("status", "").c_str(),
             s.value("desiredCount", 0), s.value("runningCount", 0), s.value("pendingCount", 0),
             Short(s.value("taskDefinition", "")).c_str(), rollout.c_str(),
             s["deployments"].size());
    }
  }
  return 0;
}

int DeployCommand(Client& client, const DeployOptions& o) {
  long long timeout_ms = ParseDuration(o.timeout);
  if (timeout_ms <= 0) return Fail("--timeout takes a duration such as 90s, 10m or 1h");
  auto service = DescribeService(client, o.cluster, o.service);
  if (!service.ok()) return Fail(service.status().message());
  if (service->value("status", "") != "ACTIVE") {
    return Fail("service " + o.service + " is " + service->value("status", "") + ", not ACTIVE");
  }

  json td;
  if (!o.task_definition_file.empty()) {
    std::ifstream in(o.task_definition_file);
    if (!in) return Fail("cannot read " + o.task_definition_file);
    std::stringstream text;
    text << in.rdbuf();
    td = json::parse(text.str(), nullptr, false);
    if (td.is_discarded() || !td.is_object()) return Fail(o.task_definition_file + " is not a JSON object");
    // Accept DescribeTaskDefinition's output as well as a bare task definition.
    if (td.contains("taskDefinition") && td["taskDefinition"].is_object()) td = td["taskDefinition"];
  } else {
    auto r = client.Ecs("DescribeTaskDefinition", {{"taskDefinition", service->value("taskDefinition", "")}});
    if (!r.ok()) return Fail(r.status().message());
    td = (*r)["taskDefinition"];
  }
  if (!td.contains("containerDefinitions") || !td["containerDefinitions"].is_array()) {
    return Fail("the task definition has no containerDefinitions");
  }
  Status rendered = RenderImages(td, o.images);
  if (!rendered.ok()) return Fail(rendered.message());
  CleanForRegister(td);
  auto reg = client.Ecs("RegisterTaskDefinition", td);
  if (!reg.ok()) return Fail(reg.status().message());
  std::string new_arn = (*reg)["taskDefinition"].value("taskDefinitionArn", "");
  printf("registered %s\n", Short(new_arn).c_str());

  auto before = service->value("deployments", json::array());
  std::string old_primary = before.empty() ? "" : before[0].value("id", "");
  auto upd = client.Ecs("UpdateService", {{"cluster", o.cluster},
                                          {"service", o.service},
                                          {"taskDefinition", new_arn},
                                          {"forceNewDeployment", true}});
  if (!upd.ok()) return Fail(upd.status().message());
  std::string deployment = (*upd)["service"]["deployments"][0].value("id", "");
  printf("service %s: deployment %s started (was %s)\n", o.service.c_str(), deployment.c_str(),
         old_primary.c_str());
  if (!o.wait) return kDeployStable;

  // Progress: the deployments whenever they change, and every new service event.
  std::set<std::string> seen_events;
  for (const auto& e : (*upd)["service"]["events"]) seen_events.insert(e.value("id", ""));
  std::string last_snapshot;
  SystemClock clock;
  TimeMs deadline = clock.NowMs() + timeout_ms;
  while (true) {
    auto s = DescribeService(client, o.cluster, o.service);
    if (!s.ok()) return Fail(s.status().message());
    std::vector<json> fresh;
    for (const auto& e : (*s)["events"]) {
      if (seen_events.insert(e.value("id", "")).second) fresh.push_back(e);
    }
    for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) printf("%s\n", (*it).value("message", "").c_str());
    std::string snapshot;
    for (const auto& d : (*s)["deployments"]) snapshot += DeploymentLine(d) + "\n";
    if (snapshot != last_snapshot) {
      printf("%s", snapshot.c_str());
      last_snapshot = snapshot;
    }
    fflush(stdout);
    const json* ours = nullptr;
    for (const auto& d : (*s)["deployments"]) {
      if (d.value("id", "") == deployment) ours = &d;
    }
    if (ours != nullptr && ours->value("rolloutState", "") == "FAILED") {
      bool rolled_back = (*s)["deployments"][0].value("id", "") != deployment;
      fprintf(stderr, "berth: deployment %s failed: %s%s\n", deployment.c_str(),
              ours->value("rolloutStateReason", "").c_str(),
              rolled_back ? " The service is rolling back to its last completed deployment." : "");
      return kDeployFailed;
    }
    if (ours == nullptr) {
      // A rolled-back deployment leaves the array as soon as its last task is gone.
      std::string now_reason = (*s)["deployments"].empty()
                                   ? ""
                                   : (*s)["deployments"][0].value("rolloutStateReason", "");
      if (now_reason.find("circuit breaker") != std::string::npos) {
        fprintf(stderr, "berth: deployment %s failed (circuit breaker); %s\n", deployment.c_str(),
                now_reason.c_str());
      } else {
        fprintf(stderr, "berth: deployment %s was replaced by another deployment before it completed\n",
                deployment.c_str());
      }
      return kDeployFailed;
    }
    if ((*s)["deployments"].size() == 1 && ours->value("rolloutState", "") == "COMPLETED" &&
        s->value("runningCount", -1) == s->value("desiredCount", -2)) {
      printf("service %s is stable: deployment %s completed\n", o.service.c_str(), deployment.c_str());
      return kDeployStable;
    }
    if (clock.NowMs() >= deadline) {
      fprintf(stderr, "berth: timed out after %s waiting for deployment %s\n", o.timeout.c_str(),
              deployment.c_str());
      return kDeployTimedOut;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace berth::cli
