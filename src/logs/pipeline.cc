#include "logs/pipeline.h"

#include <chrono>

#include "logs/multiline.h"
#include "logs/php_fpm.h"

namespace berth::logs {

namespace {
constexpr int64_t kTickMs = 250;               // how often the ticker looks at the loggers
constexpr int64_t kRetentionEveryMs = 60'000;  // how often whole expired segments are dropped
}  // namespace

struct ContainerLog::Impl {
  Impl(Pipeline& p, const ContainerLogConfig& c)
      : pipeline(p),
        config(c),
        out([this](std::string_view line) { OnLine(line); }),
        err([this](std::string_view line) { OnLine(line); }) {}

  // A complete line from either stream, read at now_ms (mu held). Lines are numbered (seq) so
  // that the commit listener can tell which driver positions are stored.
  void OnLine(std::string_view line) {
    uint64_t seq = ++lines_in;
    if (listener) line_positions.emplace_back(seq, position);
    if (config.non_blocking) {
      // Docker's ring: a full ring drops the NEW line; an empty ring takes even an oversized one.
      if (!ring.empty() && ring_bytes + line.size() > config.max_buffer_bytes) {
        ++dropped;
        return;
      }
      ring_bytes += line.size();
      ring.push_back({now_ms, seq, std::string(line)});
      return;
    }
    Process(line, now_ms, seq);
  }

  void Process(std::string_view line, int64_t at, uint64_t seq) {
    line_time = at;
    last_seq = seq;
    if (!unwrap) return Feed(line, at, seq);
    unwrapped.clear();
    unwrap->AddLine(line);
    FeedUnwrapped(seq, unwrap->holding());
  }

  // The unwrapper's output for raw line `seq`: what came out before the last piece ends at the
  // line before; the last piece ends at `seq` unless the unwrapper still holds (part of) it.
  void FeedUnwrapped(uint64_t seq, bool holding) {
    for (size_t i = 0; i < unwrapped.size(); ++i) {
      bool last = i + 1 == unwrapped.size();
      Feed(unwrapped[i], line_time, last && !holding ? seq : seq - 1);
    }
    unwrapped.clear();
  }

  void FlushUnwrapper() {
    if (!unwrap) return;
    unwrapped.clear();
    unwrap->Flush();
    FeedUnwrapped(last_seq, false);
  }

  // A line into the grouper; `end` is the last raw line it carries.
  void Feed(std::string_view line, int64_t at, uint64_t end) {
    if (listener) fed_ends.push_back(end);
    grouper->AddLine(line, at);
  }

  void AppendPending() {
    if (!pending.empty()) {
      Status st = pipeline.store_.Append(config.group, config.stream, pending, /*durable=*/false,
                                         /*create_stream=*/true);
      // A position is only reported once what it covers would survive the daemon's death.
      if (st.ok() && listener) st = pipeline.store_.WriteOut(config.group);
      if (!st.ok()) {
        // Docker's driver logs and drops a batch it cannot publish; so do we.
        fprintf(stderr, "berth: dropping %zu log events for %s/%s: %s\n", pending.size(),
                config.group.c_str(), config.stream.c_str(), st.message().c_str());
      }
      pending.clear();
    }
    ReportCommitted();
  }

  // The grouper holds the last held_lines() lines it was fed; every earlier one is stored.
  void ReportCommitted() {
    if (!listener) return;
    size_t held = grouper->held_lines();
    uint64_t stored_seq = 0;
    while (fed_ends.size() > held) {
      stored_seq = fed_ends.front();
      fed_ends.pop_front();
    }
    int64_t stored_position = 0;
    while (!line_positions.empty() && line_positions.front().first <= stored_seq) {
      stored_position = line_positions.front().second;
      line_positions.pop_front();
    }
    if (stored_position > committed) {
      committed = stored_position;
      listener(committed);
    }
  }

  struct RingLine {
    int64_t at;
    uint64_t seq;
    std::string line;
  };

  Pipeline& pipeline;
  ContainerLogConfig config;
  std::mutex mu;
  LineSplitter out;
  LineSplitter err;
  std::unique_ptr<PhpFpmUnwrapper> unwrap;
  std::unique_ptr<Grouper> grouper;
  std::vector<InputEvent> pending;
  std::vector<std::string> unwrapped;  // the unwrapper's output for the line being processed
  int64_t now_ms = 0;
  int64_t line_time = 0;  // read time of the line being unwrapped
  int64_t last_tick = 0;
  bool closed = false;
  std::deque<RingLine> ring;
  size_t ring_bytes = 0;
  uint64_t dropped = 0;
  // Positions (only with a listener): raw lines are numbered in arrival order; line_positions
  // maps the ones not yet stored to the position of the chunk that completed them, fed_ends
  // gives each line in the grouper the last raw line it carries.
  std::function<void(int64_t)> listener;
  int64_t position = 0;   // of the chunk being written
  uint64_t lines_in = 0;  // raw lines so far
  uint64_t last_seq = 0;  // the last raw line processed
  std::deque<std::pair<uint64_t, int64_t>> line_positions;
  std::deque<uint64_t> fed_ends;
  int64_t committed = 0;
};

ContainerLog::ContainerLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ContainerLog::~ContainerLog() = default;

void ContainerLog::SetCommitListener(std::function<void(int64_t)> listener) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->listener = std::move(listener);
}

void ContainerLog::Write(std::string_view chunk, bool is_stderr, int64_t position) {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->closed) return;
    impl_->now_ms = impl_->pipeline.clock_.NowMs();
    impl_->position = position;
    (is_stderr ? impl_->err : impl_->out).Write(chunk);
    if (impl_->config.non_blocking) {
      queued = !impl_->ring.empty();
    } else {
      impl_->AppendPending();
    }
  }
  if (queued) impl_->pipeline.Wake();
}

bool ContainerLog::Drain() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->ring.empty()) return false;
  // Bounded work per turn, so one flooding container cannot starve the others.
  for (int i = 0; i < 4096 && !impl_->ring.empty(); ++i) {
    auto& r = impl_->ring.front();
    impl_->ring_bytes -= r.line.size();
    impl_->Process(r.line, r.at, r.seq);
    impl_->ring.pop_front();
  }
  impl_->AppendPending();
  return true;
}

void ContainerLog::Tick(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->closed || now_ms - impl_->last_tick < impl_->config.flush_interval_ms) return;
  impl_->last_tick = now_ms;
  impl_->FlushUnwrapper();
  impl_->grouper->Tick(now_ms);
  impl_->AppendPending();
}

void ContainerLog::Close() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->closed) return;
  impl_->now_ms = impl_->pipeline.clock_.NowMs();
  impl_->out.Finish();
  impl_->err.Finish();
  while (!impl_->ring.empty()) {
    auto& r = impl_->ring.front();
    impl_->Process(r.line, r.at, r.seq);
    impl_->ring.pop_front();
  }
  impl_->ring_bytes = 0;
  impl_->FlushUnwrapper();
  impl_->grouper->Close();
  impl_->AppendPending();
  impl_->closed = true;
}

uint64_t ContainerLog::dropped_lines() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->dropped;
}

Pipeline::Pipeline(LogStore& store, const Clock& clock) : store_(store), clock_(clock) {
  ticker_ = std::thread([this] { TickerLoop(); });
  worker_ = std::thread([this] { WorkerLoop(); });
}

Pipeline::~Pipeline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  ticker_.join();
  worker_.join();
  (void)store_.Flush();
}

Result<std::shared_ptr<ContainerLog>> Pipeline::Open(const ContainerLogConfig& config) {
  auto group = store_.DescribeGroup(config.group);
  if (!group.ok()) {
    if (!config.create_group) {
      // The awslogs driver's error when the group is missing and awslogs-create-group is off.
      return FailedPrecondition(
          "ResourceInitializationError: failed to validate logger args: create stream has been "
          "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
          "The specified log group does not exist. : exit status 1");
    }
    Status st = store_.CreateGroup(config.group, {});
    if (!st.ok() && st.code() != Code::kAlreadyExists) {
      return FailedPrecondition("ResourceInitializationError: failed to create Cloudwatch log group: " +
                                st.message());
    }
  }
  Status st = store_.CreateStream(config.group, config.stream);
  if (!st.ok() && st.code() != Code::kAlreadyExists) {
    return FailedPrecondition("ResourceInitializationError: failed to create Cloudwatch log stream: " +
                              st.message());
  }
  auto impl = std::make_unique<ContainerLog::Impl>(*this, config);
  ContainerLog::Impl* raw = impl.get();
  auto grouper = Grouper::Create(config.start_pattern, config.flush_interval_ms,
                                 [raw](GroupedEvent e) {
                                   raw->pending.push_back({e.timestamp, std::move(e.message)});
                                 });
  if (!grouper.ok()) {
    return FailedPrecondition("ResourceInitializationError: failed to validate logger args: " +
                              grouper.status().message());
  }
  impl->grouper = std::move(*grouper);
  if (config.php_fpm_unwrap) {
    impl->unwrap = std::make_unique<PhpFpmUnwrapper>(
        [raw](std::string_view line) { raw->unwrapped.emplace_back(line); },
        config.php_fpm_log_limit);
  }
  impl->last_tick = clock_.NowMs();
  std::shared_ptr<ContainerLog> log(new ContainerLog(std::move(impl)));
  std::lock_guard<std::mutex> lock(mu_);
  logs_.push_back(log);
  return log;
}

void Pipeline::Wake() { cv_.notify_all(); }

void Pipeline::TickerLoop() {
  int64_t last_flush = clock_.NowMs(), last_retention = clock_.NowMs();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(kTickMs));
    if (stop_) break;
    std::vector<std::shared_ptr<ContainerLog>> live;
    for (auto it = logs_.begin(); it != logs_.end();) {
      if (auto l = it->lock()) {
        live.push_back(std::move(l));
        ++it;
      } else {
        it = logs_.erase(it);
      }
    }
    lock.unlock();
    int64_t now = clock_.NowMs();
    for (auto& l : live) l->Tick(now);
    if (now - last_flush >= 5000) {
      (void)store_.Flush();
      last_flush = now;
    }
    if (now - last_retention >= kRetentionEveryMs) {
      store_.EnforceRetention();
      last_retention = now;
    }
    lock.lock();
  }
}

void Pipeline::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    std::vector<std::shared_ptr<ContainerLog>> live;
    for (auto& w : logs_) {
      if (auto l = w.lock(); l && l->impl_->config.non_blocking) live.push_back(std::move(l));
    }
    lock.unlock();
    bool worked = false;
    for (auto& l : live) worked |= l->Drain();
    lock.lock();
    if (!worked) cv_.wait_for(lock, std::chrono::milliseconds(kTickMs));
  }
}

}  // namespace berth::logs
