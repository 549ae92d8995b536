// JacksonLexer: a pull parser over one JSON text that behaves like the Jackson parser AWS runs
// event patterns through (ReaderBasedJsonParser over a String) wherever AWS's error messages
// depend on it — how far each Next() and Text() reads, so an error's "line: L, column: C"
// matches, and the wording of the common syntax errors. Internal to event_pattern*.cc.
// Not thread-safe (one per Compile call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::events::pattern_internal {

enum class Token : uint8_t {
  kNone,  // end of input, or a syntax error (see failed())
  kStartObject,
  kEndObject,
  kStartArray,
  kEndArray,
  kFieldName,
  kString,
  kNumberInt,
  kNumberFloat,
  kTrue,
  kFalse,
  kNull,
};

inline bool IsNumber(Token t) { return t == Token::kNumberInt || t == Token::kNumberFloat; }

class JacksonLexer {
 public:
  // Jackson's StreamReadConstraints default.
  static constexpr int kMaxDepth = 1000;

  explicit JacksonLexer(std::string_view src) : src_(src) {}

  // Jackson's nextToken(). After a syntax error returns kNone forever; failed() is then true
  // and error() holds Jackson's message (with location).
  Token Next();
  // Jackson's getText(): for a string, reads it to its closing quote first (so the location
  // moves on). Empty after an error.
  std::string Text();
  // Jackson's getCurrentName() right after a kFieldName.
  const std::string& CurrentName() const { return name_; }

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }

  // Jackson's JsonParseException message for `message` at the current location:
  // message + "\n at [Source: (String)\"…\"; line: L, column: C]".
  std::string Barf(std::string_view message) const;

 private:
  enum class Ctx : uint8_t { kRoot, kArray, kObject };
  struct Context {
    Ctx type;
    int index;  // entries seen (Jackson's _index, incremented by expectComma)
    size_t line;
    size_t column;
  };

  int SkipWs();  // next non-blank byte (consumed), or -1 at the end; -2 after an error
  bool ExpectComma();
  Token ParseValue(int c, bool in_object);
  Token ParseNumber(int c);
  Token MatchLiteral(std::string_view word, Token t);
  bool ReadString(std::string* out, bool in_name);  // after the opening quote
  void CloseScope(int c);
  void Fail(std::string message);  // with location
  void FailRaw(std::string message);
  void ReportUnexpected(int c, std::string_view comment);
  void ReportInvalidToken(size_t start);
  std::string Location(size_t line, size_t column) const;
  size_t Column() const;                        // 1-based, in UTF-16 units, of the read position
  int DecodeAt(size_t pos, size_t* len) const;  // code point at pos (lenient)
  bool PushContext(Ctx type);

  std::string_view src_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_start_ = 0;
  std::vector<Context> contexts_{{Ctx::kRoot, -1, 1, 0}};
  Token current_ = Token::kNone;
  Token pending_ = Token::kNone;  // the value token read along with a field name
  bool string_incomplete_ = false;
  std::string name_;
  std::string number_;
  std::string string_value_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace berth::events::pattern_internal
