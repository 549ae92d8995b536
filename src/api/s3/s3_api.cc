// S3Api: addressing (path or virtual host), the operation table, the streamed exchange that
// receives a body and then runs the operation, and SigV4 failures as S3 errors.
#include "api/s3/s3_api.h"

#include "api/s3/s3_internal.h"
#include "common/ids.h"

namespace berth::api::s3 {

namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PctDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 && HexVal(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexVal(s[i + 1]) << 4 | HexVal(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t qm = target.find('?');
  if (qm == std::string_view::npos) return out;
  std::string_view q = target.substr(qm + 1);
  size_t start = 0;
  while (start < q.size()) {
    size_t amp = q.find('&', start);
    if (amp == std::string_view::npos) amp = q.size();
    std::string_view kv = q.substr(start, amp - start);
    size_t eq = kv.find('=');
    if (!kv.empty()) {
      out.emplace_back(PctDecode(kv.substr(0, eq)),
                       eq == std::string_view::npos ? "" : PctDecode(kv.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return out;
}

// The bucket named by a virtual-host style Host ("BUCKET.localhost:PORT"), or "".
std::string VirtualHostBucket(const std::string& host) {
  std::string h = host.substr(0, host.rfind(':'));
  static const std::string kSuffix = ".localhost";
  if (h.size() > kSuffix.size() &&
      h.compare(h.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
    return h.substr(0, h.size() - kSuffix.size());
  }
  return "";
}

Op Route(const Call& c) {
  const std::string& m = c.head.method;
  if (c.bucket.empty()) return m == "GET" ? Op::kListBuckets : Op::kUnknown;
  if (c.key.empty()) {
    if (m == "PUT" && c.query.empty()) return Op::kCreateBucket;
    if (m == "DELETE" && c.query.empty()) return Op::kDeleteBucket;
    if (m == "HEAD") return Op::kHeadBucket;
    if (m == "POST" && c.Has("delete")) return Op::kDeleteObjects;
    if (m == "GET") {
      if (c.Has("location")) return Op::kGetBucketLocation;
      if (c.Has("uploads")) return Op::kListMultipartUploads;
      if (c.Q("list-type") == "2") return Op::kListObjectsV2;
      for (const char* sub : {"acl", "policy", "cors", "lifecycle", "versioning", "website",
                              "tagging", "encryption", "logging", "notification", "replication",
                              "versions", "object-lock", "ownershipControls", "accelerate",
                              "requestPayment", "publicAccessBlock", "policyStatus"}) {
        if (c.Has(sub)) return Op::kUnknown;
      }
      return Op::kListObjectsV1;
    }
    return Op::kUnknown;
  }
  if (m == "PUT") {
    if (c.Has("tagging")) return Op::kPutObjectTagging;
    if (c.Has("uploadId") || c.Has("partNumber")) {
      return c.H("x-amz-copy-source").empty() ? Op::kUploadPart : Op::kUnknown;
    }
    if (c.Has("acl") || c.Has("retention") || c.Has("legal-hold")) return Op::kUnknown;
    return c.H("x-amz-copy-source").empty() ? Op::kPutObject : Op::kCopyObject;
  }
  if (m == "GET") {
    if (c.Has("tagging")) return Op::kGetObjectTagging;
    if (c.Has("uploadId")) return Op::kListParts;
    if (c.Has("acl") || c.Has("attributes") || c.Has("torrent")) return Op::kUnknown;
    return Op::kGetObject;
  }
  if (m == "HEAD") return Op::kHeadObject;
  if (m == "DELETE") {
    if (c.Has("tagging")) return Op::kDeleteObjectTagging;
    if (c.Has("uploadId")) return Op::kAbortMultipartUpload;
    return Op::kDeleteObject;
  }
  if (m == "POST") {
    if (c.Has("uploads")) return Op::kCreateMultipartUpload;
    if (c.Has("uploadId")) return Op::kCompleteMultipartUpload;
  }
  return Op::kUnknown;
}

S3Error AuthFailure(const auth::AuthResult& a, bool presigned) {
  switch (a.error) {
    case auth::AuthError::kMissingToken:
      return {403, "AccessDenied", "Access Denied", {}};
    case auth::AuthError::kIncompleteSignature:
      return {presigned ? 400 : 400,
              presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed",
              a.message,
              {}};
    case auth::AuthError::kUnknownKey:
      return {403,
              "InvalidAccessKeyId",
              "The AWS Access Key Id you provided does not exist in our records.",
              {{"AWSAccessKeyId", a.access_key_id}}};
    case auth::AuthError::kExpired:
      if (presigned) return {403, "AccessDenied", "Request has expired", {}};
      return {403,
              "RequestTimeTooSkewed",
              "The difference between the request time and the current time is too large.",
              {}};
    case auth::AuthError::kInvalidToken:
      return {400, "InvalidToken", "The provided token is malformed or otherwise invalid.", {}};
    case auth::AuthError::kExpiredToken:
      return {400, "ExpiredToken", "The provided token has expired.", {}};
    case auth::AuthError::kSignatureMismatch:
    case auth::AuthError::kNone:
      break;
  }
  return {403, "SignatureDoesNotMatch", a.message, {}};
}

// One S3 request in flight: receives its body, then runs the operation.
class Exchange : public StreamedRequest {
 public:
  Exchange(S3Api& api, Call call, std::unique_ptr<BodyReceiver> body)
      : api_(api), call_(std::move(call)), body_(std::move(body)) {}

  bool OnBody(std::string_view bytes) override { return body_->Write(bytes); }

  HttpResponse Finish(bool complete) override {
    if (!complete) {
      S3Error e = body_->error().value_or(
          S3Error{400, "IncompleteBody", "The request body ended early.", {}});
      HttpResponse r = ErrorResponse(e, call_.is_head(), call_.request_id);
      r.close = true;
      return r;
    }
    if (auto e = body_->Finish(call_)) return ErrorResponse(*e, call_.is_head(), call_.request_id);
    body_.reset();
    return api_.Run(call_);
  }

 private:
  S3Api& api_;
  Call call_;
  std::unique_ptr<BodyReceiver> body_;
};

}  // namespace

StreamStart S3Api::Begin(const HttpRequest& head, const auth::AuthResult& auth) {
  Call call;
  call.head = head;
  call.head.body.clear();
  call.request_id = RandomAlnum(16, /*upper_only=*/true);
  call.region = auth.region.empty() ? options_.default_region : auth.region;
  call.host = head.Header("Host");
  call.query = ParseQuery(head.target);
  // The JS SDK names the operation in ?x-id=…; the method and subresources already do.
  std::erase_if(call.query, [](const auto& kv) { return kv.first == "x-id"; });
  StreamStart start;
  if (!auth.ok()) {
    start.reject = ErrorResponse(AuthFailure(auth, call.Has("X-Amz-Algorithm")), call.is_head(),
                                 call.request_id);
    return start;
  }
  std::string path = head.Path();
  std::string vbucket = VirtualHostBucket(call.host);
  if (!vbucket.empty()) {
    call.bucket = vbucket;
    call.key = PctDecode(path.size() > 1 ? path.substr(1) : "");
  } else {
    size_t slash = path.find('/', 1);
    call.bucket =
        PctDecode(path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1));
    if (slash != std::string::npos) call.key = PctDecode(path.substr(slash + 1));
  }
  call.op = Route(call);
  if (call.op == Op::kUnknown) {
    start.reject =
        ErrorResponse({501,
                       "NotImplemented",
                       "berth's S3 does not implement " + head.method + " " + head.target + ".",
                       {}},
                      call.is_head(), call.request_id);
    return start;
  }
  std::unique_ptr<BodyReceiver> body;
  if (auto e = BodyReceiver::Create(call, auth.creds, auth, BodyModeOf(call.op), store_,
                                    &body)) {
    start.reject = ErrorResponse(*e, call.is_head(), call.request_id);
    return start;
  }
  start.stream = std::make_unique<Exchange>(*this, std::move(call), std::move(body));
  return start;
}

HttpResponse S3Api::Run(Call& c) {
  switch (c.op) {
    case Op::kListBuckets:
      return ListBuckets(c);
    case Op::kCreateBucket:
      return CreateBucket(c);
    case Op::kDeleteBucket:
      return DeleteBucket(c);
    case Op::kHeadBucket:
      return HeadBucket(c);
    case Op::kGetBucketLocation:
      return GetBucketLocation(c);
    case Op::kListObjectsV1:
      return ListObjects(c, false);
    case Op::kListObjectsV2:
      return ListObjects(c, true);
    case Op::kListMultipartUploads:
      return ListMultipartUploads(c);
    case Op::kDeleteObjects:
      return DeleteObjects(c);
    case Op::kPutObject:
      return PutObject(c);
    case Op::kCopyObject:
      return CopyObject(c);
    case Op::kGetObject:
    case Op::kHeadObject:
      return GetObject(c);
    case Op::kDeleteObject:
      return DeleteObject(c);
    case Op::kCreateMultipartUpload:
      return CreateMultipartUpload(c);
    case Op::kUploadPart:
      return UploadPart(c);
    case Op::kCompleteMultipartUpload:
      return CompleteMultipartUpload(c);
    case Op::kAbortMultipartUpload:
      return AbortMultipartUpload(c);
    case Op::kListParts:
      return ListParts(c);
    case Op::kPutObjectTagging:
      return PutObjectTagging(c);
    case Op::kGetObjectTagging:
      return GetObjectTagging(c);
    case Op::kDeleteObjectTagging:
      return DeleteObjectTagging(c);
    case Op::kUnknown:
      break;
  }
  return ErrorResponse({501, "NotImplemented", "Not implemented.", {}}, c.is_head(), c.request_id);
}

}  // namespace berth::api::s3
