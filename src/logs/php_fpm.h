// php-fpm worker-output unwrapping (berth's opt-in `berth-php-fpm-unwrap` log option;
// spec/logs.md §5): turns php-fpm's decorated or undecorated worker lines back into the lines
// the PHP worker wrote, before grouping.
//   [DD-Mon-YYYY HH:MM:SS] WARNING: [pool P] child PID said into stdout|stderr: "TEXT"
// The decoration is stripped (nothing inside TEXT is unescaped: php-fpm escapes nothing),
// chunks php-fpm split at log_limit are re-joined, and php-fpm's own lines (NOTICE: fpm is
// running…, "child N exited on signal 9", access-log lines) pass through unchanged.
// Pure; not thread-safe per instance.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace berth::logs {

class PhpFpmUnwrapper {
 public:
  using OnLine = std::function<void(std::string_view line)>;
  // log_limit: php-fpm's setting (default 1024; the official image uses 8192). A payload that
  // fills its chunk exactly is taken as continued by the next chunk of the same child/stream.
  explicit PhpFpmUnwrapper(OnLine on_line, size_t log_limit = 1024)
      : on_line_(std::move(on_line)), log_limit_(log_limit) {}
  void AddLine(std::string_view line);
  // Emits a pending joined line (end of output, or the flush ticker).
  void Flush();
  // Whether a line is held, waiting for its continuation (emitted by a later AddLine or Flush).
  bool holding() const { return has_pending_; }

 private:
  OnLine on_line_;
  size_t log_limit_;
  std::string pending_;      // joined payload so far
  std::string pending_key_;  // `[pool P] child PID said into S: "` of it ("" = undecorated)
  bool has_pending_ = false;
};

}  // namespace berth::logs
