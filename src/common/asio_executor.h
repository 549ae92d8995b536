// AsioExecutor: the real Executor over a boost::asio::io_context and its timers — the control
// thread's (daemon) and the load balancer's (lb::LbLoop). Post/RunAfter/Cancel may be called
// from any thread (they hop onto the io_context); callbacks run on the thread that runs
// io_context::run(). A cancelled timer never fires, even when it had already expired and its
// handler was queued.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/clock.h"

namespace berth {

class AsioExecutor : public Executor {
 public:
  explicit AsioExecutor(boost::asio::io_context& io) : io_(io) {}

  const Clock& clock() const override { return clock_; }
  void Post(std::function<void()> fn) override;
  TimerId RunAfter(int64_t delay_ms, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  // Forgets every pending timer (after the io_context has stopped).
  void ForgetTimers();

 private:
  boost::asio::io_context& io_;
  SystemClock clock_;
  std::mutex mu_;
  TimerId next_id_ = 1;                                                    // guarded by mu_
  std::map<TimerId, std::shared_ptr<boost::asio::steady_timer>> timers_;  // guarded by mu_
};

}  // namespace berth
