// AWS's published SigV4 vectors (the 2015-08-30 test suite and the IAM example from the
// docs), checked both ways: Verify accepts the suite's request and Sign reproduces its
// Authorization header. Plus the hashing and encoding helpers.
#include "api/auth/sigv4.h"

#include <gtest/gtest.h>

#include <string>

#include "api/auth/canonical.h"

namespace berth::auth {
namespace {

constexpr TimeMs kSuiteNow = 1440938160000;  // 20150830T123600Z
const Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
constexpr char kSuiteHost[] = "example.amazonaws.com";
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kVanillaSig[] = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
constexpr char kStsToken[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfp"
    "SPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQ"
    "DYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+s"
    "cqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

struct Vector {
  const char* name;
  const char* method;
  const char* target;
  Headers extra;  // besides Host and X-Amz-Date
  const char* body;
  const char* signed_headers;
  const char* signature;
  bool signable = true;  // Sign() signs every header it is given; "-after" cases are not
};

std::string SuiteAuthorization(const Vector& v) {
  return std::string(
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
             "SignedHeaders=") +
         v.signed_headers + ", Signature=" + v.signature;
}

std::vector<Vector> SuiteVectors() {
  const char* kHD = "host;x-amz-date";
  return {
      {"get-vanilla", "GET", "/", {}, "", kHD, kVanillaSig},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/?Param2=value2&Param1=value1",
       {},
       "",
       kHD,
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-empty-query-key",
       "GET",
       "/?Param1=value1",
       {},
       "",
       kHD,
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-unreserved",
       "GET",
       "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {},
       "",
       kHD,
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query",
       "GET",
       "/?\xE1\x88\xB4=bar",
       {},
       "",
       kHD,
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-vanilla-utf8-query (sent encoded)",
       "GET",
       "/?%E1%88%B4=bar",
       {},
       "",
       kHD,
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved",
       "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {},
       "",
       kHD,
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8",
       "GET",
       "/\xE1\x88\xB4",
       {},
       "",
       kHD,
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"normalize-path/get-space",
       "GET",
       "/example space/",
       {},
       "",
       kHD,
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"normalize-path/get-relative", "GET", "/example/..", {}, "", kHD, kVanillaSig},
      {"normalize-path/get-relative-relative",
       "GET",
       "/example1/example2/../..",
       {},
       "",
       kHD,
       kVanillaSig},
      {"normalize-path/get-slash", "GET", "//", {}, "", kHD, kVanillaSig},
      {"normalize-path/get-slash-dot-slash", "GET", "/./", {}, "", kHD, kVanillaSig},
      {"normalize-path/get-slash-pointless-dot",
       "GET",
       "/./example",
       {},
       "",
       kHD,
       "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
      {"normalize-path/get-slashes",
       "GET",
       "//example//",
       {},
       "",
       kHD,
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"post-vanilla",
       "POST",
       "/",
       {},
       "",
       kHD,
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query",
       "POST",
       "/?Param1=value1",
       {},
       "",
       kHD,
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}},
       "Param1=value1",
       "content-type;host;x-amz-date",
       "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
      {"post-header-key-sort",
       "POST",
       "/",
       {{"My-Header1", "value1"}},
       "",
       "host;my-header1;x-amz-date",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case",
       "POST",
       "/",
       {{"My-Header1", "VALUE1"}},
       "",
       "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"get-header-value-trim",
       "GET",
       "/",
       {{"My-Header1", "  value1 "}, {"My-Header2", "\"a   b   c\""}},
       "",
       "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-header-key-duplicate",
       "GET",
       "/",
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"my-header1", "value1"}},
       "",
       "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order",
       "GET",
       "/",
       {{"My-Header1", "value4"},
        {"My-Header1", "value1"},
        {"My-Header1", "value3"},
        {"My-Header1", "value2"}},
       "",
       "host;my-header1;x-amz-date",
       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"post-sts-header-before",
       "POST",
       "/",
       {{"X-Amz-Security-Token", kStsToken}},
       "",
       "host;x-amz-date;x-amz-security-token",
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
      {"post-sts-header-after",
       "POST",
       "/",
       {{"X-Amz-Security-Token", kStsToken}},
       "",
       kHD,
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
       false},
  };
}

TEST(SigV4Suite, VerifyAcceptsEveryVector) {
  for (const Vector& v : SuiteVectors()) {
    SCOPED_TRACE(v.name);
    RequestView req;
    req.method = v.method;
    req.target = v.target;
    req.headers = {{"Host", kSuiteHost}, {"X-Amz-Date", "20150830T123600Z"}};
    req.headers.insert(req.headers.end(), v.extra.begin(), v.extra.end());
    req.headers.emplace_back("Authorization", SuiteAuthorization(v));
    req.body = v.body;
    AuthResult r = Verify(req, kSuiteCreds, kSuiteNow);
    EXPECT_EQ(r.error, AuthError::kNone) << r.message;
    EXPECT_EQ(r.access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(r.region, "us-east-1");
    EXPECT_EQ(r.service, "service");
    EXPECT_EQ(r.amz_date, "20150830T123600Z");
  }
}

TEST(SigV4Suite, SignReproducesEveryVector) {
  for (const Vector& v : SuiteVectors()) {
    if (!v.signable) continue;
    SCOPED_TRACE(v.name);
    Headers added = Sign(v.method, kSuiteHost, v.target, v.extra, v.body, kSuiteCreds, "us-east-1",
                         "service", kSuiteNow);
    ASSERT_EQ(added.size(), 2u);
    EXPECT_EQ(added[0].first, "Authorization");
    EXPECT_EQ(added[0].second, SuiteAuthorization(v));
    EXPECT_EQ(added[1], (std::pair<std::string, std::string>("X-Amz-Date", "20150830T123600Z")));
  }
}

TEST(SigV4Suite, HeaderNamesAnyCase) {
  RequestView req;
  req.method = "GET";
  req.target = "/";
  req.headers = {
      {"HOST", kSuiteHost},
      {"x-AMZ-date", "20150830T123600Z"},
      {"AUTHORIZATION", SuiteAuthorization({"", "", "", {}, "", "host;x-amz-date", kVanillaSig})}};
  EXPECT_TRUE(Verify(req, kSuiteCreds, kSuiteNow).ok());
}

TEST(SigV4Suite, VanillaCanonicalRequestAndStringToSign) {
  Headers headers = {{"Host", kSuiteHost}, {"X-Amz-Date", "20150830T123600Z"}};
  CanonicalRequestParts parts;
  parts.method = "GET";
  parts.target = "/";
  parts.service = "service";
  parts.headers = &headers;
  parts.signed_headers = "host;x-amz-date";
  parts.payload_hash = kEmptySha;
  std::string creq = CanonicalRequest(parts);
  EXPECT_EQ(creq, std::string("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z"
                              "\n\nhost;x-amz-date\n") +
                      kEmptySha);
  EXPECT_EQ(StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (ListUsers).
TEST(SigV4Iam, ListUsersExample) {
  const std::string target = "/?Action=ListUsers&Version=2010-05-08";
  const Headers extra = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  const char kSig[] = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
  const std::string auth =
      std::string(
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
          "SignedHeaders=content-type;host;x-amz-date, Signature=") +
      kSig;

  EXPECT_EQ(HexEncode(SigningKey(kSuiteCreds.secret_access_key, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

  Headers all = extra;
  all.emplace_back("Host", "iam.amazonaws.com");
  all.emplace_back("X-Amz-Date", "20150830T123600Z");
  CanonicalRequestParts parts;
  parts.method = "GET";
  parts.target = target;
  parts.service = "iam";
  parts.headers = &all;
  parts.signed_headers = "content-type;host;x-amz-date";
  parts.payload_hash = kEmptySha;
  EXPECT_EQ(Sha256Hex(CanonicalRequest(parts)),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");

  Headers added = Sign("GET", "iam.amazonaws.com", target, extra, "", kSuiteCreds, "us-east-1",
                       "iam", kSuiteNow);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].second, auth);

  RequestView req;
  req.method = "GET";
  req.target = target;
  req.headers = all;
  req.headers.emplace_back("Authorization", auth);
  AuthResult r = Verify(req, kSuiteCreds, kSuiteNow);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.service, "iam");
}

TEST(Helpers, Sha256Hex) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Helpers, HmacSha256Rfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacSha256("", "").size(), 32u);
}

TEST(Helpers, UriEncode) {
  EXPECT_EQ(UriEncode("-._~azAZ09", false), "-._~azAZ09");
  EXPECT_EQ(UriEncode("a b/c+d=e&f%", false), "a%20b%2Fc%2Bd%3De%26f%25");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", true), "%E1%88%B4");
}

TEST(Helpers, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%20b%2fc+d"), "a b/c+d");
  EXPECT_EQ(PercentDecode("%zz%4%"), "%zz%4%");
  EXPECT_EQ(PercentDecode("%E1%88%b4"), "\xE1\x88\xB4");
}

TEST(Helpers, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", std::string(64, 'a')));
}

TEST(Canonical, UriS3SingleEncodesAndKeepsDots) {
  EXPECT_EQ(CanonicalUri("", "s3"), "/");
  EXPECT_EQ(CanonicalUri("/my bucket/caf%C3%A9", "s3"), "/my%20bucket/caf%C3%A9");
  EXPECT_EQ(CanonicalUri("/b/a%20b", "s3"), CanonicalUri("/b/a b", "s3"));
  EXPECT_EQ(CanonicalUri("//a/./b/../c", "s3"), "//a/./b/../c");
  EXPECT_EQ(CanonicalUri("/b/%7e", "s3"), "/b/~");
}

TEST(Canonical, UriOtherServicesNormaliseAndDoubleEncode) {
  EXPECT_EQ(CanonicalUri("", "ecs"), "/");
  EXPECT_EQ(CanonicalUri("/", "ecs"), "/");
  EXPECT_EQ(CanonicalUri("/a%20b", "lambda"), "/a%2520b");
  EXPECT_EQ(CanonicalUri("/a/b/../c/./d//", "lambda"), "/a/c/d/");
  EXPECT_EQ(CanonicalUri("/a/b/..", "lambda"), "/a");
  EXPECT_EQ(CanonicalUri("/../..", "lambda"), "/");
}

TEST(Canonical, Query) {
  EXPECT_EQ(CanonicalQuery("", false), "");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0&c", false), "a=0&a=1&b=2&c=");
  EXPECT_EQ(CanonicalQuery("k=a+b&s=x%2fy&&", false), "k=a%2Bb&s=x%2Fy");
  EXPECT_EQ(CanonicalQuery("X-Amz-Signature=abc&z=1", true), "z=1");
  EXPECT_EQ(CanonicalQuery("X-Amz-Signature=abc&z=1", false), "X-Amz-Signature=abc&z=1");
}

}  // namespace
}  // namespace berth::auth
