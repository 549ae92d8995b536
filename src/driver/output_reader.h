// OutputReader: the driver's capture thread. One epoll loop reads every container's stdout and
// stderr pipe continuously (non-blocking, up to 64 KiB per read), so a chatty container never
// blocks on a full pipe, and runs the driver's short timers (pipe grace, drain polling).
//
// Ownership: the reader owns the pipe read ends handed to Add() and closes them at EOF, in
// DrainAndClose() or when it is destroyed.
// Threads: Add/RunAfter may be called from any thread. on_data, on_eof and timer functions run
// on the reader thread, in order per pipe, with no lock of the reader held (they may call Add,
// RunAfter or DrainAndClose). DrainAndClose is for the reader thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/unique_fd.h"

namespace berth::driver {

class OutputReader {
 public:
  using DataFn = std::function<void(std::string_view)>;
  using Fn = std::function<void()>;

  OutputReader();
  // Stops the thread; pending timers are dropped and open pipes closed without on_eof.
  ~OutputReader();
  OutputReader(const OutputReader&) = delete;
  OutputReader& operator=(const OutputReader&) = delete;

  // Takes a non-blocking pipe read end. on_data gets every chunk; on_eof runs once, after the
  // last chunk. Returns the pipe's key for DrainAndClose.
  uint64_t Add(UniqueFd fd, DataFn on_data, Fn on_eof);
  // Runs fn on the reader thread after delay_ms.
  void RunAfter(int64_t delay_ms, Fn fn);
  // Reader thread only: delivers what pipe `key` holds now, closes it and runs its on_eof.
  // No-op for a pipe already closed.
  void DrainAndClose(uint64_t key);

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Pipe {
    UniqueFd fd;
    DataFn on_data;
    Fn on_eof;
  };
  struct PendingPipe {
    uint64_t key;
    Pipe pipe;
  };

  void Loop();
  void Wake();
  void TakePending();
  // Reads up to max_reads chunks; returns false once the pipe hit EOF (and was closed).
  bool ReadSome(uint64_t key, int max_reads);
  void Close(uint64_t key);

  UniqueFd epoll_fd_;
  UniqueFd wake_fd_;  // eventfd
  std::atomic<uint64_t> next_key_{1};

  std::mutex mu_;  // guards the pending_* queues and stop_
  std::vector<PendingPipe> pending_pipes_;
  std::vector<std::pair<SteadyTime, Fn>> pending_timers_;
  bool stop_ = false;

  // Reader thread only.
  std::unordered_map<uint64_t, Pipe> pipes_;
  std::multimap<SteadyTime, Fn> timers_;
  std::vector<char> buffer_;

  std::thread thread_;
};

}  // namespace berth::driver
