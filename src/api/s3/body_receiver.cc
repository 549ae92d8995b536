// BodyReceiver: one S3 request body, decoded and verified as it streams in.
#include <strings.h>

#include "api/s3/s3_internal.h"

namespace berth::api::s3 {

namespace {

using objects::Algorithm;

S3Error BadDigestFor(Algorithm a) {
  return {400, "BadDigest",
          std::string("The ") + objects::AlgorithmName(a) +
              " you specified did not match the calculated checksum."};
}

size_t DigestSize(Algorithm a) {
  switch (a) {
    case Algorithm::kCrc32:
    case Algorithm::kCrc32c:
      return 4;
    case Algorithm::kSha1:
      return 20;
    case Algorithm::kSha256:
      return 32;
    case Algorithm::kMd5:
      return 16;
  }
  return 0;
}

}  // namespace

BodyMode BodyModeOf(Op op) {
  switch (op) {
    case Op::kPutObject:
    case Op::kUploadPart:
      return BodyMode::kFile;
    case Op::kCreateBucket:
    case Op::kDeleteObjects:
    case Op::kCompleteMultipartUpload:
    case Op::kPutObjectTagging:
      return BodyMode::kMemory;
    default:
      return BodyMode::kNone;
  }
}

std::optional<S3Error> BodyReceiver::Create(const Call& call, const auth::Credentials& creds,
                                            const auth::AuthResult& auth, BodyMode mode,
                                            objects::ObjectStore& store,
                                            std::unique_ptr<BodyReceiver>* out) {
  std::unique_ptr<BodyReceiver> r(new BodyReceiver());
  r->mode_ = mode;
  std::string sha = call.H("x-amz-content-sha256");
  // Header-signed S3 requests must say what their payload is (presigned URLs are unsigned).
  if (sha.empty() && !call.H("Authorization").empty()) {
    return S3Error{400, "InvalidRequest",
                   "Missing required header for this request: x-amz-content-sha256"};
  }
  if (sha == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
    r->chunked_.emplace(auth::ChunkSignatureChain(creds, auth), false);
  } else if (sha == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    r->chunked_.emplace(auth::ChunkSignatureChain(creds, auth), true);
  } else if (sha == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    r->chunked_.emplace(std::nullopt, false);
  } else if (!sha.empty() && sha != "UNSIGNED-PAYLOAD") {
    if (sha.size() != 64 || !objects::HexDecode(sha)) {
      return S3Error{400, "InvalidArgument",
                     "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                     "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a "
                     "valid sha256 value."};
    }
    r->sha256_.emplace(Algorithm::kSha256);
    r->expected_sha256_ = sha;
    for (char& c : r->expected_sha256_) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
  }
  std::string md5 = call.H("Content-MD5");
  if (!md5.empty()) {
    auto raw = objects::Base64Decode(md5);
    if (!raw || raw->size() != 16) {
      return S3Error{400, "InvalidDigest", "The Content-MD5 you specified was not valid."};
    }
    r->expected_md5_ = *raw;
  }
  // A checksum in a header, or announced by x-amz-trailer for the aws-chunked trailer.
  for (Algorithm a :
       {Algorithm::kCrc32, Algorithm::kCrc32c, Algorithm::kSha1, Algorithm::kSha256}) {
    std::string name = objects::ChecksumHeader(a);
    std::string value = call.H(name);
    bool in_trailer = strcasecmp(call.H("x-amz-trailer").c_str(), name.c_str()) == 0;
    if (value.empty() && !in_trailer) continue;
    if (r->checksum_) {
      return S3Error{400, "InvalidRequest", "Expecting a single x-amz-checksum- header"};
    }
    if (in_trailer && !r->chunked_) {
      return S3Error{400, "InvalidRequest",
                     "x-amz-trailer is only valid with an aws-chunked (STREAMING-…) payload."};
    }
    if (!in_trailer) {
      auto raw = objects::Base64Decode(value);
      if (!raw || raw->size() != DigestSize(a)) {
        return S3Error{400, "InvalidRequest", "Value for " + name + " header is invalid."};
      }
    }
    r->checksum_.emplace(a);
    r->checksum_header_ = name;
    r->expected_checksum_ = value;
    r->checksum_in_trailer_ = in_trailer;
  }
  std::string decoded = call.H("x-amz-decoded-content-length");
  if (!decoded.empty()) {
    if (decoded.size() > 15 || decoded.find_first_not_of("0123456789") != std::string::npos) {
      return S3Error{400, "InvalidArgument", "x-amz-decoded-content-length is not a number."};
    }
    r->decoded_length_ = std::stoull(decoded);
  }
  if (mode == BodyMode::kFile) {
    auto tmp = store.NewTempFile();
    if (!tmp.ok()) return ErrorFromStatus(tmp.status());
    r->file_.emplace(std::move(*tmp));
  }
  *out = std::move(r);
  return std::nullopt;
}

bool BodyReceiver::Store(std::string_view data) {
  size_ += data.size();
  md5_.Update(data);
  if (sha256_) sha256_->Update(data);
  if (checksum_) checksum_->Update(data);
  switch (mode_) {
    case BodyMode::kFile: {
      Status st = file_->Write(data);
      if (!st.ok()) {
        error_ = ErrorFromStatus(st);
        return false;
      }
      return true;
    }
    case BodyMode::kMemory:
    case BodyMode::kNone:
      if (memory_.size() + data.size() > kMaxMemoryBody) {
        error_ = S3Error{400, "MaxMessageLengthExceeded", "Your request was too big."};
        return false;
      }
      if (mode_ == BodyMode::kMemory) memory_.append(data);
      return true;
  }
  return true;
}

bool BodyReceiver::Write(std::string_view raw) {
  if (error_) return false;
  if (!chunked_) return Store(raw);
  auto e = chunked_->Feed(raw, [this](std::string_view d) { return Store(d); });
  if (e == AwsChunkedDecoder::Error::kNone) return true;
  if (!error_) {
    error_ = e == AwsChunkedDecoder::Error::kSignature
                 ? S3Error{403, "SignatureDoesNotMatch", chunked_->error_message()}
                 : S3Error{400, "InvalidRequest",
                           "Malformed aws-chunked body: " + chunked_->error_message()};
  }
  return false;
}

std::optional<S3Error> BodyReceiver::Finish(Call& call) {
  if (error_) return error_;
  if (chunked_) {
    auto e = chunked_->Finish();
    if (e == AwsChunkedDecoder::Error::kSignature) {
      return S3Error{403, "SignatureDoesNotMatch", chunked_->error_message()};
    }
    if (e != AwsChunkedDecoder::Error::kNone) {
      return S3Error{400, "IncompleteBody", chunked_->error_message()};
    }
    if (checksum_in_trailer_) {
      for (const auto& [k, v] : chunked_->trailers()) {
        if (k == checksum_header_) expected_checksum_ = v;
      }
      auto raw = objects::Base64Decode(expected_checksum_);
      if (!raw || raw->size() != DigestSize(checksum_->algorithm())) {
        return S3Error{400, "InvalidRequest",
                       "Value for " + checksum_header_ + " trailing header is invalid."};
      }
    }
  }
  if (decoded_length_ && *decoded_length_ != size_) {
    return S3Error{400, "IncompleteBody",
                   "You did not provide the number of bytes specified by the "
                   "x-amz-decoded-content-length header."};
  }
  if (sha256_ && objects::HexEncode(sha256_->Finish()) != expected_sha256_) {
    return S3Error{400, "XAmzContentSHA256Mismatch",
                   "The provided 'x-amz-content-sha256' header does not match what was computed."};
  }
  std::string md5 = md5_.Finish();
  if (!expected_md5_.empty() && md5 != expected_md5_) {
    return S3Error{400, "BadDigest",
                   "The Content-MD5 you specified did not match what we received."};
  }
  if (checksum_) {
    std::string got = objects::Base64Encode(checksum_->Finish());
    if (got != expected_checksum_) return BadDigestFor(checksum_->algorithm());
    call.checksum_algorithm = objects::AlgorithmName(checksum_->algorithm());
    call.checksum = got;
  }
  call.md5_hex = objects::HexEncode(md5);
  call.body = std::move(memory_);
  if (file_) call.file.emplace(std::move(*file_));
  file_.reset();
  return std::nullopt;
}

}  // namespace berth::api::s3
