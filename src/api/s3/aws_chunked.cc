#include "api/s3/aws_chunked.h"

namespace berth::api::s3 {

namespace {

constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxTrailers = 16;
constexpr std::string_view kSigExt = "chunk-signature=";

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

AwsChunkedDecoder::Error AwsChunkedDecoder::SizeLine(std::string_view line) {
  size_t semi = line.find(';');
  std::string_view hex = line.substr(0, semi);
  if (hex.empty() || hex.size() > 12) return Fail(Error::kMalformed, "bad chunk size");
  uint64_t size = 0;
  for (char c : hex) {
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) return Fail(Error::kMalformed, "bad chunk size");
    size = size * 16 + static_cast<uint64_t>(v);
  }
  chunk_signature_.clear();
  if (semi != std::string_view::npos) {
    std::string_view ext = line.substr(semi + 1);
    if (ext.substr(0, kSigExt.size()) != kSigExt) {
      return Fail(Error::kMalformed, "unknown chunk extension");
    }
    chunk_signature_ = std::string(ext.substr(kSigExt.size()));
    if (chunk_signature_.size() != 64 || !IsLowerHex(chunk_signature_)) {
      return Fail(Error::kMalformed, "bad chunk signature");
    }
  }
  if (chain_.has_value() != !chunk_signature_.empty()) {
    return Fail(chain_ ? Error::kSignature : Error::kMalformed,
                chain_ ? "a chunk of a signed aws-chunked body has no signature"
                       : "a chunk signature in an unsigned aws-chunked body");
  }
  remaining_ = size;
  final_chunk_ = size == 0;
  chunk_sha_ = objects::Digest(objects::Algorithm::kSha256);
  if (final_chunk_) {
    Error e = EndOfChunk();
    if (e != Error::kNone) return e;
    state_ = State::kTrailer;
  } else {
    state_ = State::kData;
  }
  return Error::kNone;
}

AwsChunkedDecoder::Error AwsChunkedDecoder::EndOfChunk() {
  if (!chain_) return Error::kNone;
  std::string expected = chain_->NextChunk(objects::HexEncode(chunk_sha_.Finish()));
  if (!auth::ConstantTimeEquals(expected, chunk_signature_)) {
    return Fail(Error::kSignature,
                "The request signature we calculated does not match the signature you provided "
                "(aws-chunked chunk signature).");
  }
  return Error::kNone;
}

AwsChunkedDecoder::Error AwsChunkedDecoder::TrailerLine(std::string_view line) {
  if (line.empty()) {
    if (signed_trailer_) {
      if (trailer_signature_.empty()) return Fail(Error::kSignature, "the trailer is not signed");
      std::string expected = chain_ ? chain_->Trailer(trailer_text_) : "";
      if (!auth::ConstantTimeEquals(expected, trailer_signature_)) {
        return Fail(Error::kSignature,
                    "The request signature we calculated does not match the signature you "
                    "provided (aws-chunked trailer signature).");
      }
    }
    state_ = State::kDone;
    return Error::kNone;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(Error::kMalformed, "bad trailing header");
  }
  std::string name(Trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  std::string value(Trim(line.substr(colon + 1)));
  if (name == "x-amz-trailer-signature") {
    trailer_signature_ = value;
    return Error::kNone;
  }
  if (trailers_.size() >= kMaxTrailers) return Fail(Error::kMalformed, "too many trailers");
  trailer_text_ += name + ":" + value + "\n";
  trailers_.emplace_back(std::move(name), std::move(value));
  return Error::kNone;
}

AwsChunkedDecoder::Error AwsChunkedDecoder::Feed(std::string_view bytes, const Sink& out) {
  if (failed_ != Error::kNone) return failed_;
  size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::kSizeLine:
      case State::kTrailer: {
        size_t nl = bytes.find('\n', i);
        size_t take = (nl == std::string_view::npos ? bytes.size() : nl + 1) - i;
        if (line_.size() + take > kMaxLine) return Fail(Error::kMalformed, "line too long");
        line_.append(bytes.substr(i, take));
        i += take;
        if (line_.back() != '\n') break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          return Fail(Error::kMalformed, "a line does not end with CRLF");
        }
        std::string line = line_.substr(0, line_.size() - 2);
        line_.clear();
        Error e = state_ == State::kSizeLine ? SizeLine(line) : TrailerLine(line);
        if (e != Error::kNone) return e;
        break;
      }
      case State::kData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size() - i));
        std::string_view data = bytes.substr(i, take);
        if (chain_) chunk_sha_.Update(data);
        if (!out(data)) return Fail(Error::kMalformed, "the body could not be stored");
        decoded_ += take;
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (bytes[i++] != '\r') return Fail(Error::kMalformed, "chunk data not followed by CRLF");
        state_ = State::kDataLf;
        break;
      case State::kDataLf: {
        if (bytes[i++] != '\n') return Fail(Error::kMalformed, "chunk data not followed by CRLF");
        Error e = EndOfChunk();
        if (e != Error::kNone) return e;
        state_ = State::kSizeLine;
        break;
      }
      case State::kDone:
        // Only line ends may follow the end of the body.
        if (bytes[i] != '\r' && bytes[i] != '\n') {
          return Fail(Error::kMalformed, "data after the end of an aws-chunked body");
        }
        ++i;
        break;
    }
  }
  return Error::kNone;
}

AwsChunkedDecoder::Error AwsChunkedDecoder::Finish() {
  if (failed_ != Error::kNone) return failed_;
  // Some clients end the trailer section without its final empty line.
  if (state_ == State::kTrailer && line_.empty()) {
    Error e = TrailerLine("");
    if (e != Error::kNone) return e;
  }
  if (state_ != State::kDone) {
    return Fail(Error::kIncomplete,
                "You did not provide the number of bytes specified by the Content-Length HTTP "
                "header.");
  }
  return Error::kNone;
}

}  // namespace berth::api::s3
