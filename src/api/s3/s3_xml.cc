#include "api/s3/s3_xml.h"

#include <cstdint>

#include "common/utf8.h"

namespace berth::api::s3 {

namespace {

constexpr int kMaxDepth = 16;
constexpr size_t kMaxElements = 100000;

Status Malformed(const std::string& why) {
  return InvalidArgument(
      "The XML you provided was not well-formed or did not validate against "
      "our published schema (" +
      why + ").");
}

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<XmlElement> Document() {
    SkipSpace();
    if (s_.substr(p_, 5) == "<?xml") {
      size_t end = s_.find("?>", p_);
      if (end == std::string_view::npos) return Malformed("unterminated XML declaration");
      p_ = end + 2;
    }
    SkipSpace();
    XmlElement root;
    BERTH_RETURN_IF_ERROR(Element(&root, 1));
    SkipSpace();
    if (p_ != s_.size()) return Malformed("content after the root element");
    return root;
  }

 private:
  void SkipSpace() {
    while (p_ < s_.size() && IsSpace(s_[p_])) ++p_;
  }

  Status Name(std::string* out) {
    size_t start = p_;
    if (p_ >= s_.size() || !IsNameStart(s_[p_])) return Malformed("bad element name");
    while (p_ < s_.size() && IsNameChar(s_[p_])) ++p_;
    std::string_view n = s_.substr(start, p_ - start);
    size_t colon = n.rfind(':');
    if (colon != std::string_view::npos) n = n.substr(colon + 1);
    if (n.empty()) return Malformed("bad element name");
    *out = std::string(n);
    return Status::Ok();
  }

  // Text up to the next '<' (or attribute value up to quote), entities decoded.
  Status Text(char stop, std::string* out) {
    while (p_ < s_.size() && s_[p_] != stop) {
      char c = s_[p_];
      if (c == '<' && stop != '<') return Malformed("'<' in an attribute value");
      if (c == '&') {
        size_t semi = s_.find(';', p_);
        if (semi == std::string_view::npos || semi - p_ > 12) return Malformed("bad entity");
        std::string_view ent = s_.substr(p_ + 1, semi - p_ - 1);
        if (ent == "amp") {
          out->push_back('&');
        } else if (ent == "lt") {
          out->push_back('<');
        } else if (ent == "gt") {
          out->push_back('>');
        } else if (ent == "quot") {
          out->push_back('"');
        } else if (ent == "apos") {
          out->push_back('\'');
        } else if (ent.size() >= 2 && ent[0] == '#') {
          bool hex = ent[1] == 'x';
          std::string_view digits = ent.substr(hex ? 2 : 1);
          if (digits.empty() || digits.size() > 8) return Malformed("bad character reference");
          uint32_t cp = 0;
          for (char d : digits) {
            int v = (d >= '0' && d <= '9')          ? d - '0'
                    : hex && (d >= 'a' && d <= 'f') ? d - 'a' + 10
                    : hex && (d >= 'A' && d <= 'F') ? d - 'A' + 10
                                                    : -1;
            if (v < 0) return Malformed("bad character reference");
            cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
          }
          if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return Malformed("bad character reference");
          }
          AppendUtf8(cp, out);
        } else {
          return Malformed("unknown entity");
        }
        p_ = semi + 1;
      } else {
        out->push_back(c);
        ++p_;
      }
    }
    if (p_ >= s_.size()) return Malformed("unexpected end of document");
    return Status::Ok();
  }

  Status Element(XmlElement* el, int depth) {
    if (depth > kMaxDepth) return Malformed("nested too deeply");
    if (++elements_ > kMaxElements) return Malformed("too many elements");
    if (p_ >= s_.size() || s_[p_] != '<') return Malformed("expected an element");
    ++p_;
    size_t name_start = p_;
    BERTH_RETURN_IF_ERROR(Name(&el->name));
    std::string_view qname = s_.substr(name_start, p_ - name_start);
    // Attributes: name="value" or name='value' (values checked, then dropped).
    while (true) {
      SkipSpace();
      if (p_ >= s_.size()) return Malformed("unterminated start tag");
      if (s_[p_] == '/' || s_[p_] == '>') break;
      std::string attr;
      BERTH_RETURN_IF_ERROR(Name(&attr));
      SkipSpace();
      if (p_ >= s_.size() || s_[p_] != '=') return Malformed("attribute without a value");
      ++p_;
      SkipSpace();
      if (p_ >= s_.size() || (s_[p_] != '"' && s_[p_] != '\'')) {
        return Malformed("unquoted attribute value");
      }
      char quote = s_[p_++];
      std::string value;
      BERTH_RETURN_IF_ERROR(Text(quote, &value));
      ++p_;
    }
    if (s_[p_] == '/') {
      if (p_ + 1 >= s_.size() || s_[p_ + 1] != '>') return Malformed("bad empty-element tag");
      p_ += 2;
      return Status::Ok();
    }
    ++p_;  // '>'
    std::string text;
    while (true) {
      BERTH_RETURN_IF_ERROR(Text('<', &text));
      if (s_.substr(p_, 2) == "</") break;
      if (s_.substr(p_, 2) == "<!" || s_.substr(p_, 2) == "<?") {
        return Malformed("comments, CDATA and processing instructions are not accepted");
      }
      for (char c : text) {
        if (!IsSpace(c)) return Malformed("mixed content");
      }
      text.clear();
      el->children.emplace_back();
      BERTH_RETURN_IF_ERROR(Element(&el->children.back(), depth + 1));
    }
    if (!el->children.empty()) {
      for (char c : text) {
        if (!IsSpace(c)) return Malformed("mixed content");
      }
    } else {
      el->text = std::move(text);
    }
    p_ += 2;
    size_t end_start = p_;
    while (p_ < s_.size() && IsNameChar(s_[p_])) ++p_;
    if (s_.substr(end_start, p_ - end_start) != qname) return Malformed("mismatched end tag");
    SkipSpace();
    if (p_ >= s_.size() || s_[p_] != '>') return Malformed("unterminated end tag");
    ++p_;
    return Status::Ok();
  }

  std::string_view s_;
  size_t p_ = 0;
  size_t elements_ = 0;
};

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        case '\t':
        case '\n':
          out.push_back(static_cast<char>(c));
          break;
        case '\r':
          out += "&#13;";
          break;
        default:
          out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
      }
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (c >= 0xF5) len = 0;
    bool ok = len > 0 && i + len <= text.size();
    uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = cp << 6 | (cc & 0x3F);
    }
    if (ok && ((len == 3 &&
                (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))) {
      ok = false;
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

const XmlElement* XmlElement::Child(std::string_view n) const {
  for (const auto& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

Result<XmlElement> ParseXml(std::string_view text) { return Parser(text).Document(); }

Result<DeleteRequest> ParseDeleteObjects(std::string_view body) {
  auto doc = ParseXml(body);
  if (!doc.ok()) return doc.status();
  if (doc->name != "Delete") return Malformed("the root element must be Delete");
  DeleteRequest out;
  for (const auto& c : doc->children) {
    if (c.name == "Quiet") {
      if (c.text != "true" && c.text != "false") return Malformed("Quiet must be true or false");
      out.quiet = c.text == "true";
    } else if (c.name == "Object") {
      const XmlElement* key = c.Child("Key");
      if (!key || key->text.empty()) return Malformed("an Object without a Key");
      out.keys.push_back(key->text);
    } else {
      return Malformed("unexpected element " + c.name);
    }
  }
  if (out.keys.empty() || out.keys.size() > 1000) {
    return Malformed("Delete takes 1 to 1000 objects");
  }
  return out;
}

Result<std::vector<objects::CompletedPart>> ParseCompleteMultipartUpload(std::string_view body) {
  auto doc = ParseXml(body);
  if (!doc.ok()) return doc.status();
  if (doc->name != "CompleteMultipartUpload") {
    return Malformed("the root element must be CompleteMultipartUpload");
  }
  std::vector<objects::CompletedPart> parts;
  for (const auto& c : doc->children) {
    if (c.name != "Part") return Malformed("unexpected element " + c.name);
    const XmlElement* num = c.Child("PartNumber");
    const XmlElement* etag = c.Child("ETag");
    if (!num || !etag) return Malformed("a Part needs PartNumber and ETag");
    const std::string& n = num->text;
    if (n.empty() || n.size() > 5 || n.find_first_not_of("0123456789") != std::string::npos) {
      return Malformed("PartNumber must be a number");
    }
    parts.push_back({std::stoi(n), Unquote(etag->text)});
    if (parts.size() > 10000) return Malformed("too many parts");
  }
  return parts;
}

Result<objects::Pairs> ParseTagging(std::string_view body) {
  auto doc = ParseXml(body);
  if (!doc.ok()) return doc.status();
  if (doc->name != "Tagging") return Malformed("the root element must be Tagging");
  const XmlElement* set = doc->Child("TagSet");
  if (!set) return Malformed("Tagging needs a TagSet");
  objects::Pairs tags;
  for (const auto& t : set->children) {
    const XmlElement* k = t.Child("Key");
    const XmlElement* v = t.Child("Value");
    if (t.name != "Tag" || !k || !v) return Malformed("a Tag needs Key and Value");
    if (k->text.empty() || k->text.size() > 128 || v->text.size() > 256) {
      return FailedPrecondition("The TagKey you have provided is invalid");
    }
    for (const auto& [ek, ev] : tags) {
      if (ek == k->text)
        return FailedPrecondition("Cannot provide multiple Tags with the same key");
    }
    tags.emplace_back(k->text, v->text);
  }
  if (tags.size() > 10) return FailedPrecondition("Object tags cannot be greater than 10");
  return tags;
}

Result<std::string> ParseCreateBucketConfiguration(std::string_view body) {
  bool blank = true;
  for (char c : body) blank = blank && IsSpace(c);
  if (blank) return std::string();
  auto doc = ParseXml(body);
  if (!doc.ok()) return doc.status();
  if (doc->name != "CreateBucketConfiguration") {
    return Malformed("the root element must be CreateBucketConfiguration");
  }
  const XmlElement* loc = doc->Child("LocationConstraint");
  return loc ? loc->text : std::string();
}

}  // namespace berth::api::s3
