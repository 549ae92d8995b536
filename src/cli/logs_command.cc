#include "cli/logs_command.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/time_format.h"

namespace berth::cli {

using nlohmann::json;

namespace {

volatile sig_atomic_t g_interrupted = 0;
bool task_ids_in_label_ = false;  // several tasks (a service): label streams with the task too
void OnInterrupt(int) { g_interrupted = 1; }

struct Source {
  std::string group;
  std::vector<std::string> streams;        // empty = the whole group
  std::map<std::string, std::string> label;  // stream → what to print (container name)
};

bool LooksLikeTask(const std::string& s) {
  if (s.rfind("arn:", 0) == 0) return s.find(":task/") != std::string::npos;
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The log group and stream of each container, named as the daemon names them
// (runner/log_config.cc): awslogs → awslogs-group and [prefix/]container/task-id; otherwise
// berth's "/berth/tasks/<family>" with container/task-id. Adds them to *by_group.
Status AddTaskSources(Client& client, const LogsOptions& o, const std::string& task_ref,
                      std::map<std::string, Source>* by_group) {
  auto tasks = client.Ecs("DescribeTasks", {{"cluster", o.cluster}, {"tasks", {task_ref}}});
  if (!tasks.ok()) return tasks.status();
  if ((*tasks)["tasks"].empty()) return NotFound("no task " + task_ref + " in cluster " + o.cluster);
  const json& task = (*tasks)["tasks"][0];
  std::string arn = task.value("taskArn", "");
  std::string task_id = arn.substr(arn.rfind('/') + 1);
  auto def = client.Ecs("DescribeTaskDefinition", {{"taskDefinition", task.value("taskDefinitionArn", "")}});
  if (!def.ok()) return def.status();
  const json& td = (*def)["taskDefinition"];
  std::map<std::string, Source>& groups = *by_group;
  for (const auto& c : td.value("containerDefinitions", json::array())) {
    std::string name = c.value("name", "");
    if (!o.container.empty() && name != o.container) continue;
    std::string group = "/berth/tasks/" + td.value("family", "");
    std::string stream = name + "/" + task_id;
    const json lc = c.value("logConfiguration", json::object());
    if (lc.value("logDriver", "") == "awslogs") {
      const json opts = lc.value("options", json::object());
      group = opts.value("awslogs-group", "");
      std::string prefix = opts.value("awslogs-stream-prefix", "");
      if (!prefix.empty()) stream = prefix + "/" + stream;
    }
    Source& s = groups[group];
    s.group = group;
    s.streams.push_back(stream);
    s.label[stream] = task_ids_in_label_ ? name + "/" + task_id.substr(0, 8) : name;
  }
  return Status::Ok();
}

// A service's tasks (running, then recently stopped), newest last.
Result<std::vector<std::string>> ServiceTasks(Client& client, const LogsOptions& o) {
  std::vector<std::string> arns;
  for (const char* desired : {"STOPPED", "RUNNING"}) {
    auto r = client.Ecs("ListTasks", {{"cluster", o.cluster}, {"serviceName", o.target},
                                      {"desiredStatus", desired}});
    if (!r.ok()) return r.status();
    for (const auto& a : (*r)["taskArns"]) arns.push_back(a.get<std::string>());
  }
  return arns;
}

bool GroupExists(Client& client, const std::string& name) {
  auto r = client.Logs("DescribeLogGroups", {{"logGroupNamePrefix", name}});
  if (!r.ok()) return false;
  for (const auto& g : (*r)["logGroups"]) {
    if (g.value("logGroupName", "") == name) return true;
  }
  return false;
}

struct Printer {
  bool colour = isatty(STDOUT_FILENO);
  std::map<std::string, int> colours;

  void Print(const std::string& label, long long ts, const std::string& message) {
    static const char* kColours[] = {"36", "33", "32", "35", "34", "31"};
    if (!colours.count(label)) colours[label] = static_cast<int>(colours.size()) % 6;
    std::string head = label + " " + FormatIsoMillis(ts);
    std::string text = message;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    // One block per event: continuation lines are indented under the first.
    std::string indent(head.size() + 1, ' ');
    std::string body;
    size_t start = 0;
    while (true) {
      size_t nl = text.find('\n', start);
      if (start > 0) body += "\n" + indent;
      body += text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    if (colour) {
      printf("\033[%sm%s\033[0m %s\n", kColours[colours[label]], head.c_str(), body.c_str());
    } else {
      printf("%s %s\n", head.c_str(), body.c_str());
    }
  }
};

}  // namespace

long long ParseDuration(const std::string& s) {
  if (s.size() < 2 || s.size() > 12) return -1;
  std::string digits = s.substr(0, s.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  long long n = std::stoll(digits);
  switch (s.back()) {
    case 's': return n * 1000;
    case 'm': return n * 60 * 1000;
    case 'h': return n * 3600 * 1000;
    case 'd': return n * 86400 * 1000;
    case 'w': return n * 7 * 86400 * 1000;
  }
  return -1;
}

int LogsCommand(Client& client, const LogsOptions& o) {
  // TASK (id or ARN), else an existing log group, else a SERVICE (its tasks' streams).
  std::vector<Source> sources;
  std::map<std::string, Source> by_group;
  if (LooksLikeTask(o.target)) {
    Status st = AddTaskSources(client, o, o.target, &by_group);
    if (!st.ok()) {
      fprintf(stderr, "berth: %s\n", st.message().c_str());
      return 1;
    }
  } else if (GroupExists(client, o.target)) {
    Source s;
    s.group = o.target;
    sources.push_back(s);
  } else {
    auto tasks = ServiceTasks(client, o);
    if (!tasks.ok()) {
      fprintf(stderr, "berth: no task, log group or service named '%s' (%s)\n", o.target.c_str(),
              tasks.status().message().c_str());
      return 1;
    }
    task_ids_in_label_ = true;
    for (const auto& arn : *tasks) (void)AddTaskSources(client, o, arn, &by_group);
  }
  for (auto& [g, s] : by_group) sources.push_back(std::move(s));
  if (sources.empty()) {
    fprintf(stderr, "berth: nothing to show for '%s'%s\n", o.target.c_str(),
            o.container.empty() ? "" : (" (container " + o.container + ")").c_str());
    return 1;
  }
  long long start_time = -1;
  if (!o.since.empty()) {
    long long ms = ParseDuration(o.since);
    if (ms < 0) {
      fprintf(stderr, "berth: --since takes a duration such as 30s, 10m, 2h or 1d\n");
      return 2;
    }
    start_time = SystemClock().NowMs() - ms;
  }
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);
  Printer printer;
  // Like `aws logs tail --follow`: startTime is inclusive, so events at the newest timestamp
  // already printed are remembered by eventId and skipped.
  std::set<std::string> seen_at_newest;
  long long newest = start_time;
  while (!g_interrupted) {
    struct Row {
      long long ts;
      std::string label, message, id;
    };
    std::vector<Row> rows;
    for (const auto& src : sources) {
      json input = {{"logGroupName", src.group}, {"interleaved", true}};
      if (!src.streams.empty()) input["logStreamNames"] = src.streams;
      if (newest >= 0) input["startTime"] = newest;
      if (!o.filter.empty()) input["filterPattern"] = o.filter;
      while (!g_interrupted) {
        auto r = client.Logs("FilterLogEvents", input);
        if (!r.ok()) {
          // A container that has not started yet has no group/stream: keep following.
          if (o.follow && r.status().message().find("ResourceNotFoundException") == 0) break;
          fprintf(stderr, "berth: %s\n", r.status().message().c_str());
          return 1;
        }
        for (const auto& e : (*r)["events"]) {
          std::string stream = e.value("logStreamName", "");
          auto it = src.label.find(stream);
          rows.push_back({e.value("timestamp", 0LL), it == src.label.end() ? stream : it->second,
                          e.value("message", ""), e.value("eventId", "")});
        }
        if (!r->contains("nextToken")) break;
        input["nextToken"] = (*r)["nextToken"];
      }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ts < b.ts; });
    for (const auto& row : rows) {
      if (row.ts == newest && seen_at_newest.count(row.id)) continue;
      printer.Print(row.label, row.ts, row.message);
      if (row.ts > newest) {
        newest = row.ts;
        seen_at_newest.clear();
      }
      seen_at_newest.insert(row.id);
    }
    fflush(stdout);
    if (!o.follow) break;
    // Near-live without hammering the daemon: FilterLogEvents is cheap on a local store.
    for (int i = 0; i < 4 && !g_interrupted; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return 0;
}

}  // namespace berth::cli
