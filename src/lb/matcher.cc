#include "lb/matcher.h"

#include <cctype>

namespace berth::lb {

namespace {

bool ParseCode(const std::string& s, int* out) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (!isdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = std::stoi(s);
  return *out >= 200 && *out <= 499;
}

}  // namespace

Result<Matcher> Matcher::Parse(const std::string& http_code) {
  Status bad = InvalidArgument("Health check matcher HTTP code '" + http_code +
                               "' must be a code, a range (200-299) or a comma-separated list of "
                               "codes between 200 and 499");
  if (http_code.empty() || http_code.size() > 256) return bad;
  Matcher m;
  m.text_ = http_code;
  m.ranges_.clear();
  size_t start = 0;
  while (start <= http_code.size()) {
    size_t comma = http_code.find(',', start);
    std::string part = http_code.substr(start, comma == std::string::npos ? std::string::npos
                                                                          : comma - start);
    size_t dash = part.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string::npos) {
      if (!ParseCode(part, &lo)) return bad;
      hi = lo;
    } else if (!ParseCode(part.substr(0, dash), &lo) || !ParseCode(part.substr(dash + 1), &hi) ||
               hi < lo) {
      return bad;
    }
    m.ranges_.emplace_back(lo, hi);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return m;
}

bool Matcher::Matches(int status) const {
  for (const auto& [lo, hi] : ranges_) {
    if (status >= lo && status <= hi) return true;
  }
  return false;
}

}  // namespace berth::lb
