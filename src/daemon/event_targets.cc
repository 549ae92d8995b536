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
  req.started_by = ("events-rule/" + inv.rule_name).substr(0, 36);
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
  functions::InvokeOptions options;
  options.type = functions::InvocationType::kEvent;
  functions_.Invoke(inv.target->value("Arn", ""), inv.payload, options,
                    [done = std::move(done)](functions::InvokeResult r) {
                      if (r.status.ok()) return done(InvokeOutcome{});
                      bool retry = r.status.code() == Code::kResourceExhausted ||
                                   r.status.code() == Code::kUnavailable ||
                                   r.status.code() == Code::kInternal;
                      done(Outcome(retry ? InvokeOutcome::kRetryable : InvokeOutcome::kFailed,
                                   r.status.code() == Code::kNotFound ? "ResourceNotFoundException"
                                                                      : "LambdaInvokeFailed",
                                   r.status.message()));
                    });
}

bool LogGroupInvoker::Handles(const std::string& arn) const {
  return arn.rfind("arn:aws:logs:", 0) == 0 && arn.find(":log-group:") != std::string::npos;
}

void LogGroupInvoker::Invoke(const events::Invocation& inv,
                             std::function<void(InvokeOutcome)> done) {
  std::string group = After(inv.target->value("Arn", ""), ":log-group:");
  if (group.size() >= 2 && group.compare(group.size() - 2, 2, ":*") == 0) {
    group.resize(group.size() - 2);
  }
  if (group.empty()) {
    return done(Outcome(InvokeOutcome::kFailed, "InvalidParameter", "No log group in the ARN."));
  }
  if (!store_.DescribeGroup(group).ok()) {
    Status st = store_.CreateGroup(group, {});
    if (!st.ok() && st.code() != Code::kAlreadyExists) {
      return done(Outcome(InvokeOutcome::kFailed, "InvalidParameter", st.message()));
    }
  }
  std::string stream = inv.rule_name.empty() ? "events" : inv.rule_name;
  Status st = store_.Append(group, stream, {{clock_.NowMs(), inv.payload}}, true, true);
  if (!st.ok()) return done(Outcome(InvokeOutcome::kRetryable, "LogsError", st.message()));
  done(InvokeOutcome{});
}

}  // namespace berth::daemon
