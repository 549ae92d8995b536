// AwsChunkedDecoder: S3's aws-chunked content encoding, decoded as the bytes stream in.
//
//   SIZE-HEX[;chunk-signature=SIG]\r\n DATA \r\n  …  0[;chunk-signature=SIG]\r\n
//   [TRAILER-NAME:VALUE\r\n]* [x-amz-trailer-signature:SIG\r\n] \r\n
//
// Signed forms (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) must carry every chunk's
// signature, checked against the ChunkSignatureChain (and the trailer's, for -TRAILER); the
// unsigned form (STREAMING-UNSIGNED-PAYLOAD-TRAILER) must carry none. Trailers (e.g.
// x-amz-checksum-crc32) are collected for the caller to verify. Lines are bounded (4 KiB),
// trailers too (16 lines); anything else malformed is an error. Fuzzed (fuzz/fuzz_s3.cc).
//
// Threads: one decoder per request, used by one thread (the control thread).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth/sigv4.h"
#include "objects/checksum.h"

namespace berth::api::s3 {

class AwsChunkedDecoder {
 public:
  enum class Error { kNone, kMalformed, kSignature, kIncomplete };
  // chain: null for the unsigned form. signed_trailer: the trailer carries a signature.
  AwsChunkedDecoder(std::optional<auth::ChunkSignatureChain> chain, bool signed_trailer)
      : chain_(std::move(chain)), signed_trailer_(signed_trailer) {}

  // Decodes the next raw bytes; data bytes go to `out` (which may fail: its message is kept
  // and kMalformed returned... see error_message()). Returns kNone to go on.
  using Sink = std::function<bool(std::string_view data)>;
  Error Feed(std::string_view bytes, const Sink& out);
  // The body ended: kIncomplete unless the final chunk and the trailer section were complete.
  Error Finish();

  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  uint64_t decoded_size() const { return decoded_; }
  const std::string& error_message() const { return message_; }

 private:
  enum class State { kSizeLine, kData, kDataCr, kDataLf, kTrailer, kDone };
  Error Fail(Error e, std::string message) {
    message_ = std::move(message);
    failed_ = e;
    return e;
  }
  Error SizeLine(std::string_view line);
  Error TrailerLine(std::string_view line);
  Error EndOfChunk();

  std::optional<auth::ChunkSignatureChain> chain_;
  bool signed_trailer_ = false;
  State state_ = State::kSizeLine;
  std::string line_;
  uint64_t remaining_ = 0;
  bool final_chunk_ = false;
  std::string chunk_signature_;
  objects::Digest chunk_sha_{objects::Algorithm::kSha256};
  std::vector<std::pair<std::string, std::string>> trailers_;
  std::string trailer_signature_;
  std::string trailer_text_;
  uint64_t decoded_ = 0;
  Error failed_ = Error::kNone;
  std::string message_;
};

}  // namespace berth::api::s3
