// Elbv2Api: load balancers and listeners.
#include "api/elbv2/elbv2_api.h"
#include "common/time_format.h"

namespace berth::api {

using namespace elbv2;  // NOLINT: the handler files share these helpers

namespace {

std::string RegionOf(const std::string& arn) {
  // arn:aws:elasticloadbalancing:REGION:…
  size_t a = arn.find(':', arn.find(':', arn.find(':') + 1) + 1);
  size_t b = a == std::string::npos ? a : arn.find(':', a + 1);
  return b == std::string::npos ? "us-east-1" : arn.substr(a + 1, b - a - 1);
}

void WriteLoadBalancer(XmlWriter& w, const lb::LoadBalancer& lb) {
  w.Open("member");
  w.Element("LoadBalancerArn", lb.arn);
  w.Element("DNSName", lb.dns_name);
  w.Element("CreatedTime", FormatIsoMillis(lb.created_ms));
  w.Element("LoadBalancerName", lb.name);
  w.Element("Scheme", lb.scheme);
  w.Open("State");
  w.Element("Code", "active");
  w.Close("State");
  w.Element("Type", lb::ToString(lb.type));
  // berth has no zones: one synthetic zone per subnet (or one zone when none was given).
  std::string region = RegionOf(lb.arn);
  w.Open("AvailabilityZones");
  if (lb.subnets.empty()) {
    w.Open("member");
    w.Element("ZoneName", region + "a");
    w.Close("member");
  }
  for (size_t i = 0; i < lb.subnets.size(); ++i) {
    w.Open("member");
    w.Element("ZoneName", region + static_cast<char>('a' + i % 6));
    w.Element("SubnetId", lb.subnets[i]);
    w.Close("member");
  }
  w.Close("AvailabilityZones");
  if (lb.type == lb::LbType::kApplication || !lb.security_groups.empty()) {
    w.Open("SecurityGroups");
    for (const auto& sg : lb.security_groups) w.Element("member", sg);
    w.Close("SecurityGroups");
  }
  w.Element("IpAddressType", lb.ip_address_type);
  w.Close("member");
}

void WriteListener(XmlWriter& w, const lb::Listener& l) {
  w.Open("member");
  w.Element("ListenerArn", l.arn);
  w.Element("LoadBalancerArn", l.load_balancer_arn);
  w.Element("Port", l.port);
  w.Element("Protocol", lb::ToString(l.protocol));
  w.Open("DefaultActions");
  w.Open("member");
  w.Element("Type", "forward");
  w.Element("TargetGroupArn", l.target_group_arn);
  w.Open("ForwardConfig");
  w.Open("TargetGroups");
  w.Open("member");
  w.Element("TargetGroupArn", l.target_group_arn);
  w.Element("Weight", 1);
  w.Close("member");
  w.Close("TargetGroups");
  w.Open("TargetGroupStickinessConfig");
  w.Bool("Enabled", false);
  w.Close("TargetGroupStickinessConfig");
  w.Close("ForwardConfig");
  w.Close("member");
  w.Close("DefaultActions");
  w.Close("member");
}

// HTTP and TCP; the rest of AWS's protocols are valid but unsupported by berth.
std::optional<lb::Protocol> ProtocolFrom(QueryInput& in, const std::string& key,
                                         std::optional<Elbv2Api::Reply>* error) {
  auto s = in.String(key);
  if (!s) return std::nullopt;
  if (auto p = lb::ParseProtocol(*s)) return p;
  static const char* const kAws[] = {"HTTPS", "TLS", "UDP", "TCP_UDP", "GENEVE"};
  for (const char* p : kAws) {
    if (*s == p) {
      *error = Elbv2Api::Reply{"", AwsError{400, "UnsupportedProtocol",
                                            "berth does not support the protocol " + *s +
                                                " (only HTTP and TCP)"}};
      return std::nullopt;
    }
  }
  *error = Invalid("1 validation error detected: Value '" + *s + "' at '" + key +
                   "' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, "
                   "HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE]");
  return std::nullopt;
}

}  // namespace

namespace elbv2 {
// Also used by the target group handlers.
std::optional<lb::Protocol> ParseProtocolParam(QueryInput& in, const std::string& key,
                                               std::optional<Elbv2Api::Reply>* error) {
  return ProtocolFrom(in, key, error);
}
}  // namespace elbv2

Elbv2Api::Reply Elbv2Api::CreateLoadBalancer(In& in, const std::string& region) {
  lb::LoadBalancerSpec spec;
  spec.name = in.RequiredString("Name");
  spec.subnets = in.List("Subnets");
  for (auto& m : in.StructList("SubnetMappings")) {
    if (m.count("SubnetId")) spec.subnets.push_back(m["SubnetId"]);
  }
  spec.security_groups = in.List("SecurityGroups");
  spec.scheme = in.String("Scheme").value_or("");
  spec.ip_address_type = in.String("IpAddressType").value_or("");
  spec.tags = TagsFrom(in, "Tags");
  std::string type = in.String("Type").value_or("application");
  if (!in.ok()) return InputError(in);
  auto t = lb::ParseLbType(type);
  if (!t) {
    return Invalid("Load balancer type '" + type +
                   "' is not supported by berth (only 'application' and 'network')");
  }
  spec.type = *t;
  auto lb = lb_.CreateLoadBalancer(spec, region);
  if (!lb.ok()) return Fail(lb.status());
  XmlWriter w;
  w.Open("LoadBalancers");
  WriteLoadBalancer(w, *lb);
  w.Close("LoadBalancers");
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::DescribeLoadBalancers(In& in) {
  auto arns = in.List("LoadBalancerArns");
  auto names = in.List("Names");
  if (!in.ok()) return InputError(in);
  auto lbs = lb_.DescribeLoadBalancers(arns, names);
  if (!lbs.ok()) return Fail(lbs.status());
  size_t begin, end;
  std::string next;
  Reply error;
  if (!Page(in, lbs->size(), &begin, &end, &next, &error)) return error;
  XmlWriter w;
  w.Open("LoadBalancers");
  for (size_t i = begin; i < end; ++i) WriteLoadBalancer(w, (*lbs)[i]);
  w.Close("LoadBalancers");
  if (!next.empty()) w.Element("NextMarker", next);
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::DeleteLoadBalancer(In& in) {
  std::string arn = in.RequiredString("LoadBalancerArn");
  if (!in.ok()) return InputError(in);
  Status st = lb_.DeleteLoadBalancer(arn);
  if (!st.ok()) return Fail(st);
  return Ok(XmlWriter());
}

Elbv2Api::Reply Elbv2Api::CreateListener(In& in) {
  lb::ListenerSpec spec;
  spec.load_balancer_arn = in.RequiredString("LoadBalancerArn");
  std::optional<Reply> error;
  spec.protocol = ProtocolFrom(in, "Protocol", &error);
  spec.port = in.Integer("Port");
  spec.tags = TagsFrom(in, "Tags");
  auto actions = in.StructList("DefaultActions");
  if (!in.ok()) return InputError(in);
  if (error) return *error;
  if (!in.List("Certificates").empty() || in.HasPrefix("Certificates") || in.Has("SslPolicy")) {
    return {"", AwsError{400, "UnsupportedProtocol", "berth does not terminate TLS"}};
  }
  if (actions.empty()) {
    return Invalid("1 validation error detected: Value null at 'defaultActions' failed to "
                   "satisfy constraint: Member must not be null");
  }
  if (actions.size() != 1) return Invalid("berth supports exactly one default action");
  auto& a = actions[0];
  if (a["Type"] != "forward") {
    return {"", AwsError{400, "InvalidLoadBalancerAction",
                         "berth supports only the 'forward' action type, not '" + a["Type"] + "'"}};
  }
  std::string tg = a.count("TargetGroupArn") ? a["TargetGroupArn"] : "";
  std::string forward_tg = a.count("ForwardConfig.TargetGroups.member.1.TargetGroupArn")
                               ? a["ForwardConfig.TargetGroups.member.1.TargetGroupArn"]
                               : "";
  if (a.count("ForwardConfig.TargetGroups.member.2.TargetGroupArn")) {
    return Invalid("berth forwards to exactly one target group per listener");
  }
  if (tg.empty()) tg = forward_tg;
  if (tg.empty() || (!forward_tg.empty() && forward_tg != tg)) {
    return {"", AwsError{400, "InvalidLoadBalancerAction",
                         "A forward action needs exactly one target group ARN"}};
  }
  spec.target_group_arn = tg;
  auto l = lb_.CreateListener(spec);
  if (!l.ok()) return Fail(l.status());
  XmlWriter w;
  w.Open("Listeners");
  WriteListener(w, *l);
  w.Close("Listeners");
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::DescribeListeners(In& in) {
  std::string lb_arn = in.String("LoadBalancerArn").value_or("");
  auto arns = in.List("ListenerArns");
  if (!in.ok()) return InputError(in);
  auto ls = lb_.DescribeListeners(lb_arn, arns);
  if (!ls.ok()) return Fail(ls.status());
  size_t begin, end;
  std::string next;
  Reply error;
  if (!Page(in, ls->size(), &begin, &end, &next, &error)) return error;
  XmlWriter w;
  w.Open("Listeners");
  for (size_t i = begin; i < end; ++i) WriteListener(w, (*ls)[i]);
  w.Close("Listeners");
  if (!next.empty()) w.Element("NextMarker", next);
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::DeleteListener(In& in) {
  std::string arn = in.RequiredString("ListenerArn");
  if (!in.ok()) return InputError(in);
  Status st = lb_.DeleteListener(arn);
  if (!st.ok()) return Fail(st);
  return Ok(XmlWriter());
}

}  // namespace berth::api
