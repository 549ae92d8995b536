// QueryInput: typed access to an AWS query-protocol request — a form-urlencoded body such as
// `Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=app` — with lists as
// `Key.member.N` and structures as `Key.member.N.Field` (or `Key.Field`), as the AWS CLI and
// boto3 send them. The first problem found is kept (ValidationError, with AWS's wording);
// handlers check ok() before acting. Bad input never crashes: every byte sequence parses to
// either parameters or an error, and sizes are bounded.
// Value type; control thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::api::elbv2 {

// Decodes application/x-www-form-urlencoded text into key → value ('+' is a space). Returns
// false for a malformed percent escape or more than max_params parameters.
bool ParseForm(std::string_view body, std::map<std::string, std::string>* out,
               size_t max_params = 10000);

class QueryInput {
 public:
  explicit QueryInput(std::string_view body);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }  // a ValidationError message
  void Fail(const std::string& message) {
    if (error_.empty()) error_ = message;
  }

  std::optional<std::string> String(const std::string& key) const;
  std::string RequiredString(const std::string& key);  // fails when absent or empty
  std::optional<long long> Integer(const std::string& key);
  std::optional<bool> Boolean(const std::string& key);
  // Key.member.1, Key.member.2, … in order (stops at the first gap).
  std::vector<std::string> List(const std::string& key) const;
  // Key.member.N.Field for N = 1, 2, … → one map of Field → value per member.
  std::vector<std::map<std::string, std::string>> StructList(const std::string& key) const;
  bool Has(const std::string& key) const { return params_.count(key) > 0; }
  // True when any parameter starts with key + "." (a structure given with some fields).
  bool HasPrefix(const std::string& key) const;

 private:
  std::map<std::string, std::string> params_;
  std::string error_;
};

}  // namespace berth::api::elbv2
