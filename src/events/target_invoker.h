// TargetInvoker: how the bus hands one delivery to one kind of target (a Lambda function, an
// API destination, an ECS cluster, a log group). The daemon registers one per kind; the bus
// picks the first whose Handles(arn) is true. Invokers outside events/ (functions, ECS, logs)
// are adapters the daemon writes over those components.
//
// Threads: Handles and Invoke are called on the control thread; `done` must run on the
// control thread too (post it there when the work happens elsewhere), exactly once.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace berth::events {

// Views into the bus's delivery record, valid during Invoke only: an invoker that uses them
// later keeps its own copies.
struct Invocation {
  std::string_view rule_name;
  std::string_view rule_arn;
  const nlohmann::json* target = nullptr;  // the target's PutTargets form
  std::string_view payload;                // the rendered input ("" = nothing, ECS default)
  std::string_view event_id;
  // berth's overlap guard (rule tag `berth:overlap` = `skip`): an ECS target skips the run
  // while a task this rule started is still running (kSkipped).
  bool skip_if_running = false;
};

struct InvokeOutcome {
  enum Kind { kDelivered, kRetryable, kFailed, kSkipped };
  Kind kind = kDelivered;
  std::string error_code;  // e.g. "HTTP_502", "RunTaskFailed", "ResourceNotFound"
  std::string error_message;
  int64_t retry_after_ms = -1;  // a hint (Retry-After); -1 = the policy's back-off
};

class TargetInvoker {
 public:
  virtual ~TargetInvoker() = default;
  virtual bool Handles(const std::string& arn) const = 0;
  // Targets that get the whole event when no Input/InputPath/InputTransformer is set (all but
  // ECS, which then gets no overrides).
  virtual bool WholeEventByDefault() const { return true; }
  virtual void Invoke(const Invocation& invocation, std::function<void(InvokeOutcome)> done) = 0;
  // An invoker whose work is done at once (a log group write, an in-memory target) may answer
  // here instead, sparing the bus the callback: the outcome, and Invoke is not called; nullopt
  // (the default) asks for Invoke.
  virtual std::optional<InvokeOutcome> InvokeNow(const Invocation& invocation) {
    return std::nullopt;
  }
};

}  // namespace berth::events
