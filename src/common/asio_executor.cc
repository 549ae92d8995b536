#include "common/asio_executor.h"

#include <boost/asio/post.hpp>

namespace berth {

void AsioExecutor::Post(std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); }

TimerId AsioExecutor::RunAfter(int64_t delay_ms, std::function<void()> fn) {
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

void AsioExecutor::Cancel(TimerId id) {
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

void AsioExecutor::ForgetTimers() {
  std::lock_guard<std::mutex> lock(mu_);
  timers_.clear();
}

}  // namespace berth
