// Elbv2Api: target groups and their attributes.
#include "api/elbv2/elbv2_api.h"

namespace berth::api {

using namespace elbv2;  // NOLINT: the handler files share these helpers

namespace {

void WriteTargetGroup(XmlWriter& w, const lb::TargetGroup& tg,
                      const std::vector<std::string>& load_balancers) {
  const lb::HealthCheck& hc = tg.health_check;
  const bool http_check = hc.protocol == lb::Protocol::kHttp;
  w.Open("member");
  w.Element("TargetGroupArn", tg.arn);
  w.Element("TargetGroupName", tg.name);
  w.Element("Protocol", lb::ToString(tg.protocol));
  w.Element("Port", tg.port);
  if (!tg.vpc_id.empty()) w.Element("VpcId", tg.vpc_id);
  w.Element("HealthCheckProtocol", lb::ToString(hc.protocol));
  w.Element("HealthCheckPort", hc.port == 0 ? std::string("traffic-port") : std::to_string(hc.port));
  w.Bool("HealthCheckEnabled", true);
  w.Element("HealthCheckIntervalSeconds", hc.interval_s);
  w.Element("HealthCheckTimeoutSeconds", hc.timeout_s);
  w.Element("HealthyThresholdCount", hc.healthy_threshold);
  w.Element("UnhealthyThresholdCount", hc.unhealthy_threshold);
  if (http_check) {
    w.Element("HealthCheckPath", hc.path);
    w.Open("Matcher");
    w.Element("HttpCode", hc.matcher.text());
    w.Close("Matcher");
  }
  w.Open("LoadBalancerArns");
  for (const auto& arn : load_balancers) w.Element("member", arn);
  w.Close("LoadBalancerArns");
  w.Element("TargetType", tg.target_type);
  if (tg.protocol == lb::Protocol::kHttp) w.Element("ProtocolVersion", "HTTP1");
  w.Element("IpAddressType", "ipv4");
  w.Close("member");
}

// The HealthCheck* members shared by CreateTargetGroup and ModifyTargetGroup.
lb::HealthCheckPatch HealthCheckFrom(QueryInput& in, std::optional<Elbv2Api::Reply>* error) {
  lb::HealthCheckPatch p;
  p.protocol = ParseProtocolParam(in, "HealthCheckProtocol", error);
  p.port = in.String("HealthCheckPort");
  p.path = in.String("HealthCheckPath");
  p.enabled = in.Boolean("HealthCheckEnabled");
  p.interval_s = in.Integer("HealthCheckIntervalSeconds");
  p.timeout_s = in.Integer("HealthCheckTimeoutSeconds");
  p.healthy_threshold = in.Integer("HealthyThresholdCount");
  p.unhealthy_threshold = in.Integer("UnhealthyThresholdCount");
  p.matcher = in.String("Matcher.HttpCode");
  if (in.Has("Matcher.GrpcCode")) {
    *error = Invalid("berth does not support gRPC health checks (Matcher.GrpcCode)");
  }
  return p;
}

void WriteAttributes(XmlWriter& w,
                     const std::vector<std::pair<std::string, std::string>>& attributes) {
  w.Open("Attributes");
  for (const auto& [k, v] : attributes) {
    w.Open("member");
    w.Element("Key", k);
    w.Element("Value", v);
    w.Close("member");
  }
  w.Close("Attributes");
}

}  // namespace

Elbv2Api::Reply Elbv2Api::CreateTargetGroup(In& in, const std::string& region) {
  lb::TargetGroupSpec spec;
  spec.name = in.RequiredString("Name");
  std::optional<Reply> error;
  spec.protocol = ParseProtocolParam(in, "Protocol", &error);
  spec.port = in.Integer("Port");
  spec.vpc_id = in.String("VpcId").value_or("");
  spec.target_type = in.String("TargetType").value_or("");
  spec.health_check = HealthCheckFrom(in, &error);
  spec.tags = TagsFrom(in, "Tags");
  if (!in.ok()) return InputError(in);
  if (error) return *error;
  if (in.Has("ProtocolVersion") && *in.String("ProtocolVersion") != "HTTP1") {
    return Invalid("berth supports only ProtocolVersion HTTP1");
  }
  auto tg = lb_.CreateTargetGroup(spec, region);
  if (!tg.ok()) return Fail(tg.status());
  XmlWriter w;
  w.Open("TargetGroups");
  WriteTargetGroup(w, *tg, *lb_.LoadBalancersOfTargetGroup(tg->arn));
  w.Close("TargetGroups");
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::DescribeTargetGroups(In& in) {
  std::string lb_arn = in.String("LoadBalancerArn").value_or("");
  auto arns = in.List("TargetGroupArns");
  auto names = in.List("Names");
  if (!in.ok()) return InputError(in);
  auto tgs = lb_.DescribeTargetGroups(lb_arn, arns, names);
  if (!tgs.ok()) return Fail(tgs.status());
  size_t begin, end;
  std::string next;
  Reply error;
  if (!Page(in, tgs->size(), &begin, &end, &next, &error)) return error;
  XmlWriter w;
  w.Open("TargetGroups");
  for (size_t i = begin; i < end; ++i) {
    WriteTargetGroup(w, (*tgs)[i], *lb_.LoadBalancersOfTargetGroup((*tgs)[i].arn));
  }
  w.Close("TargetGroups");
  if (!next.empty()) w.Element("NextMarker", next);
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::ModifyTargetGroup(In& in) {
  std::string arn = in.RequiredString("TargetGroupArn");
  std::optional<Reply> error;
  lb::HealthCheckPatch patch = HealthCheckFrom(in, &error);
  if (!in.ok()) return InputError(in);
  if (error) return *error;
  auto tg = lb_.ModifyTargetGroup(arn, patch);
  if (!tg.ok()) return Fail(tg.status());
  XmlWriter w;
  w.Open("TargetGroups");
  WriteTargetGroup(w, *tg, *lb_.LoadBalancersOfTargetGroup(tg->arn));
  w.Close("TargetGroups");
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::DeleteTargetGroup(In& in) {
  std::string arn = in.RequiredString("TargetGroupArn");
  if (!in.ok()) return InputError(in);
  Status st = lb_.DeleteTargetGroup(arn);
  if (!st.ok()) return Fail(st);
  return Ok(XmlWriter());
}

Elbv2Api::Reply Elbv2Api::DescribeTargetGroupAttributes(In& in) {
  std::string arn = in.RequiredString("TargetGroupArn");
  if (!in.ok()) return InputError(in);
  auto attrs = lb_.DescribeTargetGroupAttributes(arn);
  if (!attrs.ok()) return Fail(attrs.status());
  XmlWriter w;
  WriteAttributes(w, *attrs);
  return Ok(w);
}

Elbv2Api::Reply Elbv2Api::ModifyTargetGroupAttributes(In& in) {
  std::string arn = in.RequiredString("TargetGroupArn");
  std::vector<std::pair<std::string, std::string>> attributes;
  for (auto& m : in.StructList("Attributes")) {
    if (!m.count("Key")) {
      in.Fail("1 validation error detected: Value null at 'attributes.member.key' failed to "
              "satisfy constraint: Member must not be null");
      break;
    }
    attributes.emplace_back(m["Key"], m.count("Value") ? m["Value"] : "");
  }
  if (attributes.empty()) in.RequiredString("Attributes");
  if (!in.ok()) return InputError(in);
  auto attrs = lb_.ModifyTargetGroupAttributes(arn, attributes);
  if (!attrs.ok()) return Fail(attrs.status());
  XmlWriter w;
  WriteAttributes(w, *attrs);
  return Ok(w);
}

}  // namespace berth::api
