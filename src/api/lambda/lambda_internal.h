// Shared by the LambdaApi files: the decoded request, typed JSON body access that records the
// first problem as Lambda's InvalidRequestContentException, and reply helpers.
// Control thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/lambda/lambda_api.h"

namespace berth::api {

struct LambdaApi::Request {
  const HttpRequest& http;
  std::string region;
  std::multimap<std::string, std::string> query;

  std::optional<std::string> Query(const std::string& key) const {
    auto it = query.find(key);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> QueryAll(const std::string& key) const {
    std::vector<std::string> out;
    auto [b, e] = query.equal_range(key);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
};

namespace lambda {

// Typed access to a JSON request body. null counts as absent. The first problem is kept.
class Body {
 public:
  // Parses text ("" = {}); a parse failure or a non-object is the first problem.
  explicit Body(const std::string& text);

  bool ok() const { return !error_.has_value(); }
  const AwsError& error() const { return *error_; }

  std::optional<std::string> String(const char* key);
  std::optional<long long> Integer(const char* key);
  std::optional<bool> Boolean(const char* key);
  // An object of strings (Environment.Variables, Tags).
  std::optional<functions::StringMap> StringMap(const nlohmann::json& parent, const char* key,
                                                const char* where);
  // A member object, or nullptr when absent (wrong type: a problem).
  const nlohmann::json* Object(const char* key);
  const nlohmann::json& root() const { return j_; }

 private:
  void TypeError(const char* key, const char* expected);
  const nlohmann::json* Get(const char* key) const;

  nlohmann::json j_;
  std::optional<AwsError> error_;
};

AwsError ValidationError(const std::string& message);
AwsError InvalidContent(const std::string& message);
HttpResponse JsonResponse(int status, const nlohmann::json& body);
HttpResponse EmptyResponse(int status);
std::string PercentDecode(const std::string& s);

}  // namespace lambda
}  // namespace berth::api
