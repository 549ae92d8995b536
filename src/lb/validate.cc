#include "lb/validate.h"

#include <arpa/inet.h>

#include <cctype>
#include <set>

#include "lb/lb_errors.h"

namespace berth::lb {

namespace {

Status ValidateName(const std::string& name, const char* what) {
  if (name.empty() || name.size() > 32) {
    return InvalidArgument(std::string(what) + " name '" + name +
                           "' must be between 1 and 32 characters long");
  }
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return InvalidArgument(std::string(what) + " name '" + name +
                             "' can contain only alphanumeric characters and hyphens");
    }
  }
  if (name.front() == '-' || name.back() == '-') {
    return InvalidArgument(std::string(what) + " name '" + name +
                           "' cannot begin or end with a hyphen");
  }
  return Status::Ok();
}

Status Range(const char* field, std::optional<long long> v, long long lo, long long hi) {
  if (v && (*v < lo || *v > hi)) {
    return InvalidArgument("1 validation error detected: Value '" + std::to_string(*v) +
                           "' at '" + field + "' failed to satisfy constraint: Member must have "
                           "value between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateLoadBalancerName(const std::string& name) {
  BERTH_RETURN_IF_ERROR(ValidateName(name, "Load balancer"));
  if (name.rfind("internal-", 0) == 0) {
    return InvalidArgument("Load balancer name '" + name + "' cannot begin with 'internal-'");
  }
  return Status::Ok();
}

Status ValidateTargetGroupName(const std::string& name) {
  return ValidateName(name, "Target group");
}

Status ValidateTags(const Tags& tags) {
  std::set<std::string> keys;
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128 || v.size() > 256) {
      return InvalidArgument("Tag keys must be 1-128 characters long and values at most 256");
    }
    if (k.rfind("aws:", 0) == 0) return InvalidArgument("Tag keys cannot start with 'aws:'");
    if (!keys.insert(k).second) {
      return Status(Code::kAlreadyExists, "Tag key '" + k + "' is given more than once", kTag);
    }
  }
  if (tags.size() > kMaxTags) {
    return Status(Code::kResourceExhausted, "A resource can have at most 50 tags", kTag);
  }
  return Status::Ok();
}

Status ApplyHealthCheckPatch(const HealthCheckPatch& p, Protocol group_protocol,
                             HealthCheck* hc) {
  BERTH_RETURN_IF_ERROR(Range("healthCheckIntervalSeconds", p.interval_s, 5, 300));
  BERTH_RETURN_IF_ERROR(Range("healthCheckTimeoutSeconds", p.timeout_s, 2, 120));
  BERTH_RETURN_IF_ERROR(Range("healthyThresholdCount", p.healthy_threshold, 2, 10));
  BERTH_RETURN_IF_ERROR(Range("unhealthyThresholdCount", p.unhealthy_threshold, 2, 10));
  if (p.enabled && !*p.enabled) {
    return Conflict("Health checks cannot be disabled for target groups with target type "
                    "'instance' or 'ip'");
  }
  HealthCheck next = *hc;
  if (p.protocol) {
    if (group_protocol == Protocol::kHttp && *p.protocol != Protocol::kHttp) {
      return InvalidArgument("Health check protocol 'TCP' is not supported for target groups "
                             "with the HTTP protocol");
    }
    if (*p.protocol != next.protocol) {
      HealthCheck d = DefaultHealthCheck(*p.protocol);
      next.protocol = d.protocol;
      next.path = d.path;
      next.matcher = d.matcher;
    }
  }
  if (p.port) {
    if (*p.port == "traffic-port") {
      next.port = 0;
    } else {
      int port = 0;
      bool digits = !p.port->empty() && p.port->size() <= 5;
      for (char c : *p.port) digits = digits && isdigit(static_cast<unsigned char>(c));
      if (digits) port = std::stoi(*p.port);
      if (!digits || port < 1 || port > 65535) {
        return InvalidArgument("Health check port '" + *p.port +
                               "' must be 'traffic-port' or a port between 1 and 65535");
      }
      next.port = port;
    }
  }
  const bool http = next.protocol == Protocol::kHttp;
  if (p.path) {
    if (!http) {
      return InvalidArgument("Health check path is not supported for health checks with the "
                             "TCP protocol");
    }
    if (p.path->empty() || p.path->size() > 1024 || (*p.path)[0] != '/') {
      return InvalidArgument("Health check path must begin with '/' and be at most 1024 "
                             "characters long");
    }
    for (char c : *p.path) {
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
        return InvalidArgument("Health check path cannot contain spaces or control characters");
      }
    }
    next.path = *p.path;
  }
  if (p.matcher) {
    if (!http) {
      return InvalidArgument("Custom health check matchers are not supported for health checks "
                             "with the TCP protocol");
    }
    auto m = Matcher::Parse(*p.matcher);
    if (!m.ok()) return m.status();
    next.matcher = *m;
  }
  if (p.interval_s) next.interval_s = static_cast<int>(*p.interval_s);
  if (p.timeout_s) next.timeout_s = static_cast<int>(*p.timeout_s);
  if (p.healthy_threshold) next.healthy_threshold = static_cast<int>(*p.healthy_threshold);
  if (p.unhealthy_threshold) next.unhealthy_threshold = static_cast<int>(*p.unhealthy_threshold);
  if (next.timeout_s >= next.interval_s) {
    return InvalidArgument("Health check interval must be greater than the timeout.");
  }
  *hc = next;
  return Status::Ok();
}

Status ValidateTarget(const TargetRef& t, int group_port, TargetKey* out) {
  in_addr addr{};
  if (t.id.empty() || inet_pton(AF_INET, t.id.c_str(), &addr) != 1) {
    return InvalidArgument("The IP address '" + t.id + "' is not a valid IPv4 address", kTarget);
  }
  long long port = t.port == 0 ? group_port : t.port;
  if (port < 1 || port > 65535) {
    return InvalidArgument("Port " + std::to_string(port) + " of target '" + t.id +
                           "' is not between 1 and 65535", kTarget);
  }
  out->ip = t.id;
  out->port = static_cast<int>(port);
  return Status::Ok();
}

}  // namespace berth::lb
