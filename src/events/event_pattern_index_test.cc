// The event-side fast paths: the one-pass JSON flattener (as strict as nlohmann's parser),
// PathFilter (flattening only what patterns look at changes no match), FlatEvent::FromEnvelope
// (the envelope text the bus delivers) and PatternIndex (the exact-string pre-filter finds
// exactly the patterns that match).
#include "events/event_pattern_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "events/event_pattern.h"

namespace berth::events {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

const fs::path kCorpus = fs::path(BERTH_SHARED_DIR) / "conformance" / "eventbridge-patterns";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The AWS-recorded corpus: (pattern, event) texts of the cases whose pattern compiles.
std::vector<std::pair<std::string, std::string>> CorpusCases() {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kCorpus / "cases", ec)) {
    if (entry.path().extension() != ".json") continue;
    ordered_json doc = ordered_json::parse(ReadFile(entry.path()), nullptr, false);
    if (!doc.is_object() || !doc.contains("EventPattern") || !doc.contains("Event")) continue;
    std::string pattern = doc["EventPattern"].dump();
    if (!EventPattern::Compile(pattern).ok()) continue;
    out.emplace_back(pattern, doc["Event"].dump());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool NlohmannObject(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return !j.is_discarded() && j.is_object();
}

// ---- the flattener's validation equals nlohmann's -----------------------------------------

TEST(FlatEventParseTest, AcceptsExactlyWhatNlohmannAccepts) {
  const std::vector<std::string> cases = {
      R"({})", R"( {} )", "\xEF\xBB\xBF{}", "{}\xEF\xBB\xBF", R"({"a":1})", R"({"a":[]})",
      R"({"a":[1,2,]})", R"({"a":1,})", R"({,})", R"({"a" 1})", R"({"a":01})", R"({"a":-0})",
      R"({"a":-})", R"({"a":1.})", R"({"a":.5})", R"({"a":1e})", R"({"a":1e+})", R"({"a":1E-2})",
      R"({"a":1e400})", R"({"a":-1e400})", R"({"a":1e-400})", R"({"a":tru})", R"({"a":truex})",
      R"({"a":nul})", R"({"a":"\u12"})", R"({"a":"\uD800"})", R"({"a":"\uD800\uDC00"})",
      R"({"a":"\uDC00"})", R"({"a":"\uD800\u0041"})", R"({"a":"\x"})", R"({"a":"\/\b\f\n\r\t"})",
      "{\"a\":\"\x01\"}", "{\"a\":\"\x7F\"}", "{\"a\":\"\xC3\xA9\"}", "{\"a\":\"\xC3\"}",
      "{\"a\":\"\xC0\xAF\"}", "{\"a\":\"\xED\xA0\x80\"}", "{\"a\":\"\xF4\x90\x80\x80\"}",
      "{\"a\":\"\xF0\x9F\x98\x80\"}", "{\"a\":\"\xE2\x82\"}", R"({"a":"x")", R"({"a")", R"([])",
      R"(1)", R"("x")", R"({} {})", R"({}x)", "{\"a\":1}\n", "{\t\"a\"\r:\n1 }",
      R"({"a":{"b":{}}})", R"({"a":[[[[1]]]]})", R"({"a":[{"b":1},{"b":2}]})", R"({"a":1 "b":2})",
      R"({"":""})", R"({"a":"b"]})", R"({"a":["b"}})", std::string("{\"a\":\"\0\"}", 9),
      R"({"a":"\u0000"})", R"({"a":123456789012345678901234567890})", "", " ", "{\"a\":1}\x00",
      // nlohmann's lexer ends its input at a NUL byte.
      std::string("{\"a\":1}\0junk", 11), std::string("{} \0 {", 7), std::string("{\0}", 3),
      std::string("\0{}", 3), std::string("{\"a\":1\0}", 8)};
  for (const std::string& c : cases) {
    EXPECT_EQ(FlatEvent::Parse(c).ok(), NlohmannObject(c)) << "input: " << c;
  }
}

TEST(FlatEventParseTest, MutatedDocumentsAgreeWithNlohmann) {
  std::vector<std::string> seeds;
  for (const auto& [pattern, event] : CorpusCases()) seeds.push_back(event);
  seeds.push_back(R"({"a":{"b":[1,-2.5e3,true,false,null,"\u00e9\ud83d\ude00\n"],"c":{}}})");
  ASSERT_GT(seeds.size(), 10u);
  const std::string alphabet = "{}[]:,\"\\ u0e+-.1tfn\t\n\xC3\xA9\xED\xA0\x80\xF0\x9F\x01";
  std::mt19937 rng(7);
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s.erase(at, 1 + rng() % 3);
          break;
        case 1:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          s[at] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    bool ours = FlatEvent::Parse(s).ok();
    ASSERT_EQ(ours, NlohmannObject(s)) << "input: " << s;
    accepted += ours ? 1 : 0;
  }
  EXPECT_GT(accepted, 1000);  // the mutations exercise both outcomes
}

// ---- PathFilter ---------------------------------------------------------------------------

TEST(PathFilterTest, FilteredEventsMatchLikeWholeOnes) {
  auto cases = CorpusCases();
  ASSERT_GT(cases.size(), 100u);
  PathFilter all;
  std::vector<EventPattern> patterns;
  for (const auto& [pattern, event] : cases) {
    patterns.push_back(EventPattern::Compile(pattern).value());
    all.Add(patterns.back());
  }
  int matches = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string& event = cases[i].second;
    Result<FlatEvent> whole = FlatEvent::Parse(event);
    ASSERT_TRUE(whole.ok()) << event;
    Result<FlatEvent> filtered = FlatEvent::Parse(event, &all);
    ASSERT_TRUE(filtered.ok());
    PathFilter own;
    own.Add(patterns[i]);
    Result<FlatEvent> own_only = FlatEvent::Parse(event, &own);
    ASSERT_TRUE(own_only.ok());
    EXPECT_LE(own_only->leaf_count(), filtered->leaf_count());
    EXPECT_LE(filtered->leaf_count(), whole->leaf_count());
    EXPECT_EQ(patterns[i].Matches(*own_only), patterns[i].Matches(*whole)) << cases[i].first << "\n"
                                                                           << event;
    for (const EventPattern& p : patterns) {
      bool m = p.Matches(*whole);
      EXPECT_EQ(p.Matches(*filtered), m);
      matches += m ? 1 : 0;
    }
  }
  EXPECT_GT(matches, 100);
}

TEST(PathFilterTest, DottedKeysAndArraysOfObjects) {
  PathFilter f;
  EventPattern p =
      EventPattern::Compile(R"({"detail":{"a.b":{"c":["x"]},"list":{"n":[2]}}})").value();
  EventPattern q = EventPattern::Compile(R"({"detail":{"list":{"n":[1],"m":["y"]}}})").value();
  f.Add(p);
  f.Add(q);
  for (const char* e : {R"({"detail":{"a":{"b.c":"x"},"list":[{"n":1,"m":"z"},{"n":2}]}})",
                        R"({"detail.a.b":{"c":"x"},"detail":{"list":[{"n":1,"m":"y"}]}})",
                        R"({"detail":{"a":{"b":{"c":["q","x"]}},"list":[{"n":[2,1]}],"z":1}})",
                        R"({"detail":{"list":[{"n":1},{"m":"y"}]},"other":{"a":[1,{"b":2}]}})"}) {
    Result<FlatEvent> whole = FlatEvent::Parse(e);
    Result<FlatEvent> filtered = FlatEvent::Parse(e, &f);
    ASSERT_TRUE(whole.ok() && filtered.ok()) << e;
    EXPECT_EQ(p.Matches(*filtered), p.Matches(*whole)) << e;
    EXPECT_EQ(q.Matches(*filtered), q.Matches(*whole)) << e;
  }
  // Leaves nobody asked for are not kept.
  Result<FlatEvent> filtered = FlatEvent::Parse(R"({"detail":{"z":1,"list":[{"n":1}]},"y":2})", &f);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->leaf_count(), 1u);
  PathFilter none;
  EXPECT_EQ(FlatEvent::Parse(R"({"a":1})", &none)->leaf_count(), 0u);
  EXPECT_FALSE(FlatEvent::Parse(R"({"a":[1,}})", &none).ok());  // still fully validated
}

// ---- FromEnvelope -------------------------------------------------------------------------

EventEnvelope Envelope(const std::vector<std::string>* resources) {
  EventEnvelope e;
  e.id = "6a7e8feb-b491-4cf7-a9f1-bf3703467718";
  e.detail_type = "Order \"Placed\"";
  e.source = "com.acme.orders";
  e.account = "123456789012";
  e.time = "2024-01-01T00:00:00Z";
  e.region = "us-east-1";
  e.resources = resources;
  return e;
}

TEST(FlatEventEnvelopeTest, TextIsAwsOrderedAndMinified) {
  std::vector<std::string> resources = {"arn:a", "arn:b"};
  std::string text;
  Result<FlatEvent> flat = FlatEvent::FromEnvelope(
      Envelope(&resources), " {\"b\": [1, 2.50, {\"c\": \"x y\\n\"}],\n \"a\": null} ", nullptr,
      &text);
  ASSERT_TRUE(flat.ok()) << flat.status().message();
  EXPECT_EQ(text,
            R"({"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718",)"
            R"("detail-type":"Order \"Placed\"","source":"com.acme.orders",)"
            R"("account":"123456789012","time":"2024-01-01T00:00:00Z","region":"us-east-1",)"
            R"("resources":["arn:a","arn:b"],"detail":{"b":[1,2.50,{"c":"x y\n"}],"a":null}})");
  EXPECT_EQ(flat->leaf_count(), 13u);
  // The flattened form is the text's.
  Result<FlatEvent> reparsed = FlatEvent::Parse(text);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed->leaf_count(), flat->leaf_count());
  for (const char* p : {R"({"resources":["arn:b"],"detail":{"b":{"c":["x y\n"]}}})",
                        R"({"detail-type":[{"prefix":"Order \""}],"detail":{"b":[2.5]}})",
                        R"({"detail":{"a":[null],"b":[{"numeric":[">",2]}]}})",
                        R"({"version":["0"],"id":[{"exists":true}],"detail":{"b":[3]}})"}) {
    EventPattern pattern = EventPattern::Compile(p).value();
    EXPECT_EQ(pattern.Matches(*flat), pattern.Matches(*reparsed)) << p;
    PathFilter f;
    f.Add(pattern);
    std::string text2;
    Result<FlatEvent> filtered = FlatEvent::FromEnvelope(
        Envelope(&resources), " {\"b\": [1, 2.50, {\"c\": \"x y\\n\"}],\n \"a\": null} ", &f,
        &text2);
    ASSERT_TRUE(filtered.ok());
    EXPECT_EQ(text2, text);
    EXPECT_EQ(pattern.Matches(*filtered), pattern.Matches(*reparsed)) << p;
  }
  EXPECT_EQ(EventPattern::Compile(R"({"detail":{"b":{"c":["x y\n"]}}})")->Matches(*flat), true);
}

TEST(FlatEventEnvelopeTest, DuplicateKeysKeepTheFirstPlaceAndTheLastValue) {
  std::string text;
  Result<FlatEvent> flat = FlatEvent::FromEnvelope(
      Envelope(nullptr), R"({"s":"a","n":{"x":1,"x":2},"s":"b","t":"\u0041"})", nullptr, &text);
  ASSERT_TRUE(flat.ok());
  EXPECT_NE(text.find(R"("resources":[],"detail":{"s":"b","n":{"x":2},"t":"A"}})"),
            std::string::npos)
      << text;
  EXPECT_TRUE(EventPattern::Compile(R"({"detail":{"s":["b"],"n":{"x":[2]}}})")->Matches(*flat));
  EXPECT_FALSE(EventPattern::Compile(R"({"detail":{"s":["a"]}})")->Matches(*flat));
  // An escaped key that spells another key is the same key.
  flat = FlatEvent::FromEnvelope(Envelope(nullptr), R"({"k":1,"\u006b":2})", nullptr, &text);
  ASSERT_TRUE(flat.ok());
  EXPECT_NE(text.find(R"("detail":{"k":2}})"), std::string::npos) << text;
  // Objects too large for the cheap check take the same road.
  std::string big = "{";
  for (int i = 0; i < 100; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  big += "\"k7\":\"last\"}";
  flat = FlatEvent::FromEnvelope(Envelope(nullptr), big, nullptr, &text);
  ASSERT_TRUE(flat.ok());
  EXPECT_NE(text.find(R"("k7":"last","k8":8)"), std::string::npos);
  EXPECT_EQ(flat->leaf_count(), 7u + 100u);
}

TEST(FlatEventEnvelopeTest, DetailMustBeOneObject) {
  std::string text = "unchanged";
  for (const char* bad :
       {"", "[]", "1", "\"x\"", "{", "{} {}", "{}, \"source\": \"aws.ecs\"",
        R"({"a":1}, "source":"x")", "{\"a\":\"\xC3\"}", R"({"a":1e999})", "null"}) {
    Result<FlatEvent> flat = FlatEvent::FromEnvelope(Envelope(nullptr), bad, nullptr, &text);
    EXPECT_FALSE(flat.ok()) << bad;
    if (!flat.ok()) {
      EXPECT_EQ(flat.status().message(), "Detail is malformed.");
    }
  }
  EXPECT_EQ(text, "unchanged");
  // A NUL byte ends nlohmann's input, so the old parser took this detail; what follows is not
  // part of the event.
  ASSERT_TRUE(FlatEvent::FromEnvelope(Envelope(nullptr), std::string("{\"a\": 1}\0,\"b\":2}", 16),
                                      nullptr, &text)
                  .ok());
  EXPECT_NE(text.find(R"("detail":{"a":1}})"), std::string::npos) << text;
  ASSERT_TRUE(
      FlatEvent::FromEnvelope(Envelope(nullptr), std::string("{\"a\":1}\0x", 9), nullptr, &text)
          .ok());
  EXPECT_EQ(text.substr(text.size() - 17), R"("detail":{"a":1}})");
  // The same verdict as nlohmann's parser on every mutation of a detail.
  std::mt19937 rng(11);
  const std::string seed = R"({"a":[1,{"b":"\u00e9"}],"c":{"d":true,"e":null,"f":-1.5e2}})";
  const std::string alphabet = "{}[]:,\"\\ u0e+-.1tfn\xC3\xA9";
  for (int round = 0; round < 5000; ++round) {
    std::string s = seed;
    s[rng() % s.size()] = alphabet[rng() % alphabet.size()];
    if (rng() % 2) s.insert(rng() % s.size(), 1, alphabet[rng() % alphabet.size()]);
    bool ours = FlatEvent::FromEnvelope(Envelope(nullptr), s, nullptr, &text).ok();
    ASSERT_EQ(ours, NlohmannObject(s)) << s;
    if (ours) {
      ASSERT_TRUE(NlohmannObject(text)) << text;
      json j = json::parse(text);
      EXPECT_EQ(j["detail"], json::parse(s)) << s;
    }
  }
}

// ---- PatternIndex -------------------------------------------------------------------------

std::vector<uint32_t> BruteForce(const std::vector<EventPattern>& patterns, const FlatEvent& e) {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < patterns.size(); ++i) {
    if (patterns[i].Matches(e)) out.push_back(i);
  }
  return out;
}

// index.Match of the event `text` (flattened with the index's filter) into *got, which must be
// what trying every pattern on the whole event finds.
void MatchAsBruteForce(const PatternIndex& index, const std::vector<EventPattern>& patterns,
                       const std::string& text, std::vector<uint32_t>* got) {
  Result<FlatEvent> flat = FlatEvent::Parse(text, &index.filter());
  ASSERT_TRUE(flat.ok()) << text;
  index.Match(*flat, got);
  ASSERT_EQ(*got, BruteForce(patterns, *FlatEvent::Parse(text))) << text;
}

TEST(PatternIndexTest, FindsExactlyTheMatchingPatternsOfTheCorpus) {
  auto cases = CorpusCases();
  PatternIndex index;
  std::vector<EventPattern> patterns;
  for (const auto& [pattern, event] : cases) {
    patterns.push_back(EventPattern::Compile(pattern).value());
    index.Add(patterns.back());
  }
  ASSERT_EQ(index.size(), patterns.size());
  size_t matched = 0;
  for (const auto& [pattern, event] : cases) {
    Result<FlatEvent> flat = FlatEvent::Parse(event, &index.filter());
    ASSERT_TRUE(flat.ok());
    std::vector<uint32_t> got;
    index.Match(*flat, &got);
    EXPECT_EQ(got, BruteForce(patterns, *FlatEvent::Parse(event))) << event;
    EXPECT_LE(got.size(), index.last_candidates() + index.last_decided());
    matched += got.size();
  }
  EXPECT_GT(matched, 100u);
}

TEST(PatternIndexTest, PreFilterNarrowsAndStaysExact) {
  const std::vector<std::string> sources = {"app.a", "app.b", "app.c", "app.d"};
  const std::vector<std::string> states = {"RUNNING", "STOPPED", "PENDING"};
  std::vector<std::string> texts;
  for (const auto& s : sources) {
    for (const auto& st : states) {
      texts.push_back(R"({"source":[")" + s + R"("],"detail":{"state":[")" + st + R"("]}})");
      texts.push_back(R"({"source":[")" + s +
                      R"(","other"],"detail":{"n":[{"numeric":[">",5]}]}})");
      texts.push_back(R"({"$or":[{"source":[")" + s + R"("]},{"detail":{"tags":[")" + st +
                      R"("]}}]})");
    }
  }
  texts.push_back(R"({"detail":{"state":[{"prefix":"RUN"}]}})");  // never narrowed
  texts.push_back(R"({"source":["app.a"],"detail":{"gone":[{"exists":false}]}})");
  texts.push_back(R"({"detail":{"state":["STOPPED",{"prefix":"x"}]}})");  // mixed: not exact
  PatternIndex index;
  std::vector<EventPattern> patterns;
  for (const auto& t : texts) {
    patterns.push_back(EventPattern::Compile(t).value());
    index.Add(patterns.back());
  }
  std::mt19937 rng(3);
  size_t candidates = 0, events = 0;
  for (int i = 0; i < 500; ++i) {
    json e = {{"source", sources[rng() % sources.size()]},
              {"detail",
               {{"state", states[rng() % states.size()]},
                {"n", static_cast<int>(rng() % 10)},
                {"tags", json::array({states[rng() % 3], "x"})}}}};
    if (rng() % 4 == 0) e["detail"]["gone"] = 1;
    if (rng() % 5 == 0) e["detail"] = json::array({e["detail"], {{"state", "PENDING"}}});
    std::vector<uint32_t> got;
    ASSERT_NO_FATAL_FAILURE(MatchAsBruteForce(index, patterns, e.dump(), &got));
    candidates += index.last_candidates();
    ++events;
  }
  // The pre-filter tries well under half of the 39 patterns per event.
  EXPECT_LT(candidates, events * patterns.size() / 2);
}

// Branches that share field conditions (a path and its values) have each condition evaluated
// once per event, and stay exact: conditions on the same path with other values, other kinds
// of the same value, absence, anything-but and arrays of objects.
TEST(PatternIndexTest, SharedConditionsAreEvaluatedOncePerEvent) {
  const std::vector<std::string> conditions = {
      R"("status":["RUNNING"])",
      R"("status":["STOPPED"])",
      R"("status":[{"anything-but":["PENDING"]}])",
      R"("status":[{"anything-but":{"prefix":"STOP"}}])",
      R"("status":[{"anything-but":["STOP"]}])",
      R"("gone":[{"anything-but":["y"]}])",
      R"("gone":[{"anything-but":["y"]},{"exists":false}])",
      R"("n":[5])",
      R"("n":["5"])",
      R"("n":[{"numeric":[">",2,"<=",7]}])",
      R"("gone":[{"exists":false}])",
      R"("gone":[{"exists":true}])",
      R"("gone":["x"])",
      R"("gone":["x",{"exists":false}])",
      R"("items":{"name":["a"]})",
      R"("items":{"size":[{"numeric":[">",1]}]})",
      R"("items":{"name":[{"anything-but":["b"]}]})",
      R"("items":{"name":[{"anything-but":{"prefix":"b"}}]})",
      R"("items":{"name":[{"prefix":"a"}]})",
      R"("items":{"name":["a",{"exists":false}]})",
      R"("tag":[{"equals-ignore-case":"Blue"}])",
      R"("tag":[{"wildcard":"b*e"}])",
      R"("tag":["be"])",
      R"("tag":[{"prefix":"be"}])",
      R"("tag":[{"suffix":"be"}])",
  };
  std::mt19937 rng(11);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    // Two or three conditions on distinct paths, one of them not indexed (so that the branch
    // is verified), under the source every event has.
    std::string detail;
    std::set<std::string> paths;
    for (int k = 0; k < 2 + static_cast<int>(rng() % 2); ++k) {
      const std::string& c = conditions[rng() % conditions.size()];
      if (!paths.insert(c.substr(0, c.find(':'))).second) continue;
      detail += (detail.empty() ? "" : ",") + c;
    }
    texts.push_back(R"({"source":["app"],"detail":{)" + detail + "}}");
  }
  PatternIndex index;
  std::vector<EventPattern> patterns;
  for (const auto& t : texts) {
    patterns.push_back(EventPattern::Compile(t).value());
    index.Add(patterns.back());
  }
  const std::vector<std::string> statuses = {"RUNNING", "STOPPED", "PENDING", "STOPPING"};
  size_t verified = 0, evaluated = 0, matched = 0;
  for (int i = 0; i < 300; ++i) {
    json d = {{"status", statuses[rng() % statuses.size()]}};
    if (rng() % 3) d["n"] = rng() % 2 ? json(static_cast<int>(rng() % 9)) : json("5");
    if (rng() % 3 == 0) d["gone"] = rng() % 2 ? json(nullptr) : json("x");
    const char* tags[] = {"BLUE", "bee", "be", "abe", "bed"};
    if (rng() % 4) d["tag"] = tags[rng() % 5];
    json items = json::array();
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
      const char* names[] = {"a", "b", "ab", "bx"};
      items.push_back({{"name", names[rng() % 4]}, {"size", static_cast<int>(rng() % 3)}});
    }
    if (!items.empty()) d["items"] = items;
    json e = {{"source", "app"}, {"detail", d}};
    std::vector<uint32_t> got;
    ASSERT_NO_FATAL_FAILURE(MatchAsBruteForce(index, patterns, e.dump(), &got));
    EXPECT_LE(index.last_conditions(), conditions.size() + 1) << e.dump();
    verified += index.last_candidates();
    evaluated += index.last_conditions();
    matched += got.size();
  }
  EXPECT_GT(matched, 3000u);
  EXPECT_GT(verified, 3 * evaluated);  // far more branches verified than conditions evaluated
}

// The index decides a branch on its own only when its hits prove the match (wildcards with '*'
// and case-insensitive values once tried on the leaf); fields inside arrays of objects (array
// consistency) still go through the full match.
TEST(PatternIndexTest, DecidesOnlyWhatItsHitsProve) {
  const std::vector<std::string> texts = {
      R"({"source":["app.a"],"detail":{"state":["RUNNING"]}})",               // exact
      R"({"source":["app.a"],"detail":{"n":[{"numeric":[">",5,"<=",8]}]}})",  // range
      R"({"detail":{"id":[{"prefix":"order-000-xyz"}]}})",                    // long prefix
      R"({"detail":{"id":[{"prefix":"order-111-xyz"}]}})",                    // same window
      R"({"detail":{"id":[{"prefix":"ord"}]}})",                              // short prefix
      R"({"detail":{"id":[{"suffix":"xyz"}]}})",
      R"({"detail":{"id":[{"wildcard":"order-*-xyz"}]}})",
      R"({"detail":{"id":[{"wildcard":"order-000-xyz"}]}})",
      R"({"detail":{"state":[{"equals-ignore-case":"running"}]}})",
      R"({"detail":{"ip":[{"cidr":"10.0.0.0/24"}]}})",
      R"({"detail":{"flag":[true],"none":[null]}})",
      R"({"detail":{"n":[{"exists":true}]}})",
      R"({"detail":{"c":{"name":["web"],"state":["STOPPED"]}}})",  // c: an array of objects
      R"({"detail":{"c":{"name":[{"exists":true}]}}})",
      R"({"detail":{"c":{"name":["web"]},"state":["RUNNING"]}})",
  };
  PatternIndex index;
  std::vector<EventPattern> patterns;
  for (const auto& t : texts) {
    patterns.push_back(EventPattern::Compile(t).value());
    index.Add(patterns.back());
  }
  const std::vector<std::string> ids = {"order-000-xyz", "order-111-xyz",  "order-222-xyz",
                                        "ord",           "order-000-xyzz", "xyz"};
  const std::vector<std::string> states = {"RUNNING", "running", "STOPPED"};
  std::mt19937 rng(11);
  size_t decided = 0, matched = 0;
  for (int i = 0; i < 2000; ++i) {
    json d = {{"state", states[rng() % 3]}, {"id", ids[rng() % ids.size()]}};
    if (rng() % 2) d["n"] = static_cast<int>(rng() % 10);
    if (rng() % 2) d["ip"] = "10.0." + std::to_string(rng() % 2) + "." + std::to_string(rng() % 9);
    if (rng() % 2) d["flag"] = rng() % 2 == 0;
    if (rng() % 2) d["none"] = nullptr;
    if (rng() % 2) {
      json c = json::array();
      for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
        c.push_back({{"name", rng() % 2 ? "web" : "log"}, {"state", states[rng() % 3]}});
      }
      d["c"] = c;
    }
    json e = {{"source", rng() % 3 ? "app.a" : "app.b"}, {"detail", d}};
    std::vector<uint32_t> got;
    ASSERT_NO_FATAL_FAILURE(MatchAsBruteForce(index, patterns, e.dump(), &got));
    decided += index.last_decided();
    matched += got.size();
  }
  EXPECT_GT(decided, matched / 3);  // most matches need no full match
  EXPECT_LT(decided, matched);      // and some do
}

// Wildcards are looked up by their longest literal — the head, the tail, or (up to 8 bytes of)
// one between two '*', at every position of the string — and the wildcard itself is then tried
// on the leaf the lookup found: the index decides them alone, with the same matches as trying
// every pattern, on strings built from the patterns' own pieces.
TEST(PatternIndexTest, WildcardsAreLookedUpByTheirLongestLiteral) {
  const std::vector<std::string> wildcards = {
      "*:task-definition/api:*",
      "*:task-definition/web:*",
      "user*@*example.com",
      "a*b*c",
      "*abc*",
      "*a*",
      "*",
      "x*",
      "*x",
      "*ab*cdefghijkl*",
      "*abcdefghijkl*",
      "*bcdefghijklm*x",
      "ab*",
      "*\\*x*",
      "*def*def*",
  };
  PatternIndex index;
  std::vector<EventPattern> patterns;
  for (const auto& w : wildcards) {
    json p = {{"detail", {{"v", {{{"wildcard", w}}}}}}};
    patterns.push_back(EventPattern::Compile(p.dump()).value());
    index.Add(patterns.back());
  }
  const std::vector<std::string> pieces = {"arn:aws:ecs:us-east-1:1:task-definition/",
                                           "api",
                                           "web",
                                           ":",
                                           "7",
                                           "user",
                                           "@",
                                           "example.com",
                                           "a",
                                           "b",
                                           "c",
                                           "x",
                                           "abc",
                                           "cdefghijkl",
                                           "abcdefghijklm",
                                           "def",
                                           "*",
                                           "\\"};
  std::mt19937 rng(5);
  size_t candidates = 0;
  const int kEvents = 3000;
  for (int i = 0; i < kEvents; ++i) {
    std::string v;
    for (int k = static_cast<int>(rng() % 6); k >= 0; --k) v += pieces[rng() % pieces.size()];
    json e = {{"source", "s"}, {"detail", {{"v", v}}}};
    std::vector<uint32_t> got;
    ASSERT_NO_FATAL_FAILURE(MatchAsBruteForce(index, patterns, e.dump(), &got));
    candidates += index.last_candidates();
  }
  // An ECS task definition ARN: its own family's pattern matches, the other family's does not,
  // and nothing is left to verify.
  json ecs = {{"detail", {{"v", "arn:aws:ecs:us-east-1:1:task-definition/api:7"}}}};
  std::vector<uint32_t> got;
  ASSERT_NO_FATAL_FAILURE(MatchAsBruteForce(index, patterns, ecs.dump(), &got));
  EXPECT_EQ(got, (std::vector<uint32_t>{0, 5, 6}));
  EXPECT_EQ(index.last_decided(), 3u);
  EXPECT_EQ(candidates, 0u);
}

// Values most patterns share (a source, a detail-type) are not posted to every branch that
// looks them up: those branches check them once a rarer field has hit them. Matches stay
// exactly those of trying every pattern, with shared values exact and inexact (wildcards,
// case-insensitive), in $or branches and on leaves inside arrays of objects.
TEST(PatternIndexTest, SharedValuesAreCheckedOnTheBranchesHit) {
  const std::vector<std::string> sources = {"app.a", "app.b"};
  const std::vector<std::string> types = {"Order Placed", "Order Shipped"};
  const std::vector<std::string> states = {"NEW", "PAID", "SHIPPED", "LOST", "BACK", "HELD"};
  std::mt19937 rng(21);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  PatternIndex index;
  std::vector<EventPattern> patterns;
  for (int i = 0; i < 300; ++i) {
    json p = {{"source", {pick(sources)}}};
    switch (rng() % 6) {
      case 0:
        p["detail-type"] = {pick(types)};
        p["detail"] = {{"state", {pick(states)}}};
        break;
      case 1:  // the shared values inexact
        p["detail-type"] = {{{"wildcard", "Order *"}}};
        p["detail"] = {{"state", {{{"equals-ignore-case", pick(states)}}}}};
        break;
      case 2:  // a rare field of another kind
        p["detail"] = {{"n", {{{"numeric", {">", static_cast<int>(rng() % 10)}}}}},
                       {"who", {{{"prefix", "app"}}}}};
        break;
      case 3:  // inside an array of objects
        p["detail"] = {{"items", {{"sku", {pick(states)}}, {"kind", {"book"}}}}};
        break;
      case 4:  // $or over a shared and a rare value
        p = {{"$or", json::array({{{"source", {pick(sources)}}, {"detail-type", {pick(types)}}},
                                  {{"detail", {{"state", {pick(states)}}}}}})}};
        break;
      default:  // only shared values
        p["detail-type"] = {pick(types)};
        break;
    }
    patterns.push_back(EventPattern::Compile(p.dump()).value());
    index.Add(patterns.back());
  }
  size_t matched = 0;
  for (int i = 0; i < 1000; ++i) {
    json d = {{"state", pick(states)}, {"who", rng() % 2 ? "app-1" : "web"}};
    if (rng() % 2) d["n"] = static_cast<int>(rng() % 12);
    if (rng() % 3 == 0) d["state"] = json::array({pick(states), pick(states)});
    json items = json::array();
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
      items.push_back({{"sku", pick(states)}, {"kind", rng() % 2 ? "book" : "pen"}});
    }
    d["items"] = items;
    json e = {{"source", pick(sources)}, {"detail-type", pick(types)}, {"detail", d}};
    if (rng() % 4 == 0) e["detail-type"] = "order placed";
    std::vector<uint32_t> got;
    ASSERT_NO_FATAL_FAILURE(MatchAsBruteForce(index, patterns, e.dump(), &got));
    matched += got.size();
  }
  EXPECT_GT(matched, 5000u);
}

// Prefixes and suffixes are looked up by their whole text, however long, so a hit proves them.
TEST(PatternIndexTest, LongPrefixesAndSuffixesAreDecidedByTheIndex) {
  const std::vector<std::string> texts = {
      R"({"resources":[{"prefix":"arn:aws:ecs:us-east-1:123456789012:task/prod"}]})",
      R"({"resources":[{"prefix":"arn:aws:ecs:us-east-1:123456789012:task/prod-eu"}]})",
      R"({"detail":{"email":[{"suffix":"example.com"}]}})",
      R"({"detail":{"email":[{"suffix":"example.org"}]}})",
  };
  PatternIndex index;
  std::vector<EventPattern> patterns;
  for (const auto& t : texts) {
    patterns.push_back(EventPattern::Compile(t).value());
    index.Add(patterns.back());
  }
  const std::vector<std::string> clusters = {"prod", "prod-eu", "staging", "pro"};
  const std::vector<std::string> mails = {"a@example.com", "b@example.org", "c@example.net",
                                          "example.com", "xample.com"};
  std::mt19937 rng(9);
  for (int i = 0; i < 500; ++i) {
    json e = {
        {"source", "s"},
        {"resources",
         {"arn:aws:ecs:us-east-1:123456789012:task/" + clusters[rng() % clusters.size()] + "/abc"}},
        {"detail", {{"email", mails[rng() % mails.size()]}}}};
    std::vector<uint32_t> got;
    ASSERT_NO_FATAL_FAILURE(MatchAsBruteForce(index, patterns, e.dump(), &got));
    EXPECT_EQ(index.last_candidates(), 0u) << e.dump();
    EXPECT_EQ(index.last_decided(), got.size());
  }
}

}  // namespace
}  // namespace berth::events
