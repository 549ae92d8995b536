#include "api/s3/aws_chunked.h"

#include <gtest/gtest.h>

#include "api/s3/s3_internal.h"

namespace berth::api::s3 {
namespace {

using Error = AwsChunkedDecoder::Error;

// The example of AWS's "Signature Calculations … Chunked Upload" page: 64 KiB + 1 KiB of 'a'.
auth::AuthResult ExampleAuth() {
  auth::AuthResult a;
  a.region = "us-east-1";
  a.service = "s3";
  a.amz_date = "20130524T000000Z";
  a.signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  return a;
}
const auth::Credentials kExampleCreds{"AKIAIOSFODNN7EXAMPLE",
                                      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};

std::string ExampleBody() {
  return "10000;chunk-signature="
         "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
         std::string(65536, 'a') +
         "\r\n400;chunk-signature="
         "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
         std::string(1024, 'a') +
         "\r\n0;chunk-signature="
         "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
}

Error Decode(AwsChunkedDecoder& d, const std::string& body, std::string* out, size_t step) {
  auto sink = [out](std::string_view data) {
    out->append(data);
    return true;
  };
  for (size_t i = 0; i < body.size(); i += step) {
    Error e = d.Feed(std::string_view(body).substr(i, step), sink);
    if (e != Error::kNone) return e;
  }
  return d.Finish();
}

TEST(AwsChunked, SignedExampleFromAwsDocs) {
  for (size_t step : {size_t{1}, size_t{7}, size_t{65536}, size_t{1} << 20}) {
    AwsChunkedDecoder d(auth::ChunkSignatureChain(kExampleCreds, ExampleAuth()), false);
    std::string out;
    ASSERT_EQ(Decode(d, ExampleBody(), &out, step), Error::kNone) << d.error_message();
    EXPECT_EQ(out, std::string(66560, 'a'));
    EXPECT_EQ(d.decoded_size(), 66560u);
  }
}

TEST(AwsChunked, TamperedChunkOrWrongSeedIsRefused) {
  std::string body = ExampleBody();
  body[200] = 'b';
  AwsChunkedDecoder d(auth::ChunkSignatureChain(kExampleCreds, ExampleAuth()), false);
  std::string out;
  EXPECT_EQ(Decode(d, body, &out, 4096), Error::kSignature);

  auth::AuthResult other = ExampleAuth();
  other.signature[0] = '5';
  AwsChunkedDecoder d2(auth::ChunkSignatureChain(kExampleCreds, other), false);
  out.clear();
  EXPECT_EQ(Decode(d2, ExampleBody(), &out, 4096), Error::kSignature);

  // A signed body must sign every chunk; an unsigned one must sign none.
  AwsChunkedDecoder d3(auth::ChunkSignatureChain(kExampleCreds, ExampleAuth()), false);
  EXPECT_EQ(Decode(d3, "5\r\nhello\r\n0\r\n\r\n", &out, 100), Error::kSignature);
  AwsChunkedDecoder d4(std::nullopt, false);
  EXPECT_EQ(Decode(d4, ExampleBody(), &out, 100), Error::kMalformed);
}

TEST(AwsChunked, UnsignedWithChecksumTrailer) {
  const std::string body =
      "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
  for (size_t step : {size_t{1}, size_t{3}, size_t{1000}}) {
    AwsChunkedDecoder d(std::nullopt, false);
    std::string out;
    ASSERT_EQ(Decode(d, body, &out, step), Error::kNone) << d.error_message();
    EXPECT_EQ(out, "hello world");
    ASSERT_EQ(d.trailers().size(), 1u);
    EXPECT_EQ(d.trailers()[0].first, "x-amz-checksum-crc32");
    EXPECT_EQ(d.trailers()[0].second, "DUoRhQ==");
    EXPECT_EQ(objects::Base64Encode(objects::DigestOf(objects::Algorithm::kCrc32, out)),
              "DUoRhQ==");
  }
  // The trailer section's final empty line may be missing.
  AwsChunkedDecoder d(std::nullopt, false);
  std::string out;
  EXPECT_EQ(Decode(d, "3\r\nabc\r\n0\r\nx-amz-checksum-crc32c:AAAAAA==\r\n", &out, 5),
            Error::kNone);
}

TEST(AwsChunked, MalformedBodies) {
  for (const std::string& body : std::vector<std::string>{
           "5\r\nhelloX\r\n0\r\n\r\n",         // data longer than its size
           "5\nhello\r\n0\r\n\r\n",            // LF without CR
           "zz\r\nhello\r\n0\r\n\r\n",         // bad hex
           "5;foo=bar\r\nhello\r\n0\r\n\r\n",  // unknown extension
           "0\r\nno-colon\r\n\r\n", "0\r\n\r\ntrailing garbage", std::string(5000, '1') + "\r\n"}) {
    AwsChunkedDecoder d(std::nullopt, false);
    std::string out;
    EXPECT_EQ(Decode(d, body, &out, 3), Error::kMalformed) << body.substr(0, 40);
  }
  for (const std::string& body : std::vector<std::string>{"", "5\r\nhel", "5\r\nhello\r\n"}) {
    AwsChunkedDecoder d(std::nullopt, false);
    std::string out;
    EXPECT_EQ(Decode(d, body, &out, 3), Error::kIncomplete) << body;
  }
}

}  // namespace
}  // namespace berth::api::s3
