// Space-delimited filter patterns `[ip, user, ..., status = 4* && status != 403, bytes > 0]`
// (spec/logs.md §3.5). A message is cut into fields at whitespace; a field that opens with `"`
// runs to the closing quote and one that opens with `[` to the next `]`, without the
// delimiters. Fields are matched positionally, from the front before `...` and from the back
// after it; without `...` the field counts must be equal.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "logs/filter_pattern_internal.h"

namespace berth::logs::filter_internal {
namespace {

struct FieldLeaf {
  CmpOp op = CmpOp::kEq;
  Value value;
};

struct FieldSpec {
  int condition = -1;  // index into the pattern's conditions, -1 for a bare name
};

// Yields the fields of a message without copying.
class FieldScanner {
 public:
  explicit FieldScanner(std::string_view s) : s_(s) {}

  bool Next(std::string_view* field) {
    const size_t n = s_.size();
    while (pos_ < n && IsSpace(s_[pos_])) ++pos_;
    if (pos_ >= n) return false;
    const char open = s_[pos_];
    if (open == '"') {
      size_t i = pos_ + 1;
      while (i < n && s_[i] != '"') i += s_[i] == '\\' ? 2 : 1;
      if (i > n) i = n;
      *field = s_.substr(pos_ + 1, i - pos_ - 1);
      pos_ = i < n ? i + 1 : n;
    } else if (open == '[') {
      size_t i = s_.find(']', pos_ + 1);
      if (i == std::string_view::npos) i = n;
      *field = s_.substr(pos_ + 1, i - pos_ - 1);
      pos_ = i < n ? i + 1 : n;
    } else {
      const size_t start = pos_;
      while (pos_ < n && !IsSpace(s_[pos_])) ++pos_;
      *field = s_.substr(start, pos_ - start);
    }
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool EvalFieldLeaf(const FieldLeaf& leaf, std::string_view field) {
  const Value& v = leaf.value;
  double x = 0;
  if (leaf.op != CmpOp::kEq && leaf.op != CmpOp::kNe) {
    return ParseNumber(field, &x) && CompareNumber(x, leaf.op, v.number);
  }
  bool equal;
  if (v.kind == Value::Kind::kGlob && v.numeric && ParseNumber(field, &x)) {
    equal = x == v.number;
  } else {
    equal = v.MatchesText(field);
  }
  return equal == (leaf.op == CmpOp::kEq);
}

class DelimitedPattern final : public FilterPattern {
 public:
  DelimitedPattern(std::vector<FieldSpec> before, bool ellipsis, std::vector<FieldSpec> after,
                   std::vector<BoolNode> conditions, std::vector<FieldLeaf> leaves)
      : before_(std::move(before)),
        ellipsis_(ellipsis),
        after_(std::move(after)),
        conditions_(std::move(conditions)),
        leaves_(std::move(leaves)) {}

  bool Matches(std::string_view message) const override {
    FieldScanner scanner(message);
    std::string_view field;
    for (const FieldSpec& spec : before_) {
      if (!scanner.Next(&field) || !FieldMatches(spec, field)) return false;
    }
    if (!ellipsis_) return !scanner.Next(&field);
    const size_t want = after_.size();
    if (want == 0) return true;
    // The last `want` fields, in a ring (on the stack for the usual few).
    std::array<std::string_view, 16> small;
    std::vector<std::string_view> large;
    std::string_view* ring = small.data();
    if (want > small.size()) {
      large.resize(want);
      ring = large.data();
    }
    size_t seen = 0;
    while (scanner.Next(&field)) ring[seen++ % want] = field;
    if (seen < want) return false;
    for (size_t j = 0; j < want; ++j) {
      if (!FieldMatches(after_[j], ring[(seen - want + j) % want])) return false;
    }
    return true;
  }

 private:
  bool FieldMatches(const FieldSpec& spec, std::string_view field) const {
    if (spec.condition < 0) return true;
    return EvalBool(conditions_[spec.condition],
                    [&](int leaf) { return EvalFieldLeaf(leaves_[leaf], field); });
  }

  std::vector<FieldSpec> before_;
  bool ellipsis_;
  std::vector<FieldSpec> after_;
  std::vector<BoolNode> conditions_;
  std::vector<FieldLeaf> leaves_;
};

size_t ScanName(const Cursor& c) {
  size_t i = c.pos;
  while (i < c.end && IsNameChar(c.text[i])) ++i;
  return i;
}

}  // namespace

Result<std::shared_ptr<const FilterPattern>> ParseDelimitedPattern(std::string_view pattern,
                                                                   size_t begin, size_t end) {
  Cursor c{pattern, begin, end};
  c.SkipSpace();
  if (c.AtEnd()) return PatternError("empty space-delimited pattern '[ ]'");
  std::vector<FieldSpec> before;
  std::vector<FieldSpec> after;
  bool ellipsis = false;
  std::vector<BoolNode> conditions;
  std::vector<FieldLeaf> leaves;
  ParseContext ctx;
  std::string field_name;  // the field whose condition is being parsed
  const LeafParser parse_leaf = [&](Cursor& cur) -> Result<int> {
    cur.SkipSpace();
    const size_t name_end = ScanName(cur);
    if (name_end == cur.pos) return PatternError("expected a field name" + cur.Where());
    const std::string name(cur.text.substr(cur.pos, name_end - cur.pos));
    if (field_name.empty()) {
      field_name = name;
    } else if (name != field_name) {
      return PatternError("the condition on field '" + field_name + "' refers to '" + name + "'" +
                          cur.Where());
    }
    cur.pos = name_end;
    FieldLeaf leaf;
    if (!ParseCmpOp(cur, &leaf.op)) {
      return PatternError("expected ',' or a comparison (=, !=, <, >, <=, >=) after '" + name +
                          "'" + cur.Where());
    }
    auto value = ParseValue(cur, leaf.op, WildcardMode::kAnywhere, ctx);
    if (!value.ok()) return value.status();
    leaf.value = std::move(value).value();
    leaves.push_back(std::move(leaf));
    return static_cast<int>(leaves.size() - 1);
  };

  while (true) {
    c.SkipSpace();
    if (c.LookingAt("...")) {
      if (ellipsis) return PatternError("'...' may appear only once" + c.Where());
      ellipsis = true;
      c.pos += 3;
    } else {
      FieldSpec spec;
      const size_t name_end = ScanName(c);
      Cursor probe = c;
      probe.pos = name_end;
      probe.SkipSpace();
      if (name_end > c.pos && (probe.AtEnd() || probe.Peek() == ',')) {
        c.pos = name_end;  // a bare field name
      } else {
        field_name.clear();
        auto condition = ParseBoolExpr(c, parse_leaf);
        if (!condition.ok()) return condition.status();
        spec.condition = static_cast<int>(conditions.size());
        conditions.push_back(std::move(condition).value());
      }
      (ellipsis ? after : before).push_back(spec);
      if (before.size() + after.size() > kMaxDelimitedFields) {
        return PatternError("too many fields (at most 512)");
      }
    }
    c.SkipSpace();
    if (c.AtEnd()) break;
    if (c.Peek() != ',') return PatternError("expected ',' or ']'" + c.Where());
    ++c.pos;
    c.SkipSpace();
    if (c.AtEnd()) return PatternError("missing field after ','" + c.Where());
  }
  return MakePattern<DelimitedPattern>(std::move(before), ellipsis, std::move(after),
                                       std::move(conditions), std::move(leaves));
}

}  // namespace berth::logs::filter_internal
