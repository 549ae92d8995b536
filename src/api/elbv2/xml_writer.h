// XmlWriter: builds the query protocol's XML responses. Every text value goes through
// XmlEscape, so names, tags and messages from requests can never break the document.
// Value type; any thread.
#pragma once

#include <string>
#include <string_view>

namespace berth::api::elbv2 {

// Escapes & < > " ' and makes the text well-formed XML 1.0: control characters other than
// tab, newline and carriage return, and bytes that are not valid UTF-8, become '?'.
std::string XmlEscape(std::string_view text);

class XmlWriter {
 public:
  void Open(std::string_view tag) { (out_ += '<').append(tag) += '>'; }
  void Close(std::string_view tag) { (out_ += "</").append(tag) += '>'; }
  void Element(std::string_view tag, std::string_view text) {
    Open(tag);
    out_ += XmlEscape(text);
    Close(tag);
  }
  void Element(std::string_view tag, long long n) { Element(tag, std::to_string(n)); }
  void Bool(std::string_view tag, bool b) { Element(tag, b ? "true" : "false"); }
  // Appends already-built XML.
  void Raw(std::string_view xml) { out_.append(xml); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

}  // namespace berth::api::elbv2
