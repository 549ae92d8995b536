#include "api/elbv2/query_input.h"

namespace berth::api::elbv2 {

namespace {

constexpr size_t kMaxMembers = 1000;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Decode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string NotNull(const std::string& key) {
  return "1 validation error detected: Value null at '" + key +
         "' failed to satisfy constraint: Member must not be null";
}

}  // namespace

bool ParseForm(std::string_view body, std::map<std::string, std::string>* out,
               size_t max_params) {
  size_t start = 0;
  size_t count = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    std::string_view pair =
        body.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!pair.empty()) {
      if (++count > max_params) return false;
      size_t eq = pair.find('=');
      std::string key, value;
      if (!Decode(pair.substr(0, eq), &key)) return false;
      if (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), &value)) return false;
      (*out)[key] = std::move(value);
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return true;
}

QueryInput::QueryInput(std::string_view body) {
  if (!ParseForm(body, &params_)) {
    params_.clear();
    error_ = "The request body is not valid application/x-www-form-urlencoded data.";
  }
}

std::optional<std::string> QueryInput::String(const std::string& key) const {
  auto it = params_.find(key);
  if (it == params_.end()) return std::nullopt;
  return it->second;
}

std::string QueryInput::RequiredString(const std::string& key) {
  auto v = String(key);
  if (!v || v->empty()) {
    Fail(NotNull(key));
    return "";
  }
  return *v;
}

std::optional<long long> QueryInput::Integer(const std::string& key) {
  auto v = String(key);
  if (!v) return std::nullopt;
  const std::string& s = *v;
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = s.size() > i && s.size() - i <= 12;
  for (size_t j = i; j < s.size() && digits; ++j) digits = s[j] >= '0' && s[j] <= '9';
  if (!digits) {
    Fail("1 validation error detected: Value '" + s + "' at '" + key +
         "' failed to satisfy constraint: Member must be an integer");
    return std::nullopt;
  }
  return std::stoll(s);
}

std::optional<bool> QueryInput::Boolean(const std::string& key) {
  auto v = String(key);
  if (!v) return std::nullopt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  Fail("1 validation error detected: Value '" + *v + "' at '" + key +
       "' failed to satisfy constraint: Member must be a boolean");
  return std::nullopt;
}

std::vector<std::string> QueryInput::List(const std::string& key) const {
  std::vector<std::string> out;
  for (size_t n = 1; n <= kMaxMembers; ++n) {
    auto it = params_.find(key + ".member." + std::to_string(n));
    if (it == params_.end()) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::map<std::string, std::string>> QueryInput::StructList(
    const std::string& key) const {
  std::vector<std::map<std::string, std::string>> out;
  for (size_t n = 1; n <= kMaxMembers; ++n) {
    std::string prefix = key + ".member." + std::to_string(n) + ".";
    std::map<std::string, std::string> fields;
    for (auto it = params_.lower_bound(prefix);
         it != params_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      fields[it->first.substr(prefix.size())] = it->second;
    }
    if (fields.empty()) break;
    out.push_back(std::move(fields));
  }
  return out;
}

bool QueryInput::HasPrefix(const std::string& key) const {
  std::string prefix = key + ".";
  auto it = params_.lower_bound(prefix);
  return it != params_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace berth::api::elbv2
