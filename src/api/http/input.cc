#include "api/http/input.h"

namespace berth::api {

using nlohmann::json;

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

const json* Input::Get(const char* key) const {
  auto it = body_.find(key);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

void Input::TypeError(const char* key, const char* expected) {
  Fail({400, "SerializationException",
        std::string("Invalid type for member '") + key + "': expected " + expected + "."});
}

std::optional<std::string> Input::String(const char* key) {
  const json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    TypeError(key, "a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<long long> Input::Integer(const char* key) {
  const json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    TypeError(key, "an integer");
    return std::nullopt;
  }
  return v->get<long long>();
}

std::optional<bool> Input::Boolean(const char* key) {
  const json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    TypeError(key, "a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::vector<std::string> Input::StringList(const char* key) {
  std::vector<std::string> out;
  const json* v = Get(key);
  if (!v) return out;
  if (!v->is_array()) {
    TypeError(key, "a list of strings");
    return out;
  }
  for (const auto& e : *v) {
    if (!e.is_string()) {
      TypeError(key, "a list of strings");
      return {};
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

const json* Input::Array(const char* key) {
  const json* v = Get(key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    TypeError(key, "a list");
    return nullptr;
  }
  return v->empty() ? nullptr : v;
}

const json* Input::Object(const char* key) {
  const json* v = Get(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    TypeError(key, "a structure");
    return nullptr;
  }
  return v;
}

std::string Input::RequiredString(const char* key) {
  auto s = String(key);
  if (!s && ok()) {
    Fail({400, "InvalidParameterException", std::string("Missing required parameter '") + key + "'."});
  }
  return s.value_or("");
}

}  // namespace berth::api
