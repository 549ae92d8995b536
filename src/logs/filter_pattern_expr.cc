// Shared pieces of the filter-pattern parsers: numbers, quoted strings, comparison values,
// the boolean expression parser and the checked regex compiler (see filter_pattern_internal.h).
#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>
#include <utility>

#include "logs/filter_pattern_internal.h"

namespace berth::logs::filter_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsRegexSymbol(char c) {
  // Symbols and operators CloudWatch accepts in a regex, plus the space.
  static constexpr std::string_view kAllowed = ":_#=@/;,- ^$?[]{}|\\*+.";
  return IsAlnum(c) || kAllowed.find(c) != std::string_view::npos;
}

}  // namespace

std::string ShownChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string(1, c);
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
}

Status PatternError(std::string_view detail) {
  return InvalidArgument("Invalid filter pattern: " + std::string(detail));
}

std::string Cursor::Where() const { return " at character " + std::to_string(pos + 1); }

bool ParseNumber(std::string_view t, double* value, bool* integral, int64_t* int_value) {
  size_t i = 0;
  const size_t n = t.size();
  if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
  size_t digits = 0;
  while (i < n && IsDigit(t[i])) ++i, ++digits;
  bool plain = true;
  if (i < n && t[i] == '.') {
    plain = false;
    ++i;
    while (i < n && IsDigit(t[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    plain = false;
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < n && IsDigit(t[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != n) return false;
  std::string_view body = t;
  if (body.front() == '+') body.remove_prefix(1);
  const char* last = body.data() + body.size();
  double d = 0;
  auto [ptr, ec] = std::from_chars(body.data(), last, d);
  if (ec != std::errc() || ptr != last || !std::isfinite(d)) return false;
  *value = d;
  if (integral != nullptr) {
    *integral = false;
    if (plain) {
      int64_t v = 0;
      auto [iptr, iec] = std::from_chars(body.data(), last, v);
      if (iec == std::errc() && iptr == last) {
        *integral = true;
        if (int_value != nullptr) *int_value = v;
      }
    }
  }
  return true;
}

Result<std::shared_ptr<const re2::RE2>> CompileRegex(std::string_view body) {
  if (body.empty()) return PatternError("empty regular expression '%%'");
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      return PatternError("multi-byte characters are not supported in regular expressions");
    }
    if (c == '(' || c == ')') {
      return PatternError("parentheses are not supported in regular expressions");
    }
    if (c == '\\') {
      if (i + 1 >= body.size()) return PatternError("regular expression ends with '\\'");
      const char next = body[++i];
      if (static_cast<unsigned char>(next) >= 0x80) {
        return PatternError("multi-byte characters are not supported in regular expressions");
      }
      if (next == '(' || next == ')') {
        return PatternError("parentheses are not supported in regular expressions");
      }
      if (IsAlnum(next)) {
        if (std::string_view("dDsSwW").find(next) == std::string_view::npos) {
          return PatternError("unsupported escape '\\" + ShownChar(next) +
                              "' in regular expression (only \\d \\s \\w \\D \\S \\W)");
        }
      } else if (!IsRegexSymbol(next)) {
        return PatternError("invalid character '" + ShownChar(next) + "' in regular expression");
      }
      continue;
    }
    if (!IsRegexSymbol(c)) {
      return PatternError("invalid character '" + ShownChar(c) + "' in regular expression");
    }
  }
  RE2::Options options;
  options.set_log_errors(false);
  options.set_never_capture(true);
  auto re = std::make_shared<const re2::RE2>(re2::StringPiece(body.data(), body.size()), options);
  if (!re->ok()) return PatternError("invalid regular expression: " + re->error());
  return std::shared_ptr<const re2::RE2>(std::move(re));
}

bool RegexSearch(const re2::RE2& re, std::string_view text) {
  return re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                  nullptr, 0);
}

Status ParseQuoted(Cursor& c, std::string* out) {
  const size_t open = c.pos;
  ++c.pos;  // the opening quote
  while (!c.AtEnd()) {
    const char ch = c.text[c.pos];
    if (ch == '\\' && c.pos + 1 < c.end &&
        (c.text[c.pos + 1] == '"' || c.text[c.pos + 1] == '\\')) {
      out->push_back(c.text[c.pos + 1]);
      c.pos += 2;
      continue;
    }
    ++c.pos;
    if (ch == '"') return Status::Ok();
    out->push_back(ch);
  }
  return PatternError("unterminated quoted string starting at character " +
                      std::to_string(open + 1));
}

std::string_view CmpOpName(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "=";
    case CmpOp::kNe:
      return "!=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGe:
      return ">=";
  }
  return "?";
}

bool ParseCmpOp(Cursor& c, CmpOp* op) {
  c.SkipSpace();
  static constexpr std::pair<std::string_view, CmpOp> kOps[] = {
      {"!=", CmpOp::kNe}, {"<=", CmpOp::kLe}, {">=", CmpOp::kGe},
      {"=", CmpOp::kEq},  {"<", CmpOp::kLt},  {">", CmpOp::kGt},
  };
  for (const auto& [text, value] : kOps) {
    if (c.LookingAt(text)) {
      c.pos += text.size();
      *op = value;
      return true;
    }
  }
  return false;
}

bool Value::MatchesText(std::string_view s) const {
  switch (kind) {
    case Kind::kAny:
      return true;
    case Kind::kRegex:
      return RegexSearch(*regex, s);
    case Kind::kGlob:
      break;
  }
  const size_t n = segments.size();
  if (n == 0) return open_start || open_end || s.empty();
  size_t lo = 0;
  size_t hi = s.size();
  size_t first = 0;
  size_t last = n;
  if (!open_start) {
    if (!s.starts_with(segments[0])) return false;
    lo = segments[0].size();
    first = 1;
  }
  if (!open_end) {
    if (first == n) return lo == hi;  // one segment, anchored at both ends: exact match
    const std::string& tail = segments[n - 1];
    if (hi - lo < tail.size() || s.substr(hi - tail.size()) != tail) return false;
    hi -= tail.size();
    last = n - 1;
  }
  for (size_t i = first; i < last; ++i) {
    const size_t at = s.substr(lo, hi - lo).find(segments[i]);
    if (at == std::string_view::npos) return false;
    lo += at + segments[i].size();
  }
  return true;
}

Result<Value> ParseValue(Cursor& c, CmpOp op, WildcardMode mode, ParseContext& ctx) {
  c.SkipSpace();
  const bool relational = op != CmpOp::kEq && op != CmpOp::kNe;
  const std::string missing = "missing value after '" + std::string(CmpOpName(op)) + "'";
  if (c.AtEnd()) return PatternError(missing + c.Where());
  Value v;
  if (c.Peek() == '%') {
    const size_t open = c.pos;
    const size_t close = c.text.substr(0, c.end).find('%', open + 1);
    if (close == std::string_view::npos) {
      return PatternError("unterminated regular expression starting at character " +
                          std::to_string(open + 1));
    }
    if (relational) {
      return PatternError("a regular expression can only follow = or !=" + c.Where());
    }
    if (++ctx.regexes > kMaxRegexes) {
      return PatternError("at most 2 regular expressions are allowed in a filter pattern");
    }
    auto re = CompileRegex(c.text.substr(open + 1, close - open - 1));
    if (!re.ok()) return re.status();
    v.kind = Value::Kind::kRegex;
    v.regex = std::move(re).value();
    v.text = std::string(c.text.substr(open, close + 1 - open));
    c.pos = close + 1;
    return v;
  }
  bool quoted = false;
  if (c.Peek() == '"') {
    quoted = true;
    BERTH_RETURN_IF_ERROR(ParseQuoted(c, &v.text));
  } else {
    const size_t start = c.pos;
    while (!c.AtEnd()) {
      const char ch = c.Peek();
      if (IsSpace(ch) || ch == '(' || ch == ')' || c.LookingAt("&&") || c.LookingAt("||")) break;
      if (ch == ',' && mode == WildcardMode::kAnywhere) break;
      ++c.pos;
    }
    if (c.pos == start) return PatternError(missing + c.Where());
    v.text = std::string(c.text.substr(start, c.pos - start));
    v.numeric = ParseNumber(v.text, &v.number, &v.integral, &v.int_value);
  }
  if (relational) {
    if (!v.numeric) {
      return PatternError("'" + std::string(CmpOpName(op)) + "' needs a number, not " +
                          (quoted ? "\"" + v.text + "\"" : "'" + v.text + "'"));
    }
    return v;
  }
  if (v.text.find_first_not_of('*') == std::string::npos && !v.text.empty()) {
    v.kind = Value::Kind::kAny;
    return v;
  }
  std::string_view body = v.text;
  while (body.starts_with('*')) {
    v.open_start = true;
    body.remove_prefix(1);
  }
  while (body.ends_with('*')) {
    v.open_end = true;
    body.remove_suffix(1);
  }
  if (mode == WildcardMode::kEnds) {
    if (!body.empty() || (!v.open_start && !v.open_end)) v.segments.emplace_back(body);
  } else {
    size_t from = 0;
    while (from <= body.size()) {
      size_t star = body.find('*', from);
      if (star == std::string_view::npos) star = body.size();
      if (star > from) v.segments.emplace_back(body.substr(from, star - from));
      from = star + 1;
    }
    if (v.segments.empty() && !v.open_start && !v.open_end) v.segments.emplace_back();
  }
  return v;
}

bool CompareNumber(double x, CmpOp op, double value) {
  switch (op) {
    case CmpOp::kEq:
      return x == value;
    case CmpOp::kNe:
      return x != value;
    case CmpOp::kLt:
      return x < value;
    case CmpOp::kGt:
      return x > value;
    case CmpOp::kLe:
      return x <= value;
    case CmpOp::kGe:
      return x >= value;
  }
  return false;
}

namespace {

class BoolParser {
 public:
  BoolParser(Cursor& c, const LeafParser& leaf) : c_(c), leaf_(leaf) {}

  Result<BoolNode> Or(int depth) { return Chain(depth, "||", BoolNode::Kind::kOr); }

 private:
  // One precedence level: operands joined by `op` (|| over &&-chains, && over primaries).
  Result<BoolNode> Chain(int depth, std::string_view op, BoolNode::Kind kind) {
    auto operand = [&]() -> Result<BoolNode> {
      return kind == BoolNode::Kind::kOr ? Chain(depth, "&&", BoolNode::Kind::kAnd)
                                         : Primary(depth);
    };
    Result<BoolNode> first = operand();
    if (!first.ok()) return first;
    c_.SkipSpace();
    if (!c_.LookingAt(op)) return first;
    BoolNode node;
    node.kind = kind;
    node.children.push_back(std::move(first).value());
    while (c_.LookingAt(op)) {
      c_.pos += op.size();
      Result<BoolNode> next = operand();
      if (!next.ok()) return next;
      node.children.push_back(std::move(next).value());
      c_.SkipSpace();
    }
    return node;
  }

  Result<BoolNode> Primary(int depth) {
    c_.SkipSpace();
    if (c_.AtEnd()) return PatternError("expression expected" + c_.Where());
    if (c_.Peek() == '(') {
      if (depth >= kMaxNesting) {
        return PatternError("too many nested parentheses (at most 64)" + c_.Where());
      }
      ++c_.pos;
      Result<BoolNode> inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      c_.SkipSpace();
      if (c_.AtEnd() || c_.Peek() != ')') return PatternError("expected ')'" + c_.Where());
      ++c_.pos;
      return inner;
    }
    Result<int> leaf = leaf_(c_);
    if (!leaf.ok()) return leaf.status();
    BoolNode node;
    node.leaf = *leaf;
    return node;
  }

  Cursor& c_;
  const LeafParser& leaf_;
};

}  // namespace

Result<BoolNode> ParseBoolExpr(Cursor& c, const LeafParser& parse_leaf) {
  return BoolParser(c, parse_leaf).Or(0);
}

}  // namespace berth::logs::filter_internal
