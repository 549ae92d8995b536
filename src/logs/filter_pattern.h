// FilterPattern: CloudWatch Logs filter-pattern syntax (spec/logs.md §3) — terms, quoted
// phrases, `?` OR groups, `-` exclusion, `%regex%` (RE2), JSON `{ $.x = … }` and space-delimited
// `[a, b=…]` patterns. Parse once, then Matches() per message. Pure; a parsed pattern is
// immutable and safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace berth::logs {

class FilterPattern {
 public:
  // InvalidArgument with CloudWatch's wording ("Invalid filter pattern …") on bad syntax.
  static Result<std::shared_ptr<const FilterPattern>> Parse(std::string_view pattern);
  virtual ~FilterPattern() = default;
  virtual bool Matches(std::string_view message) const = 0;
};

}  // namespace berth::logs
