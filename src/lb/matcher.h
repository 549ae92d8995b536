// Matcher: the HTTP codes a health check accepts, as ELBv2 spells them — "200", a range
// "200-299", or a list "200,302" (and lists of ranges). ALB allows codes 200–499.
// Value type; any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace berth::lb {

class Matcher {
 public:
  Matcher() : text_("200"), ranges_{{200, 200}} {}

  // InvalidArgument (with AWS's wording) for anything else.
  static Result<Matcher> Parse(const std::string& http_code);

  bool Matches(int status) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::pair<int, int>> ranges_;  // inclusive
};

}  // namespace berth::lb
