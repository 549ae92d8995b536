// Functions' private structures, shared by functions.cc and invocation.cc. Control thread,
// except Output (also the driver's capture thread, under its mutex).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "functions/functions.h"

namespace berth::functions {

inline constexpr size_t kTailBytes = 4096;  // LogType Tail: Lambda's last 4 KB

// What one attempt wrote, shared with the driver's capture thread.
struct Functions::Output {
  std::mutex mu;
  std::string text;                         // the invocation's log, trimmed to its last few KB
  std::shared_ptr<logs::ContainerLog> log;  // set before the process starts, then constant

  void Add(std::string_view s) {
    std::lock_guard<std::mutex> lock(mu);
    text.append(s);
    if (text.size() > 4 * kTailBytes) text.erase(0, text.size() - kTailBytes);
  }
  std::string Tail() {
    std::lock_guard<std::mutex> lock(mu);
    return text.size() > kTailBytes ? text.substr(text.size() - kTailBytes) : text;
  }
};

struct Functions::Event {
  std::string name;
  std::string request_id;
  std::string payload;
  InvokeOptions options;
  TimeMs enqueued_ms = 0;
  int attempts = 0;
};

struct Functions::Attempt {
  std::string request_id;
  FunctionConfig config;  // as it was when the attempt started
  std::string arn;
  std::string payload;
  bool tail_log = false;
  std::string client_context;
  std::function<void(InvokeResult)> done;  // RequestResponse
  std::shared_ptr<Event> event;            // Event
  std::string dir, group, stream, runtime_id;
  TimeMs started_ms = 0;
  TimerId timer = 0;
  bool timed_out = false;
  bool finished = false;
  std::shared_ptr<Output> output = std::make_shared<Output>();
};

}  // namespace berth::functions
