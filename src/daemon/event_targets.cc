#include "daemon/event_targets.h"

namespace berth::daemon {

using events::InvokeOutcome;
using nlohmann::json;

namespace {

InvokeOutcome Outcome(InvokeOutcome::Kind kind, std::string code, std::string message) {
  InvokeOutcome o;
  o.kind = kind;
  o.error_code = std::move(code);
  o.error_message = std::move(message);
  return o;
}

std::string After(const std::string& s, const std::string& marker) {
  auto p = s.find(marker);
  return p == std::string::npos ? "" : s.substr(p + marker.size());
}

}  // namespace

bool EcsTaskInvoker::Handles(const std::string& arn) const {
  return arn.rfind("arn:aws:ecs:", 0) == 0 && arn.find(":cluster/") != std::string::npos;
}

void EcsTaskInvoker::Invoke(const events::Invocation& inv,
                            std::function<void(InvokeOutcome)> done) {
  const json& target = *inv.target;
  std::string cluster = After(target.value("Arn", ""), ":cluster/");
  json params = target.contains("EcsParameters") ? target["EcsParameters"] : json::object();
  ecs::RunTaskRequest req;
  req.cluster = cluster;
  req.task_definition = params.value("TaskDefinitionArn", "");
  // An ARN without a revision means the latest ACTIVE revision of the family.
  if (req.task_definition.rfind("arn:", 0) == 0) {
    std::string family_rev = After(req.task_definition, ":task-definition/");
    if (family_rev.find(':') == std::string::npos) req.task_definition = family_rev;
  }
  req.count = params.value("TaskCount", 1);
  req.launch_type = params.value("LaunchType", "");
  req.group = params.value("Group", "");
  req.started_by = std::string("events-rule/").append(inv.rule_name).substr(0, 36);
  if (!inv.payload.empty()) {
    json overrides = json::parse(inv.payload, nullptr, false);
    if (!overrides.is_object()) {
      return done(Outcome(InvokeOutcome::kFailed, "InvalidParameterException",
                          "The target input is not a JSON object of task overrides."));
    }
    req.overrides = overrides;
  }
  if (inv.skip_if_running) {
    ecs::ListTasksFilter f;
    f.cluster = cluster;
    f.started_by = req.started_by;
    auto running = cp_.ListTasks(f);
    if (running.ok() && !running->empty()) {
      return done(Outcome(
          InvokeOutcome::kSkipped, "",
          "skipped: task " + (*running)[0]->arn + " started by this rule is still running"));
    }
  }
  auto result = cp_.RunTask(ecs::RequestContext{region_}, req);
  if (!result.ok()) {
    bool missing = result.status().code() == Code::kNotFound;
    return done(Outcome(missing ? InvokeOutcome::kFailed : InvokeOutcome::kRetryable,
                        missing ? "ResourceNotFoundException" : "RunTaskFailed",
                        result.status().message()));
  }
  if (result->tasks.empty()) {
    std::string reason = result->failures.empty() ? "no task started" : result->failures[0].reason;
    return done(Outcome(InvokeOutcome::kRetryable, "RunTaskFailed", reason));
  }
  done(InvokeOutcome{});
}

void FunctionInvoker::Invoke(const events::Invocation& inv,
                             std::function<void(InvokeOutcome)> done) {
  // The delivery stays in the bus's outbox (fsync'd) until the function has run: Lambda's own
  // queue of async events lives in memory, so an event waiting there when the daemon stops is
  // delivered again at the next start instead of being lost. `done` runs once: either when the
  // invocation is refused (nothing queued), or when the queued event has finished.
  auto pending = std::make_shared<std::function<void(InvokeOutcome)>>(std::move(done));
  auto finish = [pending](InvokeOutcome outcome) {
    if (!*pending) return;
    auto d = std::move(*pending);
    *pending = nullptr;
    d(std::move(outcome));
  };
  auto refused = [](const Status& st) {
    bool retry = st.code() == Code::kResourceExhausted || st.code() == Code::kUnavailable ||
                 st.code() == Code::kInternal;
    return Outcome(
        retry ? InvokeOutcome::kRetryable : InvokeOutcome::kFailed,
        st.code() == Code::kNotFound ? "ResourceNotFoundException" : "LambdaInvokeFailed",
        st.message());
  };
  functions::InvokeOptions options;
  options.type = functions::InvocationType::kEvent;
  // Lambda has already retried a function error (twice, as Lambda does), so its last error
  // ends the delivery: dead-lettered, where `berth events --dead` shows it and can replay it.
  options.on_event_done = [finish, refused](const functions::InvokeResult& r) {
    if (!r.status.ok()) return finish(refused(r.status));
    if (!r.function_error.empty()) {
      return finish(Outcome(InvokeOutcome::kFailed, "LambdaFunctionError",
                            "The function failed " + std::to_string(r.attempts) +
                                " time(s): " + r.payload.substr(0, 512)));
    }
    finish(InvokeOutcome{});
  };
  functions_.Invoke(inv.target->value("Arn", ""), std::string(inv.payload), std::move(options),
                    [finish, refused](functions::InvokeResult r) {
                      if (!r.status.ok()) finish(refused(r.status));
                    });
}

bool LogGroupInvoker::Handles(const std::string& arn) const {
  return arn.rfind("arn:aws:logs:", 0) == 0 && arn.find(":log-group:") != std::string::npos;
}

std::optional<InvokeOutcome> LogGroupInvoker::InvokeNow(const events::Invocation& inv) {
  std::string group = After(inv.target->value("Arn", ""), ":log-group:");
  if (group.size() >= 2 && group.compare(group.size() - 2, 2, ":*") == 0) {
    group.resize(group.size() - 2);
  }
  if (group.empty()) {
    return Outcome(InvokeOutcome::kFailed, "InvalidParameter", "No log group in the ARN.");
  }
  if (!store_.DescribeGroup(group).ok()) {
    Status st = store_.CreateGroup(group, {});
    if (!st.ok() && st.code() != Code::kAlreadyExists) {
      return Outcome(InvokeOutcome::kFailed, "InvalidParameter", st.message());
    }
  }
  std::string stream = inv.rule_name.empty() ? "events" : std::string(inv.rule_name);
  Status st =
      store_.Append(group, stream, {{clock_.NowMs(), std::string(inv.payload)}}, true, true);
  if (!st.ok()) return Outcome(InvokeOutcome::kRetryable, "LogsError", st.message());
  return InvokeOutcome{};
}

}  // namespace berth::daemon
