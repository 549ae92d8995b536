// The JSON lexical pieces of the FlatEvent text parser (event_pattern_flat.cc): UTF-8,
// escapes, strings and numbers scanned as strictly as nlohmann's parser; and the writers of
// the envelope text (event_json_text.cc). Inline because the parser's hot loop calls them per
// byte run.
//
// Pure functions; any thread.
#pragma once

#include <math.h>
#include <string.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace berth::events::pattern_internal {

inline bool IsWs(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }
inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One multi-byte UTF-8 sequence at p (*p >= 0x80), as RFC 3629 allows it. Returns the byte
// after it, or nullptr.
inline const char* ScanUtf8(const char* p, const char* end) {
  auto u = [&](int k) { return static_cast<unsigned char>(p[k]); };
  unsigned char c = u(0);
  auto cont = [&](int k, unsigned char lo, unsigned char hi) {
    return p + k < end && u(k) >= lo && u(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? p + 2 : nullptr;
  if (c == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2, 0x80, 0xBF) ? p + 3 : nullptr;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) ? p + 3 : nullptr;
  }
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2, 0x80, 0xBF) ? p + 3 : nullptr;
  if (c == 0xF0) {
    return cont(1, 0x90, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? p + 4 : nullptr;
  }
  if (c >= 0xF1 && c <= 0xF3) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? p + 4 : nullptr;
  }
  if (c == 0xF4) {
    return cont(1, 0x80, 0x8F) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? p + 4 : nullptr;
  }
  return nullptr;
}

// \uXXXX at p (just after the 'u'); *cp = the code unit.
inline bool Hex4(const char* p, const char* end, uint32_t* cp) {
  if (end - p < 4) return false;
  uint32_t v = 0;
  for (int k = 0; k < 4; ++k) {
    int h = HexValue(p[k]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  *cp = v;
  return true;
}

// An escape at p (just after the backslash). Returns the byte after it, or nullptr; *cp is
// the code point it stands for.
inline const char* ScanEscape(const char* p, const char* end, uint32_t* cp) {
  if (p >= end) return nullptr;
  switch (*p) {
    case '"':
      *cp = '"';
      return p + 1;
    case '\\':
      *cp = '\\';
      return p + 1;
    case '/':
      *cp = '/';
      return p + 1;
    case 'b':
      *cp = '\b';
      return p + 1;
    case 'f':
      *cp = '\f';
      return p + 1;
    case 'n':
      *cp = '\n';
      return p + 1;
    case 'r':
      *cp = '\r';
      return p + 1;
    case 't':
      *cp = '\t';
      return p + 1;
    case 'u': {
      uint32_t hi;
      if (!Hex4(p + 1, end, &hi)) return nullptr;
      p += 5;
      if (hi >= 0xDC00 && hi <= 0xDFFF) return nullptr;  // a low surrogate first
      if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return p;
      }
      uint32_t lo;
      if (end - p < 2 || p[0] != '\\' || p[1] != 'u' || !Hex4(p + 2, end, &lo)) return nullptr;
      if (lo < 0xDC00 || lo > 0xDFFF) return nullptr;
      *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
      return p + 6;
    }
    default:
      return nullptr;
  }
}

// Bytes that end a run of plain string characters: '"', '\\', controls, non-ASCII.
struct PlainTable {
  bool plain[256];
  constexpr PlainTable() : plain() {
    for (int c = 0; c < 256; ++c) plain[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }
};
constexpr PlainTable kPlain;

// The body of a string, p just after the opening quote. Returns the closing quote, or nullptr
// if the string is invalid; *escaped = it holds an escape.
inline const char* ScanString(const char* p, const char* end, bool* escaped) {
  for (;;) {
#if defined(__SSE2__)
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                       _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));  // signed: also every byte >= 0x80
      int mask = _mm_movemask_epi8(special);
      if (mask != 0) {
        p += __builtin_ctz(static_cast<unsigned>(mask));
        goto special_byte;
      }
      p += 16;
    }
#endif
    while (p < end && kPlain.plain[static_cast<unsigned char>(*p)]) ++p;
    if (p >= end) return nullptr;
#if defined(__SSE2__)
  special_byte:
#endif
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') return p;
    if (c == '\\') {
      *escaped = true;
      uint32_t cp;
      p = ScanEscape(p + 1, end, &cp);
      if (p == nullptr) return nullptr;
      continue;
    }
    if (c < 0x20) return nullptr;
    p = ScanUtf8(p, end);
    if (p == nullptr) return nullptr;
  }
}

// Decodes a validated string body [p, end) (escapes resolved) into *out.
inline void DecodeString(const char* p, const char* end, std::string* out) {
  out->clear();
  while (p < end) {
    const char* q = static_cast<const char*>(memchr(p, '\\', static_cast<size_t>(end - p)));
    if (q == nullptr) q = end;
    out->append(p, static_cast<size_t>(q - p));
    if (q == end) break;
    uint32_t cp = 0;
    p = ScanEscape(q + 1, end, &cp);
    AppendUtf8(cp, out);
  }
}

// A number at p. Returns the byte after it, or nullptr.
inline const char* ScanNumber(const char* p, const char* end) {
  const char* start = p;
  if (*p == '-') ++p;
  if (p >= end) return nullptr;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (p < end && IsDigitChar(*p)) ++p;
  } else {
    return nullptr;
  }
  bool exponent = false;
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || !IsDigitChar(*p)) return nullptr;
    while (p < end && IsDigitChar(*p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    exponent = true;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !IsDigitChar(*p)) return nullptr;
    while (p < end && IsDigitChar(*p)) ++p;
  }
  // nlohmann refuses a number whose value is not a finite double; only an exponent or ~309
  // digits can get there.
  if (exponent || p - start > 300) {
    std::string text(start, p);
    if (!std::isfinite(strtod(text.c_str(), nullptr))) return nullptr;
  }
  return p;
}

// ---- envelope text (event_json_text.cc) ----------------------------------------------------

// s as a JSON string literal (quotes, escapes) appended to *out.
void AppendJsonString(std::string_view s, std::string* out);
// A validated JSON text without the whitespace between its tokens (and without a BOM).
void AppendMinified(std::string_view s, std::string* out);

}  // namespace berth::events::pattern_internal
