// XML for the S3 REST protocol, without an XML library: a writer whose every text value is
// escaped, a small strict reader (elements, attributes, text, the five entities and character
// references; no DTD, no CDATA, no comments, bounded depth and size), and the parsers of the
// few request bodies S3 clients send (DeleteObjects, CompleteMultipartUpload, Tagging,
// CreateBucketConfiguration). Malformed input is an error, never a crash (fuzzed:
// fuzz/fuzz_s3.cc).
// Pure functions and value types; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "objects/object_store.h"

namespace berth::api::s3 {

inline constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

// Escapes & < > " ' and makes text well-formed XML 1.0: control characters other than tab,
// newline and carriage return, and bytes that are not valid UTF-8, become '?'.
std::string XmlEscape(std::string_view text);

class XmlWriter {
 public:
  XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }
  // The document's root element, with S3's namespace.
  void OpenRoot(std::string_view tag) {
    (out_ += '<').append(tag).append(" xmlns=\"").append(kXmlns).append("\">");
  }
  void Open(std::string_view tag) { (out_ += '<').append(tag) += '>'; }
  void Close(std::string_view tag) { (out_ += "</").append(tag) += '>'; }
  void Element(std::string_view tag, std::string_view text) {
    Open(tag);
    out_ += XmlEscape(text);
    Close(tag);
  }
  void Element(std::string_view tag, long long n) { Element(tag, std::to_string(n)); }
  void Bool(std::string_view tag, bool b) { Element(tag, b ? "true" : "false"); }
  void Raw(std::string_view xml) { out_.append(xml); }  // already escaped
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

struct XmlElement {
  std::string name;  // without a namespace prefix
  std::string text;  // decoded; only for elements without children
  std::vector<XmlElement> children;

  // First child named `name`, or nullptr.
  const XmlElement* Child(std::string_view name) const;
};

// Parses a whole document (optional <?xml …?> declaration, one root element). Limits: depth
// 16, 100000 elements. InvalidArgument on anything malformed.
Result<XmlElement> ParseXml(std::string_view text);

struct DeleteRequest {
  bool quiet = false;
  std::vector<std::string> keys;
};
// <Delete><Quiet/>?<Object><Key/><VersionId/>?</Object>{1,1000}</Delete>
Result<DeleteRequest> ParseDeleteObjects(std::string_view body);
// <CompleteMultipartUpload><Part><PartNumber/><ETag/>…</Part>+</CompleteMultipartUpload>;
// ETags lose their quotes.
Result<std::vector<objects::CompletedPart>> ParseCompleteMultipartUpload(std::string_view body);
// <Tagging><TagSet><Tag><Key/><Value/></Tag>*</TagSet></Tagging>; S3's limits (10 tags, key
// 128, value 256 characters, unique keys: FailedPrecondition; malformed XML: InvalidArgument).
Result<objects::Pairs> ParseTagging(std::string_view body);
// <CreateBucketConfiguration><LocationConstraint/>?</CreateBucketConfiguration>; empty body →
// "".
Result<std::string> ParseCreateBucketConfiguration(std::string_view body);

}  // namespace berth::api::s3
