#include "logs/php_fpm.h"

#include <array>

namespace berth::logs {

namespace {

constexpr std::string_view kPipeClosed = "\", pipe is closed";  // final suffix on a closed pipe

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool AllOf(std::string_view s, size_t from, size_t count, bool (*pred)(char)) {
  for (size_t i = from; i < from + count; ++i) {
    if (!pred(s[i])) return false;
  }
  return true;
}

// zlog's time: "[DD-Mon-YYYY HH:MM:SS] ", with ".uuuuuu" before "]" at log_level=debug.
// Returns the length of that prefix, or 0.
size_t TimePrefixLength(std::string_view s) {
  if (s.size() < 23 || s[0] != '[' || !AllOf(s, 1, 2, IsDigit) || s[3] != '-' ||
      !AllOf(s, 4, 3, IsAlpha) || s[7] != '-' || !AllOf(s, 8, 4, IsDigit) || s[12] != ' ' ||
      !AllOf(s, 13, 2, IsDigit) || s[15] != ':' || !AllOf(s, 16, 2, IsDigit) || s[18] != ':' ||
      !AllOf(s, 19, 2, IsDigit)) {
    return 0;
  }
  size_t i = 21;
  if (s[i] == '.') {
    if (s.size() < i + 7 + 2 || !AllOf(s, i + 1, 6, IsDigit)) return 0;
    i += 7;
  }
  if (s.substr(i, 2) != "] ") return 0;
  return i + 2;
}

// "LEVEL: " right after the time. Returns the length of the level and ": ", or 0.
size_t LevelLength(std::string_view s) {
  static constexpr std::array<std::string_view, 5> kLevels = {
      "DEBUG: ", "NOTICE: ", "WARNING: ", "ERROR: ", "ALERT: "};
  for (std::string_view level : kLevels) {
    if (s.starts_with(level)) return level.size();
  }
  return 0;
}

// php-fpm's own line: "[time] LEVEL: ...".
bool IsMasterLine(std::string_view line) {
  size_t t = TimePrefixLength(line);
  return t != 0 && LevelLength(line.substr(t)) != 0;
}

// Skips `digits` at s[*i]; false if there are none.
bool SkipDigits(std::string_view s, size_t* i) {
  size_t start = *i;
  while (*i < s.size() && IsDigit(s[*i])) ++*i;
  return *i > start;
}

bool SkipLiteral(std::string_view s, size_t* i, std::string_view lit) {
  if (s.substr(*i, lit.size()) != lit) return false;
  *i += lit.size();
  return true;
}

struct WorkerLine {
  std::string_view key;      // "[pool P] child PID said into S: \"": who said it, where
  std::string_view payload;  // TEXT, byte for byte
  bool pipe_closed = false;  // ended with php-fpm's ", pipe is closed" final suffix
};

// [time] WARNING: [pool P] child PID said into stdout|stderr: "TEXT"
// At log_level=debug the level is followed by "pid N, FUNCTION(), line N: ".
bool ParseWorkerLine(std::string_view line, WorkerLine* out) {
  size_t i = TimePrefixLength(line);
  if (i == 0 || !SkipLiteral(line, &i, "WARNING: ")) return false;
  if (line.substr(i, 4) == "pid ") {
    size_t func = line.find("(), line ", i);
    if (func == std::string_view::npos) return false;
    i = func + 9;
    if (!SkipDigits(line, &i) || !SkipLiteral(line, &i, ": ")) return false;
  }
  size_t key_start = i;
  if (!SkipLiteral(line, &i, "[pool ")) return false;
  size_t pool_end = line.find("] child ", i);
  if (pool_end == std::string_view::npos) return false;
  i = pool_end + 8;
  if (!SkipDigits(line, &i) || !SkipLiteral(line, &i, " said into ")) return false;
  if (!SkipLiteral(line, &i, "stdout") && !SkipLiteral(line, &i, "stderr")) return false;
  if (!SkipLiteral(line, &i, ": \"")) return false;
  out->key = line.substr(key_start, i - key_start);
  std::string_view rest = line.substr(i);
  if (rest.ends_with('"')) {
    out->payload = rest.substr(0, rest.size() - 1);
    out->pipe_closed = false;
    return true;
  }
  if (rest.ends_with(kPipeClosed)) {
    out->payload = rest.substr(0, rest.size() - kPipeClosed.size());
    out->pipe_closed = true;
    return true;
  }
  return false;
}

}  // namespace

// Decisions on what php-fpm leaves ambiguous:
// - A payload that exactly fills its chunk is held: the next line of the same pool/child/stream
//   continues it; anything else (another child, the other stream, a php-fpm line, an undecorated
//   line) or Flush() completes it first. Undecorated chunks carry no child, so the next
//   undecorated line that is not a php-fpm "[time] LEVEL: " line continues one.
// - log_level=error with decoration on prints `hello stdout"`: the prefix is gone, so the line
//   cannot be told from undecorated output that ends in a quote. It passes through unchanged,
//   closing quote included (and a chunk of it is joined like an undecorated chunk).
// - `, pipe is closed` after the closing quote (a pipe closed on its first read) is stripped.
// - log_level=debug decoration ("[time.uuuuuu] WARNING: pid N, F(), line N: [pool ...") is
//   unwrapped like the default one.
//
// A php-fpm chunk that was cut at log_limit is exactly log_limit − 1 characters long, decorated
// or not (§5.1). Such a chunk is held until the next line says whether it continues.
void PhpFpmUnwrapper::AddLine(std::string_view line) {
  const bool full = line.size() + 1 == log_limit_;
  WorkerLine worker;
  if (ParseWorkerLine(line, &worker)) {
    const bool chunk_full = full && !worker.pipe_closed;
    if (has_pending_) {
      if (pending_key_ == worker.key) {
        pending_.append(worker.payload);
        if (!chunk_full) Flush();
        return;
      }
      Flush();
    }
    if (!chunk_full) {
      on_line_(worker.payload);
      return;
    }
    pending_.assign(worker.payload);
    pending_key_.assign(worker.key);
    has_pending_ = true;
    return;
  }

  const bool master = IsMasterLine(line);
  if (has_pending_) {
    if (pending_key_.empty() && !master) {
      // The next undecorated line continues an undecorated chunk.
      pending_.append(line);
      if (!full) Flush();
      return;
    }
    Flush();
  }
  if (master || !full) {
    on_line_(line);
    return;
  }
  pending_.assign(line);
  pending_key_.clear();
  has_pending_ = true;
}

void PhpFpmUnwrapper::Flush() {
  if (!has_pending_) return;
  has_pending_ = false;
  on_line_(pending_);
  pending_.clear();
}

}  // namespace berth::logs
