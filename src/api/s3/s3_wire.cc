// S3's wire helpers: the Status → S3 error table, the XML error document, dates, key encoding.
#include <ctime>

#include "api/s3/s3_internal.h"
#include "api/s3/s3_xml.h"

namespace berth::api::s3 {

namespace {

struct Row {
  Code code;
  Resource resource;
  int status;
  const char* s3_code;
};

// (code, resource) → S3 error; the first row with a matching code and resource wins, then a
// row with Resource::kNone for the code.
constexpr Row kTable[] = {
    {Code::kNotFound, Resource::kBucket, 404, "NoSuchBucket"},
    {Code::kNotFound, Resource::kObject, 404, "NoSuchKey"},
    {Code::kNotFound, Resource::kMultipartUpload, 404, "NoSuchUpload"},
    {Code::kNotFound, Resource::kPart, 400, "InvalidPart"},
    {Code::kInvalidArgument, Resource::kPart, 400, "InvalidPartOrder"},
    {Code::kFailedPrecondition, Resource::kPart, 400, "EntityTooSmall"},
    {Code::kAlreadyExists, Resource::kBucket, 409, "BucketAlreadyOwnedByYou"},
    {Code::kFailedPrecondition, Resource::kBucket, 409, "BucketNotEmpty"},
    {Code::kInvalidArgument, Resource::kBucket, 400, "InvalidBucketName"},
    {Code::kInvalidArgument, Resource::kMultipartUpload, 400, "MalformedXML"},
    {Code::kInvalidArgument, Resource::kNone, 400, "InvalidArgument"},
    {Code::kNotFound, Resource::kNone, 404, "NoSuchKey"},
    {Code::kFailedPrecondition, Resource::kNone, 400, "InvalidRequest"},
    {Code::kConflict, Resource::kNone, 409, "OperationAborted"},
    {Code::kResourceExhausted, Resource::kNone, 503, "SlowDown"},
    {Code::kUnauthenticated, Resource::kNone, 403, "AccessDenied"},
    {Code::kUnavailable, Resource::kNone, 503, "ServiceUnavailable"},
    {Code::kInternal, Resource::kNone, 500, "InternalError"},
};

}  // namespace

S3Error ErrorFromStatus(const Status& s) {
  for (const Row& row : kTable) {
    if (row.code == s.code() && row.resource == s.resource()) {
      return {row.status, row.s3_code, s.message(), {}};
    }
  }
  for (const Row& row : kTable) {
    if (row.code == s.code() && row.resource == Resource::kNone) {
      return {row.status, row.s3_code, s.message(), {}};
    }
  }
  return {500, "InternalError", "We encountered an internal error. Please try again.", {}};
}

HttpResponse ErrorResponse(const S3Error& e, bool head, const std::string& request_id) {
  HttpResponse r;
  r.status = e.status;
  r.headers = {{"x-amz-request-id", request_id}};
  if (head) return r;  // HEAD answers carry no body; clients read the status
  XmlWriter w;
  w.Open("Error");
  w.Element("Code", e.code);
  w.Element("Message", e.message);
  for (const auto& [k, v] : e.extra) w.Element(k, v);
  w.Element("RequestId", request_id);
  w.Element("HostId", "berth");
  w.Close("Error");
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = w.str();
  return r;
}

HttpResponse XmlResponse(const Call& c, const XmlWriter& w, int status) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"x-amz-request-id", c.request_id}, {"Content-Type", "application/xml"}};
  r.body = w.str();
  return r;
}

HttpResponse EmptyResponse(const Call& c, int status) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"x-amz-request-id", c.request_id}};
  return r;
}

HttpResponse Failure(const Call& c, S3Error e) {
  if (e.code == "NoSuchBucket" || e.code == "BucketNotEmpty" ||
      e.code == "BucketAlreadyOwnedByYou" || e.code == "InvalidBucketName") {
    e.extra.emplace_back("BucketName", c.bucket);
  } else if (e.code == "NoSuchKey") {
    e.extra.emplace_back("Key", c.key);
  } else if (e.code == "NoSuchUpload") {
    e.extra.emplace_back("UploadId", c.Q("uploadId"));
  }
  return ErrorResponse(e, c.is_head(), c.request_id);
}

HttpResponse Failure(const Call& c, const Status& s) { return Failure(c, ErrorFromStatus(s)); }

std::string HttpDate(TimeMs t) {
  time_t s = static_cast<time_t>(t / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool ParseHttpDate(const std::string& s, TimeMs* out) {
  struct tm tm = {};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') {
    tm = {};
    end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);  // ISO 8601, as some SDKs send
    if (!end) return false;
  }
  *out = static_cast<TimeMs>(timegm(&tm)) * 1000;
  return true;
}

std::string IsoDate(TimeMs t) {
  time_t s = static_cast<time_t>(t / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char ms[8];
  snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(t % 1000));
  return std::string(buf) + ms;
}

std::string UrlEncodeKey(std::string_view key) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool Call::Has(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

std::string Call::Q(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace berth::api::s3
