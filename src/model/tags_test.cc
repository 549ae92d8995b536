#include "model/tags.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::model {
namespace {

using nlohmann::json;

json Tag1(const std::string& key, const std::string& value) {
  return json::array({{{"key", key}, {"value", value}}});
}

std::string ErrorOf(const json& j, Resource resource = Resource::kCluster) {
  Result<Tags> r = ParseTags(j, resource);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().resource(), resource);
  return r.status().message();
}

TEST(ParseTags, ParsesKeyValueList) {
  Result<Tags> r =
      ParseTags(json::parse(R"([{"key":"team","value":"web"},{"key":"env","value":"prod"}])"),
                Resource::kService);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].key, "team");
  EXPECT_EQ((*r)[0].value, "web");
  EXPECT_EQ((*r)[1].key, "env");
  EXPECT_EQ((*r)[1].value, "prod");
}

TEST(ParseTags, NullAndEmptyListAreNoTags) {
  Result<Tags> a = ParseTags(json(), Resource::kTask);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->empty());
  Result<Tags> b = ParseTags(json::array(), Resource::kTask);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
}

TEST(ParseTags, MissingOrNullValueIsEmpty) {
  Result<Tags> r =
      ParseTags(json::parse(R"([{"key":"a"},{"key":"b","value":null}])"), Resource::kTask);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].value, "");
  EXPECT_EQ((*r)[1].value, "");
}

TEST(ParseTags, DuplicateKeysMergeLastWins) {
  Result<Tags> r = ParseTags(
      json::parse(R"([{"key":"a","value":"1"},{"key":"b","value":"2"},{"key":"a","value":"3"}])"),
      Resource::kTask);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].key, "a");
  EXPECT_EQ((*r)[0].value, "3");
}

TEST(ParseTags, RejectsWrongTypes) {
  EXPECT_EQ(ErrorOf(json::object()), "tags must be a list.");
  EXPECT_EQ(ErrorOf("k=v"), "tags must be a list.");
  EXPECT_EQ(ErrorOf(json::array({"k"})), "tags[0] must be an object.");
  EXPECT_EQ(ErrorOf(json::array({json::array()})), "tags[0] must be an object.");
  EXPECT_EQ(ErrorOf(json::parse(R"([{"value":"v"}])")), "tags[0].key is required.");
  EXPECT_EQ(ErrorOf(json::parse(R"([{"key":null}])")), "tags[0].key is required.");
  EXPECT_EQ(ErrorOf(json::parse(R"([{"key":1,"value":"v"}])")), "tags[0].key must be a string.");
  EXPECT_EQ(ErrorOf(json::parse(R"([{"key":"k","value":2}])")), "tags[0].value must be a string.");
  EXPECT_EQ(ErrorOf(json::parse(R"([{"key":"k","value":{}}])")), "tags[0].value must be a string.");
}

TEST(ParseTags, ErrorsCarryTheGivenResource) {
  for (Resource r : {Resource::kCluster, Resource::kService, Resource::kTask,
                     Resource::kTaskDefinition, Resource::kContainerInstance}) {
    Result<Tags> t = ParseTags(json::object(), r);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().resource(), r);
  }
}

TEST(ParseTags, KeyLength) {
  EXPECT_EQ(ErrorOf(Tag1(std::string(128, 'k'), "v")), "ok");
  EXPECT_EQ(ErrorOf(Tag1(std::string(129, 'k'), "v")),
            "Tag keys must be between 1 and 128 characters long.");
  EXPECT_EQ(ErrorOf(Tag1("", "v")), "Tag keys must be between 1 and 128 characters long.");
}

TEST(ParseTags, ValueLength) {
  EXPECT_EQ(ErrorOf(Tag1("k", std::string(256, 'v'))), "ok");
  EXPECT_EQ(ErrorOf(Tag1("k", "")), "ok");
  EXPECT_EQ(ErrorOf(Tag1("k", std::string(257, 'v'))),
            "Tag values must be at most 256 characters long.");
}

TEST(ParseTags, LengthsCountCharactersNotBytes) {
  std::string e_acute = "\xC3\xA9";  // é, two bytes
  std::string key;
  for (int i = 0; i < 128; ++i) key += e_acute;
  std::string value;
  for (int i = 0; i < 256; ++i) value += e_acute;
  EXPECT_EQ(ErrorOf(Tag1(key, value)), "ok");
  EXPECT_NE(ErrorOf(Tag1(key + e_acute, "v")), "ok");
  EXPECT_NE(ErrorOf(Tag1("k", value + e_acute)), "ok");
}

TEST(ParseTags, AtMostFiftyTags) {
  json tags = json::array();
  for (int i = 0; i < 50; ++i) tags.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  EXPECT_EQ(ErrorOf(tags), "ok");
  tags.push_back({{"key", "k50"}, {"value", "v"}});
  EXPECT_EQ(ErrorOf(tags), "A resource can have at most 50 tags.");
}

TEST(ParseTags, AwsPrefixIsReservedCaseInsensitively) {
  const std::string msg = "Tag keys beginning with 'aws:' are reserved for AWS use.";
  EXPECT_EQ(ErrorOf(Tag1("aws:cloudformation:stack-name", "x")), msg);
  EXPECT_EQ(ErrorOf(Tag1("AWS:x", "x")), msg);
  EXPECT_EQ(ErrorOf(Tag1("Aws:x", "x")), msg);
  EXPECT_EQ(ErrorOf(Tag1("aws:", "x")), msg);
  EXPECT_EQ(ErrorOf(Tag1("aws", "x")), "ok");
  EXPECT_EQ(ErrorOf(Tag1("awsx:y", "x")), "ok");
  EXPECT_EQ(ErrorOf(Tag1("my-aws:y", "x")), "ok");
  EXPECT_EQ(ErrorOf(Tag1("k", "aws:value-is-fine")), "ok");
}

TEST(TagsToJson, KeyValueObjects) {
  Tags tags = {{"a", "1"}, {"b", ""}};
  EXPECT_EQ(TagsToJson(tags), json::parse(R"([{"key":"a","value":"1"},{"key":"b","value":""}])"));
  EXPECT_EQ(TagsToJson({}), json::array());
}

TEST(TagsToJson, RoundTripsThroughParseTags) {
  Tags tags = {{"team", "web"}, {"env", "prod"}};
  Result<Tags> r = ParseTags(TagsToJson(tags), Resource::kTask);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].key, "env");
  EXPECT_EQ((*r)[1].value, "prod");
}

TEST(MergeTags, ReplacesByKeyAndAppendsNewKeysInOrder) {
  Tags tags = {{"a", "1"}, {"b", "2"}};
  MergeTags(&tags, {{"b", "20"}, {"c", "3"}, {"a", "10"}});
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0].key, "a");
  EXPECT_EQ(tags[0].value, "10");
  EXPECT_EQ(tags[1].key, "b");
  EXPECT_EQ(tags[1].value, "20");
  EXPECT_EQ(tags[2].key, "c");
  EXPECT_EQ(tags[2].value, "3");
}

TEST(MergeTags, IntoEmpty) {
  Tags tags;
  MergeTags(&tags, {{"a", "1"}});
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].value, "1");
}

TEST(RemoveTags, RemovesListedKeysOnly) {
  Tags tags = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  RemoveTags(&tags, {"a", "c", "missing"});
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].key, "b");
  RemoveTags(&tags, {});
  EXPECT_EQ(tags.size(), 1u);
  RemoveTags(&tags, {"b"});
  EXPECT_TRUE(tags.empty());
}

}  // namespace
}  // namespace berth::model
