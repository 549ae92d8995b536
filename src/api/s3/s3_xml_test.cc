#include "api/s3/s3_xml.h"

#include <gtest/gtest.h>

namespace berth::api::s3 {
namespace {

TEST(S3Xml, DeleteObjects) {
  auto r = ParseDeleteObjects(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"http://s3.amazonaws.com/doc/"
      "2006-03-01/\"><Object><Key>a &amp; b</Key></Object><Object><Key>c&#x2F;&#100;</Key>"
      "<VersionId>1</VersionId></Object><Quiet>true</Quiet></Delete>");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->quiet);
  EXPECT_EQ(r->keys, (std::vector<std::string>{"a & b", "c/d"}));
  for (const char* bad : {"", "<Delete>", "<Delete></Delet>", "<Delete><Object/></Delete>",
                          "<Delete><Object><Key>k</Key></Object></Delete>extra",
                          "<Delete><!-- c --><Object><Key>k</Key></Object></Delete>",
                          "<Delete><Object><Key>&bogus;</Key></Object></Delete>",
                          "<Delete><Object><Key>k</Key></Object>text</Delete>",
                          "<Other><Object><Key>k</Key></Object></Other>"}) {
    EXPECT_FALSE(ParseDeleteObjects(bad).ok()) << bad;
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(ParseXml(deep).ok());
}

TEST(S3Xml, CompleteMultipartUpload) {
  auto r = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload><Part><ETag>\"abc\"</ETag><PartNumber>1</PartNumber></Part>"
      "<Part><PartNumber>2</PartNumber><ETag>def</ETag><ChecksumCRC32>x</ChecksumCRC32></Part>"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].number, 1);
  EXPECT_EQ((*r)[0].etag, "abc");
  EXPECT_EQ((*r)[1].etag, "def");
  EXPECT_FALSE(ParseCompleteMultipartUpload("<CompleteMultipartUpload><Part><PartNumber>x"
                                            "</PartNumber><ETag>a</ETag></Part>"
                                            "</CompleteMultipartUpload>")
                   .ok());
}

TEST(S3Xml, TaggingAndBucketConfiguration) {
  auto t = ParseTagging(
      "<Tagging><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag>"
      "<Tag><Key>team</Key><Value></Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (objects::Pairs{{"env", "prod"}, {"team", ""}}));
  EXPECT_EQ(ParseTagging("<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a"
                         "</Key><Value>2</Value></Tag></TagSet></Tagging>")
                .status()
                .code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(*ParseCreateBucketConfiguration(""), "");
  EXPECT_EQ(*ParseCreateBucketConfiguration(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"),
            "eu-west-1");
}

TEST(S3Xml, WriterEscapes) {
  XmlWriter w;
  w.Element("Key", std::string("a<b>&\"'\x01\xff", 9));
  EXPECT_NE(w.str().find("<Key>a&lt;b&gt;&amp;&quot;&apos;??</Key>"), std::string::npos);
  EXPECT_EQ(XmlEscape("café"), "café");
}

}  // namespace
}  // namespace berth::api::s3
