#include "driver/output_reader.h"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::driver {
namespace {

constexpr size_t kChunkBytes = 1024 * 1024;  // matches the 1 MiB pipes
constexpr uint64_t kWakeKey = 0;
// Reads per ready pipe per loop turn: enough for throughput, small enough to be fair.
constexpr int kReadsPerTurn = 4;
// DrainAndClose reads at most this many chunks: a writer that is still alive cannot keep it.
constexpr int kDrainReads = 32;

}  // namespace

OutputReader::OutputReader()
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      buffer_(kChunkBytes) {
  if (!epoll_fd_.valid() || !wake_fd_.valid()) {
    spdlog::error("process driver: cannot create epoll/eventfd: {}", std::strerror(errno));
  } else {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeKey;
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &ev);
  }
  thread_ = std::thread([this] { Loop(); });
}

OutputReader::~OutputReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  Wake();
  thread_.join();
}

uint64_t OutputReader::Add(UniqueFd fd, DataFn on_data, Fn on_eof) {
  uint64_t key = next_key_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_pipes_.push_back({key, Pipe{std::move(fd), std::move(on_data), std::move(on_eof)}});
  }
  Wake();
  return key;
}

void OutputReader::RunAfter(int64_t delay_ms, Fn fn) {
  SteadyTime due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_timers_.emplace_back(due, std::move(fn));
  }
  Wake();
}

void OutputReader::Wake() {
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_.get(), &one, sizeof one);
  (void)ignored;
}

void OutputReader::TakePending() {
  std::vector<PendingPipe> pipes;
  std::vector<std::pair<SteadyTime, Fn>> timers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pipes.swap(pending_pipes_);
    timers.swap(pending_timers_);
  }
  for (PendingPipe& p : pipes) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = p.key;
    int fd = p.pipe.fd.get();
    pipes_.emplace(p.key, std::move(p.pipe));
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      spdlog::error("process driver: cannot watch a pipe: {}", std::strerror(errno));
      Close(p.key);
    }
  }
  for (auto& [due, fn] : timers) timers_.emplace(due, std::move(fn));
}

void OutputReader::Loop() {
  epoll_event events[64];
  while (true) {
    int timeout_ms = -1;
    if (!timers_.empty()) {
      auto wait = timers_.begin()->first - std::chrono::steady_clock::now();
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
      timeout_ms = ms < 0 ? 0 : static_cast<int>(ms);
    }
    int n = epoll_wait(epoll_fd_.get(), events, 64, timeout_ms);
    if (n < 0 && errno != EINTR) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // never spin
    }
    for (int i = 0; i < n; ++i) {
      uint64_t key = events[i].data.u64;
      if (key == kWakeKey) {
        uint64_t count;
        ssize_t ignored = read(wake_fd_.get(), &count, sizeof count);
        (void)ignored;
      } else {
        ReadSome(key, kReadsPerTurn);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    TakePending();
    auto now = std::chrono::steady_clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      Fn fn = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      fn();
    }
  }
}

bool OutputReader::ReadSome(uint64_t key, int max_reads) {
  for (int i = 0; i < max_reads; ++i) {
    auto it = pipes_.find(key);
    if (it == pipes_.end()) return false;
    ssize_t n = read(it->second.fd.get(), buffer_.data(), buffer_.size());
    if (n > 0) {
      if (it->second.on_data) {
        it->second.on_data(std::string_view(buffer_.data(), static_cast<size_t>(n)));
      }
      if (static_cast<size_t>(n) < buffer_.size()) return true;  // the pipe is empty now
    } else if (n == 0) {
      Close(key);
      return false;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return true;
    } else if (errno != EINTR) {
      Close(key);
      return false;
    }
  }
  return true;
}

void OutputReader::Close(uint64_t key) {
  auto it = pipes_.find(key);
  if (it == pipes_.end()) return;
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
  Fn on_eof = std::move(it->second.on_eof);
  pipes_.erase(it);
  if (on_eof) on_eof();
}

void OutputReader::DrainAndClose(uint64_t key) {
  if (ReadSome(key, kDrainReads)) Close(key);
}

}  // namespace berth::driver
