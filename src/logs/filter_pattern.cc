// FilterPattern::Parse: picks the pattern type from its first character (spec/logs.md §3.1)
// and holds the two simple types, term patterns (§3.2) and standalone regexes (§3.3). JSON and
// space-delimited patterns live in filter_pattern_json.cc and filter_pattern_delimited.cc.
#include "logs/filter_pattern.h"

#include <re2/re2.h>
#include <string.h>

#include <string>
#include <utility>
#include <vector>

#include "logs/filter_pattern_internal.h"

namespace berth::logs {
namespace {

using filter_internal::Cursor;
using filter_internal::IsSpace;
using filter_internal::PatternError;

class MatchAllPattern final : public FilterPattern {
 public:
  bool Matches(std::string_view) const override { return true; }
};

bool Contains(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  return memmem(haystack.data(), haystack.size(), needle.data(), needle.size()) != nullptr;
}

// Whitespace-separated terms. `?` starts a new group; terms inside a group are ANDed and the
// groups are ORed, so `ERROR -WARN` is one group and `?ERROR ?WARN` two.
class TermPattern final : public FilterPattern {
 public:
  struct Term {
    std::string text;
    bool exclude = false;
  };
  using Group = std::vector<Term>;

  explicit TermPattern(std::vector<Group> groups) : groups_(std::move(groups)) {}

  bool Matches(std::string_view message) const override {
    for (const Group& group : groups_) {
      bool all = true;
      for (const Term& term : group) {
        if (Contains(message, term.text) == term.exclude) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

 private:
  std::vector<Group> groups_;
};

bool IsBareTermChar(char c) { return filter_internal::IsAlnum(c) || c == '_'; }

Result<std::shared_ptr<const FilterPattern>> ParseTerms(std::string_view pattern, size_t begin,
                                                        size_t end) {
  Cursor c{pattern, begin, end};
  std::vector<TermPattern::Group> groups(1);
  bool group_used = false;  // the current group already holds a term
  bool match_all = false;   // some group has no terms left (e.g. `?" " ?ERROR`)
  while (true) {
    c.SkipSpace();
    if (c.AtEnd()) break;
    const size_t token_start = c.pos;
    auto token_error = [&]() {
      size_t stop = c.pos;
      while (stop < c.end && !IsSpace(pattern[stop])) ++stop;
      return PatternError("Invalid character(s) in term '" +
                          std::string(pattern.substr(token_start, stop - token_start)) + "'");
    };
    bool optional = false;
    TermPattern::Term term;
    if (c.Peek() == '?') {
      optional = true;
      ++c.pos;
    } else if (c.Peek() == '-') {
      term.exclude = true;
      ++c.pos;
    }
    bool quoted = false;
    if (!c.AtEnd() && c.Peek() == '"') {
      quoted = true;
      BERTH_RETURN_IF_ERROR(filter_internal::ParseQuoted(c, &term.text));
      if (!c.AtEnd() && !IsSpace(c.Peek())) return token_error();
    } else {
      const size_t start = c.pos;
      while (!c.AtEnd() && !IsSpace(c.Peek())) {
        if (!IsBareTermChar(c.Peek())) return token_error();
        ++c.pos;
      }
      if (c.pos == start) return token_error();
      term.text = std::string(pattern.substr(start, c.pos - start));
    }
    if (optional && group_used) {
      if (groups.back().empty()) match_all = true;
      groups.emplace_back();
    }
    group_used = true;
    // `" "` matches every event (the docs' "match everything" example); so does `""`.
    const bool blank =
        quoted && !term.exclude && term.text.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
    if (!blank) groups.back().push_back(std::move(term));
  }
  if (match_all || groups.back().empty()) return filter_internal::MakePattern<MatchAllPattern>();
  return filter_internal::MakePattern<TermPattern>(std::move(groups));
}

class RegexPattern final : public FilterPattern {
 public:
  explicit RegexPattern(std::shared_ptr<const re2::RE2> re) : re_(std::move(re)) {}
  bool Matches(std::string_view message) const override {
    return filter_internal::RegexSearch(*re_, message);
  }

 private:
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace

Result<std::shared_ptr<const FilterPattern>> FilterPattern::Parse(std::string_view pattern) {
  size_t chars = 0;  // code points, as CloudWatch counts
  for (char ch : pattern) chars += (static_cast<unsigned char>(ch) & 0xc0) != 0x80;
  if (chars > filter_internal::kMaxPatternChars) {
    return PatternError("the pattern is longer than 1024 characters");
  }
  size_t begin = 0;
  size_t end = pattern.size();
  while (begin < end && IsSpace(pattern[begin])) ++begin;
  while (end > begin && IsSpace(pattern[end - 1])) --end;
  if (begin == end) return filter_internal::MakePattern<MatchAllPattern>();
  const char first = pattern[begin];
  const char last = pattern[end - 1];
  switch (first) {
    case '{':
      if (end - begin < 2 || last != '}') return PatternError("a JSON pattern must end with '}'");
      return filter_internal::ParseJsonPattern(pattern, begin + 1, end - 1);
    case '[':
      if (end - begin < 2 || last != ']') {
        return PatternError("a space-delimited pattern must end with ']'");
      }
      return filter_internal::ParseDelimitedPattern(pattern, begin + 1, end - 1);
    case '%': {
      if (end - begin < 2 || last != '%') {
        return PatternError("a regular expression must be enclosed in '%'");
      }
      auto re = filter_internal::CompileRegex(pattern.substr(begin + 1, end - begin - 2));
      if (!re.ok()) return re.status();
      return filter_internal::MakePattern<RegexPattern>(std::move(re).value());
    }
    default:
      return ParseTerms(pattern, begin, end);
  }
}

}  // namespace berth::logs
