// S3Api's bucket actions: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
// GetBucketLocation, ListObjects (v1 and v2), ListMultipartUploads and DeleteObjects.
#include "api/s3/s3_api.h"
#include "api/s3/s3_internal.h"
#include "api/s3/s3_xml.h"

namespace berth::api::s3 {

namespace {

constexpr char kOwnerId[] = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

void Owner(XmlWriter& w) {
  w.Open("Owner");
  w.Element("ID", kOwnerId);
  w.Element("DisplayName", "berth");
  w.Close("Owner");
}

// max-keys / max-uploads: 0..1000 (larger values are capped, as S3 does).
bool ParseMax(const std::string& v, int* out) {
  if (v.empty()) return true;
  if (v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::min(std::stoi(v), 1000);
  return true;
}

}  // namespace

HttpResponse S3Api::ListBuckets(Call& c) {
  XmlWriter w;
  w.OpenRoot("ListAllMyBucketsResult");
  Owner(w);
  w.Open("Buckets");
  for (const auto& b : store_.ListBuckets()) {
    w.Open("Bucket");
    w.Element("Name", b.name);
    w.Element("CreationDate", IsoDate(b.created));
    w.Close("Bucket");
  }
  w.Close("Buckets");
  w.Close("ListAllMyBucketsResult");
  return XmlResponse(c, w);
}

HttpResponse S3Api::CreateBucket(Call& c) {
  auto region = ParseCreateBucketConfiguration(c.body);
  if (!region.ok()) return Failure(c, S3Error{400, "MalformedXML", region.status().message(), {}});
  std::string r = region->empty() ? c.region : *region;
  if (r == "EU") r = "eu-west-1";
  Status st = store_.CreateBucket(c.bucket, r);
  if (!st.ok()) return Failure(c, st);
  HttpResponse resp = EmptyResponse(c);
  resp.headers.emplace_back("Location", "/" + c.bucket);
  return resp;
}

HttpResponse S3Api::DeleteBucket(Call& c) {
  Status st = store_.DeleteBucket(c.bucket);
  if (!st.ok()) return Failure(c, st);
  return EmptyResponse(c, 204);
}

HttpResponse S3Api::HeadBucket(Call& c) {
  auto b = store_.GetBucket(c.bucket);
  if (!b.ok()) return Failure(c, b.status());
  HttpResponse r = EmptyResponse(c);
  r.headers.emplace_back("x-amz-bucket-region", b->region);
  return r;
}

HttpResponse S3Api::GetBucketLocation(Call& c) {
  auto b = store_.GetBucket(c.bucket);
  if (!b.ok()) return Failure(c, b.status());
  XmlWriter w;
  w.OpenRoot("LocationConstraint");
  if (b->region != "us-east-1") w.Raw(XmlEscape(b->region));
  w.Close("LocationConstraint");
  return XmlResponse(c, w);
}

HttpResponse S3Api::ListObjects(Call& c, bool v2) {
  objects::ListOptions o;
  o.prefix = c.Q("prefix");
  o.delimiter = c.Q("delimiter");
  if (!ParseMax(c.Q("max-keys"), &o.max_keys)) {
    return Failure(c, S3Error{400,
                              "InvalidArgument",
                              "Provided max-keys not an integer or within "
                              "integer range",
                              {}});
  }
  std::string encoding = c.Q("encoding-type");
  if (!encoding.empty() && encoding != "url") {
    return Failure(
        c, S3Error{400, "InvalidArgument", "Invalid Encoding Method specified in Request", {}});
  }
  bool url = encoding == "url";
  auto enc = [&](const std::string& s) { return url ? UrlEncodeKey(s) : s; };
  std::string token = c.Q("continuation-token");
  if (v2) {
    o.after = c.Q("start-after");
    if (c.Has("continuation-token")) {
      auto key = objects::Base64Decode(token);
      if (token.empty() || !key || key->empty()) {
        return Failure(
            c, S3Error{400, "InvalidArgument", "The continuation token provided is incorrect", {}});
      }
      o.after = std::max(o.after, *key);
    }
  } else {
    o.after = c.Q("marker");
  }
  auto list = store_.ListObjects(c.bucket, o);
  if (!list.ok()) return Failure(c, list.status());
  XmlWriter w;
  w.OpenRoot("ListBucketResult");
  w.Element("Name", c.bucket);
  w.Element("Prefix", enc(o.prefix));
  if (v2) {
    if (c.Has("continuation-token")) w.Element("ContinuationToken", token);
    if (c.Has("start-after")) w.Element("StartAfter", enc(c.Q("start-after")));
    w.Element("KeyCount",
              static_cast<long long>(list->objects.size() + list->common_prefixes.size()));
    if (list->truncated) {
      w.Element("NextContinuationToken", objects::Base64Encode(list->next_after));
    }
  } else {
    w.Element("Marker", enc(o.after));
    if (list->truncated) w.Element("NextMarker", enc(list->next_after));
  }
  w.Element("MaxKeys", o.max_keys);
  if (!o.delimiter.empty()) w.Element("Delimiter", enc(o.delimiter));
  if (url) w.Element("EncodingType", "url");
  w.Bool("IsTruncated", list->truncated);
  bool owner = !v2 || c.Q("fetch-owner") == "true";
  for (const auto& obj : list->objects) {
    w.Open("Contents");
    w.Element("Key", enc(obj.key));
    w.Element("LastModified", IsoDate(obj.last_modified));
    w.Element("ETag", Quoted(obj.etag));
    w.Element("Size", static_cast<long long>(obj.size));
    if (!obj.attrs.checksum_algorithm.empty()) {
      w.Element("ChecksumAlgorithm", obj.attrs.checksum_algorithm);
    }
    w.Element("StorageClass", "STANDARD");
    if (owner) Owner(w);
    w.Close("Contents");
  }
  for (const auto& p : list->common_prefixes) {
    w.Open("CommonPrefixes");
    w.Element("Prefix", enc(p));
    w.Close("CommonPrefixes");
  }
  w.Close("ListBucketResult");
  return XmlResponse(c, w);
}

HttpResponse S3Api::ListMultipartUploads(Call& c) {
  auto b = store_.GetBucket(c.bucket);
  if (!b.ok()) return Failure(c, b.status());
  std::string prefix = c.Q("prefix");
  XmlWriter w;
  w.OpenRoot("ListMultipartUploadsResult");
  w.Element("Bucket", c.bucket);
  w.Element("KeyMarker", "");
  w.Element("UploadIdMarker", "");
  w.Element("Prefix", prefix);
  w.Element("MaxUploads", 1000);
  w.Bool("IsTruncated", false);
  for (const auto& up : store_.ListMultipartUploads(c.bucket)) {
    if (up.key.compare(0, prefix.size(), prefix) != 0) continue;
    w.Open("Upload");
    w.Element("Key", up.key);
    w.Element("UploadId", up.id);
    Owner(w);
    w.Element("StorageClass", "STANDARD");
    w.Element("Initiated", IsoDate(up.initiated));
    w.Close("Upload");
  }
  w.Close("ListMultipartUploadsResult");
  return XmlResponse(c, w);
}

HttpResponse S3Api::DeleteObjects(Call& c) {
  auto req = ParseDeleteObjects(c.body);
  if (!req.ok()) return Failure(c, S3Error{400, "MalformedXML", req.status().message(), {}});
  auto b = store_.GetBucket(c.bucket);
  if (!b.ok()) return Failure(c, b.status());
  XmlWriter w;
  w.OpenRoot("DeleteResult");
  for (const auto& key : req->keys) {
    Status st = store_.DeleteObject(c.bucket, key);
    if (st.ok()) {
      if (req->quiet) continue;
      w.Open("Deleted");
      w.Element("Key", key);
      w.Close("Deleted");
    } else {
      S3Error e = ErrorFromStatus(st);
      w.Open("Error");
      w.Element("Key", key);
      w.Element("Code", e.code);
      w.Element("Message", e.message);
      w.Close("Error");
    }
  }
  w.Close("DeleteResult");
  return XmlResponse(c, w);
}

}  // namespace berth::api::s3
