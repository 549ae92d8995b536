// Internals shared by the filter-pattern parsers (filter_pattern*.cc); not part of the API.
// Holds the pieces the JSON `{ … }` and space-delimited `[ … ]` forms have in common: a cursor
// over the pattern text, comparison values (`= "a*"`, `> 5`, `= %re%`), the `&&`/`||`/`()`
// expression tree, and the checked RE2 compiler. Everything built here is immutable after
// Parse and safe to use from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "logs/filter_pattern.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace berth::logs::filter_internal {

inline constexpr size_t kMaxPatternChars = 1024;  // CloudWatch's filterPattern limit.
inline constexpr int kMaxNesting = 64;            // parentheses in a pattern, depth of a message
inline constexpr int kMaxRegexes = 2;             // per pattern
inline constexpr size_t kMaxDelimitedFields = 512;

// InvalidArgument("Invalid filter pattern: <detail>").
Status PatternError(std::string_view detail);

// `c` for printable ASCII, else `\xNN`; for error messages.
std::string ShownChar(char c);

inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
// Names of JSON properties and space-delimited fields: [A-Za-z0-9_-].
inline bool IsNameChar(char c) { return IsAlnum(c) || c == '_' || c == '-'; }

// A number token: [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?, finite. Fills *value; *integral is true
// (and *int_value set) when the token has no fraction/exponent and fits in int64.
bool ParseNumber(std::string_view token, double* value, bool* integral = nullptr,
                 int64_t* int_value = nullptr);

// Checks the characters CloudWatch allows in a regex (spec/logs.md §3.3) and compiles it.
Result<std::shared_ptr<const re2::RE2>> CompileRegex(std::string_view body);
bool RegexSearch(const re2::RE2& re, std::string_view text);  // unanchored

// A read position in the pattern; positions stay absolute so errors can point at them.
struct Cursor {
  std::string_view text;  // the whole pattern
  size_t pos = 0;
  size_t end = 0;  // one past the last byte this cursor may read

  bool AtEnd() const { return pos >= end; }
  char Peek(size_t ahead = 0) const { return pos + ahead < end ? text[pos + ahead] : '\0'; }
  bool LookingAt(std::string_view s) const {
    return end - pos >= s.size() && text.substr(pos, s.size()) == s;
  }
  void SkipSpace() {
    while (pos < end && IsSpace(text[pos])) ++pos;
  }
  std::string Where() const;  // " at character N" (1-based, in the whole pattern)
};

// Reads `"…"` at the cursor (which must be on the quote); `\"` and `\\` are escapes, any other
// backslash is kept as is.
Status ParseQuoted(Cursor& c, std::string* out);

enum class CmpOp { kEq, kNe, kLt, kGt, kLe, kGe };
std::string_view CmpOpName(CmpOp op);
// Reads one of = != < > <= >= after optional spaces.
bool ParseCmpOp(Cursor& c, CmpOp* op);

// How `*` inside a string value is read.
enum class WildcardMode {
  kEnds,      // JSON: only a leading and/or trailing `*` is a wildcard (`Ev*ent` is literal)
  kAnywhere,  // space-delimited: every `*` is a wildcard
};

// The right-hand side of a comparison.
struct Value {
  enum class Kind {
    kAny,    // `*`: anything (existence)
    kGlob,   // literal segments between wildcards
    kRegex,  // %…%
  };
  Kind kind = Kind::kGlob;
  std::string text;  // as written (quotes removed)
  // kGlob: `segments` must occur in order; the first is a prefix unless `open_start`, the last
  // a suffix unless `open_end`. No segments: matches "" (or anything when open).
  std::vector<std::string> segments;
  bool open_start = false;
  bool open_end = false;
  // Set when the value was a bare number token.
  bool numeric = false;
  double number = 0;
  bool integral = false;
  int64_t int_value = 0;
  std::shared_ptr<const re2::RE2> regex;

  // String equality for `=`: wildcard or regex match of `s` (kAny matches everything).
  bool MatchesText(std::string_view s) const;
};

struct ParseContext {
  int regexes = 0;
};

// Reads the value after `op`. Bare values end at whitespace, `(`, `)`, `&&`, `||` and, in
// space-delimited patterns (kAnywhere), `,`. Relational operators need a bare number.
Result<Value> ParseValue(Cursor& c, CmpOp op, WildcardMode mode, ParseContext& ctx);

// Compares a number with a numeric value: op applied as (x op value.number).
bool CompareNumber(double x, CmpOp op, double value);

// `a && b || (c)`: && binds tighter than ||; parentheses nest at most kMaxNesting deep.
struct BoolNode {
  enum class Kind { kLeaf, kAnd, kOr };
  Kind kind = Kind::kLeaf;
  int leaf = -1;
  std::vector<BoolNode> children;
};
// Parses leaves with `parse_leaf`, which returns the leaf's index. Stops (without error) at
// the first character that cannot continue the expression; the caller checks what follows.
using LeafParser = std::function<Result<int>(Cursor&)>;
Result<BoolNode> ParseBoolExpr(Cursor& c, const LeafParser& parse_leaf);

template <typename LeafFn>
bool EvalBool(const BoolNode& n, const LeafFn& leaf) {
  switch (n.kind) {
    case BoolNode::Kind::kLeaf:
      return leaf(n.leaf);
    case BoolNode::Kind::kAnd:
      for (const BoolNode& child : n.children) {
        if (!EvalBool(child, leaf)) return false;
      }
      return true;
    case BoolNode::Kind::kOr:
      for (const BoolNode& child : n.children) {
        if (EvalBool(child, leaf)) return true;
      }
      return false;
  }
  return false;
}

template <typename P, typename... Args>
Result<std::shared_ptr<const FilterPattern>> MakePattern(Args&&... args) {
  return std::shared_ptr<const FilterPattern>(
      std::make_shared<const P>(std::forward<Args>(args)...));
}

// `pattern` is the whole (trimmed) pattern; [begin, end) is the text between the outer
// braces / brackets.
Result<std::shared_ptr<const FilterPattern>> ParseJsonPattern(std::string_view pattern,
                                                              size_t begin, size_t end);
Result<std::shared_ptr<const FilterPattern>> ParseDelimitedPattern(std::string_view pattern,
                                                                   size_t begin, size_t end);

}  // namespace berth::logs::filter_internal
