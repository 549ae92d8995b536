// ThreadExecutor: a real Executor for tests of components with threads of their own (the
// ProcessDriver): one thread runs posted work and timers in order, on the system clock.
// Header-only, for tests.
//
// Threads: Post/RunAfter/Cancel/RunSync from any thread; callbacks run on the executor's
// thread. The destructor stops the thread and drops work not yet run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "common/clock.h"

namespace berth::driver {

class ThreadExecutor : public Executor {
 public:
  ThreadExecutor() : thread_([this] { Loop(); }) {}
  ~ThreadExecutor() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  ThreadExecutor(const ThreadExecutor&) = delete;
  ThreadExecutor& operator=(const ThreadExecutor&) = delete;

  const Clock& clock() const override { return clock_; }
  void Post(std::function<void()> fn) override { RunAfter(0, std::move(fn)); }
  TimerId RunAfter(int64_t delay_ms, std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    TimerId id = next_id_++;
    auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    queue_.emplace(std::make_pair(due, id), std::move(fn));
    cv_.notify_all();
    return id;
  }
  void Cancel(TimerId id) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->first.second == id) {
        queue_.erase(it);
        return;
      }
    }
  }
  // Runs fn on the executor thread and waits for it: lets a test act "on the control thread".
  void RunSync(const std::function<void()>& fn) {
    std::promise<void> done;
    Post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  using Key = std::pair<std::chrono::steady_clock::time_point, TimerId>;

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto due = queue_.begin()->first.first;
      if (due > std::chrono::steady_clock::now()) {
        cv_.wait_until(lock, due);
        continue;
      }
      auto fn = std::move(queue_.begin()->second);
      queue_.erase(queue_.begin());
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  SystemClock clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, std::function<void()>> queue_;
  TimerId next_id_ = 1;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace berth::driver
