// S3Api: the Amazon S3 REST protocol (REST-XML, SigV4 service "s3") over objects::ObjectStore —
// one handler per S3 action, named after it. Path-style (http://127.0.0.1:PORT/BUCKET/KEY) and
// virtual-host style (http://BUCKET.localhost:PORT/KEY) addressing.
//
//   GET /                                   ListBuckets
//   PUT|DELETE|HEAD /B                      CreateBucket / DeleteBucket / HeadBucket
//   GET /B?location                         GetBucketLocation
//   GET /B?list-type=2 | GET /B             ListObjectsV2 / ListObjects
//   GET /B?uploads                          ListMultipartUploads
//   POST /B?delete                          DeleteObjects
//   PUT /B/K [x-amz-copy-source]            PutObject / CopyObject
//   GET|HEAD|DELETE /B/K                    GetObject / HeadObject / DeleteObject
//   POST /B/K?uploads                       CreateMultipartUpload
//   PUT /B/K?partNumber&uploadId            UploadPart
//   POST|DELETE|GET /B/K?uploadId           Complete / Abort MultipartUpload, ListParts
//   PUT|GET|DELETE /B/K?tagging             Put / Get / DeleteObjectTagging
//
// Every S3 request streams (api/http StreamedRequest): the Router verifies SigV4 on the head
// (payload hash deferred) and calls Begin; bodies of PutObject/UploadPart go straight to a temp
// file of the store while aws-chunked framing, chunk signatures, x-amz-content-sha256,
// Content-MD5 and x-amz-checksum-* are checked (body_receiver.cc); GetObject answers from the
// object's file. Memory stays constant whatever the object size. Errors are S3's XML documents
// with S3's codes; Status codes from the store map through one table (s3_wire.cc).
//
// Threads: control thread only.
#pragma once

#include <string>

#include "api/auth/sigv4.h"
#include "api/http/http_types.h"
#include "objects/object_store.h"

namespace berth::api::s3 {

struct Call;

class S3Api {
 public:
  static constexpr const char* kSigningName = "s3";

  struct Options {
    std::string default_region = "us-east-1";
  };

  S3Api(objects::ObjectStore& store, Options options)
      : store_(store), options_(std::move(options)) {}

  // A request head whose credential scope is "s3", with its SigV4 result (verified with the
  // payload check deferred to the body). Refuses at once or streams the body to the handler.
  StreamStart Begin(const HttpRequest& head, const auth::AuthResult& auth);

  // Runs an operation whose body has been received and verified (s3_api.cc).
  HttpResponse Run(Call& call);

 private:
  // bucket_handlers.cc
  HttpResponse ListBuckets(Call& c);
  HttpResponse CreateBucket(Call& c);
  HttpResponse DeleteBucket(Call& c);
  HttpResponse HeadBucket(Call& c);
  HttpResponse GetBucketLocation(Call& c);
  HttpResponse ListObjects(Call& c, bool v2);
  HttpResponse ListMultipartUploads(Call& c);
  HttpResponse DeleteObjects(Call& c);
  // object_handlers.cc
  HttpResponse PutObject(Call& c);
  HttpResponse CopyObject(Call& c);
  HttpResponse GetObject(Call& c);
  HttpResponse DeleteObject(Call& c);
  HttpResponse PutObjectTagging(Call& c);
  HttpResponse GetObjectTagging(Call& c);
  HttpResponse DeleteObjectTagging(Call& c);
  // multipart_handlers.cc
  HttpResponse CreateMultipartUpload(Call& c);
  HttpResponse UploadPart(Call& c);
  HttpResponse CompleteMultipartUpload(Call& c);
  HttpResponse AbortMultipartUpload(Call& c);
  HttpResponse ListParts(Call& c);

  objects::ObjectStore& store_;
  Options options_;
};

}  // namespace berth::api::s3
