// EventPattern::Compile: a port of aws/event-ruler's JsonRuleCompiler (the compiler EventBridge
// runs patterns through) over JacksonLexer, so that validation order, messages and error
// locations are AWS's; then ruler's wildcard-complexity check, as EventBridge applies it.
#include "events/event_pattern.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "events/event_pattern_internal.h"
#include "events/event_pattern_lexer.h"

namespace berth::events {
namespace {

namespace pi = pattern_internal;
using pi::Token;
using Kind = pi::ValueMatcher::Kind;

constexpr char kReasonPrefix[] = "Event pattern is not valid. Reason: ";
constexpr char kTooComplex[] =
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character";
// ruler's README suggests 10 for a per-rule limit; it separates AWS's recorded examples
// ("*:*:*:*:*:event-bus/*" is 11: rejected; "/Users/*/dir/dir/dir/dir/dir/doc.txt" is 7).
constexpr int kMaxWildcardComplexity = 10;
// $or expands into AND-branches multiplicatively; bound them (AWS's limit is not published).
constexpr size_t kMaxBranches = 4096;

const char* const kReservedInOr[] = {"exactly",
                                     "equals-ignore-case",
                                     "prefix",
                                     "suffix",
                                     "anything-but",
                                     "exists",
                                     "wildcard",
                                     "numeric",
                                     "cidr",
                                     "=",
                                     "<",
                                     "<=",
                                     ">",
                                     ">=",
                                     "regex",
                                     "not-wildcard",
                                     "not-equals-ignore-case",
                                     "date-after",
                                     "date-on-or-after",
                                     "date-before",
                                     "date-on-or-before",
                                     "in-date-range",
                                     "ip-address-in-range",
                                     "ip-address-not-in-range"};

bool IsReservedInOr(const std::string& name) {
  for (const char* r : kReservedInOr) {
    if (name == r) return true;
  }
  return false;
}

enum class AnythingButKind { kPlain, kIgnoreCase, kPrefix, kSuffix, kWildcard };

class Compiler {
 public:
  using Rules = std::vector<pi::Branch>;

  explicit Compiler(std::string_view src) : lex_(src) {}

  bool Run(Rules* rules) {
    if (lex_.Next() != Token::kStartObject) return Barf("Filter is not an object");
    if (!ParseObject(rules, false)) return false;
    return CheckComplexity(*rules);
  }

  const std::string& error() const { return error_; }

 private:
  // ruler's barf(): a JsonParseException at the parser's location — unless Jackson itself
  // failed first, whose exception is the one that surfaces.
  bool Barf(const std::string& message) {
    error_ = lex_.failed() ? lex_.error() : lex_.Barf(message);
    return false;
  }
  // A JsonParseException caught and barfed again (ruler's anything-but lists): the location
  // is printed twice.
  bool BarfTwice(const std::string& message) {
    error_ = (lex_.failed() ? lex_.error() : lex_.Barf(message)) + lex_.Barf("");
    return false;
  }
  // An exception other than JsonParseException (CIDR, numbers, complexity): no location.
  bool Raw(const std::string& message) {
    error_ = lex_.failed() ? lex_.error() : message;
    return false;
  }
  bool NumberFailure(pi::NumberError e, bool caught) {
    // IllegalArgumentException is caught and barfed where ruler catches it; "Overflow" is an
    // ArithmeticException, which nothing catches.
    if (caught && e != pi::NumberError::kOverflow) return Barf(pi::NumberErrorMessage(e));
    return Raw(pi::NumberErrorMessage(e));
  }

  std::string ExtendedName(const std::string& step) const {
    std::string name;
    for (const std::string& p : path_) {
      name += p;
      name += '.';
    }
    return name + step;
  }

  static void Put(pi::Branch* rule, const std::string& name,
                  const std::shared_ptr<const pi::FieldSpec>& spec) {
    for (pi::FieldRule& field : *rule) {
      if (field.path == name) {
        field.spec = spec;  // a duplicate key: the last one wins
        return;
      }
    }
    rule->push_back({name, pi::PathHash(name), spec});
  }

  // parseObject / parseObjectInsideOrRelationship (after the START_OBJECT).
  bool ParseObject(Rules* rules, bool in_or) {
    bool fields_present = false;
    while (true) {
      Token t = lex_.Next();
      if (t == Token::kEndObject) break;
      if (t != Token::kFieldName) return Barf("");
      fields_present = true;
      std::string step = lex_.CurrentName();
      if (step == "$or") {
        if (!ParseOr(rules)) return false;
        continue;
      }
      if (in_or && IsReservedInOr(step)) {
        return Barf(step + " is Ruler reserved fieldName which cannot be used inside $or.");
      }
      t = lex_.Next();
      if (t == Token::kStartObject) {
        path_.push_back(step);
        if (!ParseObject(rules, in_or)) return false;
        path_.pop_back();
      } else if (t == Token::kStartArray) {
        if (!WriteRules(rules, ExtendedName(step))) return false;
      } else {
        return Barf("\"" + step + "\" must be an object or an array");
      }
    }
    if (!fields_present) return Barf("Empty objects are not allowed");
    return true;
  }

  // parseIntoOrRelationship (after the "$or" name).
  bool ParseOr(Rules* rules) {
    Rules current = std::move(*rules);
    rules->clear();
    if (lex_.Next() != Token::kStartArray) return Barf("It must be an Array followed with $or.");
    int count = 0;
    while (true) {
      Token t = lex_.Next();
      if (t == Token::kEndArray) break;
      ++count;
      if (t != Token::kStartObject) {
        return Barf("Only JSON object is allowed in array of $or relationship.");
      }
      Rules branch = current;
      if (branch.empty()) branch.emplace_back();
      if (!ParseObject(&branch, true)) return false;
      if (rules->size() + branch.size() > kMaxBranches) return Raw(kTooComplex);
      for (pi::Branch& b : branch) rules->push_back(std::move(b));
    }
    if (count < 2) return Barf("There must have at least 2 Objects in $or relationship.");
    return true;
  }

  // writeRules (after the START_ARRAY of a field's values).
  bool WriteRules(Rules* rules, const std::string& name) {
    auto spec = std::make_shared<pi::FieldSpec>();
    int values = 0;
    while (true) {
      Token t = lex_.Next();
      if (t == Token::kEndArray) break;
      pi::ValueMatcher m;
      switch (t) {
        case Token::kStartObject:
          if (!MatchExpression(spec.get())) return false;
          ++values;
          continue;
        case Token::kString: {
          m.text = lex_.Text();
          pi::IpAddress ip;
          if (pi::ParseIp(m.text, &ip) == pi::IpParse::kOk) {
            m.kind = Kind::kIp;
            m.ip.low = m.ip.high = ip;
          } else {
            m.kind = Kind::kString;
          }
          break;
        }
        case Token::kNumberInt:
        case Token::kNumberFloat:
          m.text = lex_.Text();
          m.kind = pi::ToMicros(m.text, &m.micros) == pi::NumberError::kNone ? Kind::kNumber
                                                                             : Kind::kNumberText;
          break;
        case Token::kTrue:
          m.kind = Kind::kTrue;
          break;
        case Token::kFalse:
          m.kind = Kind::kFalse;
          break;
        case Token::kNull:
          m.kind = Kind::kNull;
          break;
        default:
          return Barf("Match value must be String, number, true, false, or null");
      }
      spec->matchers.push_back(std::move(m));
      ++values;
    }
    if (values == 0) return Barf("Empty arrays are not allowed");
    if (rules->empty()) rules->emplace_back();
    std::shared_ptr<const pi::FieldSpec> shared = std::move(spec);
    for (pi::Branch& rule : *rules) Put(&rule, name, shared);
    return true;
  }

  bool ExpectEndObject(const char* message) {
    if (lex_.Next() != Token::kEndObject) return Barf(message);
    return true;
  }

  // A string operand: the current token must be a string (else `message`).
  bool StringOperand(const char* message, std::string* out) {
    if (lex_.Next() != Token::kString) return Barf(message);
    *out = lex_.Text();
    return true;
  }

  // processMatchExpression (after the START_OBJECT of a value).
  bool MatchExpression(pi::FieldSpec* spec) {
    constexpr char kOneKey[] = "Only one key allowed in match expression";
    if (lex_.Next() != Token::kFieldName) return Barf("Match expression name not found");
    const std::string op = lex_.CurrentName();
    pi::ValueMatcher m;
    if (op == "exactly") {
      if (!StringOperand("exact match pattern must be a string", &m.text)) return false;
      m.kind = Kind::kString;
    } else if (op == "prefix" || op == "suffix") {
      bool prefix = op == "prefix";
      Token t = lex_.Next();
      if (t == Token::kStartObject) return AffixIgnoreCase(spec, prefix);
      if (t != Token::kString) {
        return Barf(prefix ? "prefix match pattern must be a string"
                           : "suffix match pattern must be a string");
      }
      m.text = lex_.Text();
      m.kind = prefix ? Kind::kPrefix : Kind::kSuffix;
    } else if (op == "numeric") {
      if (lex_.Next() != Token::kStartArray) return Barf("Value of numeric must be an array.");
      if (!Numeric(&m)) return false;
      spec->matchers.push_back(std::move(m));
      return ExpectEndObject("Too many elements in numeric expression");
    } else if (op == "anything-but") {
      return AnythingBut(spec);
    } else if (op == "exists") {
      Token t = lex_.Next();
      if (t == Token::kTrue) {
        m.kind = Kind::kExists;
        spec->matchers.push_back(std::move(m));
      } else if (t == Token::kFalse) {
        spec->absent = true;
      } else {
        return Barf("exists match pattern must be either true or false.");
      }
      return ExpectEndObject(kOneKey);
    } else if (op == "cidr") {
      if (!StringOperand("prefix match pattern must be a string", &m.text)) return false;
      std::string reason;
      if (!pi::ParseCidr(m.text, &m.ip, &reason)) return Raw(reason);
      m.kind = Kind::kCidr;
    } else if (op == "equals-ignore-case") {
      if (!StringOperand("equals-ignore-case match pattern must be a string", &m.text)) {
        return false;
      }
      m.kind = Kind::kEqualsIgnoreCase;
      m.ci = pi::CompileIgnoreCase(m.text);
    } else if (op == "wildcard") {
      if (!StringOperand("wildcard match pattern must be a string", &m.text)) return false;
      std::string reason;
      if (!pi::ParseWildcard(m.text, &m.wildcard, &reason)) return Barf(reason);
      m.kind = Kind::kWildcard;
    } else {
      return Barf("Unrecognized match type " + op);
    }
    spec->matchers.push_back(std::move(m));
    return ExpectEndObject(kOneKey);
  }

  // processPrefixEqualsIgnoreCaseExpression / processSuffixEqualsIgnoreCaseExpression.
  bool AffixIgnoreCase(pi::FieldSpec* spec, bool prefix) {
    constexpr char kOneKey[] = "Only one key allowed in match expression";
    if (lex_.Next() != Token::kFieldName) {
      return Barf(prefix ? "Prefix expression name not found" : "Suffix expression name not found");
    }
    const std::string op = lex_.CurrentName();
    if (op != "equals-ignore-case") {
      return Barf((prefix ? "Unsupported prefix pattern: " : "Unsupported suffix pattern: ") + op);
    }
    pi::ValueMatcher m;
    if (!StringOperand("equals-ignore-case match pattern must be a string", &m.text)) return false;
    m.kind = prefix ? Kind::kPrefixIgnoreCase : Kind::kSuffixIgnoreCase;
    m.ci = pi::CompileIgnoreCase(m.text);
    spec->matchers.push_back(std::move(m));
    return ExpectEndObject(kOneKey) && ExpectEndObject(kOneKey);
  }

  // processNumericMatchExpression / completeNumericRange (after the START_ARRAY).
  bool Numeric(pi::ValueMatcher* m) {
    constexpr char kTooMany[] = "Too many elements in numeric expression";
    Token t = lex_.Next();
    if (t != Token::kString) return Barf("Invalid member in numeric match: " + lex_.Text());
    const std::string op = lex_.Text();
    t = lex_.Next();
    m->kind = Kind::kRange;
    m->low = INT64_MIN;
    m->high = INT64_MAX;
    if (op == "=") {
      if (!pi::IsNumber(t)) return Barf("Value of equals must be numeric");
      std::string value = lex_.Text();
      if (lex_.Next() != Token::kEndArray) return Barf(kTooMany);
      pi::NumberError e = pi::ToMicros(value, &m->micros);
      if (e != pi::NumberError::kNone) return NumberFailure(e, true);
      m->kind = Kind::kNumber;
      return true;
    }
    if (op == ">=" || op == ">") {
      if (!pi::IsNumber(t)) return Barf("Value of " + op + " must be numeric");
      std::string bottom = lex_.Text();
      t = lex_.Next();
      if (t != Token::kEndArray) return NumericRange(t, bottom, op == ">", m);
      pi::NumberError e = pi::ToMicros(bottom, &m->low);
      if (e != pi::NumberError::kNone) return NumberFailure(e, true);
      m->low_open = op == ">";
      return true;
    }
    if (op == "<=" || op == "<") {
      if (!pi::IsNumber(t)) return Barf("Value of " + op + " must be numeric");
      std::string top = lex_.Text();
      if (lex_.Next() != Token::kEndArray) return Barf(kTooMany);
      pi::NumberError e = pi::ToMicros(top, &m->high);
      if (e != pi::NumberError::kNone) return NumberFailure(e, true);
      m->high_open = op == "<";
      return true;
    }
    return Barf("Unrecognized numeric range operator: " + op);
  }

  bool NumericRange(Token t, const std::string& bottom, bool open_bottom, pi::ValueMatcher* m) {
    if (t != Token::kString) return Barf("Bad value in numeric range: " + lex_.Text());
    const std::string op = lex_.Text();
    if (op != "<" && op != "<=") return Barf("Bad numeric range operator: " + op);
    if (!pi::IsNumber(lex_.Next())) return Barf("Value of " + op + " must be numeric");
    std::string top = lex_.Text();
    if (lex_.Next() != Token::kEndArray) {
      return Barf("Too many terms in numeric range expression");
    }
    pi::NumberError e = pi::ToMicros(bottom, &m->low);
    if (e == pi::NumberError::kNone) e = pi::ToMicros(top, &m->high);
    if (e != pi::NumberError::kNone) return NumberFailure(e, true);
    if (m->low >= m->high) return Barf("Bottom must be less than top");
    m->low_open = open_bottom;
    m->high_open = op == "<";
    return true;
  }

  // The anything-but branch of processMatchExpression (after the "anything-but" name).
  bool AnythingBut(pi::FieldSpec* spec) {
    constexpr char kTooMany[] = "Too many elements in numeric expression";
    AnythingButKind kind = AnythingButKind::kPlain;
    Token t = lex_.Next();
    if (t == Token::kStartObject) {
      if (lex_.Next() != Token::kFieldName) return Barf("Anything-But expression name not found");
      const std::string op = lex_.CurrentName();
      if (op == "equals-ignore-case") {
        kind = AnythingButKind::kIgnoreCase;
      } else if (op == "prefix") {
        kind = AnythingButKind::kPrefix;
      } else if (op == "suffix") {
        kind = AnythingButKind::kSuffix;
      } else if (op == "wildcard") {
        kind = AnythingButKind::kWildcard;
      } else {
        return Barf("Unsupported anything-but pattern: " + op);
      }
      t = lex_.Next();
    }
    if (t != Token::kStartArray && t != Token::kString && !pi::IsNumber(t)) {
      return Barf("Value of anything-but must be an array or single string/number value.");
    }
    pi::ValueMatcher m;
    bool ok = false;
    if (kind == AnythingButKind::kPlain) {
      ok = t == Token::kStartArray ? AnythingButList(&m) : AnythingButSingle(t, &m);
    } else {
      ok = AnythingButSet(t, kind, &m);
    }
    if (!ok) return false;
    spec->matchers.push_back(std::move(m));
    if (lex_.Next() != Token::kEndObject) return Barf(kTooMany);
    if (kind != AnythingButKind::kPlain && lex_.Next() != Token::kEndObject) return Barf(kTooMany);
    return true;
  }

  // processAnythingButMatchExpression.
  bool AnythingButSingle(Token t, pi::ValueMatcher* m) {
    if (t == Token::kString) {
      m->kind = Kind::kAnythingBut;
      m->strings.push_back(lex_.Text());
      return true;
    }
    int64_t micros = 0;
    pi::NumberError e = pi::ToMicros(lex_.Text(), &micros);
    if (e != pi::NumberError::kNone) return NumberFailure(e, false);
    m->kind = Kind::kAnythingButNumber;
    m->numbers.push_back(micros);
    return true;
  }

  // processAnythingButListMatchExpression: inside its try block, a JsonParseException is
  // caught and barfed again (location twice), an IllegalArgumentException barfed once.
  bool AnythingButList(pi::ValueMatcher* m) {
    bool has_number = false;
    bool has_string = false;
    while (true) {
      Token t = lex_.Next();
      if (t == Token::kEndArray) break;
      if (t == Token::kString) {
        m->strings.push_back(lex_.Text());
        if (lex_.failed()) return BarfTwice("");
        has_string = true;
      } else if (pi::IsNumber(t)) {
        int64_t micros = 0;
        pi::NumberError e = pi::ToMicros(lex_.Text(), &micros);
        if (e != pi::NumberError::kNone) return NumberFailure(e, true);
        m->numbers.push_back(micros);
        has_number = true;
      } else {
        return BarfTwice("Inside anything but list, start|null|boolean is not supported.");
      }
    }
    if (has_number == has_string) {
      return Barf(
          "Inside anything but list, either all values are number or string, mixed type is not "
          "supported");
    }
    if (has_number) {
      m->kind = Kind::kAnythingButNumber;
      std::sort(m->numbers.begin(), m->numbers.end());
    } else {
      m->kind = Kind::kAnythingBut;
      std::sort(m->strings.begin(), m->strings.end());
    }
    return true;
  }

  // processAnythingButValuesSetMatchExpression and its single-value form.
  bool AnythingButSet(Token t, AnythingButKind kind, pi::ValueMatcher* m) {
    const bool list = t == Token::kStartArray;
    const bool affix = kind == AnythingButKind::kPrefix || kind == AnythingButKind::kSuffix;
    const char* type_error =
        kind == AnythingButKind::kIgnoreCase
            ? "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
              "supported."
        : kind == AnythingButKind::kWildcard ? "wildcard match pattern must be a string"
                                             : "prefix/suffix match pattern must be a string";
    std::vector<std::string> values;
    while (true) {
      if (list) {
        t = lex_.Next();
        if (t == Token::kEndArray) break;
      }
      if (t != Token::kString) return list ? BarfTwice(type_error) : Barf(type_error);
      std::string text = lex_.Text();
      if (lex_.failed()) return list ? BarfTwice("") : Barf("");
      if (affix && text.empty()) {
        return list ? BarfTwice("Null prefix/suffix not allowed")
                    : Barf("Null prefix/suffix not allowed");
      }
      values.push_back(std::move(text));
      if (!list) break;
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    switch (kind) {
      case AnythingButKind::kIgnoreCase:
        m->kind = Kind::kAnythingButIgnoreCase;
        for (const std::string& v : values) m->cis.push_back(pi::CompileIgnoreCase(v));
        break;
      case AnythingButKind::kPrefix:
        m->kind = Kind::kAnythingButPrefix;
        m->strings = std::move(values);
        break;
      case AnythingButKind::kSuffix:
        m->kind = Kind::kAnythingButSuffix;
        m->strings = std::move(values);
        break;
      case AnythingButKind::kWildcard:
        m->kind = Kind::kAnythingButWildcard;
        for (const std::string& v : values) {
          pi::Wildcard w;
          std::string reason;
          if (!pi::ParseWildcard(v, &w, &reason)) return Barf(reason);
          m->wildcards.push_back(std::move(w));
        }
        break;
      case AnythingButKind::kPlain:
        break;
    }
    return true;
  }

  // EventBridge evaluates ruler's MachineComplexityEvaluator on the rule's wildcards.
  bool CheckComplexity(const Rules& rules) {
    std::map<std::string, std::vector<const pi::Wildcard*>> by_path;
    for (const pi::Branch& branch : rules) {
      for (const pi::FieldRule& field : branch) {
        for (const pi::ValueMatcher& m : field.spec->matchers) {
          std::vector<const pi::Wildcard*>& list = by_path[field.path];
          auto add = [&list](const pi::Wildcard* w) {
            for (const pi::Wildcard* seen : list) {
              if (seen == w || seen->segments == w->segments) return;
            }
            list.push_back(w);
          };
          if (m.kind == Kind::kWildcard) add(&m.wildcard);
          for (const pi::Wildcard& w : m.wildcards) add(&w);
        }
      }
    }
    for (const auto& [path, wildcards] : by_path) {
      if (wildcards.empty()) continue;
      if (pi::WildcardComplexity(wildcards, kMaxWildcardComplexity) > kMaxWildcardComplexity) {
        return Raw(kTooComplex);
      }
    }
    return true;
  }

  pi::JacksonLexer lex_;
  std::vector<std::string> path_;
  std::string error_;
};

}  // namespace

Result<EventPattern> EventPattern::Compile(std::string_view pattern_json) {
  Compiler compiler(pattern_json);
  auto data = std::make_shared<pi::PatternData>();
  if (!compiler.Run(&data->branches)) return InvalidArgument(kReasonPrefix + compiler.error());
  return EventPattern(std::move(data));
}

size_t EventPattern::branch_count() const { return data_->branches.size(); }

bool EventPattern::Matches(const FlatEvent& event) const {
  return pi::MatchPattern(*data_, *event.data_);
}

bool EventPattern::Matches(const nlohmann::json& event) const {
  Result<FlatEvent> flat = FlatEvent::FromJson(event);
  return flat.ok() && Matches(*flat);
}

bool EventPattern::Matches(std::string_view event_json) const {
  Result<FlatEvent> flat = FlatEvent::Parse(event_json);
  return flat.ok() && Matches(*flat);
}

}  // namespace berth::events
