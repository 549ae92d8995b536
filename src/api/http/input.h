// Input: typed, checked access to a JSON request body for awsJson handlers. The first problem
// found is kept as an AWS error (SerializationException for a wrong type, the handler's choice
// for a missing member); handlers check ok() before acting, so bad input changes nothing.
// Absent, null and (for lists) empty values all read as "not given", as ECS treats the JS
// SDK's `tags: []`. Value type; control thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http/error_table.h"

namespace berth::api {

// True when the JSON text nests objects/arrays at most max_depth deep. Checked before parsing:
// nlohmann's copy and dump recurse, so a body of a million '[' must never become a json value.
bool JsonDepthWithin(std::string_view text, int max_depth);

class Input {
 public:
  explicit Input(const nlohmann::json& body) : body_(body) {}

  bool ok() const { return !error_.has_value(); }
  const AwsError& error() const { return *error_; }
  void Fail(AwsError e) {
    if (!error_) error_ = std::move(e);
  }

  std::optional<std::string> String(const char* key);
  std::string StringOr(const char* key, const std::string& fallback) { return String(key).value_or(fallback); }
  std::optional<long long> Integer(const char* key);
  std::optional<bool> Boolean(const char* key);
  std::vector<std::string> StringList(const char* key);
  // An array member (or nullptr when absent); elements are not checked.
  const nlohmann::json* Array(const char* key);
  const nlohmann::json* Object(const char* key);
  // Records InvalidParameterException when the member is absent.
  std::string RequiredString(const char* key);

  const nlohmann::json& body() const { return body_; }

 private:
  const nlohmann::json* Get(const char* key) const;
  void TypeError(const char* key, const char* expected);

  const nlohmann::json& body_;
  std::optional<AwsError> error_;
};

}  // namespace berth::api
