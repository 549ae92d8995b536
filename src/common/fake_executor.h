// FakeExecutor: a simulated clock and timer queue for unit tests. Single-threaded: tests call
// Advance() to move time forward and run whatever falls due, in time order.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace berth {

class FakeClock : public Clock {
 public:
  TimeMs NowMs() const override { return now_; }
  void Set(TimeMs t) { now_ = t; }

 private:
  TimeMs now_ = 1'700'000'000'000;
};

class FakeExecutor : public Executor {
 public:
  const Clock& clock() const override { return clock_; }
  void Post(std::function<void()> fn) override { RunAfter(0, std::move(fn)); }
  TimerId RunAfter(int64_t delay_ms, std::function<void()> fn) override {
    TimerId id = next_id_++;
    timers_.emplace(std::make_pair(clock_.NowMs() + delay_ms, id), std::move(fn));
    return id;
  }
  void Cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }
  // Runs everything due now (including work those callbacks post for now).
  void RunPending() { Advance(0); }
  // Moves the clock forward by ms, running each due callback at its own time.
  void Advance(int64_t ms) {
    TimeMs end = clock_.NowMs() + ms;
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      clock_.Set(std::max(clock_.NowMs(), it->first.first));
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    clock_.Set(end);
  }
  size_t pending() const { return timers_.size(); }
  FakeClock& fake_clock() { return clock_; }

 private:
  FakeClock clock_;
  TimerId next_id_ = 1;
  std::map<std::pair<TimeMs, TimerId>, std::function<void()>> timers_;
};

}  // namespace berth
