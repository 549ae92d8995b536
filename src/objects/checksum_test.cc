#include "objects/checksum.h"

#include <gtest/gtest.h>

namespace berth::objects {
namespace {

TEST(Checksum, KnownVectors) {
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(HexEncode(DigestOf(Algorithm::kMd5, "")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexEncode(DigestOf(Algorithm::kSha1, "abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexEncode(DigestOf(Algorithm::kSha256, "")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // S3's header value: base64 of the big-endian CRC.
  EXPECT_EQ(Base64Encode(DigestOf(Algorithm::kCrc32, "123456789")), "y/Q5Jg==");
  EXPECT_EQ(Base64Encode(DigestOf(Algorithm::kCrc32c, "123456789")), "4waSgw==");
}

TEST(Checksum, IncrementalEqualsOneShot) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  for (Algorithm a : {Algorithm::kMd5, Algorithm::kSha1, Algorithm::kSha256, Algorithm::kCrc32,
                      Algorithm::kCrc32c}) {
    Digest d(a);
    d.Update(std::string_view(data).substr(0, 12345));
    d.Update(std::string_view(data).substr(12345));
    EXPECT_EQ(d.Finish(), DigestOf(a, data)) << AlgorithmName(a);
  }
}

TEST(Checksum, Names) {
  EXPECT_EQ(ChecksumAlgorithmFromName("crc32c"), Algorithm::kCrc32c);
  EXPECT_EQ(ChecksumAlgorithmFromName("SHA256"), Algorithm::kSha256);
  EXPECT_FALSE(ChecksumAlgorithmFromName("md5"));
  EXPECT_EQ(ChecksumHeader(Algorithm::kCrc32), "x-amz-checksum-crc32");
}

TEST(Base64, RoundTripAndStrictness) {
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(Base64Decode("aGVsbG8"));
  EXPECT_FALSE(Base64Decode("aGV=bG8="));
  EXPECT_FALSE(Base64Decode("a==="));
  EXPECT_FALSE(Base64Decode("aGVs!G8="));
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_EQ(*HexDecode("0aFF"), std::string("\x0a\xff", 2));
}

}  // namespace
}  // namespace berth::objects
