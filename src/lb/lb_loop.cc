#include "lb/lb_loop.h"

#include <boost/asio/post.hpp>

namespace berth::lb {

LbLoop::LbLoop() : work_(boost::asio::make_work_guard(io_)) {}

LbLoop::~LbLoop() { Stop(); }

void LbLoop::Start() {
  thread_ = std::thread([this] { io_.run(); });
}

void LbLoop::Stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  timers_.clear();
}

void LbLoop::Post(std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); }

TimerId LbLoop::RunAfter(int64_t delay_ms, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io_);
  timer->expires_after(std::chrono::milliseconds(delay_ms));
  TimerId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    timers_[id] = timer;
  }
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    bool cancelled;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Cancel() erases first: a timer that expired but was cancelled before its handler ran
      // must not fire.
      cancelled = timers_.erase(id) == 0;
    }
    if (!ec && !cancelled) fn();
  });
  return id;
}

void LbLoop::Cancel(TimerId id) {
  std::shared_ptr<boost::asio::steady_timer> timer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    timer = it->second;
    timers_.erase(it);
  }
  // Cancelling from another thread would race the timer's own handler: hop onto the loop.
  boost::asio::post(io_, [timer] { timer->cancel(); });
}

}  // namespace berth::lb
