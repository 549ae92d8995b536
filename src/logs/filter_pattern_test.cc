#include "logs/filter_pattern.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

namespace berth::logs {
namespace {

struct Case {
  std::string pattern;
  std::string message;
  bool want;
};

// The example event from the CloudWatch docs (JSON section), plus a few extra properties.
const char kEvent[] = R"({"eventType":"UpdateTrail","sourceIPAddress":"123.123.123.123",
  "arrayKey":["value","another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],
  "SomeObject":null,"ThisFlag":true,"OtherFlag":false,
  "user":{"id":1,"name":"John Stiles","email":"John.Stiles@example.com"},
  "users":[{"id":2,"email":"John.Doe@example.com"}],"actions":["GET","PUT","DELETE"],
  "coordinates":[[0,1],[2,3]],"latency":50,"number":[1e-3],"hostname":"ip-10-1-2-3",
  "sub-key":{"under_score":5},"big":9007199254740993,"huge":18446744073709551615,
  "text_num":"600","empty":"","star":"Up*Trail","name":"h\u00e9llo"})";

const char kApache200[] =
    R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534)";
const char kApache404[] =
    R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534)";
const char kApache403[] =
    R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 403 12)";
const char kApache410Html[] =
    R"(10.0.0.9 - - [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 410 99)";
const char kApacheFields[] = "[ip, user, username, timestamp, request, status_code, bytes]";

std::vector<Case> Cases() {
  const std::string ev = kEvent;
  return {
      // Empty and whitespace-only patterns match everything.
      {"", "anything", true},
      {"", "", true},
      {"  \t ", "x", true},

      // Terms: case-sensitive substrings, ANDed.
      {"ERROR", "[ERROR] A fatal exception has occurred", true},
      {"ERROR", "Exiting with ERRORCODE: -1", true},
      {"ERROR", "error: lowercase", false},
      {"ERROR Exception", "[ERROR] Caught IllegalArgumentException", true},
      {"ERROR Exception", "[ERROR] Unhandled Exception", true},
      {"ERROR Exception", "[ERROR] something else", false},
      {"ERROR\tWARN", "WARN then ERROR", true},
      {"404", "GET /x 404 12", true},
      {"ERROR_CODE", "got ERROR_CODE=7", true},
      {R"("Failed to process the request")", "[WARN] Failed to process the request", true},
      {R"("Failed to process the request")", "Failed to  process the request", false},
      {R"("Failed to")", "Failed to connect", true},
      {R"("Failed to")", "Failed To connect", false},
      {R"("[ERROR]")", "[ERROR] x", true},
      {R"("[ERROR]")", "ERROR x", false},
      {R"("say \"hi\"")", R"(he said: say "hi" now)", true},
      {R"("back\\slash")", R"(a back\slash)", true},
      {R"("a\nb")", R"(literal a\nb)", true},
      {"\"h\xc3\xa9llo\"", "say h\xc3\xa9llo", true},
      // Exclusion.
      {"ERROR -WARN", "ERROR disk full", true},
      {"ERROR -WARN", "ERROR WARN both", false},
      {"ERROR -WARN", "WARN only", false},
      {"ERROR -Exiting", "Exiting with ERRORCODE: -1", false},
      {R"(-"connection reset")", "all good", true},
      {R"(-"connection reset")", "the connection reset by peer", false},
      // OR groups.
      {"?ERROR ?WARN", "ERROR x", true},
      {"?ERROR ?WARN", "WARN x", true},
      {"?ERROR ?WARN", "INFO x", false},
      {R"(?"a" "b" ?"c" "d")", "a b", true},
      {R"(?"a" "b" ?"c" "d")", "c d", true},
      {R"(?"a" "b" ?"c" "d")", "a d", false},
      {R"(?"a" "b" ?"c" "d")", "a", false},
      {"?ERROR -WARN ?FATAL", "ERROR", true},
      {"?ERROR -WARN ?FATAL", "ERROR WARN", false},
      {"?ERROR -WARN ?FATAL", "FATAL WARN", true},
      {"a ?b ?c", "b", true},  // terms before the first `?` are a group of their own
      {"a ?b ?c", "a", true},
      {"a ?b ?c", "x", false},
      // `" "` and `""` match everything.
      {R"(" ")", "nospace", true},
      {R"("")", "x", true},
      {R"(" " ERROR)", "ERROR", true},
      {R"(" " ERROR)", "x", false},
      {R"(?" " ?ERROR)", "x", true},

      // Regex: unanchored RE2 search.
      {"%ERROR [0-9]{3}%", "ERROR 404", true},
      {"%ERROR [0-9]{3}%", "x ERROR 500 y", true},
      {"%ERROR [0-9]{3}%", "ERROR 40", false},
      {"%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", true},
      {"%AUTHORIZED%", "[SUCCESS 200] AUTHORIZED REQUEST", true},
      {"%AUTHORIZED%", "authorized", false},
      {"%^ERROR%", "ERROR at start", true},
      {"%^ERROR%", "not ERROR at start", false},
      {"%end$%", "the end", true},
      {"%end$%", "end not", false},
      {"%[Ee]rror|[Ff]ail%", "a fail", true},
      {"%[Ee]rror|[Ff]ail%", "an error", true},
      {"%[Ee]rror|[Ff]ail%", "ok", false},
      {"%colou?r%", "color", true},
      {"%colou?r%", "colour", true},
      {R"(%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%)", "from 10.0.0.1 x", true},
      {R"(%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%)", "from 10.0.0 x", false},
      {R"(%10\.10\.0\.1%)", "10.10.0.1", true},
      {R"(%10\.10\.0\.1%)", "10a10.0.1", false},
      {R"(%\s\S\w\W\D%)", "a b_-x", true},
      {"%a/b;c,d-e:f_g#h=i@j%", "a/b;c,d-e:f_g#h=i@j", true},
      {"%[a-z]+.?%", "abc", true},

      // JSON: selectors.
      {R"({ $.eventType = "UpdateTrail" })", ev, true},
      {R"({ $.eventType = "UpdateTrail" })", R"({"eventType":"CreateTrail"})", false},
      {R"({ $.eventType = "UpdateTrail" })", R"(  {"eventType":"UpdateTrail"}  )", true},
      {R"({ $.eventType = "UpdateTrail" })", "UpdateTrail", false},
      {R"({ $.eventType = "UpdateTrail" })", R"({"eventType":"UpdateTrail")", false},
      {R"({ $.eventType = "UpdateTrail" })", R"(["UpdateTrail"])", false},
      {R"({ $.eventType = "updatetrail" })", ev, false},
      {"{ $.eventType = UpdateTrail }", ev, true},
      {"{$.eventType=UpdateTrail}", ev, true},
      {R"({ $.user.name = "John Stiles" })", ev, true},
      {"{ $.arrayKey[0] = \"value\" }", ev, true},
      {"{ $.arrayKey[1] = \"another value\" }", ev, true},
      {"{ $.objectList[1].id = 2 }", ev, true},
      {"{ $.objectList[2].id = 2 }", ev, false},
      {"{ $.coordinates[0][1] = 1 }", ev, true},
      {"{ $.coordinates[1][0] = 2 }", ev, true},
      {"{ $.coordinates[5][0] = 2 }", ev, false},
      {"{ $.sub-key.under_score = 5 }", ev, true},
      {"{ $.name = \"h\xc3\xa9llo\" }", ev, true},
      {R"({ $.empty = "" })", ev, true},
      {R"({ $.eventType = "" })", ev, false},
      // Wildcards: leading/trailing only; `= *` tests existence.
      {"{ $.sourceIPAddress != 123.123.* }", ev, false},
      {"{ $.sourceIPAddress != 123.123.* }", R"({"sourceIPAddress":"10.0.0.1"})", true},
      {"{ $.sourceIPAddress != 123.123.* }", R"({"other":1})", false},
      {R"({ $.eventType = "Update*" })", ev, true},
      {"{ $.eventType = *Trail }", ev, true},
      {"{ $.eventType = *date* }", ev, true},
      {"{ $.eventType = *Create* }", ev, false},
      {"{ $.eventType = Up*Trail }", ev, false},
      {"{ $.star = Up*Trail }", ev, true},
      {"{ $.eventType = * }", ev, true},
      {"{ $.user = * }", ev, true},
      {R"({ $.SomeObject = "*" })", ev, true},
      {"{ $.nothing = * }", ev, false},
      {"{ $.nothing != * }", ev, true},
      {"{ $.eventType != * }", ev, false},
      // Docs' boolean examples.
      {R"({ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") })", ev, true},
      {R"({ ($.user.id = 2) && ($.users[0].email = "John.Doe@example.com") })", ev, false},
      {R"({ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" })", ev,
       false},
      {R"({ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" })",
       ev, true},
      {R"({ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" })",
       ev, false},
      {R"({ $.eventType = "UpdateTrail" && $.latency > 10 || $.nothing = 1 })", ev, true},
      {"{ ((($.latency = 50))) }", ev, true},
      // Postfix tests.
      {"{ $.SomeObject IS NULL }", ev, true},
      {"{ $.eventType IS NULL }", ev, false},
      {"{ $.missing IS NULL }", ev, false},
      {"{ $.SomeObject is null }", ev, true},
      {"{ $.SomeOtherObject NOT EXISTS }", ev, true},
      {"{ $.SomeObject NOT EXISTS }", ev, false},
      {"{ $.user.id.deeper NOT EXISTS }", ev, true},
      {"{ $.ThisFlag IS TRUE }", ev, true},
      {"{ $.ThisFlag IS FALSE }", ev, false},
      {"{ $.OtherFlag IS FALSE }", ev, true},
      {"{ $.eventType IS TRUE }", ev, false},
      {"{ $.ThisFlag = true }", ev, true},
      // Numbers.
      {"{ $.latency > 500 }", ev, false},
      {"{ $.latency > 500 }", R"({"latency":501})", true},
      {"{ $.latency > 500 }", R"({"latency":500.5})", true},
      {"{ $.latency >= 50 }", ev, true},
      {"{ $.latency <= 50 }", ev, true},
      {"{ $.latency < 50 }", ev, false},
      {"{ $.latency = 50 }", ev, true},
      {"{ $.latency != 50 }", ev, false},
      {"{ $.latency != 51 }", ev, true},
      {"{ $.latency = 50.0 }", ev, true},
      {"{ $.latency = 5e1 }", ev, true},
      {"{ $.latency = +50 }", ev, true},
      {"{ $.latency > -1.5 }", ev, true},
      {"{ $.number[0] = 1e-3 }", ev, true},
      {"{ $.number[0] != 1e+3 }", ev, true},
      {"{ $.number[0] < 10e-3 }", ev, true},
      {"{ $.big = 9007199254740993 }", ev, true},
      {"{ $.big = 9007199254740992 }", ev, false},
      {"{ $.huge > 1 }", ev, true},
      {"{ $.text_num > 500 }", ev, false},  // a string is not a number
      {"{ $.text_num = 600 }", ev, true},   // ... but equals its text
      // A selector hitting an array or object is false for both = and !=.
      {R"({ $.arrayKey = "value" })", ev, false},
      {R"({ $.arrayKey != "value" })", ev, false},
      {R"({ $.user != "x" })", ev, false},
      {R"({ $.user > 1 })", ev, false},
      {R"({ $.nothing != "x" })", ev, false},
      // Embedded regex.
      {"{ $.hostname = %ip-10-[0-9]+% }", ev, true},
      {"{ $.hostname = %^web% }", ev, false},
      {"{ $.hostname != %^web% }", ev, true},
      {"{ $.latency = %^5% }", ev, true},
      {"{ $.eventType = %Trail$% && $.hostname = %ip% }", ev, true},

      // Space-delimited.
      {kApacheFields, kApache200, true},
      {kApacheFields, "a b c", false},
      {kApacheFields, std::string(kApache200) + " extra", false},
      {"[ip, user, username, timestamp, request, status_code = 4*, bytes]", kApache404, true},
      {"[ip, user, username, timestamp, request, status_code = 4*, bytes]", kApache200, false},
      {"[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", kApache410Html,
       true},
      {"[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", kApache404,
       false},
      {"[..., status_code = 404, bytes]", kApache404, true},
      {"[..., status_code = 404, bytes]", kApache200, false},
      {"[ip, ..., bytes > 1000]", kApache200, true},
      {"[ip, ..., bytes < 1000]", kApache200, false},
      {"[ip, user, username, timestamp, request, status_code = 404 || status_code = 410, bytes]",
       kApache410Html, true},
      {"[ip, user, username, timestamp, request, status_code = 404 || status_code = 410, bytes]",
       kApache200, false},
      {"[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
       kApache404, true},
      {"[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
       kApache403, false},
      {"[ip, user, username, timestamp = \"10/Oct/2000:13:25:15 -0700\", ...]", kApache200, true},
      {"[ip, user, username, timestamp, request = \"GET /apache_pb.gif HTTP/1.0\", ...]",
       kApache200, true},
      {"[ip, user = -, ...]", kApache200, true},
      {"[ip = 127.*.1, ...]", kApache200, true},  // `*` anywhere in space-delimited values
      {"[ip = 127.*.2, ...]", kApache200, false},
      {"[..., st = %4[0-9]{2}%, bytes]", kApache404, true},
      {"[..., st = %4[0-9]{2}%, bytes]", kApache200, false},
      {"[..., st = %0%, bytes]", kApache404, true},
      {"[..., st != %^2%, bytes]", kApache404, true},
      {"[..., bytes = 1534]", kApache200, true},
      {"[..., bytes = 1.534e3]", kApache200, true},
      {"[..., bytes != 1534]", kApache200, false},
      {"[w1=ERROR, w2]", "ERROR Something", true},
      {"[w1=ERROR, w2]", "WARN Something", false},
      {"[w1=ERROR, w2]", "ERROR a b", false},
      {"[w1=ERROR, ...]", "ERROR a b c", true},
      {"[w1=ERROR, ...]", "ERROR", true},
      {"[...]", "", true},
      {"[...]", "a b c", true},
      {"[..., last]", "", false},
      {"[..., last]", "x", true},
      {"[a, ..., b, c]", "1 2", false},
      {"[a, ..., b, c]", "1 2 3", true},
      {"[x, y]", "a    b", true},
      {"[x, y]", "\ta b\n", true},
      {"[a]", "", false},
      {"[x, y = *c*, z]", R"(a "b \"c\" d" e)", true},
      {"[x, y = \"b c\"]", R"(a "b c)", true},
      {"[x, y = 10]", "a [10", true},
      {"[a > 5]", "abc", false},
      {"[a != 5]", "abc", true},
      {"[first-name, last_name]", "a b", true},
      {"[a, (b = 1 || b = 2) && b != 2]", "x 1", true},
      {"[a, (b = 1 || b = 2) && b != 2]", "x 2", false},
      {"[a, b = \"x,y\"]", "1 x,y", true},
      {"[a, b = %x{1,2}y%]", "1 xxy", true},
  };
}

TEST(FilterPattern, Table) {
  int n = 0;
  for (const Case& c : Cases()) {
    SCOPED_TRACE("pattern: " + c.pattern + "\nmessage: " + c.message);
    auto p = FilterPattern::Parse(c.pattern);
    ASSERT_TRUE(p.ok()) << p.status().message();
    EXPECT_EQ((*p)->Matches(c.message), c.want);
    ++n;
  }
  EXPECT_GT(n, 200);
}

TEST(FilterPattern, InvalidPatterns) {
  const std::vector<std::string> bad = {
      // Terms.
      "a.b",
      "ERROR!",
      "user@example.com",
      "ERROR:",
      "\"unterminated",
      "\"abc\"def",
      "?",
      "-",
      "?-x",
      "a?b",
      "ERROR %re%",
      "h\xc3\xa9llo",
      // Regex.
      "%abc",
      "%",
      "%%",
      "%a(b)%",
      "%a\\(b%",
      "%h\xc3\xa9llo%",
      "%something!%",
      "%a\\bc%",
      "%[z-a]%",
      "%a{2,1}%",
      "%x\\%",
      "%a%b%",
      "%'quote'%",
      "%a\tb%",
      // JSON.
      "{",
      "{ }",
      "{ $.a }",
      "{ $.a = }",
      "{ a = 1 }",
      "{ $ = 1 }",
      "{ $. = 1 }",
      "{ $.a[x] = 1 }",
      "{ $.a[0 = 1 }",
      "{ $.a[-1] = 1 }",
      "{ $.a[1234567890] = 1 }",
      "{ $.a > \"5\" }",
      "{ $.a > abc }",
      "{ $.a >= 4* }",
      "{ $.a < %re% }",
      "{ ($.a = 1 }",
      "{ $.a = 1) }",
      "{ $.a = 1 && }",
      "{ $.a = 1 || || $.b = 2 }",
      "{ $.a IS }",
      "{ $.a IS MAYBE }",
      "{ $.a NOT }",
      "{ $.a NOT THERE }",
      "{ $.a = \"x }",
      "{ $.a = %x% && $.b = %y% && $.c = %z% }",
      "{ $.a = %a(b% }",
      "{ $.a = %open }",
      "{ $.a = 1 } }",
      "{ $.a = 1 $.b = 2 }",
      "{ $.a == 1 }",
      "{ $.a ~ 1 }",
      "{ $.a! = 1 }",
      "{ $.a = 1 } x",
      // Space-delimited.
      "[",
      "[]",
      "[ ]",
      "[a,]",
      "[,a]",
      "[a b]",
      "[..., ...]",
      "[a, b = ]",
      "[a = 1 || b = 2]",
      "[a > x]",
      "[a = \"x]",
      "[a, ....]",
      "[a = %x(%]",
      "[a = %x%, b = %y%, c = %z%]",
      "[a, b] x",
      "[(a = 1]",
      "[a = 1))]",
      "[a == 1]",
  };
  for (const std::string& pattern : bad) {
    SCOPED_TRACE("pattern: " + pattern);
    auto p = FilterPattern::Parse(pattern);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(p.status().resource(), Resource::kNone);
    EXPECT_EQ(p.status().message().rfind("Invalid filter pattern", 0), 0u) << p.status().message();
  }
}

TEST(FilterPattern, ErrorMessages) {
  auto message = [](std::string_view pattern) {
    auto p = FilterPattern::Parse(pattern);
    return p.ok() ? std::string("ok") : p.status().message();
  };
  EXPECT_EQ(message("ERROR a.b"), "Invalid filter pattern: Invalid character(s) in term 'a.b'");
  EXPECT_EQ(message("-x!"), "Invalid filter pattern: Invalid character(s) in term '-x!'");
  EXPECT_EQ(message("%a(b)%"),
            "Invalid filter pattern: parentheses are not supported in regular expressions");
  EXPECT_EQ(message("{ $.a = %1% || $.b = %2% || $.c = %3% }"),
            "Invalid filter pattern: at most 2 regular expressions are allowed in a filter "
            "pattern");
  EXPECT_EQ(message("{ $.latency > fast }"),
            "Invalid filter pattern: '>' needs a number, not 'fast'");
  EXPECT_EQ(message("{ $.a = 1 $.b = 2 }"),
            "Invalid filter pattern: unexpected '$' at character 11 (expected &&, || or the "
            "closing '}')");
  EXPECT_EQ(message("\"abc"),
            "Invalid filter pattern: unterminated quoted string starting at character 1");
}

TEST(FilterPattern, Limits) {
  EXPECT_TRUE(FilterPattern::Parse(std::string(1024, 'a')).ok());
  EXPECT_FALSE(FilterPattern::Parse(std::string(1025, 'a')).ok());
  // CloudWatch counts characters, not bytes.
  std::string accents = "\"";
  for (int i = 0; i < 1022; ++i) accents += "\xc3\xa9";
  accents += "\"";
  EXPECT_TRUE(FilterPattern::Parse(accents).ok());
  EXPECT_FALSE(FilterPattern::Parse("\"\xc3\xa9" + accents).ok());

  // At most 64 nested parentheses.
  auto nested = [](int depth) {
    return "{ " + std::string(depth, '(') + "$.a = 1" + std::string(depth, ')') + " }";
  };
  auto ok = FilterPattern::Parse(nested(64));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE((*ok)->Matches(R"({"a":1})"));
  EXPECT_FALSE(FilterPattern::Parse(nested(65)).ok());
  EXPECT_FALSE(FilterPattern::Parse(nested(500)).ok());

  // Two regexes are fine, standalone or embedded.
  EXPECT_TRUE(FilterPattern::Parse("{ $.a = %x% || $.b = %y% }").ok());
  EXPECT_TRUE(FilterPattern::Parse("[a = %x%, b = %y%]").ok());

  // Messages nesting deeper than 64 never match (and never crash).
  auto json = FilterPattern::Parse("{ $.b NOT EXISTS }");
  ASSERT_TRUE(json.ok());
  auto deep = [](int depth) {
    return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_TRUE((*json)->Matches(deep(64)));
  EXPECT_FALSE((*json)->Matches(deep(65)));
  EXPECT_FALSE((*json)->Matches(deep(100000)));
  EXPECT_FALSE((*json)->Matches("{\"a\":\"\xff\xfe\"}"));  // invalid UTF-8
  EXPECT_FALSE((*json)->Matches(std::string("{\"a\":1}\0", 8)));

  // Many fields, and `...` with many trailing fields.
  std::string fields = "[";
  std::string line;
  for (int i = 0; i < 40; ++i) {
    fields += (i ? ", f" : "f") + std::to_string(i);
    line += (i ? " " : "") + std::to_string(i);
  }
  auto many = FilterPattern::Parse(fields + "]");
  ASSERT_TRUE(many.ok());
  EXPECT_TRUE((*many)->Matches(line));
  auto tail = FilterPattern::Parse("[..., " + fields.substr(1) + "]");
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE((*tail)->Matches("x y " + line));
  EXPECT_FALSE((*tail)->Matches("0 1 2"));
}

TEST(FilterPattern, SharedAcrossThreads) {
  auto p = FilterPattern::Parse("{ $.level = ERROR && $.code > 499 }");
  ASSERT_TRUE(p.ok());
  std::shared_ptr<const FilterPattern> pattern = *p;
  std::vector<std::thread> threads;
  std::vector<int> hits(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        hits[t] += pattern->Matches("{\"level\":\"ERROR\",\"code\":" + std::to_string(i) + "}");
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int h : hits) EXPECT_EQ(h, 1500);
}

// Garbage patterns and messages: Parse either succeeds or returns InvalidArgument, and
// Matches never crashes.
TEST(FilterPattern, Robustness) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> pieces = {
      "{",
      "}",
      "[",
      "]",
      "(",
      ")",
      "$.a",
      "$.b[0]",
      "$.c[1][2]",
      ".",
      "=",
      "!=",
      "<",
      ">=",
      "&&",
      "||",
      "\"",
      "\\",
      "%",
      "*",
      "...",
      ",",
      " ",
      "  ",
      "?",
      "-",
      "IS",
      "NULL",
      "NOT",
      "EXISTS",
      "TRUE",
      "a",
      "ERROR",
      "1",
      "-2.5",
      "1e5",
      "1e999",
      "\xc3\xa9",
      "\xff",
      "\t",
      std::string(1, '\0'),
      "[0-9]{3}",
      "\\d",
      "x*y",
      "\"q w\"",
      "%ab%",
      "e+",
  };
  std::vector<std::string> patterns;
  for (const Case& c : Cases()) patterns.push_back(c.pattern);
  const size_t seeds = patterns.size();
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  for (int i = 0; i < 4000; ++i) {  // random token soup, with and without the outer braces
    std::string p;
    const size_t len = pick(20);
    for (size_t j = 0; j < len; ++j) p += pieces[pick(pieces.size())];
    switch (pick(4)) {
      case 0:
        p = "{" + p + "}";
        break;
      case 1:
        p = "[" + p + "]";
        break;
      case 2:
        p = "%" + p + "%";
        break;
      default:
        break;
    }
    patterns.push_back(std::move(p));
  }
  for (int i = 0; i < 6000; ++i) {  // mutations of the valid patterns
    std::string p = patterns[pick(seeds)];
    const size_t edits = 1 + pick(4);
    for (size_t e = 0; e < edits; ++e) {
      const size_t at = p.empty() ? 0 : pick(p.size() + 1);
      switch (pick(3)) {
        case 0:
          p.insert(at, pieces[pick(pieces.size())]);
          break;
        case 1:
          if (at < p.size()) p.erase(at, 1 + pick(3));
          break;
        default:
          if (at < p.size()) p[at] = static_cast<char>(rng());
          break;
      }
    }
    patterns.push_back(std::move(p));
  }

  std::vector<std::string> messages;
  for (const Case& c : Cases()) messages.push_back(c.message);
  messages.push_back(std::string(300, '{'));
  messages.push_back(std::string(300, '['));
  messages.push_back("{\"a\":" + std::string(70, '[') + "1" + std::string(70, ']') + "}");
  messages.push_back("\"unterminated");
  messages.push_back("[unterminated");
  messages.push_back("a \"b\\");
  for (int i = 0; i < 300; ++i) {
    std::string m;
    const size_t len = pick(120);
    for (size_t j = 0; j < len; ++j) {
      m += pick(3) == 0 ? pieces[pick(pieces.size())] : std::string(1, static_cast<char>(rng()));
    }
    messages.push_back(std::move(m));
    std::string json = kEvent;  // a damaged copy of the JSON event
    for (int e = 0; e < 3; ++e) json[pick(json.size())] = static_cast<char>(rng());
    messages.push_back(std::move(json));
  }

  int parsed = 0;
  for (const std::string& pattern : patterns) {
    auto p = FilterPattern::Parse(pattern);
    if (!p.ok()) {
      ASSERT_EQ(p.status().code(), Code::kInvalidArgument) << pattern;
      ASSERT_EQ(p.status().message().rfind("Invalid filter pattern", 0), 0u) << pattern;
      continue;
    }
    ++parsed;
    for (size_t m = 0; m < messages.size(); m += 1 + pick(7)) (void)(*p)->Matches(messages[m]);
  }
  EXPECT_GT(parsed, 500);
}

}  // namespace
}  // namespace berth::logs
