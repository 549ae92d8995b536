// Docker's awslogs grouping (spec/logs.md §1.2–§1.6), exactly: strftime → regex conversion,
// the multiline accumulator with its quirks, and the 262,118-byte split. Pure and
// deterministic: time comes in as arguments. Not thread-safe per instance.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace berth::logs {

constexpr size_t kMaxEventBytes = 262118;  // Docker's BufSize(): 262144 − 26

// `awslogs-datetime-format` → the RE2 pattern Docker builds (§1.4 table, literal characters
// not escaped, unknown directives dropped, no anchoring).
std::string DatetimeFormatToRegex(std::string_view format);

struct GroupedEvent {
  int64_t timestamp = 0;
  std::string message;
};

// One container's stream of lines (stdout and stderr interleaved, as Docker does) → events.
class Grouper {
 public:
  using Emit = std::function<void(GroupedEvent)>;
  // start_pattern empty = no multiline: every non-empty line is its own event (no trailing
  // "\n"). Otherwise lines matching start_pattern (unanchored RE2) start a new event and every
  // line gets a trailing "\n". Returns InvalidArgument for a pattern RE2 rejects.
  static Result<std::unique_ptr<Grouper>> Create(const std::string& start_pattern,
                                                 int64_t flush_interval_ms, Emit emit);
  virtual ~Grouper() = default;
  // One line without its "\n" (at most kMaxEventBytes; longer input arrives as several
  // partial lines sharing the first piece's timestamp), read at time `now_ms`.
  virtual void AddLine(std::string_view line, int64_t now_ms) = 0;
  // The flush ticker (every flush_interval_ms).
  virtual void Tick(int64_t now_ms) = 0;
  // Container ended: emit what is buffered.
  virtual void Close() = 0;
  // How many of the lines added so far are buffered, not yet in an emitted event (always the
  // last ones added).
  virtual size_t held_lines() const = 0;
};

// Docker's effectiveLen: the UTF-8 length with each invalid byte counted as 3 (what it becomes
// as U+FFFD). What §1.6's batch limits count (plus 26 per event).
size_t EffectiveLength(std::string_view s);

// Cuts a message into pieces of at most kMaxEventBytes "effective" bytes (invalid UTF-8 bytes
// count 3) at valid UTF-8 boundaries (§1.6).
std::vector<std::string> SplitEvent(std::string_view message);

// Splits raw output chunks into lines the way Docker's copier does: on "\n" (stripped), lines
// longer than kMaxEventBytes delivered as partial pieces; what remains at Finish() is a last
// line. on_line(line, partial) — partial pieces after the first share its timestamp.
class LineSplitter {
 public:
  using OnLine = std::function<void(std::string_view line)>;
  explicit LineSplitter(OnLine on_line) : on_line_(std::move(on_line)) {}
  void Write(std::string_view chunk);
  void Finish();
  // Valid inside on_line: true when the line being delivered continues a partial piece (a
  // 262,118-byte piece of the same line came before), so it takes that first piece's timestamp.
  // The rest of a line of exactly k×262,118 bytes is delivered as an empty continuation line,
  // as Docker's copier does.
  bool continuation() const { return continuation_; }

 private:
  void Deliver(std::string_view line, bool partial);

  OnLine on_line_;
  std::string pending_;      // the current line's bytes not yet delivered (no "\n")
  bool in_partial_ = false;  // a partial piece of the current line was delivered
  bool continuation_ = false;
};

}  // namespace berth::logs
