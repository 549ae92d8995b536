// The event bus's targets that live in other components, as events::TargetInvoker adapters
// (events/ knows none of them): ECS RunTask on a cluster, and CloudWatch Logs log groups
// (also where dead letters go). API destinations are events/' own; Lambda functions are
// functions/' (FunctionInvoker).
// Threads: control thread only.
#pragma once

#include "ecs/control_plane.h"
#include "ecs/event_sink.h"
#include "events/event_bus.h"
#include "events/target_invoker.h"
#include "functions/functions.h"
#include "logs/log_store.h"

namespace berth::daemon {

// Target Arn = a cluster ARN; EcsParameters as spec/events.md §7. Each delivery is one RunTask
// with startedBy `events-rule/<rule>` (cut to ECS's 36 characters) and the rendered input as
// `overrides`; with the rule tag `berth:overlap` = `skip` a run is skipped while a task the rule
// started still runs.
class EcsTaskInvoker : public events::TargetInvoker {
 public:
  explicit EcsTaskInvoker(ecs::ControlPlane& cp, std::string default_region)
      : cp_(cp), region_(std::move(default_region)) {}
  bool Handles(const std::string& arn) const override;
  bool WholeEventByDefault() const override { return false; }
  void Invoke(const events::Invocation& inv,
              std::function<void(events::InvokeOutcome)> done) override;

 private:
  ecs::ControlPlane& cp_;
  std::string region_;
};

// Target Arn = arn:aws:logs:REGION:ACCOUNT:log-group:NAME; one log event per delivery in the
// stream named after the rule (group and stream are created when missing).
class LogGroupInvoker : public events::TargetInvoker {
 public:
  LogGroupInvoker(logs::LogStore& store, const Clock& clock) : store_(store), clock_(clock) {}
  bool Handles(const std::string& arn) const override;
  // The write is done at once: InvokeNow always answers.
  std::optional<events::InvokeOutcome> InvokeNow(const events::Invocation& inv) override;
  void Invoke(const events::Invocation& inv,
              std::function<void(events::InvokeOutcome)> done) override {
    done(*InvokeNow(inv));
  }

 private:
  logs::LogStore& store_;
  const Clock& clock_;
};

// Target Arn = a Lambda function ARN. EventBridge hands the event to Lambda asynchronously
// (InvocationType Event): the delivery succeeds once the function has the event; function
// errors are then retried by Lambda's own policy, as on AWS.
class FunctionInvoker : public events::TargetInvoker {
 public:
  explicit FunctionInvoker(functions::Functions& functions) : functions_(functions) {}
  bool Handles(const std::string& arn) const override {
    return arn.rfind("arn:aws:lambda:", 0) == 0 && arn.find(":function:") != std::string::npos;
  }
  void Invoke(const events::Invocation& inv,
              std::function<void(events::InvokeOutcome)> done) override;

 private:
  functions::Functions& functions_;
};

// ECS events (task state, service action, deployment state) onto the default bus, source
// aws.ecs, as AWS sends them to EventBridge.
class EcsEventPublisher : public ecs::EventSink {
 public:
  explicit EcsEventPublisher(events::EventBus& bus) : bus_(bus) {}
  void Publish(ecs::EcsEvent event) override {
    bus_.PublishServiceEvent("aws.ecs", event.detail_type, event.resources, std::move(event.detail),
                             event.time, event.region);
  }

 private:
  events::EventBus& bus_;
};

}  // namespace berth::daemon
