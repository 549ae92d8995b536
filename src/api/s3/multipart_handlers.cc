// S3Api's multipart upload actions: CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload and ListParts.
#include "api/s3/s3_api.h"
#include "api/s3/s3_internal.h"
#include "api/s3/s3_xml.h"

namespace berth::api::s3 {

namespace {

bool ParseNumber(const std::string& s, int max, int* out) {
  if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stoi(s);
  return *out <= max;
}

}  // namespace

HttpResponse S3Api::CreateMultipartUpload(Call& c) {
  objects::ObjectAttributes attrs;
  if (auto e = AttributesFromHeaders(c, &attrs)) return Failure(c, *e);
  auto id = store_.CreateMultipartUpload(c.bucket, c.key, attrs);
  if (!id.ok()) return Failure(c, id.status());
  XmlWriter w;
  w.OpenRoot("InitiateMultipartUploadResult");
  w.Element("Bucket", c.bucket);
  w.Element("Key", c.key);
  w.Element("UploadId", *id);
  w.Close("InitiateMultipartUploadResult");
  HttpResponse r = XmlResponse(c, w);
  std::string algo = c.H("x-amz-checksum-algorithm");
  if (!algo.empty()) r.headers.emplace_back("x-amz-checksum-algorithm", algo);
  return r;
}

HttpResponse S3Api::UploadPart(Call& c) {
  int number = 0;
  if (!ParseNumber(c.Q("partNumber"), objects::ObjectStore::kMaxPartNumber, &number) ||
      number < 1) {
    return Failure(c,
                   S3Error{400,
                           "InvalidArgument",
                           "Part number must be an integer between 1 and 10000, inclusive",
                           {{"ArgumentName", "partNumber"}, {"ArgumentValue", c.Q("partNumber")}}});
  }
  auto part =
      store_.UploadPart(c.bucket, c.key, c.Q("uploadId"), number, std::move(*c.file), c.md5_hex);
  if (!part.ok()) return Failure(c, part.status());
  HttpResponse r = EmptyResponse(c);
  r.headers.emplace_back("ETag", Quoted(part->etag));
  if (!c.checksum.empty()) {
    r.headers.emplace_back(
        objects::ChecksumHeader(*objects::ChecksumAlgorithmFromName(c.checksum_algorithm)),
        c.checksum);
  }
  return r;
}

HttpResponse S3Api::CompleteMultipartUpload(Call& c) {
  auto parts = ParseCompleteMultipartUpload(c.body);
  if (!parts.ok()) return Failure(c, S3Error{400, "MalformedXML", parts.status().message(), {}});
  auto info = store_.CompleteMultipartUpload(c.bucket, c.key, c.Q("uploadId"), *parts);
  if (!info.ok()) return Failure(c, info.status());
  XmlWriter w;
  w.OpenRoot("CompleteMultipartUploadResult");
  w.Element("Location", "http://" + c.host + "/" + c.bucket + "/" + UrlEncodeKey(c.key));
  w.Element("Bucket", c.bucket);
  w.Element("Key", c.key);
  w.Element("ETag", Quoted(info->etag));
  w.Close("CompleteMultipartUploadResult");
  return XmlResponse(c, w);
}

HttpResponse S3Api::AbortMultipartUpload(Call& c) {
  Status st = store_.AbortMultipartUpload(c.bucket, c.key, c.Q("uploadId"));
  if (!st.ok()) return Failure(c, st);
  return EmptyResponse(c, 204);
}

HttpResponse S3Api::ListParts(Call& c) {
  int max_parts = 1000, marker = 0;
  if ((c.Has("max-parts") && !ParseNumber(c.Q("max-parts"), 1000000, &max_parts)) ||
      (c.Has("part-number-marker") && !ParseNumber(c.Q("part-number-marker"), 1000000, &marker))) {
    return Failure(c, S3Error{400,
                              "InvalidArgument",
                              "max-parts and part-number-marker must be "
                              "integers",
                              {}});
  }
  max_parts = std::min(max_parts, 1000);
  auto parts = store_.ListParts(c.bucket, c.key, c.Q("uploadId"));
  if (!parts.ok()) return Failure(c, parts.status());
  XmlWriter w;
  w.OpenRoot("ListPartsResult");
  w.Element("Bucket", c.bucket);
  w.Element("Key", c.key);
  w.Element("UploadId", c.Q("uploadId"));
  w.Element("PartNumberMarker", marker);
  int count = 0, last = marker;
  bool truncated = false;
  for (const auto& p : *parts) {
    if (p.number <= marker) continue;
    if (count == max_parts) {
      truncated = true;
      break;
    }
    ++count;
    last = p.number;
    w.Open("Part");
    w.Element("PartNumber", p.number);
    w.Element("LastModified", IsoDate(p.last_modified));
    w.Element("ETag", Quoted(p.etag));
    w.Element("Size", static_cast<long long>(p.size));
    w.Close("Part");
  }
  w.Element("NextPartNumberMarker", last);
  w.Element("MaxParts", max_parts);
  w.Bool("IsTruncated", truncated);
  w.Element("StorageClass", "STANDARD");
  w.Close("ListPartsResult");
  return XmlResponse(c, w);
}

}  // namespace berth::api::s3
