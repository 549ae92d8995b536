// Value semantics shared by the pattern compiler and matcher (see event_pattern_internal.h):
// ruler's comparable numbers, Java's IP literals and ruler's CIDR ranges, equals-ignore-case,
// and wildcards with ruler's complexity measure.
#include <locale.h>  // newlocale (POSIX)
#include <wctype.h>  // towlower_l (POSIX)

#include <algorithm>
#include <clocale>
#include <cstdint>
#include <cwctype>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/utf8.h"
#include "events/event_pattern_internal.h"

namespace berth::events::pattern_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---- numbers ------------------------------------------------------------------------------

// ruler's ComparableNumber.generate(): BigDecimal(text).stripTrailingZeros(); more than 6
// decimals → "Only values upto 6 decimals are supported"; × 10^6 .longValueExact() →
// ArithmeticException "Overflow"; outside ±5e9 → "Value must be between …".
NumberError ToMicros(std::string_view text, int64_t* micros) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  std::string digits;
  int64_t exponent = 0;
  for (; i < text.size() && IsDigit(text[i]); ++i) digits.push_back(text[i]);
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && IsDigit(text[i]); ++i) {
      digits.push_back(text[i]);
      --exponent;
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    int64_t e = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      if (e < 1'000'000'000'000LL) e = e * 10 + (text[i] - '0');
    }
    exponent += exp_negative ? -e : e;
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    *micros = 0;
    return NumberError::kNone;
  }
  digits.erase(0, first);
  while (digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  if (exponent < -6) return NumberError::kDecimals;
  int64_t shift = exponent + 6;
  if (static_cast<int64_t>(digits.size()) + shift > 19) return NumberError::kOverflow;
  unsigned __int128 value = 0;
  for (char d : digits) value = value * 10 + static_cast<unsigned>(d - '0');
  for (int64_t k = 0; k < shift; ++k) value *= 10;
  const unsigned __int128 limit = negative ? (static_cast<unsigned __int128>(1) << 63)
                                           : ((static_cast<unsigned __int128>(1) << 63) - 1);
  if (value > limit) return NumberError::kOverflow;
  if (value > static_cast<unsigned __int128>(5'000'000'000'000'000LL)) return NumberError::kRange;
  *micros = negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
  return NumberError::kNone;
}

const char* NumberErrorMessage(NumberError e) {
  switch (e) {
    case NumberError::kDecimals:
      return "Only values upto 6 decimals are supported";
    case NumberError::kRange:
      return "Value must be between -5.0E9 and 5.0E9, inclusive";
    case NumberError::kOverflow:
      return "Overflow";
    case NumberError::kNone:
      break;
  }
  return "";
}

// ---- IP addresses ------------------------------------------------------------------------

namespace {

// ruler's IPv4_REGEX [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+
bool LooksLikeV4(std::string_view s) {
  int dots = 0;
  bool digit_run = false;
  for (char c : s) {
    if (IsDigit(c)) {
      digit_run = true;
    } else if (c == '.' && digit_run) {
      ++dots;
      digit_run = false;
    } else {
      return false;
    }
  }
  return dots == 3 && digit_run;
}

// ruler's IPv6_REGEX [0-9a-fA-F:]*:[0-9a-fA-F:]*
bool LooksLikeV6(std::string_view s) {
  bool colon = false;
  for (char c : s) {
    if (c == ':') {
      colon = true;
    } else if (Hex(c) < 0) {
      return false;
    }
  }
  return colon;
}

// Java's IPAddressUtil.textToNumericFormatV4 for a.b.c.d, rejecting ambiguous leading zeros
// as current JDKs do.
bool ParseV4(std::string_view s, IpAddress* out) {
  size_t part = 0;
  size_t i = 0;
  while (part < 4) {
    size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    size_t len = i - start;
    if (len == 0 || len > 3 || (len > 1 && s[start] == '0')) return false;
    int v = 0;
    for (size_t k = start; k < i; ++k) v = v * 10 + (s[k] - '0');
    if (v > 255) return false;
    out->bytes[part++] = static_cast<uint8_t>(v);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  if (i != s.size()) return false;
  out->size = 4;
  return true;
}

// Java's IPAddressUtil.textToNumericFormatV6 (without the embedded-IPv4 form, which ruler's
// regex excludes); an IPv4-mapped address becomes IPv4, as InetAddress does.
bool ParseV6(std::string_view s, IpAddress* out) {
  if (s.size() < 2) return false;
  uint8_t dst[16] = {};
  size_t i = 0;
  if (s[i] == ':') {
    if (s[++i] != ':') return false;
  }
  int j = 0;
  int colonp = -1;
  bool saw_xdigit = false;
  uint32_t val = 0;
  while (i < s.size()) {
    char ch = s[i++];
    int h = Hex(ch);
    if (h >= 0) {
      val = (val << 4) | static_cast<uint32_t>(h);
      if (val > 0xffff) return false;
      saw_xdigit = true;
      continue;
    }
    if (ch != ':') return false;
    if (!saw_xdigit) {
      if (colonp != -1) return false;
      colonp = j;
      continue;
    }
    if (i == s.size()) return false;
    if (j + 2 > 16) return false;
    dst[j++] = static_cast<uint8_t>(val >> 8);
    dst[j++] = static_cast<uint8_t>(val & 0xff);
    saw_xdigit = false;
    val = 0;
  }
  if (saw_xdigit) {
    if (j + 2 > 16) return false;
    dst[j++] = static_cast<uint8_t>(val >> 8);
    dst[j++] = static_cast<uint8_t>(val & 0xff);
  }
  if (colonp != -1) {
    int n = j - colonp;
    if (j == 16) return false;
    for (int k = 1; k <= n; ++k) {
      dst[16 - k] = dst[colonp + n - k];
      dst[colonp + n - k] = 0;
    }
    j = 16;
  }
  if (j != 16) return false;
  bool mapped = dst[10] == 0xff && dst[11] == 0xff;
  for (int k = 0; k < 10 && mapped; ++k) mapped = dst[k] == 0;
  if (mapped) {
    std::copy(dst + 12, dst + 16, out->bytes.begin());
    out->size = 4;
  } else {
    std::copy(dst, dst + 16, out->bytes.begin());
    out->size = 16;
  }
  return true;
}

int CompareIp(const IpAddress& a, const IpAddress& b) {
  for (size_t k = 0; k < a.size; ++k) {
    if (a.bytes[k] != b.bytes[k]) return a.bytes[k] < b.bytes[k] ? -1 : 1;
  }
  return 0;
}

}  // namespace

IpParse ParseIp(std::string_view text, IpAddress* out) {
  if (LooksLikeV4(text)) return ParseV4(text, out) ? IpParse::kOk : IpParse::kInvalid;
  if (LooksLikeV6(text)) return ParseV6(text, out) ? IpParse::kOk : IpParse::kInvalid;
  return IpParse::kNotIpLike;
}

bool IpRange::Contains(const IpAddress& ip) const {
  return ip.size == low.size && CompareIp(low, ip) <= 0 && CompareIp(ip, high) <= 0;
}

bool ParseCidr(std::string_view text, IpRange* out, std::string* reason) {
  // Java's String.split("/"): no '/' gives the whole text; trailing empty strings are dropped.
  std::vector<std::string_view> parts;
  if (text.find('/') == std::string_view::npos) {
    parts.push_back(text);
  } else {
    size_t start = 0;
    while (true) {
      size_t slash = text.find('/', start);
      if (slash == std::string_view::npos) {
        parts.push_back(text.substr(start));
        break;
      }
      parts.push_back(text.substr(start, slash - start));
      start = slash + 1;
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
  }
  if (parts.size() != 2) {
    *reason = "Malformed CIDR, one '/' required";
    return false;
  }
  // Integer.parseInt
  std::string_view bits = parts[1];
  size_t k = 0;
  bool negative = false;
  if (!bits.empty() && (bits[0] == '+' || bits[0] == '-')) negative = bits[k++] == '-';
  int64_t mask = 0;
  bool ok = k < bits.size();
  for (; k < bits.size() && ok; ++k) {
    ok = IsDigit(bits[k]);
    if (ok) mask = mask * 10 + (bits[k] - '0');
    if (mask > 2147483648LL) ok = false;
  }
  if (ok && !negative && mask > 2147483647LL) ok = false;
  if (!ok) {
    *reason = "Malformed CIDR, mask bits must be an integer";
    return false;
  }
  if (negative && mask > 0) {
    *reason = "Malformed CIDR, mask bits must not be negative";
    return false;
  }
  IpAddress ip;
  switch (ParseIp(parts[0], &ip)) {
    case IpParse::kNotIpLike:
      *reason = "Nonstandard IP address: " + std::string(parts[0]);
      return false;
    case IpParse::kInvalid:
      *reason = "Invalid IP address: " + std::string(parts[0]);
      return false;
    case IpParse::kOk:
      break;
  }
  if (ip.size == 4 && mask > 31) {
    *reason = "IPv4 mask bits must be < 32";
    return false;
  }
  if (ip.size == 16 && mask > 127) {
    *reason = "IPv6 mask bits must be < 128";
    return false;
  }
  out->low = ip;
  out->high = ip;
  int variable = static_cast<int>(ip.size) * 8 - static_cast<int>(mask);
  for (int b = ip.size - 1; b >= 0 && variable > 0; --b, variable -= 8) {
    int n = std::min(variable, 8);
    auto host = static_cast<uint8_t>((1u << n) - 1);
    out->low.bytes[b] &= static_cast<uint8_t>(~host);
    out->high.bytes[b] |= host;
  }
  return true;
}

// ---- equals-ignore-case -------------------------------------------------------------------

namespace {

locale_t Utf8Locale() {
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

// Decodes one UTF-8 character at s[i]; *len bytes. Malformed input: the byte alone, cp = -1.
int64_t DecodeUtf8(std::string_view s, size_t i, size_t* len) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t need = b < 0x80             ? 0
                : (b & 0xE0) == 0xC0 ? 1
                : (b & 0xF0) == 0xE0 ? 2
                : (b & 0xF8) == 0xF0 ? 3
                                     : 9;
  *len = 1;
  if (need == 0) return b;
  if (need == 9 || i + need >= s.size()) return -1;
  uint32_t cp = need == 1 ? (b & 0x1F) : need == 2 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k <= need; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (c & 0x3F);
  }
  *len = need + 1;
  return cp;
}

}  // namespace

CasePattern CompileIgnoreCase(std::string_view text) {
  CasePattern p;
  locale_t loc = Utf8Locale();
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    int64_t cp = DecodeUtf8(text, i, &len);
    CaseChar ch;
    if (cp < 0) {
      ch.lower = ch.upper = std::string(text.substr(i, 1));
      p.ascii = false;
    } else if (cp < 0x80) {
      char c = static_cast<char>(cp);
      char lo = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      char up = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      ch.lower = std::string(1, lo);
      ch.upper = std::string(1, up);
      p.ascii_lower.push_back(lo);
    } else {
      p.ascii = false;
      auto lo = static_cast<uint32_t>(cp);
      auto up = static_cast<uint32_t>(cp);
      if (loc != nullptr) {
        lo = static_cast<uint32_t>(towlower_l(static_cast<wint_t>(cp), loc));
        up = static_cast<uint32_t>(towupper_l(static_cast<wint_t>(cp), loc));
      }
      AppendUtf8(lo, &ch.lower);
      if (cp == 0xDF) {
        ch.upper = "SS";  // Java: "ß".toUpperCase() is "SS"
      } else {
        AppendUtf8(up, &ch.upper);
      }
    }
    p.chars.push_back(std::move(ch));
    i += len;
  }
  return p;
}

namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool AsciiEqualsIgnoreCase(std::string_view value, std::string_view lower_pattern) {
  if (value.size() != lower_pattern.size()) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (AsciiLower(value[i]) != lower_pattern[i]) return false;
  }
  return true;
}

}  // namespace

bool MatchIgnoreCase(const CasePattern& pattern, std::string_view value, CaseMode mode) {
  if (pattern.ascii) {
    const std::string& p = pattern.ascii_lower;
    switch (mode) {
      case CaseMode::kEquals:
        return AsciiEqualsIgnoreCase(value, p);
      case CaseMode::kPrefix:
        return value.size() >= p.size() && AsciiEqualsIgnoreCase(value.substr(0, p.size()), p);
      case CaseMode::kSuffix:
        return value.size() >= p.size() &&
               AsciiEqualsIgnoreCase(value.substr(value.size() - p.size()), p);
    }
  }
  // Each pattern character may match either spelling, of possibly different lengths: follow
  // every position reachable so far.
  std::vector<size_t> current{mode == CaseMode::kSuffix ? value.size() : 0};
  std::vector<size_t> next;
  auto try_alt = [&](size_t pos, const std::string& alt) {
    if (mode == CaseMode::kSuffix) {
      if (pos >= alt.size() && value.compare(pos - alt.size(), alt.size(), alt) == 0) {
        next.push_back(pos - alt.size());
      }
    } else if (value.size() - pos >= alt.size() && value.compare(pos, alt.size(), alt) == 0) {
      next.push_back(pos + alt.size());
    }
  };
  size_t n = pattern.chars.size();
  for (size_t k = 0; k < n; ++k) {
    const CaseChar& ch = pattern.chars[mode == CaseMode::kSuffix ? n - 1 - k : k];
    next.clear();
    for (size_t pos : current) {
      try_alt(pos, ch.lower);
      if (ch.upper != ch.lower) try_alt(pos, ch.upper);
    }
    if (next.empty()) return false;
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    current.swap(next);
  }
  if (mode != CaseMode::kEquals) return true;
  return std::find(current.begin(), current.end(), value.size()) != current.end();
}

// ---- wildcard -----------------------------------------------------------------------------

bool ParseWildcard(std::string_view text, Wildcard* out, std::string* reason) {
  out->segments.clear();
  std::string segment;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '*') {
      if (i + 1 < text.size() && text[i + 1] == '*') {
        *reason = "Consecutive wildcard characters at pos " + std::to_string(i + 1);
        return false;
      }
      out->segments.push_back(std::move(segment));
      segment.clear();
    } else if (c == '\\') {
      if (i + 1 < text.size() && (text[i + 1] == '*' || text[i + 1] == '\\')) {
        segment.push_back(text[++i]);
      } else {
        *reason = "Invalid escape character at pos " + std::to_string(i + 1);
        return false;
      }
    } else {
      segment.push_back(c);
    }
  }
  out->segments.push_back(std::move(segment));
  return true;
}

bool MatchWildcard(const Wildcard& w, std::string_view value) {
  const auto& seg = w.segments;
  if (seg.size() == 1) return value == seg[0];
  const std::string& first = seg.front();
  const std::string& last = seg.back();
  if (value.size() < first.size() + last.size()) return false;
  if (value.compare(0, first.size(), first) != 0) return false;
  if (value.compare(value.size() - last.size(), last.size(), last) != 0) return false;
  size_t pos = first.size();
  size_t end = value.size() - last.size();
  for (size_t k = 1; k + 1 < seg.size(); ++k) {
    if (seg[k].empty()) continue;
    size_t found = value.substr(0, end).find(seg[k], pos);
    if (found == std::string_view::npos) return false;
    pos = found + seg[k].size();
  }
  return true;
}

namespace {

constexpr int kStar = 256;
constexpr size_t kMaxDfaStates = 4096;

struct VectorHash {
  size_t operator()(const std::vector<uint32_t>& v) const {
    uint64_t h = 1469598103934665603ULL;
    for (uint32_t x : v) h = (h ^ x) * 1099511628211ULL;
    return static_cast<size_t>(h);
  }
};

}  // namespace

// ruler counts, for the worst-case input, how many wildcard-pattern prefixes (each pattern
// being '"' + value + '"', a '*' ending a prefix of its own) match the whole input. We explore
// the subset automaton of all the field's patterns and take the largest active set.
int WildcardComplexity(const std::vector<const Wildcard*>& wildcards, int limit) {
  // Global positions: position g stands for (pattern pattern_of[g], prefix length length_of[g]);
  // token[g] is the token after that prefix (-1 at the end of the pattern).
  std::vector<int> token;
  std::vector<uint32_t> length_of;
  std::vector<uint32_t> starts;
  for (const Wildcard* w : wildcards) {
    std::vector<int> t{'"'};
    for (size_t k = 0; k < w->segments.size(); ++k) {
      if (k > 0) t.push_back(kStar);
      for (char c : w->segments[k]) t.push_back(static_cast<unsigned char>(c));
    }
    t.push_back('"');
    starts.push_back(static_cast<uint32_t>(token.size()));
    for (size_t k = 0; k <= t.size(); ++k) {
      token.push_back(k < t.size() ? t[k] : -1);
      length_of.push_back(static_cast<uint32_t>(k));
    }
  }
  auto close = [&](std::vector<uint32_t>* s) {
    for (size_t i = 0; i < s->size(); ++i) {  // grows while iterating
      if (token[(*s)[i]] == kStar) s->push_back((*s)[i] + 1);
    }
    std::sort(s->begin(), s->end());
    s->erase(std::unique(s->begin(), s->end()), s->end());
  };
  auto count = [&](const std::vector<uint32_t>& s) {
    int n = 0;
    for (uint32_t g : s) n += length_of[g] > 0 ? 1 : 0;
    return n;
  };
  std::vector<uint32_t> start = starts;
  close(&start);
  std::unordered_set<std::vector<uint32_t>, VectorHash> seen{start};
  std::vector<std::vector<uint32_t>> queue{start};
  std::vector<int> bytes;
  int best = 0;
  while (!queue.empty()) {
    std::vector<uint32_t> s = std::move(queue.back());
    queue.pop_back();
    best = std::max(best, count(s));
    if (best > limit) return limit + 1;
    // Only bytes that advance some position lead to distinct states; every other byte keeps
    // just the positions right after a '*' (the last iteration, -1, stands for those).
    bytes.clear();
    for (uint32_t g : s) {
      if (token[g] >= 0 && token[g] != kStar) bytes.push_back(token[g]);
    }
    std::sort(bytes.begin(), bytes.end());
    bytes.erase(std::unique(bytes.begin(), bytes.end()), bytes.end());
    bytes.push_back(-1);
    for (int c : bytes) {
      std::vector<uint32_t> next;
      for (uint32_t g : s) {
        if (length_of[g] > 0 && token[g - 1] == kStar) next.push_back(g);
        if (c >= 0 && token[g] == c) next.push_back(g + 1);
      }
      if (next.empty()) continue;
      close(&next);
      if (seen.insert(next).second) {
        if (seen.size() > kMaxDfaStates) return limit + 1;
        queue.push_back(std::move(next));
      }
    }
  }
  return best;
}

}  // namespace berth::events::pattern_internal
