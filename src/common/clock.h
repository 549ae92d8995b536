// Clock and Executor: time and the control thread's event loop, behind interfaces so unit
// tests run on a simulated clock with no sleeps.
//
// Executor is the control thread: everything posted to it runs on that one thread, in order.
// Post/RunAfter/Cancel may be called from any thread; callbacks run on the executor's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace berth {

// Milliseconds since the Unix epoch: ECS reports times with millisecond precision.
using TimeMs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
};

class SystemClock : public Clock {
 public:
  TimeMs NowMs() const override;
};

using TimerId = uint64_t;

class Executor {
 public:
  virtual ~Executor() = default;
  virtual const Clock& clock() const = 0;
  virtual void Post(std::function<void()> fn) = 0;
  // Runs fn after delay_ms (0 = as soon as possible). Returns an id for Cancel.
  virtual TimerId RunAfter(int64_t delay_ms, std::function<void()> fn) = 0;
  // Cancels a pending timer; a timer that already ran or was cancelled is ignored.
  virtual void Cancel(TimerId id) = 0;
};

}  // namespace berth
