#include "events/event_pattern.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace berth::events {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

const fs::path kCorpus = fs::path(BERTH_SHARED_DIR) / "conformance" / "eventbridge-patterns";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Python's json.dumps() with its defaults (", " and ": " separators, ensure_ascii): the text
// LocalStack sent to AWS when it recorded the corpus, and so the "Source" of AWS's messages.
void PyString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xF0) {
      cp = c & 0x07, len = 4;
    } else if (c >= 0xE0) {
      cp = c & 0x0F, len = 3;
    } else if (c >= 0xC0) {
      cp = c & 0x1F, len = 2;
    }
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += len;
    char buf[16];
    switch (cp) {
      case '"':
        *out += "\\\"";
        continue;
      case '\\':
        *out += "\\\\";
        continue;
      case '\n':
        *out += "\\n";
        continue;
      case '\r':
        *out += "\\r";
        continue;
      case '\t':
        *out += "\\t";
        continue;
      case '\b':
        *out += "\\b";
        continue;
      case '\f':
        *out += "\\f";
        continue;
      default:
        break;
    }
    if (cp >= 0x20 && cp < 0x7F) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x10000) {
      snprintf(buf, sizeof(buf), "\\u%04x", cp);
      *out += buf;
    } else {
      uint32_t v = cp - 0x10000;
      snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      *out += buf;
    }
  }
  out->push_back('"');
}

void PyDump(const ordered_json& j, std::string* out) {
  switch (j.type()) {
    case ordered_json::value_t::object: {
      *out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) *out += ", ";
        first = false;
        PyString(it.key(), out);
        *out += ": ";
        PyDump(it.value(), out);
      }
      *out += '}';
      break;
    }
    case ordered_json::value_t::array: {
      *out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i > 0) *out += ", ";
        PyDump(j[i], out);
      }
      *out += ']';
      break;
    }
    case ordered_json::value_t::string:
      PyString(j.get<std::string>(), out);
      break;
    case ordered_json::value_t::boolean:
      *out += j.get<bool>() ? "true" : "false";
      break;
    case ordered_json::value_t::null:
      *out += "null";
      break;
    default:
      *out += j.dump();
      break;
  }
}

std::string PyDumps(const ordered_json& j) {
  std::string out;
  PyDump(j, &out);
  return out;
}

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s->find(from, pos)) != std::string::npos; pos += to.size()) {
    s->replace(pos, from.size(), to);
  }
}

struct Case {
  std::string name;
  fs::path file;
};

std::vector<Case> ListCases() {
  std::vector<Case> cases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kCorpus / "cases", ec)) {
    std::string stem = entry.path().stem().string();
    if (entry.path().extension() != ".json" || stem.rfind("complex_multi_key_event", 0) == 0) {
      continue;
    }
    cases.push_back({stem, entry.path()});
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// AWS's recorded MessageRaw for an _EXC case.
std::string SnapshotMessage(const std::string& name) {
  static const nlohmann::json snapshot =
      nlohmann::json::parse(ReadFile(kCorpus / "test_events_patterns.snapshot.json"));
  const std::string key =
      "tests/aws/services/events/test_events_patterns.py::TestEventPattern::test_event_pattern[" +
      name + "]";
  return snapshot.at(key)
      .at("recorded-content")
      .at(name)
      .at("exception_message")
      .at("Error")
      .at("MessageRaw");
}

TEST(EventPatternConformanceTest, CorpusIsPresent) {
  ASSERT_TRUE(fs::is_directory(kCorpus / "cases")) << (kCorpus / "cases");
  EXPECT_EQ(ListCases().size(), 155u);
  EXPECT_TRUE(fs::exists(kCorpus / "cases" / "complex_multi_key_event.json"));
  EXPECT_TRUE(fs::exists(kCorpus / "test_events_patterns.snapshot.json"));
}

class EventPatternCorpusTest : public testing::TestWithParam<Case> {};

TEST_P(EventPatternCorpusTest, MatchesAws) {
  const Case& c = GetParam();
  ordered_json doc = ordered_json::parse(ReadFile(c.file));
  const std::string pattern = PyDumps(doc.at("EventPattern"));
  const std::string event = PyDumps(doc.at("Event"));
  Result<EventPattern> compiled = EventPattern::Compile(pattern);
  if (EndsWith(c.name, "_EXC")) {
    ASSERT_FALSE(compiled.ok()) << pattern;
    EXPECT_EQ(compiled.status().code(), Code::kInvalidArgument);
    // LocalStack's snapshot redacts the partition and region; so do we.
    std::string message = compiled.status().message();
    ReplaceAll(&message, "arn:aws:", "arn:<partition>:");
    ReplaceAll(&message, "us-east-1", "<region>");
    EXPECT_EQ(message, SnapshotMessage(c.name));
    return;
  }
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  const bool expected = !EndsWith(c.name, "_NEG");
  EXPECT_EQ(compiled->Matches(std::string_view(event)), expected) << pattern << "\n" << event;
  EXPECT_EQ(compiled->Matches(nlohmann::json::parse(event)), expected);
  Result<FlatEvent> flat = FlatEvent::Parse(event);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(compiled->Matches(*flat), expected);
}

std::string CaseName(const testing::TestParamInfo<Case>& info) {
  std::string name = info.param.name;
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, EventPatternCorpusTest, testing::ValuesIn(ListCases()), CaseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EventPatternCorpusTest);

TEST(EventPatternConformanceTest, ComplexMultiKeyEvent) {
  ordered_json event =
      ordered_json::parse(ReadFile(kCorpus / "cases/complex_multi_key_event.json"));
  ordered_json pattern =
      ordered_json::parse(ReadFile(kCorpus / "cases/complex_multi_key_event_pattern.json"));
  Result<EventPattern> compiled = EventPattern::Compile(PyDumps(pattern));
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  EXPECT_TRUE(compiled->Matches(PyDumps(event)));
}

// ---- focused cases the corpus misses --------------------------------------------------------

EventPattern MustCompile(const std::string& pattern) {
  Result<EventPattern> p = EventPattern::Compile(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().message();
  return p.ok() ? std::move(p).value() : EventPattern::Compile(R"({"x":["never"]})").value();
}

std::string CompileError(const std::string& pattern) {
  Result<EventPattern> p = EventPattern::Compile(pattern);
  EXPECT_FALSE(p.ok()) << pattern;
  return p.ok() ? "" : p.status().message();
}

// The reason alone: without "Event pattern is not valid. Reason: " and the location.
std::string Reason(const std::string& pattern) {
  std::string message = CompileError(pattern);
  const std::string prefix = "Event pattern is not valid. Reason: ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
  message.erase(0, std::min(message.size(), prefix.size()));
  return message.substr(0, message.find("\n at [Source: "));
}

TEST(EventPatternTest, NumericEdges) {
  EventPattern range = MustCompile(R"({"n":[{"numeric":[">",0,"<=",5]}]})");
  EXPECT_FALSE(range.Matches(R"({"n":0})"));
  EXPECT_TRUE(range.Matches(R"({"n":0.000001})"));
  EXPECT_TRUE(range.Matches(R"({"n":5})"));
  EXPECT_TRUE(range.Matches(R"({"n":5.000000})"));
  EXPECT_FALSE(range.Matches(R"({"n":5.000001})"));
  EXPECT_FALSE(range.Matches(R"({"n":"3"})"));
  EXPECT_FALSE(range.Matches(R"({"n":0.0000001})"));  // 7 decimals: not comparable
  EXPECT_TRUE(range.Matches(R"({"n":[9,3]})"));       // any element

  EventPattern top = MustCompile(R"({"n":[{"numeric":["<=",5e9]}]})");
  EXPECT_TRUE(top.Matches(R"({"n":5000000000})"));
  EXPECT_TRUE(top.Matches(R"({"n":-5e9})"));
  EXPECT_FALSE(top.Matches(R"({"n":-5000000001})"));  // outside ±5e9: only literal matching

  EventPattern exact = MustCompile(R"({"n":[300]})");
  EXPECT_TRUE(exact.Matches(R"({"n":300.0})"));
  EXPECT_TRUE(exact.Matches(R"({"n":3.0e2})"));
  EXPECT_FALSE(exact.Matches(R"({"n":"300"})"));
  // Account ids are beyond ±5e9: compared as written.
  EventPattern account = MustCompile(R"({"account":[123456789012]})");
  EXPECT_TRUE(account.Matches(R"({"account":123456789012})"));
  EXPECT_FALSE(account.Matches(R"({"account":123456789012.0})"));

  const std::string prefix = "Event pattern is not valid. Reason: ";
  EXPECT_EQ(CompileError(R"({"n":[{"numeric":["=",1.1234567]}]})"),
            prefix + "Only values upto 6 decimals are supported\n at [Source: (String)\"" +
                R"({"n":[{"numeric":["=",1.1234567]}]})" + "\"; line: 1, column: 33]");
  EXPECT_EQ(CompileError(R"({"n":[{"numeric":[">",1e30]}]})"), prefix + "Overflow");
  EXPECT_EQ(CompileError(R"({"n":[{"anything-but":6e9}]})"),
            prefix + "Value must be between -5.0E9 and 5.0E9, inclusive");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":[">",5,"<",5]}]})"), "Bottom must be less than top");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":["!=",5]}]})"), "Unrecognized numeric range operator: !=");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":["<",1,">",0]}]})"),
            "Too many elements in numeric expression");
}

TEST(EventPatternTest, CidrAndIpAddresses) {
  EventPattern v6 = MustCompile(R"({"ip":[{"cidr":"2001:db8::/32"}]})");
  EXPECT_TRUE(v6.Matches(R"({"ip":"2001:db8:ffff:ffff::1"})"));
  EXPECT_TRUE(v6.Matches(R"({"ip":"2001:0DB8::"})"));
  EXPECT_FALSE(v6.Matches(R"({"ip":"2001:db9::"})"));
  EXPECT_FALSE(v6.Matches(R"({"ip":"10.0.0.1"})"));
  EXPECT_FALSE(v6.Matches(R"({"ip":"not an ip"})"));

  EventPattern v4 = MustCompile(R"({"ip":[{"cidr":"10.0.0.5/24"}]})");  // host bits masked
  EXPECT_TRUE(v4.Matches(R"({"ip":"10.0.0.1"})"));
  EXPECT_TRUE(v4.Matches(R"({"ip":"::ffff:a00:1"})"));  // IPv4-mapped is IPv4 (as in Java)
  EXPECT_FALSE(v4.Matches(R"({"ip":"10.0.1.0"})"));

  // An exact string that is an IP matches every spelling of that address.
  EventPattern exact = MustCompile(R"({"ip":["2001:db8::1"]})");
  EXPECT_TRUE(exact.Matches(R"({"ip":"2001:0db8:0:0:0:0:0:1"})"));
  EXPECT_FALSE(exact.Matches(R"({"ip":"2001:db8::2"})"));

  const std::string prefix = "Event pattern is not valid. Reason: ";
  EXPECT_EQ(CompileError(R"({"ip":[{"cidr":"10.0.0.0/32"}]})"),
            prefix + "IPv4 mask bits must be < 32");
  EXPECT_EQ(CompileError(R"({"ip":[{"cidr":"::/128"}]})"), prefix + "IPv6 mask bits must be < 128");
  EXPECT_EQ(CompileError(R"({"ip":[{"cidr":"10.0.0.0/-1"}]})"),
            prefix + "Malformed CIDR, mask bits must not be negative");
  EXPECT_EQ(CompileError(R"({"ip":[{"cidr":"10.0.0.300/8"}]})"),
            prefix + "Invalid IP address: 10.0.0.300");
}

TEST(EventPatternTest, Wildcards) {
  EventPattern w = MustCompile(R"({"f":[{"wildcard":"*/lib/*.jar"}]})");
  EXPECT_TRUE(w.Matches(R"({"f":"/usr/lib/x/y.jar"})"));
  EXPECT_TRUE(w.Matches(R"({"f":"/lib/.jar"})"));
  EXPECT_FALSE(w.Matches(R"({"f":"/usr/lib/y.jar.bak"})"));
  EXPECT_FALSE(w.Matches(R"({"f":1})"));
  EventPattern escaped = MustCompile(R"({"f":[{"wildcard":"a\\*b*"}]})");
  EXPECT_TRUE(escaped.Matches(R"({"f":"a*bcd"})"));
  EXPECT_FALSE(escaped.Matches(R"({"f":"axbcd"})"));
  EventPattern no_star = MustCompile(R"({"f":[{"wildcard":"abc"}]})");
  EXPECT_TRUE(no_star.Matches(R"({"f":"abc"})"));
  EXPECT_FALSE(no_star.Matches(R"({"f":"abcd"})"));

  EXPECT_EQ(Reason(R"({"f":[{"wildcard":"a\\x"}]})"), "Invalid escape character at pos 2");
  EXPECT_EQ(Reason(R"({"f":[{"wildcard":"ab**"}]})"), "Consecutive wildcard characters at pos 3");
  // Complexity: the recorded examples sit on either side of the limit.
  CompileError(R"({"f":[{"wildcard":"*:*:*:*:*:event-bus/*"}]})");
  MustCompile(R"({"f":[{"wildcard":"/Users/*/dir/dir/dir/dir/dir/doc.txt"}]})");
  // The wildcards of one field add up.
  MustCompile(R"({"f":[{"wildcard":"*:stack/A/*"},{"wildcard":"*:stack/B/*"},)"
              R"({"wildcard":"*:stack/C/*"}]})");
  CompileError(R"({"f":[{"wildcard":"*:stack/A/*"},{"wildcard":"*:stack/B/*"},)"
               R"({"wildcard":"*:stack/C/*"},{"wildcard":"*:stack/D/*"}]})");
}

TEST(EventPatternTest, AnythingButForms) {
  EventPattern wildcard = MustCompile(R"({"f":[{"anything-but":{"wildcard":"*/lib/*"}}]})");
  EXPECT_TRUE(wildcard.Matches(R"({"f":"/usr/bin/x"})"));
  EXPECT_FALSE(wildcard.Matches(R"({"f":"/usr/lib/x"})"));
  EXPECT_TRUE(wildcard.Matches(R"({"f":5})"));                        // other types qualify
  EXPECT_FALSE(wildcard.Matches(R"({"g":"x"})"));                     // the field must be present
  EXPECT_TRUE(wildcard.Matches(R"({"f":["/usr/lib/x","/bin/y"]})"));  // each element counts

  EventPattern list = MustCompile(R"({"f":[{"anything-but":{"wildcard":["*.txt","*.md"]}}]})");
  EXPECT_FALSE(list.Matches(R"({"f":"a.md"})"));
  EXPECT_TRUE(list.Matches(R"({"f":"a.png"})"));

  EventPattern numbers = MustCompile(R"({"n":[{"anything-but":[1,2]}]})");
  EXPECT_FALSE(numbers.Matches(R"({"n":1.0})"));
  EXPECT_TRUE(numbers.Matches(R"({"n":"1"})"));
  EXPECT_TRUE(numbers.Matches(R"({"n":null})"));

  EventPattern ci = MustCompile(R"({"s":[{"anything-but":{"equals-ignore-case":["Été","x"]}}]})");
  EXPECT_FALSE(ci.Matches(R"({"s":"éTÉ"})"));
  EXPECT_TRUE(ci.Matches(R"({"s":"ete"})"));

  EXPECT_EQ(Reason(R"({"f":[{"anything-but":[]}]})"),
            "Inside anything but list, either all values are number or string, mixed type is "
            "not supported");
  EXPECT_EQ(Reason(R"({"f":[{"anything-but":{"wildcard":"a**"}}]})"),
            "Consecutive wildcard characters at pos 2");
  EXPECT_EQ(Reason(R"({"f":[{"anything-but":{"regex":"x"}}]})"),
            "Unsupported anything-but pattern: regex");
}

TEST(EventPatternTest, OrNesting) {
  EventPattern p =
      MustCompile(R"({"source":["a"],"$or":[{"x":[1]},{"$or":[{"y":[2]},{"detail":{"z":[3]}}]}],)"
                  R"("k":["v"]})");
  EXPECT_EQ(p.branch_count(), 3u);
  EXPECT_TRUE(p.Matches(R"({"source":"a","detail":{"z":3},"k":"v"})"));
  EXPECT_TRUE(p.Matches(R"({"source":"a","x":1,"k":"v"})"));
  EXPECT_FALSE(p.Matches(R"({"source":"a","detail":{"z":3}})"));  // "k" is AND-ed to all
  EXPECT_FALSE(p.Matches(R"({"source":"b","y":2,"k":"v"})"));

  EXPECT_EQ(Reason(R"({"$or":{"a":[1]}})"), "It must be an Array followed with $or.");
  EXPECT_EQ(Reason(R"({"$or":[{"a":[1]}]})"),
            "There must have at least 2 Objects in $or relationship.");
  EXPECT_EQ(Reason(R"({"$or":[{"a":[1]},{"prefix":["x"]}]})"),
            "prefix is Ruler reserved fieldName which cannot be used inside $or.");
  // Exponential $or expansion is bounded.
  std::string many = "{";
  for (int i = 0; i < 13; ++i) {
    many += "\"$or\":[{\"a" + std::to_string(i) + "\":[1]},{\"b" + std::to_string(i) + "\":[1]}],";
  }
  many += "\"c\":[1]}";
  CompileError(many);
}

TEST(EventPatternTest, ArraysExistsAndNull) {
  EventPattern p = MustCompile(R"({"d":{"a":[1],"b":[2]}})");
  EXPECT_FALSE(p.Matches(R"({"d":[{"a":1},{"b":2}]})"));  // array consistency
  EXPECT_TRUE(p.Matches(R"({"d":[{"a":1},{"a":1,"b":2}]})"));
  EXPECT_TRUE(p.Matches(R"({"d":{"a":[0,1],"b":[2]}})"));  // primitive arrays: any element

  EventPattern absent = MustCompile(R"({"k":[{"exists":false}]})");
  EXPECT_TRUE(absent.Matches(R"({"x":1})"));
  EXPECT_TRUE(absent.Matches(R"({"k":[]})"));       // an empty array has no leaves
  EXPECT_TRUE(absent.Matches(R"({"k":{"a":1}})"));  // an object is not a leaf
  EXPECT_FALSE(absent.Matches(R"({"k":null})"));    // null is present

  EventPattern null = MustCompile(R"({"k":[null]})");
  EXPECT_TRUE(null.Matches(R"({"k":null})"));
  EXPECT_FALSE(null.Matches(R"({"k":[]})"));
  EXPECT_FALSE(null.Matches(R"({"k":"null"})"));

  EventPattern dotted = MustCompile(R"({"detail":{"state.status":["x"]}})");
  EXPECT_TRUE(dotted.Matches(R"({"detail":{"state":{"status":"x"}}})"));
}

TEST(EventPatternTest, IgnoreCase) {
  EventPattern p = MustCompile(R"({"s":[{"equals-ignore-case":"Straße"}]})");
  EXPECT_TRUE(p.Matches(R"({"s":"STRASSE"})"));
  EXPECT_TRUE(p.Matches(R"({"s":"strASSe"})"));
  EXPECT_TRUE(p.Matches(R"({"s":"straße"})"));
  EXPECT_FALSE(p.Matches(R"({"s":"strasse!"})"));
  EventPattern prefix = MustCompile(R"({"s":[{"prefix":{"equals-ignore-case":"ÉV"}}]})");
  EXPECT_TRUE(prefix.Matches(R"({"s":"évent"})"));
  EventPattern suffix = MustCompile(R"({"s":[{"suffix":{"equals-ignore-case":".PNG"}}]})");
  EXPECT_TRUE(suffix.Matches(R"({"s":"a.png"})"));
  EXPECT_FALSE(suffix.Matches(R"({"s":"a.pn"})"));
}

TEST(EventPatternTest, JacksonErrors) {
  const std::string prefix = "Event pattern is not valid. Reason: ";
  EXPECT_EQ(CompileError(R"({"a": [1,]})"),
            prefix +
                "Unexpected character (']' (code 93)): expected a valid value (JSON String, "
                "Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: "
                "(String)\"{\"a\": [1,]}\"; line: 1, column: 10]");
  EXPECT_EQ(Reason("[]"), "Filter is not an object");
  EXPECT_EQ(Reason(R"({"a": {}})"), "Empty objects are not allowed");
  EXPECT_EQ(Reason(R"({"a": [tru]})"),
            "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or "
            "token 'null', 'true' or 'false')");
  EXPECT_EQ(Reason("{\"a\":\n[\"x\""),
            "Unexpected end-of-input: expected close marker for Array (start marker at [Source: "
            "(String)\"{\"a\":\n[\"x\"\"; line: 2, column: 1])");
  // Deep nesting is refused, not recursed into.
  std::string deep(5000, '[');
  CompileError("{\"a\":" + deep);
  std::string deep_objects;
  for (int i = 0; i < 2000; ++i) deep_objects += "{\"a\":";
  CompileError(deep_objects);
}

// aws/event-ruler's JsonRuleCompilerTest: patterns it accepts and rejects, and two exact
// messages of Jackson-level errors.
TEST(EventPatternTest, RulerCompilerVectors) {
  const char* const good[] = {
      R"({"a": [ { "suffix": "child" } ] })",
      R"({"a": [ { "anything-but": "child" } ] })",
      R"({"a": [ { "anything-but": ["child0","child1","child2"] } ] })",
      R"({"a": [ { "anything-but": [111,222,333] } ] })",
      R"({"a": [ { "anything-but": "child0" } ] })",
      R"({"a": [ { "anything-but": 111 } ] })",
      R"({"a": [ { "anything-but": { "prefix": "foo" } } ] })",
      R"({"a": [ { "anything-but": { "prefix": ["abc", "123"] } } ] })",
      R"({"a": [ { "anything-but": { "suffix": "foo" } } ] })",
      R"({"a": [ { "anything-but": { "suffix": ["abc", "123"] } } ] })",
      R"({"a": [ { "anything-but": {"equals-ignore-case": "rule" } } ] })",
      R"({"a": [ { "anything-but": {"equals-ignore-case": "" } } ] })",
      R"({"a": [ { "anything-but": {"equals-ignore-case": ["abc", "123"] } } ] })",
      R"({"a": [ { "anything-but": {"equals-ignore-case": ["abc", ""] } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": "foo*bar" } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": "" } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": ["foo*bar", "*foobar*"] } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": ["foo*bar", ""] } } ] })",
      R"({"a": [ { "exactly": "child" } ] })",
      R"({"a": [ { "exists": true } ] })",
      R"({"a": [ { "exists": false } ] })",
      R"({"a": [ { "cidr": "10.0.0.0/8" } ] })",
      R"({"a": [ { "equals-ignore-case": "abc" } ] })",
      R"({"a": [ { "wildcard": "a*b*c" } ] })",
  };
  for (const char* p : good) MustCompile(p);
  const char* const bad[] = {
      R"({"a": [ { "exactly": 33 } ] })",
      R"({"a": [ { "prefix": "child", "foo": [] } ] })",
      R"({"a": [ { "prefix": 3 } ] })",
      R"({"a": [ { "prefix": [1, 2 3] } ] })",
      R"({"a": [ { "suffix": "child", "foo": [] } ] })",
      R"({"a": [ { "suffix": 3 } ] })",
      R"({"a": [ { "suffix": [1, 2 3] } ] })",
      R"({"a": [ { "foo": "child" } ] })",
      R"({"a": [ { "cidr": "foo" } ] })",
      R"({"a": [ { "anything-but": "child", "foo": [] } ] })",
      R"({"a": [ { "anything-but": [1, 2 3] } ] })",
      R"({"a": [ { "anything-but": "child", "foo": [] } ] })",
      R"({"a": [ { "anything-but": ["child0",111,"child2"] } ] })",
      R"({"a": [ { "anything-but": [1, 2 3] } ] })",
      R"({"a": [ { "anything-but": { "foo": 3 } ] })",
      R"({"a": [ { "anything-but": { "prefix": 27 } } ] })",
      R"({"a": [ { "anything-but": { "prefix": "" } } ] })",
      R"({"a": [ { "anything-but": { "prefix": "foo", "a":1 } } ] })",
      R"({"a": [ { "anything-but": { "prefix": "foo" }, "x": 1 } ] })",
      R"({"a": [ { "anything-but": { "prefix": ["1", "2" "3"] } } ] })",
      R"({"a": [ { "anything-but": { "prefix": ["1", ""] } } ] })",
      R"({"a": [ { "anything-but": { "prefix": [1, 2, 3] } } ] })",
      R"({"a": [ { "anything-but": { "prefix": ["1", "2" } } ] })",
      R"({"a": [ { "anything-but": { "prefix": ["1", "2" ] } ] })",
      R"({"a": [ { "anything-but": { "suffix": 27 } } ] })",
      R"({"a": [ { "anything-but": { "suffix": "" } } ] })",
      R"({"a": [ { "anything-but": { "suffix": "foo", "a":1 } } ] })",
      R"({"a": [ { "anything-but": { "suffix": "foo" }, "x": 1 } ] })",
      R"({"a": [ { "anything-but": { "suffix": ["1", "2" "3"] } } ] })",
      R"({"a": [ { "anything-but": { "suffix": ["1", ""] } } ] })",
      R"({"a": [ { "anything-but": { "suffix": [1, 2, 3] } } ] })",
      R"({"a": [ { "anything-but": { "suffix": ["1", "2" } } ] })",
      R"({"a": [ { "anything-but": { "suffix": ["1", "2" ] } ] })",
      R"({"a": [ { "anything-but": { "equals-ignore-case": ["1", "2" "3"] } } ] })",
      R"({"a": [ { "anything-but": { "equals-ignore-case": [1, 2, 3] } } ] })",
      R"({"a": [ { "anything-but": { "equals-ignore-case": ["1", "2" } } ] })",
      R"({"a": [ { "anything-but": { "equals-ignore-case": ["1", "2" ] } ] })",
      R"({"a": [ { "anything-but": { "wildcard": 27 } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": "foo", "a":1 } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": "foo" }, "x": 1 } ] })",
      R"({"a": [ { "anything-but": { "wildcard": "foo**bar" } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": "foo*bar\" } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": ["1", "2" "3"] } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": ["1", "foo**bar"] } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": ["1", "foo*bar\"] } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": [1, 2, 3] } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": ["1", "2" } } ] })",
      R"({"a": [ { "anything-but": { "wildcard": ["1", "2" ] } ] })",
      R"({"a": [ { "equals-ignore-case": 5 } ] })",
      R"({"a": [ { "equals-ignore-case": [ "abc" ] } ] })",
      R"({"a": [ { "prefix": { "invalid-expression": [ "abc" ] } } ] })",
      R"({"a": [ { "prefix": { "equals-ignore-case": 5 } } ] })",
      R"({"a": [ { "prefix": { "equals-ignore-case": [ "abc" ] } } ] })",
      R"({"a": [ { "prefix": { "equals-ignore-case": "abc", "test": "def" } } ] })",
      R"({"a": [ { "prefix": { "equals-ignore-case": "abc" }, "test": "def" } ] })",
      R"({"a": [ { "prefix": { "equals-ignore-case": [ 1, 2 3 ] } } ] })",
      R"({"a": [ { "suffix": { "invalid-expression": [ "abc" ] } } ] })",
      R"({"a": [ { "suffix": { "equals-ignore-case": 5 } } ] })",
      R"({"a": [ { "suffix": { "equals-ignore-case": [ "abc" ] } } ] })",
      R"({"a": [ { "suffix": { "equals-ignore-case": "abc", "test": "def" } } ] })",
      R"({"a": [ { "suffix": { "equals-ignore-case": "abc" }, "test": "def" } ] })",
      R"({"a": [ { "suffix": { "equals-ignore-case": [ 1, 2 3 ] } } ] })",
      R"({"a": [ { "wildcard": 5 } ] })",
      R"({"a": [ { "wildcard": [ "abc" ] } ] })",
  };
  for (const char* p : bad) CompileError(p);
  EXPECT_EQ(CompileError(R"({"key": [{"wildcard": "abc**def"}]})"),
            "Event pattern is not valid. Reason: Consecutive wildcard characters at pos 4\n at "
            "[Source: (String)\"{\"key\": [{\"wildcard\": \"abc**def\"}]}\"; line: 1, column: 33]");
  EXPECT_EQ(CompileError(R"({"key": [{"wildcard": "a*c\def"}]})"),
            "Event pattern is not valid. Reason: Unrecognized character escape 'd' (code 100)\n at "
            "[Source: (String)\"{\"key\": [{\"wildcard\": \"a*c\\def\"}]}\"; line: 1, column: 28]");
}

TEST(EventPatternTest, ManyPatternsOneFlatEvent) {
  Result<FlatEvent> event = FlatEvent::Parse(
      R"({"source":"aws.ecs","detail-type":"ECS Task State Change",)"
      R"("detail":{"lastStatus":"STOPPED","containers":[{"name":"web","exitCode":1}]}})");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->leaf_count(), 5u);
  std::vector<EventPattern> rules;
  for (int i = 0; i < 100; ++i) {
    rules.push_back(MustCompile(R"({"source":["aws.ecs"],"detail":{"containers":{"exitCode":[)" +
                                std::to_string(i) + "]}}}"));
  }
  int matched = 0;
  for (const EventPattern& r : rules) matched += r.Matches(*event) ? 1 : 0;
  EXPECT_EQ(matched, 1);
  EXPECT_FALSE(FlatEvent::Parse("[1]").ok());
  EXPECT_FALSE(FlatEvent::Parse("{").ok());
  EXPECT_FALSE(rules[1].Matches("not json"));
}

}  // namespace
}  // namespace berth::events
