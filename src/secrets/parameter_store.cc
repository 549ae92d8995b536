// SecretStore: SSM Parameter Store — names, versions, SecureString sealing, paths.
#include <algorithm>
#include <cctype>

#include "secrets/secret_store.h"

namespace berth::secrets {

namespace {

constexpr size_t kMaxNameLength = 1011;
constexpr int kMaxDepth = 15;

const char kNameRules[] =
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as "
    "a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as "
    "a mix of letters, numbers and the following 3 symbols .-_";

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '/';
}

bool ReservedPrefix(const std::string& name) {
  std::string first = name.substr(name[0] == '/' ? 1 : 0, 3);
  std::transform(first.begin(), first.end(), first.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return first == "aws" || first == "ssm";
}

Status ValidateName(const std::string& name) {
  if (name.empty()) {
    return InvalidArgument(
        "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must "
        "have length greater than or equal to 1");
  }
  if (name.size() > kMaxNameLength) {
    return InvalidArgument("Parameter name must be " + std::to_string(kMaxNameLength) +
                           " characters or fewer.");
  }
  if (!std::all_of(name.begin(), name.end(), NameChar) || ReservedPrefix(name)) {
    return InvalidArgument(kNameRules);
  }
  if (name.find('/') != std::string::npos) {
    if (name[0] != '/') return InvalidArgument("Parameter name must be a fully qualified name.");
    if (name.size() == 1 || name.back() == '/' || name.find("//") != std::string::npos) {
      return InvalidArgument(kNameRules);
    }
    if (std::count(name.begin(), name.end(), '/') > kMaxDepth) {
      return InvalidArgument("Parameter name hierarchy depth cannot be more than " +
                             std::to_string(kMaxDepth) + " levels.");
    }
  }
  return Status::Ok();
}

// Splits "NAME:SELECTOR" (also inside an ARN). Names never contain ':'.
void SplitSelector(const std::string& in, std::string* name, std::string* selector) {
  size_t start = 0;
  if (in.rfind("arn:", 0) == 0) {
    size_t p = in.find(":parameter/");
    start = p == std::string::npos ? in.size() : p + 11;
  }
  size_t colon = in.find(':', start);
  *name = colon == std::string::npos ? in : in.substr(0, colon);
  *selector = colon == std::string::npos ? "" : in.substr(colon + 1);
}

TimeMs Now(const Clock& c) { return c.NowMs(); }

}  // namespace

const Parameter* SecretStore::FindParameter(const std::string& name) const {
  if (name.rfind("arn:", 0) == 0) {
    // arn:PARTITION:ssm:REGION:ACCOUNT:parameter/REST. "/a/b" is ".../parameter/a/b", and
    // both "name" and "/name" are ".../parameter/name". Region and account are not checked:
    // berth keeps one set of parameters.
    size_t p = name.find(":parameter/");
    size_t partition_end = name.find(':', 4);
    if (p == std::string::npos || partition_end == std::string::npos ||
        name.compare(partition_end, 5, ":ssm:") != 0) {
      return nullptr;
    }
    std::string rest = name.substr(p + 11);
    if (rest.empty()) return nullptr;
    if (rest.find('/') == std::string::npos) {
      if (auto it = params_.find(rest); it != params_.end()) return &it->second;
    }
    auto it = params_.find("/" + rest);
    return it == params_.end() ? nullptr : &it->second;
  }
  auto it = params_.find(name);
  return it == params_.end() ? nullptr : &it->second;
}

ParameterView SecretStore::View(const Parameter& p, const ParameterVersion& v, bool decrypt,
                                Status* error) const {
  ParameterView out;
  out.name = p.name;
  out.arn = ParameterArn(p.name);
  out.type = v.type;
  out.version = v.version;
  out.modified_ms = v.modified_ms;
  out.description = v.description;
  out.key_id = v.key_id;
  out.tier = v.tier;
  out.data_type = v.data_type;
  out.allowed_pattern = v.allowed_pattern;
  if (v.type != ParameterType::kSecureString || !decrypt) {
    out.value = v.value;
    return out;
  }
  auto sealed = Base64Decode(v.value);
  if (!sealed) {
    *error = Internal("cannot decrypt parameter " + p.name + ": its stored form is damaged");
    return out;
  }
  auto plain = cipher_.Open(*sealed, ParameterAad(p.name, v.version));
  if (!plain.ok()) {
    *error = Internal("cannot decrypt parameter " + p.name + ": " + plain.status().message());
    return out;
  }
  out.value = std::move(*plain);
  return out;
}

Result<PutParameterResult> SecretStore::PutParameter(const PutParameterRequest& req) {
  BERTH_RETURN_IF_ERROR(ValidateName(req.name));
  if (req.value.empty()) {
    return InvalidArgument(
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1");
  }
  std::optional<ParameterType> type;
  if (req.type) {
    type = ParseParameterType(*req.type);
    if (!type) {
      return InvalidArgument(
          "1 validation error detected: Value at 'type' failed to satisfy constraint: Member "
          "must satisfy enum value set: [SecureString, StringList, String]");
    }
  }
  std::string data_type = req.data_type.value_or("text");
  if (data_type.empty()) data_type = "text";
  if (data_type != "text") {
    return InvalidArgument("The following data type is not supported: " + data_type +
                           " (berth supports only text)");
  }
  std::string tier = req.tier.value_or("Standard");
  if (tier.empty()) tier = "Standard";
  if (tier == "Intelligent-Tiering") tier = req.value.size() > 4096 ? "Advanced" : "Standard";
  if (tier != "Standard" && tier != "Advanced") {
    return InvalidArgument(
        "1 validation error detected: Value at 'tier' failed to satisfy constraint: Member must "
        "satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]");
  }
  size_t limit = tier == "Advanced" ? 8192 : 4096;
  if (req.value.size() > limit) {
    return InvalidArgument(
        tier == "Advanced"
            ? "Advanced tier parameters support a maximum parameter value of 8192 characters."
            : "Standard tier parameters support a maximum parameter value of 4096 characters. To "
              "create a larger parameter value, upgrade the parameter to use the "
              "advanced-parameter tier.");
  }
  auto existing = params_.find(req.name);
  if (existing != params_.end() && !req.overwrite) {
    return Status(Code::kAlreadyExists,
                  "The parameter already exists. To overwrite this value, set the overwrite "
                  "option in the request to true.",
                  Resource::kParameter);
  }
  if (existing == params_.end() && !type) {
    return InvalidArgument("A parameter type is required when you create a parameter.");
  }
  ParameterMap next = params_;
  Parameter& p = next[req.name];
  p.name = req.name;
  ParameterVersion v;
  if (!p.versions.empty()) {
    const ParameterVersion& last = p.latest();
    v.version = last.version + 1;
    v.type = type.value_or(last.type);
    v.description = req.description.value_or(last.description);
    if (tier == "Standard" && last.tier == "Advanced") tier = "Advanced";  // no downgrade
  } else {
    v.type = *type;
    v.description = req.description.value_or("");
  }
  if (v.description.size() > 1024) {
    return InvalidArgument(
        "1 validation error detected: Value at 'description' failed to satisfy constraint: "
        "Member must have length less than or equal to 1024");
  }
  v.tier = tier;
  v.data_type = data_type;
  v.allowed_pattern = req.allowed_pattern.value_or("");
  v.modified_ms = Now(clock_);
  if (v.type == ParameterType::kSecureString) {
    v.key_id = req.key_id && !req.key_id->empty() ? *req.key_id : "alias/aws/ssm";
    auto sealed = cipher_.Seal(req.value, ParameterAad(p.name, v.version));
    if (!sealed.ok()) return sealed.status();
    v.value = Base64Encode(*sealed);
  } else {
    v.value = req.value;
  }
  p.versions.push_back(std::move(v));
  if (p.versions.size() > kMaxParameterVersions) p.versions.erase(p.versions.begin());
  BERTH_RETURN_IF_ERROR(SaveParameters(next));
  params_ = std::move(next);
  const ParameterVersion& latest = params_[req.name].latest();
  return PutParameterResult{latest.version, latest.tier};
}

Result<ParameterView> SecretStore::GetParameter(const std::string& name_in, bool decrypt) const {
  std::string name, selector;
  SplitSelector(name_in, &name, &selector);
  const Parameter* p = FindParameter(name);
  if (!p) return Status(Code::kNotFound, "Parameter " + name + " not found.", Resource::kParameter);
  const ParameterVersion* v = &p->latest();
  if (!selector.empty()) {
    v = nullptr;
    bool numeric = selector.size() <= 18 &&
                   std::all_of(selector.begin(), selector.end(),
                               [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) {
      int64_t want = std::stoll(selector);
      for (const auto& ver : p->versions) {
        if (ver.version == want) v = &ver;
      }
    }
    if (!v) {
      return Status(Code::kNotFound,
                    "Systems Manager could not find version " + selector + " of " + p->name +
                        ". Verify the version and try again.",
                    Resource::kParameterVersion);
    }
  }
  Status error;
  ParameterView view = View(*p, *v, decrypt, &error);
  if (!error.ok()) return error;
  if (!selector.empty()) view.selector = ":" + selector;
  return view;
}

Result<std::vector<ParameterView>> SecretStore::GetParametersByPath(const std::string& path_in,
                                                                    bool recursive,
                                                                    bool decrypt) const {
  std::string path = path_in;
  if (path.empty() || path[0] != '/' ||
      (path.size() > 1 &&
       ValidateName(path.back() == '/' ? path.substr(0, path.size() - 1) : path).code() !=
           Code::kOk)) {
    return InvalidArgument(
        "The parameter doesn't meet the parameter name requirements. The parameter name must "
        "begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" "
        "(case-insensitive). It must use only letters, numbers, or the following symbols: . "
        "(period), - (hyphen), _ (underscore). Special characters are not allowed. All "
        "sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: "
        "/get/parameters2-/by1./path0_.");
  }
  if (path.back() != '/') path += '/';
  std::vector<ParameterView> out;
  for (const auto& [name, p] : params_) {
    std::string rest;
    if (path == "/") {
      rest = name[0] == '/' ? name.substr(1) : name;
    } else {
      if (name.compare(0, path.size(), path) != 0) continue;
      rest = name.substr(path.size());
    }
    if (rest.empty() || (!recursive && rest.find('/') != std::string::npos)) continue;
    Status error;
    out.push_back(View(p, p.latest(), decrypt, &error));
    if (!error.ok()) return error;
  }
  return out;
}

Status SecretStore::DeleteParameter(const std::string& name) {
  const Parameter* p = FindParameter(name);
  if (!p) return Status(Code::kNotFound, "Parameter " + name + " not found.", Resource::kParameter);
  ParameterMap next = params_;
  next.erase(p->name);
  BERTH_RETURN_IF_ERROR(SaveParameters(next));
  params_ = std::move(next);
  return Status::Ok();
}

Result<std::vector<std::string>> SecretStore::DeleteParameters(
    const std::vector<std::string>& names) {
  ParameterMap next = params_;
  std::vector<std::string> deleted;
  for (const auto& n : names) {
    const Parameter* p = FindParameter(n);
    if (p && next.erase(p->name) > 0) deleted.push_back(n);
  }
  if (deleted.empty()) return deleted;
  BERTH_RETURN_IF_ERROR(SaveParameters(next));
  params_ = std::move(next);
  return deleted;
}

std::vector<ParameterView> SecretStore::DescribeParameters() const {
  std::vector<ParameterView> out;
  for (const auto& [_, p] : params_) {
    Status ignored;
    ParameterView v = View(p, p.latest(), false, &ignored);
    v.value.clear();
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<ParameterView>> SecretStore::GetParameterHistory(const std::string& name,
                                                                    bool decrypt) const {
  const Parameter* p = FindParameter(name);
  if (!p) return Status(Code::kNotFound, "Parameter " + name + " not found.", Resource::kParameter);
  std::vector<ParameterView> out;
  for (const auto& v : p->versions) {
    Status error;
    out.push_back(View(*p, v, decrypt, &error));
    if (!error.ok()) return error;
  }
  return out;
}

}  // namespace berth::secrets
