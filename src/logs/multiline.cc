#include "logs/multiline.h"

#include <re2/re2.h>

#include <array>
#include <cstring>
#include <utility>

namespace berth::logs {

namespace {

constexpr int64_t kDefaultFlushIntervalMs = 5000;  // Docker's defaultForceFlushInterval
constexpr uint64_t kHighBits = 0x8080808080808080ULL;
constexpr char kReplacementChar[] = "\xEF\xBF\xBD";  // U+FFFD, what Go decodes a bad byte to

// Byte length of the valid UTF-8 sequence at p (n > 0 bytes available), or 0 when Go's
// utf8.DecodeRune would return (RuneError, 1): bad lead byte, overlong form, surrogate, above
// U+10FFFF, or a truncated sequence.
inline size_t ValidRuneLen(const unsigned char* p, size_t n) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;
  if (c < 0xE0) return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  if (c < 0xF0) {
    if (n < 3) return 0;
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = c == 0xED ? 0x9F : 0xBF;
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (n < 4) return 0;
    unsigned lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
    return 4;
  }
  return 0;
}

inline bool Ascii16(const unsigned char* p) {
  uint64_t a, b;
  std::memcpy(&a, p, 8);
  std::memcpy(&b, p + 8, 8);
  return ((a | b) & kHighBits) == 0;
}

// Number of bytes Go would decode as RuneError(1). A valid string's effective length is its
// size; every invalid byte adds 2 (it counts 3).
size_t CountInvalidBytes(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0, invalid = 0;
  while (i < n) {
    if (i + 16 <= n && Ascii16(p + i)) {
      i += 16;
      continue;
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = ValidRuneLen(p + i, n - i);
    if (len == 0) {
      ++invalid;
      ++i;
    } else {
      i += len;
    }
  }
  return invalid;
}

// The text Go's regexp sees: each invalid byte as U+FFFD.
void ReplaceInvalid(std::string_view s, std::string* out) {
  out->clear();
  out->reserve(s.size() + 16);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0, run = 0;
  while (i < n) {
    size_t len = p[i] < 0x80 ? 1 : ValidRuneLen(p + i, n - i);
    if (len == 0) {
      out->append(s.data() + run, i - run);
      out->append(kReplacementChar, 3);
      run = ++i;
    } else {
      i += len;
    }
  }
  out->append(s.data() + run, n - run);
}

std::string_view DirectiveRegex(char c) {
  switch (c) {
    case 'a':
      return "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
    case 'A':
      return "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
    case 'w':
      return "[0-6]";
    case 'd':
      return "(?:0[1-9]|[1,2][0-9]|3[0,1])";
    case 'b':
      return "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
    case 'B':
      return "(?:January|February|March|April|May|June|July|August|September|October|November|"
             "December)";
    case 'm':
      return "(?:0[1-9]|1[0-2])";
    case 'Y':
      return "\\d{4}";
    case 'y':
      return "\\d{2}";
    case 'H':
      return "(?:[0,1][0-9]|2[0-3])";
    case 'I':
      return "(?:0[0-9]|1[0-2])";
    case 'p':
      return "[A,P]M";
    case 'M':
    case 'S':
      return "[0-5][0-9]";
    case 'f':
      return "\\d{6}";
    case 'z':
      return "[+-]\\d{4}";
    case 'Z':
      return "[A-Z]{1,4}T";
    case 'j':
      return "(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])";
    case 'L':
      return "\\.\\d{3}";
    default:
      return "";  // Docker's map lookup of an unknown sequence yields ""
  }
}

// Docker's collectBatch state machine (§1.5) for one container.
class GrouperImpl final : public Grouper {
 public:
  GrouperImpl(std::unique_ptr<RE2> re, const std::string& pattern, int64_t flush_interval_ms,
              Emit emit)
      : re_(std::move(re)),
        interval_ms_(flush_interval_ms > 0 ? flush_interval_ms : kDefaultFlushIntervalMs),
        emit_(std::move(emit)) {
    if (re_ == nullptr) return;
    buf_.reserve(4096);
    SetUpPrefilter(pattern);
    SetUpLeadingRun(pattern);
  }

  void AddLine(std::string_view line, int64_t now_ms) override {
    if (ts_ == 0) ts_ = now_ms;
    if (re_ == nullptr) {
      // Multiline off: each line is processed on its own; an empty one emits nothing.
      if (line.empty()) return;
      if (line.size() <= kMaxEventBytes / 3) {
        emit_(GroupedEvent{now_ms, std::string(line)});
      } else {
        EmitSplit(line, line.size() + 2 * CountInvalidBytes(line), now_ms);
      }
      return;
    }
    size_t invalid = CountInvalidBytes(line);
    size_t line_eff = line.size() + 2 * invalid;
    if (Matches(line, invalid) || buf_eff_ + line_eff > kMaxEventBytes) {
      EmitBuffer();
      ts_ = now_ms;
    }
    buf_.append(line);
    ++held_lines_;
    buf_eff_ += line_eff;
    if (line_eff < kMaxEventBytes) {
      buf_.push_back('\n');
      ++buf_eff_;
    }
  }

  void Tick(int64_t now_ms) override {
    if (ts_ > 0 && !buf_.empty()) {
      int64_t age = now_ms - ts_;
      // The timestamp is deliberately kept: continuation lines that follow reuse it.
      if (age >= interval_ms_ || age < 0) EmitBuffer();
    }
  }

  void Close() override { EmitBuffer(); }

  size_t held_lines() const override { return held_lines_; }

 private:
  // Most lines of a multiline stream do not match, and RE2's unanchored DFA costs a few ns per
  // byte. Every match starts with a byte in [min, max] of RE2's PossibleMatchRange, so the
  // search can start at the first such byte. Only sound without empty-width assertions (their
  // outcome depends on the byte before), and only useful when no match is empty.
  void SetUpPrefilter(const std::string& pattern) {
    if (pattern.find_first_of("^$") != std::string::npos) return;
    for (const char* assertion : {"\\b", "\\B", "\\A", "\\z"}) {
      if (pattern.find(assertion) != std::string::npos) return;
    }
    std::string min, max;
    if (!re_->PossibleMatchRange(&min, &max, 1) || min.empty() || max.empty()) return;
    for (unsigned c = static_cast<unsigned char>(min[0]); c <= static_cast<unsigned char>(max[0]);
         ++c) {
      first_bytes_[c] = true;
    }
    prefilter_ = true;
  }

  // A stronger, exact prefilter for the patterns awslogs-datetime-format produces: when the
  // pattern begins with a run of required atoms — \d, \d{N} or plain literal characters — and
  // has no top-level '|', every match starts where that run occurs. Lines without the run
  // (stack-trace frames, mostly) never reach RE2.
  void SetUpLeadingRun(const std::string& pattern) {
    int depth = 0;
    bool in_class = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      char c = pattern[i];
      if (c == '\\') {
        ++i;
      } else if (in_class) {
        if (c == ']') in_class = false;
      } else if (c == '[') {
        in_class = true;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      } else if (c == '|' && depth == 0) {
        return;
      }
    }
    std::vector<int> run;  // -1 = a digit, else the literal byte
    size_t i = 0;
    while (i < pattern.size()) {
      std::vector<int> atom;
      size_t next = i;
      if (pattern.compare(i, 2, "\\d") == 0) {
        next = i + 2;
        int count = 1;
        if (next < pattern.size() && pattern[next] == '{') {
          size_t close = pattern.find('}', next);
          std::string n = close == std::string::npos ? "" : pattern.substr(next + 1, close - next - 1);
          if (n.empty() || n.size() > 2 || n.find_first_not_of("0123456789") != std::string::npos) break;
          count = std::stoi(n);
          next = close + 1;
        }
        atom.assign(static_cast<size_t>(count), -1);
      } else if (pattern[i] == '\\' && i + 1 < pattern.size() &&
                 !isalnum(static_cast<unsigned char>(pattern[i + 1]))) {
        atom.push_back(static_cast<unsigned char>(pattern[i + 1]));
        next = i + 2;
      } else if (isalnum(static_cast<unsigned char>(pattern[i])) || strchr(" -:/,_#@=;'\"", pattern[i])) {
        atom.push_back(static_cast<unsigned char>(pattern[i]));
        next = i + 1;
      } else {
        break;
      }
      // An atom followed by a quantifier is not required as written: stop before it.
      if (next < pattern.size() && strchr("*?+{", pattern[next])) break;
      run.insert(run.end(), atom.begin(), atom.end());
      i = next;
    }
    if (run.size() >= 2) leading_run_ = std::move(run);
  }

  // Whether leading_run_ occurs at line[i] (the caller ensured it fits).
  bool RunAt(std::string_view line, size_t i, size_t from) const {
    for (size_t k = from; k < leading_run_.size(); ++k) {
      unsigned char b = static_cast<unsigned char>(line[i + k]);
      int want = leading_run_[k];
      if (want < 0 ? static_cast<unsigned>(b - '0') > 9 : b != want) return false;
    }
    return true;
  }

  // First position where leading_run_ occurs, or npos. One pass: a run of digits is counted as
  // it goes (a match can start at any digit of it), a literal first atom is found with memchr.
  size_t FindLeadingRun(std::string_view line, size_t from) const {
    const size_t n = leading_run_.size();
    if (line.size() < from + n) return std::string_view::npos;
    size_t lead = 0;
    while (lead < n && leading_run_[lead] < 0) ++lead;
    if (lead == 0) {
      const char first = static_cast<char>(leading_run_[0]);
      size_t pos = from;
      while (pos + n <= line.size()) {
        const void* hit = memchr(line.data() + pos, first, line.size() - n + 1 - pos);
        if (hit == nullptr) break;
        size_t i = static_cast<const char*>(hit) - line.data();
        if (RunAt(line, i, 1)) return i;
        pos = i + 1;
      }
      return std::string_view::npos;
    }
    size_t digits = 0;
    for (size_t i = from; i < line.size(); ++i) {
      if (static_cast<unsigned>(static_cast<unsigned char>(line[i]) - '0') > 9) {
        digits = 0;
        continue;
      }
      if (++digits < lead) continue;
      size_t start = i + 1 - lead;
      if (start + n > line.size()) return std::string_view::npos;
      if (RunAt(line, start, lead)) return start;
    }
    return std::string_view::npos;
  }

  bool Matches(std::string_view line, size_t invalid) {
    if (invalid != 0) {
      ReplaceInvalid(line, &scratch_);
      line = scratch_;
    }
    if (!leading_run_.empty()) {
      // Every match starts at an occurrence of the leading run: try each with a start-anchored
      // match, which reads no further than the match needs (a dated line matches at once).
      for (size_t at = FindLeadingRun(line, 0); at != std::string_view::npos;
           at = FindLeadingRun(line, at + 1)) {
        if (re_->Match(line, at, line.size(), RE2::ANCHOR_START, nullptr, 0)) return true;
      }
      return false;
    }
    if (!prefilter_) return RE2::PartialMatch(line, *re_);
    size_t i = 0;
    while (i < line.size() && !first_bytes_[static_cast<unsigned char>(line[i])]) ++i;
    if (i == line.size()) return false;
    return re_->Match(line, i, line.size(), RE2::UNANCHORED, nullptr, 0);
  }

  void EmitBuffer() {
    if (buf_.empty()) return;
    EmitSplit(buf_, buf_eff_, ts_);
    buf_.clear();
    buf_eff_ = 0;
    held_lines_ = 0;
  }

  void EmitSplit(std::string_view message, size_t eff, int64_t ts) {
    if (eff <= kMaxEventBytes) {
      emit_(GroupedEvent{ts, std::string(message)});
      return;
    }
    for (std::string& piece : SplitEvent(message)) emit_(GroupedEvent{ts, std::move(piece)});
  }

  std::unique_ptr<RE2> re_;  // null: multiline off
  bool prefilter_ = false;
  std::array<bool, 256> first_bytes_{};  // bytes a match can start with (when prefilter_)
  std::vector<int> leading_run_;  // required leading atoms: -1 = digit, else a byte
  int64_t interval_ms_;
  Emit emit_;
  std::string buf_;  // the event being accumulated
  // EffectiveLength(buf_), summed per line: exact, because a line is only ever joined after a
  // "\n" or followed by one, so bytes of two lines never decode as one rune.
  size_t buf_eff_ = 0;
  size_t held_lines_ = 0;  // lines in buf_
  int64_t ts_ = 0;  // 0 = unset, as in Docker
  std::string scratch_;
};

}  // namespace

std::string DatetimeFormatToRegex(std::string_view format) {
  std::string out;
  out.reserve(format.size() * 8);
  const auto* p = reinterpret_cast<const unsigned char*>(format.data());
  size_t n = format.size(), i = 0;
  while (i < n) {
    // Docker replaces every match of the Go regexp "%." : '%' plus one rune other than "\n".
    if (p[i] != '%' || i + 1 == n || p[i + 1] == '\n') {
      out.push_back(format[i++]);
      continue;
    }
    size_t len = ValidRuneLen(p + i + 1, n - i - 1);
    if (len == 1) {
      out.append(DirectiveRegex(format[i + 1]));
    }
    i += 1 + (len == 0 ? 1 : len);
  }
  return out;
}

size_t EffectiveLength(std::string_view s) { return s.size() + 2 * CountInvalidBytes(s); }

std::vector<std::string> SplitEvent(std::string_view message) {
  std::vector<std::string> pieces;
  const auto* p = reinterpret_cast<const unsigned char*>(message.data());
  size_t n = message.size(), i = 0, start = 0, eff = 0;
  while (i < n) {
    if (i + 16 <= n && eff + 16 <= kMaxEventBytes && Ascii16(p + i)) {
      i += 16;
      eff += 16;
      continue;
    }
    size_t width = 1, weight = 1;
    if (p[i] >= 0x80) {
      size_t len = ValidRuneLen(p + i, n - i);
      width = len == 0 ? 1 : len;
      weight = len == 0 ? 3 : len;
    }
    if (eff + weight > kMaxEventBytes) {
      pieces.emplace_back(message.substr(start, i - start));
      start = i;
      eff = 0;
      continue;
    }
    eff += weight;
    i += width;
  }
  if (start < n) pieces.emplace_back(message.substr(start));
  return pieces;
}

Result<std::unique_ptr<Grouper>> Grouper::Create(const std::string& start_pattern,
                                                 int64_t flush_interval_ms, Emit emit) {
  std::unique_ptr<RE2> re;
  if (!start_pattern.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    re = std::make_unique<RE2>(start_pattern, options);
    if (!re->ok()) {
      return InvalidArgument("awslogs could not parse multiline pattern key \"" + start_pattern +
                             "\": " + re->error());
    }
  }
  return std::unique_ptr<Grouper>(std::make_unique<GrouperImpl>(
      std::move(re), start_pattern, flush_interval_ms, std::move(emit)));
}

void LineSplitter::Deliver(std::string_view line, bool partial) {
  continuation_ = in_partial_;
  on_line_(line);
  in_partial_ = partial;
  continuation_ = false;
}

// Docker's copier reads into a buffer of kMaxEventBytes: a newline ends a line; a full buffer
// without one is delivered as a partial piece of exactly kMaxEventBytes.
void LineSplitter::Write(std::string_view chunk) {
  const char* p = chunk.data();
  const char* const end = p + chunk.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* stop = nl != nullptr ? nl : end;
    size_t avail = stop - p;
    if (!pending_.empty()) {
      size_t room = kMaxEventBytes - pending_.size();
      if (avail >= room) {
        pending_.append(p, room);
        p += room;
        Deliver(pending_, /*partial=*/true);
        pending_.clear();
        continue;
      }
      pending_.append(p, avail);
      if (nl == nullptr) return;
      Deliver(pending_, /*partial=*/false);
      pending_.clear();
      p = nl + 1;
      continue;
    }
    while (avail >= kMaxEventBytes) {
      Deliver(std::string_view(p, kMaxEventBytes), /*partial=*/true);
      p += kMaxEventBytes;
      avail -= kMaxEventBytes;
    }
    if (nl == nullptr) {
      pending_.assign(p, avail);
      return;
    }
    Deliver(std::string_view(p, avail), /*partial=*/false);
    p = nl + 1;
  }
}

void LineSplitter::Finish() {
  if (!pending_.empty()) {
    Deliver(pending_, /*partial=*/false);
    pending_.clear();
  }
  in_partial_ = false;
}

}  // namespace berth::logs
