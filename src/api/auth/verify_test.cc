// Verify's error kinds and messages, clock skew, presigned URLs and Sign → Verify round trips.
#include <gtest/gtest.h>

#include <string>

#include "api/auth/canonical.h"
#include "api/auth/sigv4.h"
#include "common/time_format.h"

namespace berth::auth {
namespace {

const Credentials kCreds{"AKIDBERTHLOCAL", "c2VjcmV0LWtleS1mb3ItdGVzdHM/k+example"};
constexpr char kHost[] = "127.0.0.1:4566";
constexpr TimeMs kNow = 1440938160000;  // 20150830T123600Z
constexpr TimeMs kMinute = 60 * 1000;
constexpr char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

// A request signed by Sign() as the berth CLI would send it.
RequestView SignedRequest(const std::string& method, const std::string& target, Headers headers,
                          std::string_view body, const std::string& service,
                          TimeMs signed_at = kNow) {
  Headers added =
      Sign(method, kHost, target, headers, body, kCreds, "us-east-1", service, signed_at);
  RequestView req;
  req.method = method;
  req.target = target;
  req.headers = std::move(headers);
  req.headers.emplace_back("Host", kHost);
  req.headers.insert(req.headers.end(), added.begin(), added.end());
  req.body = body;
  return req;
}

RequestView EcsRequest(TimeMs signed_at = kNow) {
  return SignedRequest("POST", "/",
                       {{"Content-Type", "application/x-amz-json-1.1"},
                        {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"}},
                       "{}", "ecs", signed_at);
}

std::string* Header(RequestView* req, std::string_view lower_name) {
  for (auto& [name, value] : req->headers) {
    if (ToLower(name) == lower_name) return &value;
  }
  return nullptr;
}

RequestView WithAuthorization(const std::string& authz) {
  RequestView req;
  req.method = "GET";
  req.target = "/";
  req.headers = {{"Host", kHost}, {"X-Amz-Date", "20150830T123600Z"}, {"Authorization", authz}};
  return req;
}

AuthResult VerifyAt(const RequestView& req, TimeMs now) { return Verify(req, kCreds, now); }

TEST(Verify, RoundTripEcs) {
  AuthResult r = VerifyAt(EcsRequest(), kNow);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.access_key_id, "AKIDBERTHLOCAL");
  EXPECT_EQ(r.region, "us-east-1");
  EXPECT_EQ(r.service, "ecs");
  EXPECT_EQ(r.amz_date, "20150830T123600Z");
  EXPECT_TRUE(r.message.empty());
}

TEST(Verify, RoundTripS3WithSpacesAndUnicode) {
  for (const char* target : {"/my-bucket/caf%C3%A9%20au%20lait/%E1%88%B4.txt?x-id=PutObject",
                             "/my-bucket/caf\xC3\xA9 au lait/a//b/../c.txt"}) {
    SCOPED_TRACE(target);
    RequestView req = SignedRequest("PUT", target, {{"Content-Type", "text/plain"}}, "hello", "s3");
    ASSERT_NE(Header(&req, "x-amz-content-sha256"), nullptr);
    EXPECT_EQ(*Header(&req, "x-amz-content-sha256"), Sha256Hex("hello"));
    AuthResult r = VerifyAt(req, kNow);
    EXPECT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.service, "s3");
  }
}

TEST(Verify, SignAddsContentShaOnlyForS3) {
  Headers ecs = Sign("POST", kHost, "/", {}, "{}", kCreds, "us-east-1", "ecs", kNow);
  EXPECT_EQ(ecs.size(), 2u);
  Headers s3 = Sign("GET", kHost, "/b/k", {}, "", kCreds, "us-east-1", "s3", kNow);
  ASSERT_EQ(s3.size(), 3u);
  EXPECT_EQ(s3[2].first, "x-amz-content-sha256");
  EXPECT_NE(s3[0].second.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
            std::string::npos);
}

TEST(Verify, MissingToken) {
  RequestView req;
  req.method = "POST";
  req.target = "/?Action=ListClusters";
  req.headers = {{"Host", kHost}};
  AuthResult r = VerifyAt(req, kNow);
  EXPECT_EQ(r.error, AuthError::kMissingToken);
  EXPECT_EQ(r.message, "Missing Authentication Token");
}

TEST(Verify, IncompleteSignature) {
  const std::string cred = "Credential=AKIDBERTHLOCAL/20150830/us-east-1/ecs/aws4_request";
  struct Case {
    std::string authz;
    std::string message_prefix;
  };
  const Case cases[] = {
      {"Bearer abc.def", "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm."},
      {"AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, Signature=ab",
       "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm."},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date",
       "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 "
       "Credential=AKIDBERTHLOCAL/"},
      {"AWS4-HMAC-SHA256",
       "Authorization header requires 'Credential' parameter. Authorization header requires "
       "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
       "Authorization=AWS4-HMAC-SHA256"},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders, Signature=ab",
       "Invalid key=value pair (missing equal-sign) in Authorization header."},
      {"AWS4-HMAC-SHA256 Credential=AKIDBERTHLOCAL/20150830/us-east-1/ecs, SignedHeaders=host, "
       "Signature=ab",
       "Credential must have exactly 5 slash-delimited elements, e.g. "
       "keyid/date/region/service/term, got 'AKIDBERTHLOCAL/20150830/us-east-1/ecs'"},
      {"AWS4-HMAC-SHA256 Credential=AKIDBERTHLOCAL/20150830/us-east-1/ecs/aws5_request, "
       "SignedHeaders=host, Signature=ab",
       "Credential should be scoped with a valid terminator: 'aws4_request', not "
       "'aws5_request'."},
      {"AWS4-HMAC-SHA256 Credential=AKIDBERTHLOCAL/2015-08-30/us-east-1/ecs/aws4_request, "
       "SignedHeaders=host, Signature=ab",
       "Invalid credential date \"2015-08-30\"."},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, Signature=ab",
       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.authz);
    AuthResult r = VerifyAt(WithAuthorization(c.authz), kNow);
    EXPECT_EQ(r.error, AuthError::kIncompleteSignature);
    EXPECT_EQ(r.message.substr(0, c.message_prefix.size()), c.message_prefix) << r.message;
  }
}

TEST(Verify, IncompleteWithoutOrWithBadDate) {
  RequestView req = EcsRequest();
  std::string* date = Header(&req, "x-amz-date");
  *date = "2015-08-30T12:36:00Z";
  AuthResult r = VerifyAt(req, kNow);
  EXPECT_EQ(r.error, AuthError::kIncompleteSignature);
  EXPECT_EQ(r.message,
            "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See "
            "http://en.wikipedia.org/wiki/ISO_8601");

  std::erase_if(req.headers, [](const auto& h) { return ToLower(h.first) == "x-amz-date"; });
  r = VerifyAt(req, kNow);
  EXPECT_EQ(r.error, AuthError::kIncompleteSignature);
  EXPECT_NE(r.message.find("Authorization header requires existence of either a 'X-Amz-Date' "
                           "or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="),
            std::string::npos)
      << r.message;
}

TEST(Verify, BothMechanismsRefused) {
  RequestView req = EcsRequest();
  req.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256";
  EXPECT_EQ(VerifyAt(req, kNow).error, AuthError::kIncompleteSignature);
}

TEST(Verify, UnknownKey) {
  RequestView req = EcsRequest();
  AuthResult r = Verify(req, Credentials{"AKIDSOMEONEELSE", kCreds.secret_access_key}, kNow);
  EXPECT_EQ(r.error, AuthError::kUnknownKey);
  EXPECT_EQ(r.message, "The security token included in the request is invalid.");
  EXPECT_EQ(r.access_key_id, "AKIDBERTHLOCAL");
}

TEST(Verify, SignatureMismatch) {
  {
    AuthResult r = Verify(EcsRequest(), Credentials{kCreds.access_key_id, "wrong"}, kNow);
    EXPECT_EQ(r.error, AuthError::kSignatureMismatch);
    EXPECT_EQ(r.message, kMismatch);
  }
  {
    RequestView req = EcsRequest();
    req.body = "{\"cluster\":\"x\"}";
    EXPECT_EQ(VerifyAt(req, kNow).error, AuthError::kSignatureMismatch);
  }
  {
    RequestView req = EcsRequest();
    *Header(&req, "x-amz-target") = "AmazonEC2ContainerServiceV20141113.DeleteCluster";
    EXPECT_EQ(VerifyAt(req, kNow).error, AuthError::kSignatureMismatch);
  }
  {
    RequestView req = EcsRequest();
    req.method = "PUT";
    EXPECT_EQ(VerifyAt(req, kNow).error, AuthError::kSignatureMismatch);
  }
  {
    RequestView req = EcsRequest();
    req.target = "/?extra=1";
    EXPECT_EQ(VerifyAt(req, kNow).error, AuthError::kSignatureMismatch);
  }
}

TEST(Verify, ScopeDateMustMatchAmzDate) {
  RequestView req = EcsRequest();
  std::string* authz = Header(&req, "authorization");
  authz->replace(authz->find("/20150830/"), 10, "/20150831/");
  AuthResult r = VerifyAt(req, kNow);
  EXPECT_EQ(r.error, AuthError::kSignatureMismatch);
  EXPECT_EQ(r.message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            "HTTP: '20150831' != '20150830', from '20150830T123600Z'.");
}

TEST(Verify, ConstantTimeCompareSurvivesOddLengths) {
  for (std::string sig : {std::string(), std::string("ab"), std::string(63, 'a'),
                          std::string(65, 'a'), std::string(4096, 'f')}) {
    RequestView req = EcsRequest();
    std::string* authz = Header(&req, "authorization");
    authz->replace(authz->find("Signature=") + 10, std::string::npos, sig);
    AuthResult r = VerifyAt(req, kNow);
    EXPECT_TRUE(r.error == AuthError::kSignatureMismatch ||
                r.error == AuthError::kIncompleteSignature)
        << sig.size();
  }
}

TEST(Verify, ExpiredInThePast) {
  // Signed at 12:36:00, received at 12:56:00: more than 15 minutes old.
  AuthResult r = VerifyAt(EcsRequest(), kNow + 20 * kMinute);
  EXPECT_EQ(r.error, AuthError::kExpired);
  EXPECT_EQ(r.message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z "
            "(20150830T125600Z - 15 min.)");
  EXPECT_TRUE(VerifyAt(EcsRequest(), kNow + 15 * kMinute).ok());
}

TEST(Verify, ExpiredInTheFuture) {
  AuthResult r = VerifyAt(EcsRequest(), kNow - 20 * kMinute);
  EXPECT_EQ(r.error, AuthError::kExpired);
  EXPECT_EQ(r.message,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z "
            "(20150830T121600Z + 15 min.)");
  EXPECT_TRUE(VerifyAt(EcsRequest(), kNow - 15 * kMinute).ok());
}

TEST(Verify, DateHeaderInsteadOfXAmzDate) {
  Headers headers = {{"Host", kHost}, {"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}};
  CanonicalRequestParts parts;
  parts.method = "GET";
  parts.target = "/";
  parts.service = "ecs";
  parts.headers = &headers;
  parts.signed_headers = "date;host";
  const std::string empty_sha = Sha256Hex("");
  parts.payload_hash = empty_sha;
  std::string sig = ComputeSignature(kCreds.secret_access_key, "20150830T123600Z", "us-east-1",
                                     "ecs", CanonicalRequest(parts));
  RequestView req;
  req.method = "GET";
  req.target = "/";
  req.headers = headers;
  req.headers.emplace_back("Authorization",
                           "AWS4-HMAC-SHA256 Credential=AKIDBERTHLOCAL/20150830/us-east-1/ecs/"
                           "aws4_request, SignedHeaders=date;host, Signature=" +
                               sig);
  AuthResult r = VerifyAt(req, kNow);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.amz_date, "20150830T123600Z");
}

TEST(Verify, ContentSha256Header) {
  // Literal values are signed as given and do not cover the body.
  for (const char* literal : {"UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                              "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}) {
    RequestView req =
        SignedRequest("PUT", "/b/k", {{"x-amz-content-sha256", literal}}, "data", "s3");
    req.body = "other data";
    EXPECT_TRUE(VerifyAt(req, kNow).ok()) << literal;
  }
  RequestView good =
      SignedRequest("PUT", "/b/k", {{"X-Amz-Content-Sha256", Sha256Hex("data")}}, "data", "s3");
  EXPECT_TRUE(VerifyAt(good, kNow).ok());
  good.body = "tampered";
  AuthResult r = VerifyAt(good, kNow);
  EXPECT_EQ(r.error, AuthError::kSignatureMismatch);
  EXPECT_EQ(r.message,
            "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

TEST(Verify, SecurityTokenHeaderSignedOrNot) {
  RequestView signed_token =
      SignedRequest("POST", "/", {{"X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLE"}}, "{}", "ecs");
  EXPECT_NE(Header(&signed_token, "authorization")->find("x-amz-security-token"),
            std::string::npos);
  EXPECT_TRUE(VerifyAt(signed_token, kNow).ok());
  *Header(&signed_token, "x-amz-security-token") = "FwoGZXIvYXdzOTHER";
  EXPECT_EQ(VerifyAt(signed_token, kNow).error, AuthError::kSignatureMismatch);

  RequestView unsigned_token = EcsRequest();
  unsigned_token.headers.emplace_back("X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLE");
  EXPECT_TRUE(VerifyAt(unsigned_token, kNow).ok());
}

RequestView PresignedRequest(const std::string& target) {
  RequestView req;
  req.method = "GET";
  req.target = target;
  req.headers = {{"Host", kHost}};
  return req;
}

TEST(Presign, VerifiesUntilExpiry) {
  std::string url = Presign(kHost, "/my-bucket/a%20key.txt", kCreds, "us-east-1", "s3", kNow, 300);
  EXPECT_EQ(url.rfind("/my-bucket/a%20key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
                      "X-Amz-Credential=AKIDBERTHLOCAL%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&"
                      "X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&"
                      "X-Amz-Signature=",
                      0),
            0u);
  AuthResult r = VerifyAt(PresignedRequest(url), kNow + 300 * 1000);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.service, "s3");

  r = VerifyAt(PresignedRequest(url), kNow + 301 * 1000);
  EXPECT_EQ(r.error, AuthError::kExpired);
  EXPECT_EQ(r.message, "Request has expired");

  // A presigned URL is usable long after 15 minutes, if its expiry allows.
  std::string day = Presign(kHost, "/b/k", kCreds, "us-east-1", "s3", kNow, 86400);
  EXPECT_TRUE(VerifyAt(PresignedRequest(day), kNow + 3600 * 1000).ok());
  EXPECT_EQ(VerifyAt(PresignedRequest(day), kNow - 20 * kMinute).error, AuthError::kExpired);
}

TEST(Presign, TamperedIsMismatch) {
  std::string url = Presign(kHost, "/b/key?versionId=1", kCreds, "us-east-1", "s3", kNow, 60);
  EXPECT_TRUE(VerifyAt(PresignedRequest(url), kNow).ok());
  std::string other_key = url;
  other_key.replace(other_key.find("/key"), 4, "/kez");
  EXPECT_EQ(VerifyAt(PresignedRequest(other_key), kNow).error, AuthError::kSignatureMismatch);
  std::string other_param = url;
  other_param.replace(other_param.find("versionId=1"), 11, "versionId=2");
  EXPECT_EQ(VerifyAt(PresignedRequest(other_param), kNow).error, AuthError::kSignatureMismatch);
  std::string longer = url;
  longer.replace(longer.find("X-Amz-Expires=60"), 16, "X-Amz-Expires=600");
  EXPECT_EQ(VerifyAt(PresignedRequest(longer), kNow).error, AuthError::kSignatureMismatch);
  RequestView other_host = PresignedRequest(url);
  other_host.headers[0].second = "evil.example:80";
  EXPECT_EQ(VerifyAt(other_host, kNow).error, AuthError::kSignatureMismatch);
  EXPECT_EQ(Verify(PresignedRequest(url), Credentials{"AKIDX", "s"}, kNow).error,
            AuthError::kUnknownKey);
}

TEST(Presign, WithSecurityToken) {
  std::string url = Presign(kHost, "/b/k?X-Amz-Security-Token=FwoG%2Fabc%2B%3D", kCreds,
                            "us-east-1", "s3", kNow, 60);
  EXPECT_TRUE(VerifyAt(PresignedRequest(url), kNow).ok());
  std::string tampered = url;
  tampered.replace(tampered.find("FwoG"), 4, "FwoH");
  EXPECT_EQ(VerifyAt(PresignedRequest(tampered), kNow).error, AuthError::kSignatureMismatch);
}

TEST(Presign, MalformedQuery) {
  std::string url = Presign(kHost, "/b/k", kCreds, "us-east-1", "s3", kNow, 60);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string u = url;
    u.replace(u.find(from), from.size(), to);
    return VerifyAt(PresignedRequest(u), kNow);
  };
  AuthResult r = with("&X-Amz-Expires=60", "");
  EXPECT_EQ(r.error, AuthError::kIncompleteSignature);
  EXPECT_EQ(r.message.rfind("Query-string authentication version 4 requires", 0), 0u);
  r = with("X-Amz-Expires=60", "X-Amz-Expires=604801");
  EXPECT_EQ(r.error, AuthError::kIncompleteSignature);
  EXPECT_EQ(r.message, "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  EXPECT_EQ(with("X-Amz-Expires=60", "X-Amz-Expires=0").error, AuthError::kIncompleteSignature);
  EXPECT_EQ(with("X-Amz-Expires=60", "X-Amz-Expires=99999999999999999999").error,
            AuthError::kIncompleteSignature);
  EXPECT_EQ(with("X-Amz-Expires=60", "X-Amz-Expires=-5").error, AuthError::kIncompleteSignature);
  EXPECT_EQ(with("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1").error, AuthError::kIncompleteSignature);
  EXPECT_EQ(with("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x").error,
            AuthError::kIncompleteSignature);
  EXPECT_EQ(with("X-Amz-Date=20150830T123600Z", "X-Amz-Date=yesterday").error,
            AuthError::kIncompleteSignature);
}

// Session credentials (a task role's): the token must come with them, they expire, and the
// daemon's own key keeps working beside them.
const SessionCredentials kSession{{"ASIATASKROLE0000001", "task-secret-key"}, "the-session-token",
                                  kNow + kMinute};

SessionLookup LookupOnly(const SessionCredentials& s) {
  return [s](const std::string& key) -> std::optional<SessionCredentials> {
    if (key == s.creds.access_key_id) return s;
    return std::nullopt;
  };
}

RequestView SessionRequest(const std::string& token) {
  Headers headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"}};
  if (!token.empty()) headers.emplace_back("X-Amz-Security-Token", token);
  Headers added = Sign("POST", kHost, "/", headers, "{}", kSession.creds, "us-east-1", "ecs", kNow);
  RequestView req;
  req.method = "POST";
  req.target = "/";
  req.headers = std::move(headers);
  req.headers.emplace_back("Host", kHost);
  req.headers.insert(req.headers.end(), added.begin(), added.end());
  req.body = "{}";
  return req;
}

TEST(VerifyWithSessions, AcceptsTheSessionKeyWithItsToken) {
  AuthResult r = VerifyWithSessions(SessionRequest("the-session-token"), kCreds,
                                    LookupOnly(kSession), kNow);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.creds.secret_access_key, "task-secret-key");
  EXPECT_TRUE(VerifyWithSessions(EcsRequest(), kCreds, LookupOnly(kSession), kNow).ok());
}

TEST(VerifyWithSessions, RefusesAMissingOrWrongToken) {
  for (const std::string token : {"", "the-session-tokeN", "x"}) {
    AuthResult r = VerifyWithSessions(SessionRequest(token), kCreds, LookupOnly(kSession), kNow);
    EXPECT_EQ(r.error, AuthError::kInvalidToken) << token;
    EXPECT_EQ(r.message, "The security token included in the request is invalid.");
  }
}

TEST(VerifyWithSessions, RefusesExpiredCredentials) {
  AuthResult r = VerifyWithSessions(SessionRequest("the-session-token"), kCreds,
                                    LookupOnly(kSession), kNow + kMinute);
  EXPECT_EQ(r.error, AuthError::kExpiredToken);
  EXPECT_EQ(r.message, "The security token included in the request is expired");
}

TEST(VerifyWithSessions, UnknownKeysAndNoLookupStayUnknown) {
  SessionCredentials other = kSession;
  other.creds.access_key_id = "ASIAOTHER";
  EXPECT_EQ(VerifyWithSessions(SessionRequest("the-session-token"), kCreds, LookupOnly(other),
                               kNow).error,
            AuthError::kUnknownKey);
  EXPECT_EQ(VerifyWithSessions(SessionRequest("the-session-token"), kCreds, nullptr, kNow).error,
            AuthError::kUnknownKey);
}

TEST(VerifyWithSessions, AWrongSecretIsASignatureMismatch) {
  SessionCredentials wrong = kSession;
  wrong.creds.secret_access_key = "another-secret";
  EXPECT_EQ(VerifyWithSessions(SessionRequest("the-session-token"), kCreds, LookupOnly(wrong),
                               kNow).error,
            AuthError::kSignatureMismatch);
}

}  // namespace
}  // namespace berth::auth
