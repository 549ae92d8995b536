// Elbv2Api: the Status → AWS error table and the helpers the handler files share.
#include <algorithm>

#include "api/elbv2/elbv2_api.h"
#include "lb/lb_errors.h"

namespace berth::api::elbv2 {

namespace {

struct Row {
  Code code;
  Resource resource;  // kNone matches any resource not listed before it
  int http_status;
  const char* type;
};

// First match wins, so specific resources come before the kNone fallback of the same code.
constexpr Row kTable[] = {
    {Code::kNotFound, lb::kLoadBalancer, 400, "LoadBalancerNotFound"},
    {Code::kNotFound, lb::kTargetGroup, 400, "TargetGroupNotFound"},
    {Code::kNotFound, lb::kListener, 400, "ListenerNotFound"},
    {Code::kNotFound, Resource::kNone, 400, "ValidationError"},
    {Code::kAlreadyExists, lb::kLoadBalancer, 400, "DuplicateLoadBalancerName"},
    {Code::kAlreadyExists, lb::kTargetGroup, 400, "DuplicateTargetGroupName"},
    {Code::kAlreadyExists, lb::kListener, 400, "DuplicateListener"},
    {Code::kAlreadyExists, lb::kTag, 400, "DuplicateTagKeys"},
    {Code::kAlreadyExists, Resource::kNone, 400, "ValidationError"},
    {Code::kInvalidArgument, lb::kTarget, 400, "InvalidTarget"},
    {Code::kInvalidArgument, Resource::kNone, 400, "ValidationError"},
    {Code::kFailedPrecondition, Resource::kNone, 400, "ResourceInUse"},
    {Code::kConflict, lb::kTargetGroup, 400, "IncompatibleProtocols"},
    {Code::kConflict, Resource::kNone, 400, "InvalidConfigurationRequest"},
    {Code::kResourceExhausted, lb::kTag, 400, "TooManyTags"},
    {Code::kResourceExhausted, lb::kTargetGroup, 400, "TargetGroupAssociationLimit"},
    {Code::kResourceExhausted, Resource::kNone, 400, "ValidationError"},
    {Code::kUnauthenticated, Resource::kNone, 403, "InvalidClientTokenId"},
    {Code::kUnavailable, Resource::kNone, 503, "ServiceUnavailable"},
    {Code::kInternal, Resource::kNone, 500, "InternalFailure"},
};

}  // namespace

AwsError Elbv2Error(const Status& s) {
  for (const Row& row : kTable) {
    if (row.code == s.code() && (row.resource == s.resource() || row.resource == Resource::kNone)) {
      return {row.http_status, row.type, s.message()};
    }
  }
  return {500, "InternalFailure", s.message()};
}

Elbv2Api::Reply Fail(const Status& s) { return {"", Elbv2Error(s)}; }
Elbv2Api::Reply Invalid(const std::string& message) {
  return {"", AwsError{400, "ValidationError", message}};
}
Elbv2Api::Reply InputError(const QueryInput& in) { return Invalid(in.error()); }
Elbv2Api::Reply Ok(const XmlWriter& w) { return {w.str(), std::nullopt}; }

lb::Tags TagsFrom(QueryInput& in, const std::string& key) {
  lb::Tags tags;
  for (auto& m : in.StructList(key)) {
    auto k = m.find("Key");
    if (k == m.end()) {
      in.Fail("1 validation error detected: Value null at 'tags.member.key' failed to satisfy "
              "constraint: Member must not be null");
      return {};
    }
    auto v = m.find("Value");
    tags.emplace_back(k->second, v == m.end() ? "" : v->second);
  }
  return tags;
}

void WriteTags(XmlWriter& w, const lb::Tags& tags) {
  w.Open("Tags");
  for (const auto& [k, v] : tags) {
    w.Open("member");
    w.Element("Key", k);
    w.Element("Value", v);
    w.Close("member");
  }
  w.Close("Tags");
}

std::vector<lb::TargetRef> TargetsFrom(QueryInput& in) {
  std::vector<lb::TargetRef> out;
  for (auto& m : in.StructList("Targets")) {
    auto id = m.find("Id");
    if (id == m.end() || id->second.empty()) {
      in.Fail("1 validation error detected: Value null at 'targets.member.id' failed to satisfy "
              "constraint: Member must not be null");
      return {};
    }
    lb::TargetRef t;
    t.id = id->second;
    auto port = m.find("Port");
    if (port != m.end()) {
      const std::string& p = port->second;
      bool digits = !p.empty() && p.size() <= 5 &&
                    std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || std::stoi(p) < 1 || std::stoi(p) > 65535) {
        in.Fail("1 validation error detected: Value '" + p + "' at 'targets.member.port' failed "
                "to satisfy constraint: Member must have value between 1 and 65535");
        return {};
      }
      t.port = std::stoi(p);
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool Page(QueryInput& in, size_t n, size_t* begin, size_t* end, std::string* next_marker,
          Elbv2Api::Reply* error) {
  auto size = in.Integer("PageSize");
  auto marker = in.String("Marker");
  if (!in.ok()) {
    *error = InputError(in);
    return false;
  }
  if (size && (*size < 1 || *size > 400)) {
    *error = Invalid("1 validation error detected: Value '" + std::to_string(*size) +
                     "' at 'pageSize' failed to satisfy constraint: Member must have value "
                     "between 1 and 400");
    return false;
  }
  size_t offset = 0;
  if (marker && !marker->empty()) {
    // berth's markers are "o.<offset>".
    const std::string& m = *marker;
    bool good = m.size() > 2 && m.size() <= 12 && m.compare(0, 2, "o.") == 0 &&
                std::all_of(m.begin() + 2, m.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!good) {
      *error = Invalid("The marker '" + m + "' is not valid");
      return false;
    }
    offset = std::stoul(m.substr(2));
  }
  *begin = std::min(offset, n);
  size_t limit = size ? static_cast<size_t>(*size) : 400;
  *end = std::min(n, *begin + limit);
  next_marker->clear();
  if (*end < n) *next_marker = "o." + std::to_string(*end);
  return true;
}

}  // namespace berth::api::elbv2
