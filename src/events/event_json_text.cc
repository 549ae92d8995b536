// The envelope text of delivered events: JSON string literals and minified details.
#include "events/event_json_scan.h"

namespace berth::events::pattern_internal {

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;
  size_t i = 0;
  for (;;) {
#if defined(__SSE2__)
    // Skip 16 bytes at a time while none needs escaping (controls, '"', '\\'; bytes >= 0x80
    // are flagged too by the signed compare and then pass through the byte loop).
    while (i + 16 <= s.size()) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
      int mask = _mm_movemask_epi8(special);
      if (mask != 0) {
        i += __builtin_ctz(static_cast<unsigned>(mask));
        break;
      }
      i += 16;
    }
#endif
    while (i < s.size()) {
      unsigned char b = static_cast<unsigned char>(s[i]);
      if (b < 0x20 || b == '"' || b == '\\') break;
      ++i;
      if (b >= 0x80) break;  // back to the 16-byte steps
    }
    if (i >= s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default: {
        static const char kHex[] = "0123456789abcdef";
        char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(u, 6);
      }
    }
    ++i;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendMinified(std::string_view s, std::string* out) {
  size_t i = 0;
  if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF) i = 3;
  size_t run = i;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      for (++i; s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (IsWs(c)) {
      out->append(s.data() + run, i - run);
      while (i < s.size() && IsWs(s[i])) ++i;
      run = i;
      continue;
    }
    ++i;
  }
  out->append(s.data() + run, s.size() - run);
}

}  // namespace berth::events::pattern_internal
