// Pipeline: container output → lines → (php-fpm unwrapping) → awslogs grouping → LogStore.
//
// Each container gets a ContainerLog. Its stdout and stderr are split into lines separately
// (as Docker's two copiers do), then interleaved into ONE grouper and one log stream, with the
// time each line was read as its timestamp. Events are appended to the store without fsync;
// a ticker thread drives Docker's flush interval (grouper ticks) and makes the store durable
// every interval, so a crash loses at most the last interval of container output. A log with
// a commit listener (a driver that can resume after a restart) hands each batch to the kernel
// before reporting its position, so a kill -9 of the daemon loses nothing the driver skips.
//
// Modes (spec/logs.md §1.7): blocking — the capture thread processes output inline, so a
// container that outruns the store waits in write(); non-blocking — lines go into a ring of
// max-buffer-size bytes drained by the pipeline's worker; when the ring is full the NEW line is
// dropped and the container never waits.
//
// Threads: Open/Close on the control thread; Write on the driver's capture thread; the ticker
// and worker threads are the pipeline's own. Every ContainerLog has its own mutex.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "logs/log_store.h"

namespace berth::logs {

struct ContainerLogConfig {
  std::string group;
  std::string stream;
  bool create_group = false;     // awslogs-create-group
  std::string start_pattern;     // RE2; "" = one event per line
  bool php_fpm_unwrap = false;   // berth-php-fpm-unwrap
  size_t php_fpm_log_limit = 1024;
  bool non_blocking = false;     // mode: non-blocking
  size_t max_buffer_bytes = 1000000;
  int64_t flush_interval_ms = 5000;
};

class ContainerLog;

class Pipeline {
 public:
  Pipeline(LogStore& store, const Clock& clock);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Prepares group and stream with the awslogs driver's rules: a missing group is created only
  // with create_group, else this fails with the driver's error (the task stops at start).
  Result<std::shared_ptr<ContainerLog>> Open(const ContainerLogConfig& config);

 private:
  friend class ContainerLog;
  void TickerLoop();
  void WorkerLoop();
  void Wake();

  LogStore& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::weak_ptr<ContainerLog>> logs_;  // guarded by mu_
  bool stop_ = false;                              // guarded by mu_
  std::thread ticker_;
  std::thread worker_;
};

class ContainerLog {
 public:
  ~ContainerLog();
  // A chunk of the container's output (capture thread). `position`: the driver's position of
  // the chunk's end in its own log of the container (driver.h; 0 = none).
  void Write(std::string_view chunk, bool is_stderr, int64_t position = 0);
  // Called whenever the stored output reaches a new position: every line written up to it is
  // in an event appended to the store, none after it is (lines still in the ring, the php-fpm
  // unwrapper or the grouper are not). Called with the log's lock held, on the thread that
  // appended. Set it before the first Write.
  void SetCommitListener(std::function<void(int64_t position)> listener);
  // End of output: flush partial lines and the grouper's buffer into the store.
  void Close();
  // Lines dropped by non-blocking mode because the ring was full.
  uint64_t dropped_lines() const;

 private:
  friend class Pipeline;
  struct Impl;
  explicit ContainerLog(std::unique_ptr<Impl> impl);
  void Tick(int64_t now_ms);
  // Non-blocking mode: moves queued lines through the grouper. Returns whether it did work.
  bool Drain();

  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::logs
