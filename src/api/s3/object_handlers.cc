// S3Api's object actions: PutObject, CopyObject, GetObject/HeadObject (Range, conditional
// headers, response-* overrides), DeleteObject and object tagging.
#include <strings.h>

#include "api/s3/s3_api.h"
#include "api/s3/s3_internal.h"
#include "api/s3/s3_xml.h"

namespace berth::api::s3 {

namespace {

constexpr const char* kStoredHeaders[] = {"Cache-Control", "Content-Disposition",
                                          "Content-Encoding", "Content-Language", "Expires"};

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string FormDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 && HexVal(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexVal(s[i + 1]) << 4 | HexVal(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Content-Encoding without aws-chunked (the transfer framing, not the object's encoding).
std::string StripAwsChunked(const std::string& v) {
  std::string out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string token = v.substr(start, comma - start);
    size_t b = token.find_first_not_of(" \t"), e = token.find_last_not_of(" \t");
    token = b == std::string::npos ? "" : token.substr(b, e - b + 1);
    if (!token.empty() && strcasecmp(token.c_str(), "aws-chunked") != 0) {
      if (!out.empty()) out += ",";
      out += token;
    }
    start = comma + 1;
  }
  return out;
}

struct Range {
  uint64_t start = 0, length = 0;
};

// A single "bytes=" range of an object of `size` bytes; nullopt = no usable range (whole
// object); *unsatisfiable set when the range is valid but outside the object.
std::optional<Range> ParseRange(const std::string& header, uint64_t size, bool* unsatisfiable) {
  *unsatisfiable = false;
  if (header.rfind("bytes=", 0) != 0) return std::nullopt;
  std::string spec = header.substr(6);
  if (spec.find(',') != std::string::npos) return std::nullopt;
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto num = [](const std::string& s, uint64_t* out) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    *out = std::stoull(s);
    return true;
  };
  uint64_t first = 0, last = 0;
  if (a.empty()) {
    if (!num(b, &last)) return std::nullopt;
    if (last == 0 || size == 0) {
      *unsatisfiable = true;
      return std::nullopt;
    }
    uint64_t n = std::min(last, size);
    return Range{size - n, n};
  }
  if (!num(a, &first)) return std::nullopt;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!num(b, &last) || last < first) {
    return std::nullopt;
  }
  if (first >= size) {
    *unsatisfiable = true;
    return std::nullopt;
  }
  last = std::min(last, size - 1);
  return Range{first, last - first + 1};
}

bool EtagMatches(const std::string& header, const std::string& etag) {
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string::npos) comma = header.size();
    std::string t = header.substr(start, comma - start);
    size_t b = t.find_first_not_of(" \t"), e = t.find_last_not_of(" \t");
    t = b == std::string::npos ? "" : t.substr(b, e - b + 1);
    if (t.rfind("W/", 0) == 0) t = t.substr(2);
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    if (t == "*" || t == etag) return true;
    start = comma + 1;
  }
  return false;
}

void AddObjectHeaders(const Call& c, const objects::ObjectInfo& info, HttpResponse* r) {
  auto& h = r->headers;
  h.emplace_back("ETag", Quoted(info.etag));
  h.emplace_back("Last-Modified", HttpDate(info.last_modified));
  h.emplace_back("Accept-Ranges", "bytes");
  h.emplace_back("Content-Type",
                 info.attrs.content_type.empty() ? "binary/octet-stream" : info.attrs.content_type);
  for (const auto& [k, v] : info.attrs.headers) h.emplace_back(k, v);
  for (const auto& [k, v] : info.attrs.metadata) h.emplace_back("x-amz-meta-" + k, v);
  if (!info.attrs.tags.empty()) {
    h.emplace_back("x-amz-tagging-count", std::to_string(info.attrs.tags.size()));
  }
  if (!info.attrs.checksum.empty() &&
      strcasecmp(c.H("x-amz-checksum-mode").c_str(), "ENABLED") == 0) {
    auto a = objects::ChecksumAlgorithmFromName(info.attrs.checksum_algorithm);
    if (a) h.emplace_back(objects::ChecksumHeader(*a), info.attrs.checksum);
  }
  // Overrides a presigned GET may ask for.
  static const std::pair<const char*, const char*> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"},
      {"response-content-language", "Content-Language"},
      {"response-cache-control", "Cache-Control"},
      {"response-expires", "Expires"}};
  for (const auto& [param, header] : kOverrides) {
    if (!c.Has(param)) continue;
    const char* name = header;  // (clang 14 cannot capture a structured binding)
    std::erase_if(h, [name](const auto& kv) { return strcasecmp(kv.first.c_str(), name) == 0; });
    h.emplace_back(header, c.Q(param));
  }
}

void WriteTagSet(XmlWriter& w, const objects::Pairs& tags) {
  w.Open("TagSet");
  for (const auto& [k, v] : tags) {
    w.Open("Tag");
    w.Element("Key", k);
    w.Element("Value", v);
    w.Close("Tag");
  }
  w.Close("TagSet");
}

}  // namespace

std::optional<S3Error> ParseTaggingHeader(const std::string& value, objects::Pairs* out) {
  size_t start = 0;
  while (start < value.size()) {
    size_t amp = value.find('&', start);
    if (amp == std::string::npos) amp = value.size();
    std::string kv = value.substr(start, amp - start);
    start = amp + 1;
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string k = FormDecode(kv.substr(0, eq));
    std::string v = eq == std::string::npos ? "" : FormDecode(kv.substr(eq + 1));
    if (k.empty() || k.size() > 128 || v.size() > 256) {
      return S3Error{400, "InvalidTag", "The TagKey you have provided is invalid", {}};
    }
    for (const auto& [ek, ev] : *out) {
      if (ek == k) {
        return S3Error{400, "InvalidTag", "Cannot provide multiple Tags with the same key", {}};
      }
    }
    out->emplace_back(k, v);
  }
  if (out->size() > 10) {
    return S3Error{400, "BadRequest", "Object tags cannot be greater than 10", {}};
  }
  return std::nullopt;
}

std::optional<S3Error> AttributesFromHeaders(const Call& c, objects::ObjectAttributes* out) {
  out->content_type = c.H("Content-Type");
  for (const char* name : kStoredHeaders) {
    std::string v = c.H(name);
    if (strcasecmp(name, "Content-Encoding") == 0) v = StripAwsChunked(v);
    if (!v.empty()) out->headers.emplace_back(name, v);
  }
  for (const auto& [k, v] : c.head.headers) {
    if (k.size() > 11 && strncasecmp(k.c_str(), "x-amz-meta-", 11) == 0) {
      std::string name = k.substr(11);
      for (char& ch : name) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
      out->metadata.emplace_back(name, v);
    }
  }
  size_t meta_bytes = 0;
  for (const auto& [k, v] : out->metadata) meta_bytes += k.size() + v.size();
  if (meta_bytes > 2048) {
    return S3Error{400,
                   "MetadataTooLarge",
                   "Your metadata headers exceed the maximum allowed metadata size",
                   {}};
  }
  return ParseTaggingHeader(c.H("x-amz-tagging"), &out->tags);
}

HttpResponse S3Api::PutObject(Call& c) {
  objects::ObjectAttributes attrs;
  if (auto e = AttributesFromHeaders(c, &attrs)) return Failure(c, *e);
  attrs.checksum_algorithm = c.checksum_algorithm;
  attrs.checksum = c.checksum;
  auto info = store_.PutObject(c.bucket, c.key, attrs, std::move(*c.file), c.md5_hex);
  if (!info.ok()) return Failure(c, info.status());
  HttpResponse r = EmptyResponse(c);
  r.headers.emplace_back("ETag", Quoted(info->etag));
  if (!c.checksum.empty()) {
    r.headers.emplace_back(
        objects::ChecksumHeader(*objects::ChecksumAlgorithmFromName(c.checksum_algorithm)),
        c.checksum);
  }
  return r;
}

HttpResponse S3Api::CopyObject(Call& c) {
  std::string source = c.H("x-amz-copy-source");
  std::string decoded;
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '%' && i + 2 < source.size() && HexVal(source[i + 1]) >= 0 &&
        HexVal(source[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(HexVal(source[i + 1]) << 4 | HexVal(source[i + 2])));
      i += 2;
    } else if (source[i] == '?') {
      break;  // ?versionId=…: there is only one version
    } else {
      decoded.push_back(source[i]);
    }
  }
  if (!decoded.empty() && decoded[0] == '/') decoded.erase(0, 1);
  size_t slash = decoded.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == decoded.size()) {
    return Failure(c, S3Error{400,
                              "InvalidArgument",
                              "Copy Source must mention the source bucket "
                              "and key: sourcebucket/sourcekey",
                              {}});
  }
  std::string src_bucket = decoded.substr(0, slash), src_key = decoded.substr(slash + 1);
  auto src = store_.HeadObject(src_bucket, src_key);
  if (!src.ok()) return Failure(c, src.status());
  bool replace_meta = c.H("x-amz-metadata-directive") == "REPLACE";
  bool replace_tags = c.H("x-amz-tagging-directive") == "REPLACE";
  if (src_bucket == c.bucket && src_key == c.key && !replace_meta) {
    return Failure(c, S3Error{400,
                              "InvalidRequest",
                              "This copy request is illegal because it is trying to copy an object "
                              "to itself without changing the object's metadata, storage class, "
                              "website redirect location or encryption attributes.",
                              {}});
  }
  objects::ObjectAttributes attrs;
  if (auto e = AttributesFromHeaders(c, &attrs)) return Failure(c, *e);
  if (!replace_meta) {
    objects::Pairs tags = attrs.tags;
    attrs = src->attrs;
    attrs.tags = tags;
  }
  if (!replace_tags) attrs.tags = src->attrs.tags;
  attrs.checksum_algorithm = src->attrs.checksum_algorithm;  // the bytes are the same
  attrs.checksum = src->attrs.checksum;
  auto info = store_.CopyObject(src_bucket, src_key, c.bucket, c.key, attrs);
  if (!info.ok()) return Failure(c, info.status());
  XmlWriter w;
  w.OpenRoot("CopyObjectResult");
  w.Element("LastModified", IsoDate(info->last_modified));
  w.Element("ETag", Quoted(info->etag));
  w.Close("CopyObjectResult");
  return XmlResponse(c, w);
}

HttpResponse S3Api::GetObject(Call& c) {
  auto opened = store_.OpenObject(c.bucket, c.key);
  if (!opened.ok()) return Failure(c, opened.status());
  const objects::ObjectInfo& info = opened->info;
  // RFC 7232's order: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.
  TimeMs modified = info.last_modified / 1000 * 1000;
  TimeMs t = 0;
  std::string if_match = c.H("If-Match"), if_none = c.H("If-None-Match");
  std::string if_unmod = c.H("If-Unmodified-Since"), if_mod = c.H("If-Modified-Since");
  if (!if_match.empty() ? !EtagMatches(if_match, info.etag)
                        : (!if_unmod.empty() && ParseHttpDate(if_unmod, &t) && modified > t)) {
    S3Error e{412,
              "PreconditionFailed",
              "At least one of the pre-conditions you specified did not hold",
              {{"Condition", !if_match.empty() ? "If-Match" : "If-Unmodified-Since"}}};
    return Failure(c, e);
  }
  if (!if_none.empty() ? EtagMatches(if_none, info.etag)
                       : (!if_mod.empty() && ParseHttpDate(if_mod, &t) && modified <= t)) {
    HttpResponse r = EmptyResponse(c, 304);
    r.headers.emplace_back("ETag", Quoted(info.etag));
    r.headers.emplace_back("Last-Modified", HttpDate(info.last_modified));
    return r;
  }
  bool unsatisfiable = false;
  std::string range_header = c.H("Range");
  std::optional<Range> range;
  if (!range_header.empty()) range = ParseRange(range_header, info.size, &unsatisfiable);
  if (unsatisfiable) {
    return Failure(c, S3Error{416,
                              "InvalidRange",
                              "The requested range is not satisfiable",
                              {{"RangeRequested", range_header},
                               {"ActualObjectSize", std::to_string(info.size)}}});
  }
  HttpResponse r = EmptyResponse(c, range ? 206 : 200);
  AddObjectHeaders(c, info, &r);
  uint64_t start = range ? range->start : 0, length = range ? range->length : info.size;
  if (range) {
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(start) + "-" +
                                                std::to_string(start + length - 1) + "/" +
                                                std::to_string(info.size));
  }
  if (c.is_head()) {
    r.headers.emplace_back("Content-Length", std::to_string(length));
    return r;
  }
  r.file = std::make_shared<FileBody>();
  r.file->fd = std::move(opened->fd);
  r.file->offset = start;
  r.file->length = length;
  return r;
}

HttpResponse S3Api::DeleteObject(Call& c) {
  Status st = store_.DeleteObject(c.bucket, c.key);
  if (!st.ok()) return Failure(c, st);
  return EmptyResponse(c, 204);
}

HttpResponse S3Api::PutObjectTagging(Call& c) {
  auto tags = ParseTagging(c.body);
  if (!tags.ok()) {
    bool malformed = tags.status().code() == Code::kInvalidArgument;
    return Failure(
        c, S3Error{400, malformed ? "MalformedXML" : "InvalidTag", tags.status().message(), {}});
  }
  Status st = store_.PutObjectTags(c.bucket, c.key, *tags);
  if (!st.ok()) return Failure(c, st);
  return EmptyResponse(c);
}

HttpResponse S3Api::GetObjectTagging(Call& c) {
  auto info = store_.HeadObject(c.bucket, c.key);
  if (!info.ok()) return Failure(c, info.status());
  XmlWriter w;
  w.OpenRoot("Tagging");
  WriteTagSet(w, info->attrs.tags);
  w.Close("Tagging");
  return XmlResponse(c, w);
}

HttpResponse S3Api::DeleteObjectTagging(Call& c) {
  Status st = store_.PutObjectTags(c.bucket, c.key, {});
  if (!st.ok()) return Failure(c, st);
  return EmptyResponse(c, 204);
}

}  // namespace berth::api::s3
