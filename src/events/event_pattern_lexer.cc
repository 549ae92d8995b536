#include "events/event_pattern_lexer.h"

#include <cstdio>
#include <string>
#include <utility>

#include "common/utf8.h"

namespace berth::events::pattern_internal {
namespace {

constexpr size_t kMaxSnippet = 500;  // Jackson's MAX_CONTENT_SNIPPET (UTF-16 units)
constexpr char kValidValues[] =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

// Jackson's _getCharDesc.
std::string CharDesc(uint32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return "(CTRL-CHAR, code " + std::to_string(c) + ")";
  std::string glyph;
  AppendUtf8(c, &glyph);
  if (c > 255) {
    char hex[16];
    snprintf(hex, sizeof(hex), "%x", c);
    return "'" + glyph + "' (code " + std::to_string(c) + " / 0x" + hex + ")";
  }
  return "'" + glyph + "' (code " + std::to_string(c) + ")";
}

bool IsIdentifierPart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// UTF-16 units of the UTF-8 text (lenient: a stray continuation byte counts as nothing).
size_t Utf16Units(std::string_view s) {
  size_t n = 0;
  for (unsigned char b : s) {
    if ((b & 0xC0) != 0x80) n += b >= 0xF0 ? 2 : 1;
  }
  return n;
}

}  // namespace

int JacksonLexer::DecodeAt(size_t pos, size_t* len) const {
  auto b = static_cast<unsigned char>(src_[pos]);
  size_t need = b < 0x80 ? 0 : b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  uint32_t cp = need == 0 ? b : need == 1 ? (b & 0x1F) : need == 2 ? (b & 0x0F) : (b & 0x07);
  size_t i = 1;
  for (; i <= need && pos + i < src_.size(); ++i) {
    auto c = static_cast<unsigned char>(src_[pos + i]);
    if ((c & 0xC0) != 0x80) break;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (i != need + 1) {  // malformed: the byte alone
    *len = 1;
    return b;
  }
  *len = i;
  return static_cast<int>(cp);
}

size_t JacksonLexer::Column() const {
  return Utf16Units(src_.substr(line_start_, pos_ - line_start_)) + 1;
}

std::string JacksonLexer::Location(size_t line, size_t column) const {
  std::string out = "[Source: (String)\"";
  size_t units = 0;
  size_t i = 0;
  while (i < src_.size()) {
    auto b = static_cast<unsigned char>(src_[i]);
    size_t len = 1;
    while (i + len < src_.size() && (static_cast<unsigned char>(src_[i + len]) & 0xC0) == 0x80 &&
           len < 4) {
      ++len;
    }
    size_t u = b >= 0xF0 ? 2 : 1;
    if (units + u > kMaxSnippet) break;
    out.append(src_.substr(i, len));
    units += u;
    i += len;
  }
  out += '"';
  if (i < src_.size()) {
    out += "[truncated " + std::to_string(Utf16Units(src_.substr(i))) + " chars]";
  }
  out += "; line: " + std::to_string(line) + ", column: " + std::to_string(column) + "]";
  return out;
}

std::string JacksonLexer::Barf(std::string_view message) const {
  std::string out(message);
  out += "\n at ";
  out += Location(line_, Column());
  return out;
}

void JacksonLexer::Fail(std::string message) {
  if (failed_) return;
  failed_ = true;
  // Jackson reports its syntax errors at the last character read (_currentLocationMinusOne),
  // but end-of-input errors at the current position.
  size_t column = Column();
  if (message.rfind("Unexpected end-of-input", 0) != 0) --column;
  error_ = message + "\n at " + Location(line_, column);
  current_ = Token::kNone;
}

void JacksonLexer::FailRaw(std::string message) {
  if (failed_) return;
  failed_ = true;
  error_ = std::move(message);
  current_ = Token::kNone;
}

void JacksonLexer::ReportUnexpected(int c, std::string_view comment) {
  uint32_t cp = static_cast<uint32_t>(c);
  if (c >= 0x80 && pos_ > 0) {  // the byte was the start of a UTF-8 character: read all of it
    size_t len = 1;
    cp = static_cast<uint32_t>(DecodeAt(pos_ - 1, &len));
    pos_ += len - 1;
  }
  std::string msg = "Unexpected character (" + CharDesc(cp) + ")";
  if (!comment.empty()) {
    msg += ": ";
    msg += comment;
  }
  Fail(std::move(msg));
}

void JacksonLexer::ReportInvalidToken(size_t start) {
  size_t end = start;
  std::string token;
  while (end < src_.size() && IsIdentifierPart(static_cast<unsigned char>(src_[end]))) {
    token.push_back(src_[end]);
    ++end;
    if (token.size() >= 256) {
      token += "...";
      break;
    }
  }
  if (token.empty() && start < src_.size()) token.push_back(src_[start]), end = start + 1;
  pos_ = end;
  Fail("Unrecognized token '" + token + "': was expecting " + kValidValues);
}

int JacksonLexer::SkipWs() {
  while (pos_ < src_.size()) {
    auto c = static_cast<unsigned char>(src_[pos_++]);
    if (c > 0x20) {
      if (c == '/') {
        ReportUnexpected(c,
                         "maybe a (non-standard) comment? (not recognized as one since Feature "
                         "'ALLOW_COMMENTS' not enabled for parser)");
        return -2;
      }
      return c;
    }
    if (c == ' ' || c == '\t') continue;
    if (c == '\n') {
      ++line_;
      line_start_ = pos_;
    } else if (c == '\r') {
      if (pos_ < src_.size() && src_[pos_] == '\n') ++pos_;
      ++line_;
      line_start_ = pos_;
    } else {
      Fail("Illegal character (" + CharDesc(c) +
           "): only regular white space (\\r, \\n, \\t) is allowed between tokens");
      return -2;
    }
  }
  return -1;
}

bool JacksonLexer::PushContext(Ctx type) {
  if (static_cast<int>(contexts_.size()) > kMaxDepth) {  // root + kMaxDepth levels
    FailRaw("Document nesting depth (" + std::to_string(contexts_.size()) +
            ") exceeds the maximum allowed (" + std::to_string(kMaxDepth) +
            ", from `StreamReadConstraints.getMaxNestingDepth()`)");
    return false;
  }
  contexts_.push_back({type, -1, line_, Column() - 1});
  return true;
}

namespace {
const char* TypeDesc(int type) { return type == 0 ? "root" : type == 1 ? "Array" : "Object"; }
}  // namespace

void JacksonLexer::CloseScope(int c) {
  const Context& ctx = contexts_.back();
  bool ok = c == ']' ? ctx.type == Ctx::kArray : ctx.type == Ctx::kObject;
  if (!ok) {
    std::string msg = "Unexpected close marker '";
    msg += static_cast<char>(c);
    msg += "': expected '";
    msg += c == ']' ? '}' : ']';
    msg += "' (for ";
    msg += TypeDesc(static_cast<int>(ctx.type));
    msg += " starting at " + Location(ctx.line, ctx.column) + ")";
    Fail(std::move(msg));
    return;
  }
  contexts_.pop_back();
  current_ = c == ']' ? Token::kEndArray : Token::kEndObject;
}

bool JacksonLexer::ReadString(std::string* out, bool in_name) {
  while (true) {
    if (pos_ >= src_.size()) {
      Fail(in_name ? "Unexpected end-of-input in field name"
                   : "Unexpected end-of-input: was expecting closing quote for a string value");
      return false;
    }
    auto c = static_cast<unsigned char>(src_[pos_++]);
    if (c == '"') return true;
    if (c < 0x20) {
      Fail("Illegal unquoted character (" + CharDesc(c) +
           "): has to be escaped using backslash to be included in " +
           (in_name ? "name" : "string value"));
      return false;
    }
    if (c != '\\') {
      if (out != nullptr) out->push_back(static_cast<char>(c));
      continue;
    }
    if (pos_ >= src_.size()) {
      Fail("Unexpected end-of-input in character escape sequence");
      return false;
    }
    auto e = static_cast<unsigned char>(src_[pos_++]);
    char simple = 0;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        simple = static_cast<char>(e);
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      default:
        if (e >= 0x80) {
          size_t len = 1;
          uint32_t cp = static_cast<uint32_t>(DecodeAt(pos_ - 1, &len));
          pos_ += len - 1;
          Fail("Unrecognized character escape " + CharDesc(cp));
        } else {
          Fail("Unrecognized character escape " + CharDesc(e));
        }
        return false;
    }
    if (e != 'u') {
      if (out != nullptr) out->push_back(simple);
      continue;
    }
    uint32_t unit = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= src_.size()) {
        Fail("Unexpected end-of-input in character escape sequence");
        return false;
      }
      auto h = static_cast<unsigned char>(src_[pos_++]);
      int v = HexValue(h);
      if (v < 0) {
        ReportUnexpected(h, "expected a hex-digit for character escape sequence");
        return false;
      }
      unit = (unit << 4) | static_cast<uint32_t>(v);
    }
    // A high surrogate directly followed by an escaped low one is one character.
    if (unit >= 0xD800 && unit <= 0xDBFF && pos_ + 6 <= src_.size() && src_[pos_] == '\\' &&
        src_[pos_ + 1] == 'u') {
      uint32_t low = 0;
      bool hex = true;
      for (int i = 0; i < 4 && hex; ++i) {
        int v = HexValue(static_cast<unsigned char>(src_[pos_ + 2 + i]));
        hex = v >= 0;
        low = (low << 4) | static_cast<uint32_t>(v < 0 ? 0 : v);
      }
      if (hex && low >= 0xDC00 && low <= 0xDFFF) {
        pos_ += 6;
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      }
    }
    if (out != nullptr) AppendUtf8(unit, out);
  }
}

Token JacksonLexer::MatchLiteral(std::string_view word, Token t) {
  size_t start = pos_ - 1;
  if (src_.substr(start, word.size()) == word &&
      (start + word.size() >= src_.size() ||
       !IsIdentifierPart(static_cast<unsigned char>(src_[start + word.size()])))) {
    pos_ = start + word.size();
    return t;
  }
  ReportInvalidToken(start);
  return Token::kNone;
}

Token JacksonLexer::ParseNumber(int c) {
  size_t start = pos_ - 1;
  size_t p = pos_;
  auto at = [&](size_t i) -> int {
    return i < src_.size() ? static_cast<unsigned char>(src_[i]) : -1;
  };
  auto is_digit = [](int ch) { return ch >= '0' && ch <= '9'; };
  auto bad = [&](size_t i, const char* comment) {
    pos_ = i + 1;
    int ch = at(i);
    if (ch < 0) {
      pos_ = src_.size();
      Fail("Unexpected end-of-input in a Number value");
      return Token::kNone;
    }
    std::string msg = "Unexpected character (" + CharDesc(static_cast<uint32_t>(ch)) +
                      ") in numeric value: " + comment;
    Fail(std::move(msg));
    return Token::kNone;
  };
  if (c == '-') {
    if (!is_digit(at(p))) {
      return bad(p, "expected digit (0-9) to follow minus sign, for valid numeric value");
    }
    ++p;
  }
  // p is now just past the first integer digit.
  if (at(p - 1) == '0' && is_digit(at(p))) {
    pos_ = p;
    Fail("Invalid numeric value: Leading zeroes not allowed");
    return Token::kNone;
  }
  while (is_digit(at(p))) ++p;
  bool is_float = false;
  if (at(p) == '.') {
    is_float = true;
    ++p;
    if (!is_digit(at(p))) return bad(p, "Decimal point not followed by a digit");
    while (is_digit(at(p))) ++p;
  }
  if (at(p) == 'e' || at(p) == 'E') {
    is_float = true;
    ++p;
    if (at(p) == '+' || at(p) == '-') ++p;
    if (!is_digit(at(p))) return bad(p, "Exponent indicator not followed by a digit");
    while (is_digit(at(p))) ++p;
  }
  pos_ = p;
  number_.assign(src_.substr(start, p - start));
  if (contexts_.back().type == Ctx::kRoot && p < src_.size()) {
    int ch = at(p);
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
      pos_ = p + 1;
      ReportUnexpected(ch, "Expected space separating root-level values");
      return Token::kNone;
    }
  }
  return is_float ? Token::kNumberFloat : Token::kNumberInt;
}

Token JacksonLexer::ParseValue(int c, bool in_object) {
  switch (c) {
    case '"':
      string_incomplete_ = true;
      string_value_.clear();
      return Token::kString;
    case '[':
      if (!in_object && !PushContext(Ctx::kArray)) return Token::kNone;
      return Token::kStartArray;
    case '{':
      if (!in_object && !PushContext(Ctx::kObject)) return Token::kNone;
      return Token::kStartObject;
    case '}':
      ReportUnexpected(c, "expected a value");
      return Token::kNone;
    case 't':
      return MatchLiteral("true", Token::kTrue);
    case 'f':
      return MatchLiteral("false", Token::kFalse);
    case 'n':
      return MatchLiteral("null", Token::kNull);
    default:
      break;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(c);
  if (IsIdentifierPart(static_cast<unsigned char>(c)) && !(c >= '0' && c <= '9')) {
    ReportInvalidToken(pos_ - 1);
    return Token::kNone;
  }
  ReportUnexpected(c, std::string("expected a valid value ") + kValidValues);
  return Token::kNone;
}

Token JacksonLexer::Next() {
  if (failed_) return Token::kNone;
  if (current_ == Token::kFieldName) {  // Jackson's _nextAfterName
    Token t = pending_;
    pending_ = Token::kNone;
    if (t == Token::kStartArray && !PushContext(Ctx::kArray)) return Token::kNone;
    if (t == Token::kStartObject && !PushContext(Ctx::kObject)) return Token::kNone;
    current_ = t;
    return t;
  }
  if (string_incomplete_) {
    string_incomplete_ = false;
    if (!ReadString(nullptr, false)) return Token::kNone;
  }
  int c = SkipWs();
  if (c == -2) return Token::kNone;
  if (c == -1) {
    const Context& ctx = contexts_.back();
    if (ctx.type != Ctx::kRoot) {
      Fail(std::string("Unexpected end-of-input: expected close marker for ") +
           TypeDesc(static_cast<int>(ctx.type)) + " (start marker at " +
           Location(ctx.line, ctx.column) + ")");
    }
    current_ = Token::kNone;
    return Token::kNone;
  }
  if (c == ']' || c == '}') {
    CloseScope(c);
    return failed_ ? Token::kNone : current_;
  }
  Context& ctx = contexts_.back();
  int index = ++ctx.index;
  if (ctx.type != Ctx::kRoot && index > 0) {
    if (c != ',') {
      ReportUnexpected(c, std::string("was expecting comma to separate ") +
                              TypeDesc(static_cast<int>(ctx.type)) + " entries");
      return Token::kNone;
    }
    c = SkipWs();
    if (c == -2) return Token::kNone;
    if (c == -1) {
      Fail(std::string("Unexpected end-of-input within/between ") +
           TypeDesc(static_cast<int>(contexts_.back().type)) + " entries");
      return Token::kNone;
    }
  }
  if (contexts_.back().type != Ctx::kObject) {
    current_ = ParseValue(c, false);
    return current_;
  }
  if (c != '"') {
    ReportUnexpected(c, "was expecting double-quote to start field name");
    return Token::kNone;
  }
  name_.clear();
  if (!ReadString(&name_, true)) return Token::kNone;
  c = SkipWs();
  if (c == -2) return Token::kNone;
  if (c == ':')
    c = SkipWs();
  else if (c >= 0) {
    ReportUnexpected(c, "was expecting a colon to separate field name and value");
    return Token::kNone;
  }
  if (c == -2) return Token::kNone;
  if (c == -1) {
    Fail("Unexpected end-of-input within/between Object entries");
    return Token::kNone;
  }
  current_ = Token::kFieldName;
  pending_ = ParseValue(c, true);
  if (failed_) return Token::kNone;
  return Token::kFieldName;
}

std::string JacksonLexer::Text() {
  if (failed_) return "";
  switch (current_) {
    case Token::kString:
      if (string_incomplete_) {
        string_incomplete_ = false;
        string_value_.clear();
        if (!ReadString(&string_value_, false)) return "";
      }
      return string_value_;
    case Token::kFieldName:
      return name_;
    case Token::kNumberInt:
    case Token::kNumberFloat:
      return number_;
    case Token::kTrue:
      return "true";
    case Token::kFalse:
      return "false";
    case Token::kNull:
      return "null";
    case Token::kStartObject:
      return "{";
    case Token::kEndObject:
      return "}";
    case Token::kStartArray:
      return "[";
    case Token::kEndArray:
      return "]";
    case Token::kNone:
      return "null";
  }
  return "";
}

}  // namespace berth::events::pattern_internal
