// LbLoop: the load balancer's own thread — an io_context that runs the listeners' proxies, the
// health probes and the Engine's timers, so a busy listener never slows the control thread.
// It is also an Executor for that thread: Post/RunAfter/Cancel from any thread, callbacks on
// the lb thread.
// Owned by LoadBalancing; Stop() (any thread but the lb thread) ends the loop and joins.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/clock.h"

namespace berth::lb {

class LbLoop : public Executor {
 public:
  LbLoop();
  ~LbLoop() override;  // Stop()s

  void Start();
  void Stop();
  boost::asio::io_context& io() { return io_; }
  bool OnLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

  const Clock& clock() const override { return clock_; }
  void Post(std::function<void()> fn) override;
  TimerId RunAfter(int64_t delay_ms, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

 private:
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  SystemClock clock_;
  std::mutex mu_;
  TimerId next_id_ = 1;                                                    // guarded by mu_
  std::map<TimerId, std::shared_ptr<boost::asio::steady_timer>> timers_;  // guarded by mu_
};

}  // namespace berth::lb
