// JSON filter patterns `{ $.a.b[0] = "x" && ($.n > 5 || $.c IS NULL) }` (spec/logs.md §3.4).
// Each message is parsed with nlohmann-json (never throwing); a message that is not a JSON
// object, or nests deeper than kMaxNesting, matches nothing.
#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "logs/filter_pattern_internal.h"

namespace berth::logs::filter_internal {
namespace {

using json = nlohmann::json;

struct PathStep {
  bool is_index = false;
  std::string name;
  size_t index = 0;
};

struct JsonLeaf {
  enum class Test { kCompare, kIsNull, kNotExists, kIsTrue, kIsFalse };
  std::vector<PathStep> path;
  Test test = Test::kCompare;
  CmpOp op = CmpOp::kEq;
  Value value;
};

// Whether the brackets in `s` nest at most `max` deep (strings skipped) and `s` holds no NUL
// (never valid JSON, and nlohmann would stop reading there and accept what came before).
bool ShapeOk(std::string_view s, int max) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\0') return false;
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

const json* Resolve(const json& doc, const std::vector<PathStep>& path) {
  const json* node = &doc;
  for (const PathStep& step : path) {
    if (step.is_index) {
      if (!node->is_array() || step.index >= node->size()) return nullptr;
      node = &(*node)[step.index];
    } else {
      if (!node->is_object()) return nullptr;
      auto it = node->find(step.name);
      if (it == node->end()) return nullptr;
      node = &*it;
    }
  }
  return node;
}

// -1, 0 or 1 as the JSON number compares with the pattern's number; integers exactly.
int CompareWithValue(const json& n, const Value& v) {
  if (v.integral) {
    if (n.type() == json::value_t::number_integer) {
      const int64_t x = n.get<int64_t>();
      return x < v.int_value ? -1 : (x > v.int_value ? 1 : 0);
    }
    if (n.type() == json::value_t::number_unsigned) {
      const uint64_t x = n.get<uint64_t>();
      if (v.int_value < 0 || x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return 1;
      }
      const auto y = static_cast<uint64_t>(v.int_value);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
  }
  const double x = n.get<double>();
  return x < v.number ? -1 : (x > v.number ? 1 : 0);
}

bool OrderHolds(int cmp, CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return cmp == 0;
    case CmpOp::kNe:
      return cmp != 0;
    case CmpOp::kLt:
      return cmp < 0;
    case CmpOp::kGt:
      return cmp > 0;
    case CmpOp::kLe:
      return cmp <= 0;
    case CmpOp::kGe:
      return cmp >= 0;
  }
  return false;
}

// The text a wildcard or regex sees for a scalar: strings as they are, numbers shortest
// round-trip, true/false/null as written in JSON.
std::string_view ScalarText(const json& n, char* buf, size_t size) {
  std::to_chars_result r{buf, std::errc()};
  switch (n.type()) {
    case json::value_t::string:
      return n.get_ref<const std::string&>();
    case json::value_t::number_integer:
      r = std::to_chars(buf, buf + size, n.get<int64_t>());
      break;
    case json::value_t::number_unsigned:
      r = std::to_chars(buf, buf + size, n.get<uint64_t>());
      break;
    case json::value_t::number_float:
      r = std::to_chars(buf, buf + size, n.get<double>());
      break;
    case json::value_t::boolean:
      return n.get<bool>() ? "true" : "false";
    case json::value_t::null:
      return "null";
    default:
      return {};
  }
  if (r.ec != std::errc()) return {};
  return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

bool EvalLeaf(const JsonLeaf& leaf, const json& doc) {
  const json* node = Resolve(doc, leaf.path);
  switch (leaf.test) {
    case JsonLeaf::Test::kNotExists:
      return node == nullptr;
    case JsonLeaf::Test::kIsNull:
      return node != nullptr && node->is_null();
    case JsonLeaf::Test::kIsTrue:
      return node != nullptr && node->is_boolean() && node->get<bool>();
    case JsonLeaf::Test::kIsFalse:
      return node != nullptr && node->is_boolean() && !node->get<bool>();
    case JsonLeaf::Test::kCompare:
      break;
  }
  const Value& v = leaf.value;
  if (v.kind == Value::Kind::kAny) {
    // `= *`: the property exists (whatever it holds); `!= *`: it does not.
    return (node != nullptr) == (leaf.op == CmpOp::kEq);
  }
  if (node == nullptr || node->is_structured()) return false;
  if (leaf.op != CmpOp::kEq && leaf.op != CmpOp::kNe) {
    return node->is_number() && OrderHolds(CompareWithValue(*node, v), leaf.op);
  }
  bool equal;
  if (v.kind != Value::Kind::kRegex && v.numeric && node->is_number()) {
    equal = CompareWithValue(*node, v) == 0;
  } else {
    char buf[64];
    equal = v.MatchesText(ScalarText(*node, buf, sizeof(buf)));
  }
  return equal == (leaf.op == CmpOp::kEq);
}

class JsonPattern final : public FilterPattern {
 public:
  JsonPattern(BoolNode root, std::vector<JsonLeaf> leaves)
      : root_(std::move(root)), leaves_(std::move(leaves)) {}

  bool Matches(std::string_view message) const override {
    size_t i = 0;
    while (i < message.size() && IsSpace(message[i])) ++i;
    if (i == message.size() || message[i] != '{') return false;
    if (!ShapeOk(message, kMaxNesting)) return false;
    try {
      const json doc = json::parse(message.begin(), message.end(), nullptr,
                                   /*allow_exceptions=*/false);
      if (!doc.is_object()) return false;  // also true for a discarded (invalid) document
      return EvalBool(root_, [&](int leaf) { return EvalLeaf(leaves_[leaf], doc); });
    } catch (...) {  // only std::bad_alloc is possible here
      return false;
    }
  }

 private:
  BoolNode root_;
  std::vector<JsonLeaf> leaves_;
};

// Consumes `word` (any case) when it stands alone at the cursor.
bool ConsumeKeyword(Cursor& c, std::string_view word) {
  if (c.end - c.pos < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char ch = c.text[c.pos + i];
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch != word[i]) return false;
  }
  if (c.pos + word.size() < c.end && IsNameChar(c.text[c.pos + word.size()])) return false;
  c.pos += word.size();
  return true;
}

Result<int> ParseLeaf(Cursor& c, std::vector<JsonLeaf>& leaves, ParseContext& ctx) {
  c.SkipSpace();
  if (c.AtEnd() || c.Peek() != '$') {
    return PatternError("expected a selector such as $.field" + c.Where());
  }
  const size_t start = c.pos++;
  JsonLeaf leaf;
  while (!c.AtEnd()) {
    PathStep step;
    if (c.Peek() == '.') {
      ++c.pos;
      const size_t name_start = c.pos;
      while (!c.AtEnd() && IsNameChar(c.Peek())) ++c.pos;
      if (c.pos == name_start) {
        return PatternError("expected a property name after '.'" + c.Where());
      }
      step.name = std::string(c.text.substr(name_start, c.pos - name_start));
    } else if (c.Peek() == '[') {
      ++c.pos;
      const size_t digits_start = c.pos;
      while (!c.AtEnd() && c.Peek() >= '0' && c.Peek() <= '9') ++c.pos;
      const size_t digits = c.pos - digits_start;
      if (digits == 0 || digits > 9 || c.AtEnd() || c.Peek() != ']') {
        return PatternError("expected an array index such as [0]" + c.Where());
      }
      step.is_index = true;
      for (size_t i = digits_start; i < c.pos; ++i)
        step.index = step.index * 10 + (c.text[i] - '0');
      ++c.pos;
    } else {
      break;
    }
    leaf.path.push_back(std::move(step));
  }
  const std::string selector(c.text.substr(start, c.pos - start));
  if (leaf.path.empty()) return PatternError("expected '.' or '[' after '$'" + c.Where());
  c.SkipSpace();
  if (ConsumeKeyword(c, "IS")) {
    c.SkipSpace();
    if (ConsumeKeyword(c, "NULL")) {
      leaf.test = JsonLeaf::Test::kIsNull;
    } else if (ConsumeKeyword(c, "TRUE")) {
      leaf.test = JsonLeaf::Test::kIsTrue;
    } else if (ConsumeKeyword(c, "FALSE")) {
      leaf.test = JsonLeaf::Test::kIsFalse;
    } else {
      return PatternError("expected NULL, TRUE or FALSE after IS" + c.Where());
    }
  } else if (ConsumeKeyword(c, "NOT")) {
    c.SkipSpace();
    if (!ConsumeKeyword(c, "EXISTS")) return PatternError("expected EXISTS after NOT" + c.Where());
    leaf.test = JsonLeaf::Test::kNotExists;
  } else {
    if (!ParseCmpOp(c, &leaf.op)) {
      return PatternError("expected =, !=, <, >, <=, >=, IS or NOT EXISTS after '" + selector +
                          "'" + c.Where());
    }
    auto value = ParseValue(c, leaf.op, WildcardMode::kEnds, ctx);
    if (!value.ok()) return value.status();
    leaf.value = std::move(value).value();
  }
  leaves.push_back(std::move(leaf));
  return static_cast<int>(leaves.size() - 1);
}

}  // namespace

Result<std::shared_ptr<const FilterPattern>> ParseJsonPattern(std::string_view pattern,
                                                              size_t begin, size_t end) {
  Cursor c{pattern, begin, end};
  c.SkipSpace();
  if (c.AtEnd()) return PatternError("empty JSON pattern '{ }'");
  std::vector<JsonLeaf> leaves;
  ParseContext ctx;
  const LeafParser parse_leaf = [&](Cursor& cur) { return ParseLeaf(cur, leaves, ctx); };
  auto root = ParseBoolExpr(c, parse_leaf);
  if (!root.ok()) return root.status();
  c.SkipSpace();
  if (!c.AtEnd()) {
    return PatternError("unexpected '" + ShownChar(c.Peek()) + "'" + c.Where() +
                        " (expected &&, || or the closing '}')");
  }
  return MakePattern<JsonPattern>(std::move(root).value(), std::move(leaves));
}

}  // namespace berth::logs::filter_internal
