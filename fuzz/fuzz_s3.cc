// libFuzzer target for S3's request-body parsers: the aws-chunked decoder (unsigned, signed
// with chunk signatures, signed trailer; fed in pieces whose sizes come from the input) and the
// XML reader behind DeleteObjects, CompleteMultipartUpload, Tagging and
// CreateBucketConfiguration bodies, plus the XML escaper. Input: one selector byte, then the
// body. Nothing may crash, hang or leak; every result is either a value or an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/s3/aws_chunked.h"
#include "api/s3/s3_xml.h"

using namespace berth;
using namespace berth::api::s3;

namespace {

void Chunked(std::string_view body, int mode) {
  std::optional<auth::ChunkSignatureChain> chain;
  if (mode != 0) {
    auth::AuthResult a;
    a.region = "us-east-1";
    a.service = "s3";
    a.amz_date = "20130524T000000Z";
    a.signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    chain.emplace(auth::Credentials{"AKID", "secret"}, a);
  }
  AwsChunkedDecoder d(std::move(chain), mode == 2);
  size_t total = 0;
  auto sink = [&total](std::string_view data) {
    total += data.size();
    return true;
  };
  // Piece sizes vary with the data so that every state boundary gets split somewhere.
  size_t i = 0, step = 1;
  while (i < body.size()) {
    std::string_view piece = body.substr(i, step);
    if (d.Feed(piece, sink) != AwsChunkedDecoder::Error::kNone) return;
    i += piece.size();
    step = 1 + (static_cast<unsigned char>(body[i - 1]) % 97);
  }
  (void)d.Finish();
  if (total != d.decoded_size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0:
    case 1:
    case 2:
      Chunked(body, data[0] % 8);
      break;
    case 3:
      (void)ParseDeleteObjects(body);
      break;
    case 4:
      (void)ParseCompleteMultipartUpload(body);
      break;
    case 5:
      (void)ParseTagging(body);
      break;
    case 6:
      (void)ParseCreateBucketConfiguration(body);
      break;
    case 7: {
      std::string escaped = XmlEscape(body);
      // What the writer produces must read back as well-formed XML.
      auto doc = ParseXml("<a>" + escaped + "</a>");
      if (!doc.ok()) __builtin_trap();
      break;
    }
  }
  return 0;
}
