// Internal to api/s3: one S3 call as the handlers see it (address, query, headers, the
// received body), S3's error shape, the body receiver and small wire helpers.
// Control thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth/sigv4.h"
#include "api/http/http_types.h"
#include "api/s3/aws_chunked.h"
#include "common/clock.h"
#include "common/status.h"
#include "objects/checksum.h"
#include "objects/object_store.h"

namespace berth::api::s3 {

// An S3 error: HTTP status, S3's Code and Message, and extra elements (Key, BucketName, …).
struct S3Error {
  using Extra = std::vector<std::pair<std::string, std::string>>;
  S3Error() = default;
  S3Error(int status, std::string code, std::string message, Extra extra = {})
      : status(status), code(std::move(code)), message(std::move(message)),
        extra(std::move(extra)) {}

  int status = 400;
  std::string code;
  std::string message;
  Extra extra;
};

// Status from the object store → S3 error, by (code, resource) only.
S3Error ErrorFromStatus(const Status& s);
// The XML error document (no body for HEAD).
HttpResponse ErrorResponse(const S3Error& e, bool head, const std::string& request_id);

enum class Op {
  kUnknown,
  kListBuckets,
  kCreateBucket,
  kDeleteBucket,
  kHeadBucket,
  kGetBucketLocation,
  kListObjectsV1,
  kListObjectsV2,
  kListMultipartUploads,
  kDeleteObjects,
  kPutObject,
  kCopyObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kCreateMultipartUpload,
  kUploadPart,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kListParts,
  kPutObjectTagging,
  kGetObjectTagging,
  kDeleteObjectTagging,
};

// How an operation's body is received.
enum class BodyMode { kNone, kMemory, kFile };
BodyMode BodyModeOf(Op op);

struct Call {
  HttpRequest head;  // method, target, headers (body empty)
  std::string region;
  std::string host;                                        // as sent
  std::string bucket;                                      // "" for the service (ListBuckets)
  std::string key;                                         // "" when the request addresses a bucket
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::string request_id;
  Op op = Op::kUnknown;

  // Filled from the received body.
  std::string body;                       // kMemory
  std::optional<objects::TempFile> file;  // kFile
  std::string md5_hex;                    // of the decoded body
  std::string checksum_algorithm;         // verified x-amz-checksum-* (header or trailer)
  std::string checksum;                   // base64

  bool Has(std::string_view name) const;
  std::string Q(std::string_view name) const;
  std::string H(std::string_view name) const { return head.Header(name); }
  bool is_head() const { return head.method == "HEAD"; }
};

// Receives one request body: undoes aws-chunked, checks chunk signatures, x-amz-content-sha256,
// Content-MD5 and x-amz-checksum-* (header or trailer), and keeps the bytes in memory (bounded)
// or in a TempFile of the store. Every digest is computed as the bytes pass: constant memory.
class BodyReceiver {
 public:
  static constexpr size_t kMaxMemoryBody = 1024 * 1024;

  // Checks the body-related headers of call.head; an error means refuse before reading.
  static std::optional<S3Error> Create(const Call& call, const auth::Credentials& creds,
                                       const auth::AuthResult& auth, BodyMode mode,
                                       objects::ObjectStore& store,
                                       std::unique_ptr<BodyReceiver>* out);

  // Raw bytes from the wire; false on an error (see error()).
  bool Write(std::string_view raw);
  // The body is complete: verifies everything and moves the result into call.
  std::optional<S3Error> Finish(Call& call);
  const std::optional<S3Error>& error() const { return error_; }

 private:
  BodyReceiver() = default;
  bool Store(std::string_view data);

  BodyMode mode_ = BodyMode::kNone;
  std::optional<AwsChunkedDecoder> chunked_;
  std::optional<objects::TempFile> file_;
  std::string memory_;
  uint64_t size_ = 0;
  objects::Digest md5_{objects::Algorithm::kMd5};
  std::optional<objects::Digest> sha256_;  // when x-amz-content-sha256 is a hash
  std::string expected_sha256_;
  std::string expected_md5_;  // raw 16 bytes, from Content-MD5
  std::optional<objects::Digest> checksum_;
  std::string checksum_header_;    // x-amz-checksum-…
  std::string expected_checksum_;  // base64; empty = from the trailer
  bool checksum_in_trailer_ = false;
  std::optional<uint64_t> decoded_length_;  // x-amz-decoded-content-length
  std::optional<S3Error> error_;
};

// What PutObject / CreateMultipartUpload / CopyObject REPLACE set: Content-Type, the standard
// headers, x-amz-meta-*, x-amz-tagging. An error for a malformed x-amz-tagging.
std::optional<S3Error> AttributesFromHeaders(const Call& c, objects::ObjectAttributes* out);
// x-amz-tagging's URL-query form.
std::optional<S3Error> ParseTaggingHeader(const std::string& value, objects::Pairs* out);

// Responses: an XML document, an empty answer, a store failure (with the bucket and key).
class XmlWriter;
HttpResponse XmlResponse(const Call& c, const XmlWriter& w, int status = 200);
HttpResponse EmptyResponse(const Call& c, int status = 200);
HttpResponse Failure(const Call& c, const Status& s);
HttpResponse Failure(const Call& c, S3Error e);

// "Wed, 12 Oct 2009 17:50:00 GMT"
std::string HttpDate(TimeMs t);
bool ParseHttpDate(const std::string& s, TimeMs* out);
// "2009-10-12T17:50:30.000Z"
std::string IsoDate(TimeMs t);
// S3's URL encoding for encoding-type=url listings (keeps '/').
std::string UrlEncodeKey(std::string_view key);
inline std::string Quoted(const std::string& etag) { return "\"" + etag + "\""; }

}  // namespace berth::api::s3
