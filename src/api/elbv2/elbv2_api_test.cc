#include "api/elbv2/elbv2_api.h"

#include <gtest/gtest.h>

#include <random>

#include "common/fake_executor.h"
#include "lb/lb_errors.h"

namespace berth::api {
namespace {

using elbv2::QueryInput;

TEST(QueryInputTest, DecodesFormAndMembers) {
  QueryInput in(
      "Action=CreateTargetGroup&Version=2015-12-01&Name=a%2Bb+c&Names.member.1=x"
      "&Names.member.2=y&Names.member.4=gap&Tags.member.1.Key=k&Tags.member.1.Value=%3Cv%3E"
      "&Tags.member.2.Key=k2&Matcher.HttpCode=200-299&Port=80&Flag=true&Empty=");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in.String("Name"), "a+b c");
  EXPECT_EQ(in.List("Names"), (std::vector<std::string>{"x", "y"}));
  auto tags = in.StructList("Tags");
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0]["Value"], "<v>");
  EXPECT_EQ(tags[1].count("Value"), 0u);
  EXPECT_EQ(*in.String("Matcher.HttpCode"), "200-299");
  EXPECT_TRUE(in.HasPrefix("Matcher"));
  EXPECT_EQ(*in.Integer("Port"), 80);
  EXPECT_EQ(*in.Boolean("Flag"), true);
  EXPECT_EQ(*in.String("Empty"), "");
  EXPECT_FALSE(in.String("Missing").has_value());
}

TEST(QueryInputTest, RecordsTheFirstProblem) {
  QueryInput in("Port=eighty&Flag=yes");
  EXPECT_FALSE(in.Integer("Port").has_value());
  EXPECT_FALSE(in.Boolean("Flag").has_value());
  EXPECT_FALSE(in.ok());
  EXPECT_NE(in.error().find("'Port'"), std::string::npos);
  QueryInput missing("");
  missing.RequiredString("Name");
  EXPECT_NE(missing.error().find("Value null at 'Name'"), std::string::npos);
}

TEST(QueryInputTest, MalformedEscapesAreErrors) {
  for (const char* bad : {"A=%", "A=%4", "A=%zz", "%=1", "A=1&B=%G0"}) {
    QueryInput in(bad);
    EXPECT_FALSE(in.ok()) << bad;
  }
}

TEST(QueryInputTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const std::string alphabet = "=&%+.member123ABCabc\0\xff";
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    int n = rng() % 64;
    for (int j = 0; j < n; ++j) s += alphabet[rng() % alphabet.size()];
    QueryInput in(s);
    (void)in.List("A");
    (void)in.StructList("member");
    (void)in.Integer("A");
  }
}

TEST(XmlEscapeTest, EscapesMarkupAndInvalidCharacters) {
  EXPECT_EQ(elbv2::XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(elbv2::XmlEscape(std::string("x\0y\x01\tz\n", 7)), "x?y?\tz\n");
  EXPECT_EQ(elbv2::XmlEscape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(elbv2::XmlEscape("bad\xff\xc3"), "bad??");
  EXPECT_EQ(elbv2::XmlEscape("\xed\xa0\x80"), "???") << "surrogates are not characters";
  EXPECT_EQ(elbv2::XmlEscape("\r"), "&#13;");
}

TEST(Elbv2ErrorTest, MapsLbStatusToAwsCodes) {
  EXPECT_EQ(elbv2::Elbv2Error(NotFound("x", lb::kLoadBalancer)).type, "LoadBalancerNotFound");
  EXPECT_EQ(elbv2::Elbv2Error(NotFound("x", lb::kTargetGroup)).type, "TargetGroupNotFound");
  EXPECT_EQ(elbv2::Elbv2Error(NotFound("x", lb::kListener)).type, "ListenerNotFound");
  EXPECT_EQ(elbv2::Elbv2Error(Status(Code::kAlreadyExists, "x", lb::kTargetGroup)).type,
            "DuplicateTargetGroupName");
  EXPECT_EQ(elbv2::Elbv2Error(InvalidArgument("x", lb::kTarget)).type, "InvalidTarget");
  EXPECT_EQ(elbv2::Elbv2Error(InvalidArgument("x")).type, "ValidationError");
  EXPECT_EQ(elbv2::Elbv2Error(FailedPrecondition("x")).type, "ResourceInUse");
  EXPECT_EQ(elbv2::Elbv2Error(Conflict("x")).type, "InvalidConfigurationRequest");
  EXPECT_EQ(elbv2::Elbv2Error(Internal("x")).http_status, 500);
}

class Elbv2ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lb = lb::LoadBalancing::Open(exec_, lb::Options{});
    ASSERT_TRUE(lb.ok());
    lb_ = std::move(*lb);
    api_ = std::make_unique<Elbv2Api>(*lb_);
  }
  HttpResponse Call(const std::string& body) { return api_->Handle(body, "eu-west-1"); }
  static std::string Between(const std::string& s, const std::string& open,
                             const std::string& close) {
    size_t a = s.find(open);
    if (a == std::string::npos) return "";
    a += open.size();
    return s.substr(a, s.find(close, a) - a);
  }

  FakeExecutor exec_;
  std::unique_ptr<lb::LoadBalancing> lb_;
  std::unique_ptr<Elbv2Api> api_;
};

TEST_F(Elbv2ApiTest, CreateLoadBalancerAnswersXml) {
  HttpResponse r = Call("Action=CreateLoadBalancer&Version=2015-12-01&Name=web"
                        "&Subnets.member.1=subnet-a&Tags.member.1.Key=k&Tags.member.1.Value=%3C%26%3E");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("<CreateLoadBalancerResponse xmlns=\"http://elasticloadbalancing."
                         "amazonaws.com/doc/2015-12-01/\"><CreateLoadBalancerResult>"
                         "<LoadBalancers><member><LoadBalancerArn>arn:aws:elasticloadbalancing:"
                         "eu-west-1:123456789012:loadbalancer/app/web/", 0),
            0u)
      << r.body;
  EXPECT_NE(r.body.find("<State><Code>active</Code></State>"), std::string::npos);
  EXPECT_NE(r.body.find("<ZoneName>eu-west-1a</ZoneName><SubnetId>subnet-a</SubnetId>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<ResponseMetadata><RequestId>"), std::string::npos);
  std::string arn = Between(r.body, "<LoadBalancerArn>", "</LoadBalancerArn>");
  r = Call("Action=DescribeTags&ResourceArns.member.1=" + arn);
  EXPECT_NE(r.body.find("<Value>&lt;&amp;&gt;</Value>"), std::string::npos) << r.body;
}

TEST_F(Elbv2ApiTest, ErrorsAreErrorResponses) {
  HttpResponse r = Call("Action=DescribeLoadBalancers&Names.member.1=nope");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/"
                        "2015-12-01/\"><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code>"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("<RequestId>"), std::string::npos);
  EXPECT_NE(Call("Action=Frobnicate").body.find("<Code>InvalidAction</Code>"), std::string::npos);
  EXPECT_NE(Call("Version=2015-12-01").body.find("<Code>MissingAction</Code>"), std::string::npos);
  EXPECT_NE(Call("Action=%zz").body.find("<Code>ValidationError</Code>"), std::string::npos);
  EXPECT_NE(Call("Action=CreateTargetGroup&Name=t&Protocol=HTTPS&Port=443")
                .body.find("<Code>UnsupportedProtocol</Code>"),
            std::string::npos);
  EXPECT_NE(Call("Action=CreateTargetGroup&Name=t&Protocol=HTTP&Port=80"
                 "&HealthCheckIntervalSeconds=1")
                .body.find("<Code>ValidationError</Code>"),
            std::string::npos);
  EXPECT_NE(Call("Action=RegisterTargets&TargetGroupArn=arn:aws:elasticloadbalancing:r:a:"
                 "targetgroup/x/0&Targets.member.1.Id=1.2.3.4")
                .body.find("<Code>TargetGroupNotFound</Code>"),
            std::string::npos);
}

TEST_F(Elbv2ApiTest, TargetGroupsPagingAndHealth) {
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = Call("Action=CreateTargetGroup&Name=tg" + std::to_string(i) +
                          "&Protocol=HTTP&Port=8080&TargetType=ip&HealthCheckIntervalSeconds=5"
                          "&HealthCheckTimeoutSeconds=2&Matcher.HttpCode=200%2C302");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("<Matcher><HttpCode>200,302</HttpCode></Matcher>"), std::string::npos);
  }
  HttpResponse page = Call("Action=DescribeTargetGroups&PageSize=2");
  EXPECT_NE(page.body.find("<NextMarker>o.2</NextMarker>"), std::string::npos) << page.body;
  HttpResponse rest = Call("Action=DescribeTargetGroups&PageSize=2&Marker=o.2");
  EXPECT_NE(rest.body.find("<TargetGroupName>tg2</TargetGroupName>"), std::string::npos);
  EXPECT_EQ(rest.body.find("<NextMarker>"), std::string::npos);
  std::string arn = Between(rest.body, "<TargetGroupArn>", "</TargetGroupArn>");
  HttpResponse reg = Call("Action=RegisterTargets&TargetGroupArn=" + arn +
                          "&Targets.member.1.Id=127.0.0.1&Targets.member.1.Port=9000");
  ASSERT_EQ(reg.status, 200) << reg.body;
  HttpResponse h = Call("Action=DescribeTargetHealth&TargetGroupArn=" + arn);
  EXPECT_NE(h.body.find("<Target><Id>127.0.0.1</Id><Port>9000</Port></Target><HealthCheckPort>"
                        "9000</HealthCheckPort><TargetHealth><State>unused</State><Reason>"
                        "Target.NotInUse</Reason>"),
            std::string::npos)
      << h.body;
  HttpResponse bad = Call("Action=RegisterTargets&TargetGroupArn=" + arn +
                          "&Targets.member.1.Id=i-0123456789");
  EXPECT_NE(bad.body.find("<Code>InvalidTarget</Code>"), std::string::npos);
  HttpResponse attrs = Call("Action=ModifyTargetGroupAttributes&TargetGroupArn=" + arn +
                            "&Attributes.member.1.Key=deregistration_delay.timeout_seconds"
                            "&Attributes.member.1.Value=5");
  EXPECT_NE(attrs.body.find("<Key>deregistration_delay.timeout_seconds</Key><Value>5</Value>"),
            std::string::npos)
      << attrs.body;
}

}  // namespace
}  // namespace berth::api
