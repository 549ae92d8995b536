// ApiDestinationInvoker: delivers to EventBridge API destinations — an HTTP request to the
// destination's endpoint with its connection's authorization (API key header, basic auth, the
// connection's and the target's HttpParameters), as spec/events.md §4 describes: body = the
// event or the rendered input, `User-Agent: Amazon/EventBridge/ApiDestinations`,
// `Content-Type: application/json; charset=utf-8`, 5 s timeout. 2xx delivers; 429, 5xx,
// timeouts and connection failures are retried (Retry-After honoured); other statuses fail
// for good. InvocationRateLimitPerSecond spaces the requests to one destination.
//
// Requests run on a small pool of worker threads (libcurl, blocking); results are posted back
// to the control thread. Invoke and the destructor: control thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "events/event_bus.h"
#include "events/target_invoker.h"

namespace berth::events {

class ApiDestinationInvoker : public TargetInvoker {
 public:
  ApiDestinationInvoker(Executor& control, const EventBus& bus, int threads = 4);
  ~ApiDestinationInvoker() override;

  bool Handles(const std::string& arn) const override;
  void Invoke(const Invocation& invocation, std::function<void(InvokeOutcome)> done) override;

  struct Request {
    std::string method;
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    std::string basic_user, basic_password;
  };

 private:
  struct Job {
    Request request;
    std::function<void(InvokeOutcome)> done;
  };
  void Work();
  InvokeOutcome Perform(const Request& r);

  Executor& control_;
  const EventBus& bus_;
  std::map<std::string, TimeMs> next_slot_;  // by destination ARN (control thread)
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Builds the HTTP request for a delivery (pure; exposed for tests).
Result<ApiDestinationInvoker::Request> BuildApiDestinationRequest(const ApiDestination& destination,
                                                                  const Connection* connection,
                                                                  const nlohmann::json& target,
                                                                  std::string_view payload);

}  // namespace berth::events
