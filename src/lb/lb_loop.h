// LbLoop: the load balancer's own thread — an io_context that runs the listeners' proxies, the
// health probes and the Engine's timers, so a busy listener never slows the control thread.
// It is also an Executor for that thread: Post/RunAfter/Cancel from any thread, callbacks on
// the lb thread.
// Owned by LoadBalancing; Stop() (any thread but the lb thread) ends the loop and joins.
#pragma once

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/asio_executor.h"
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

  const Clock& clock() const override { return executor_.clock(); }
  void Post(std::function<void()> fn) override { executor_.Post(std::move(fn)); }
  TimerId RunAfter(int64_t delay_ms, std::function<void()> fn) override {
    return executor_.RunAfter(delay_ms, std::move(fn));
  }
  void Cancel(TimerId id) override { executor_.Cancel(id); }

 private:
  boost::asio::io_context io_{1};
  AsioExecutor executor_{io_};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace berth::lb
