// Elbv2Api: targets and their health.
#include "api/elbv2/elbv2_api.h"

namespace berth::api {

using namespace elbv2;  // NOLINT: the handler files share these helpers

Elbv2Api::Reply Elbv2Api::RegisterTargets(In& in) {
  std::string arn = in.RequiredString("TargetGroupArn");
  auto targets = TargetsFrom(in);
  if (in.ok() && targets.empty()) in.RequiredString("Targets");
  if (!in.ok()) return InputError(in);
  Status st = lb_.RegisterTargets(arn, targets);
  if (!st.ok()) return Fail(st);
  return Ok(XmlWriter());
}

Elbv2Api::Reply Elbv2Api::DeregisterTargets(In& in) {
  std::string arn = in.RequiredString("TargetGroupArn");
  auto targets = TargetsFrom(in);
  if (in.ok() && targets.empty()) in.RequiredString("Targets");
  if (!in.ok()) return InputError(in);
  Status st = lb_.DeregisterTargets(arn, targets);
  if (!st.ok()) return Fail(st);
  return Ok(XmlWriter());
}

Elbv2Api::Reply Elbv2Api::DescribeTargetHealth(In& in) {
  std::string arn = in.RequiredString("TargetGroupArn");
  auto targets = TargetsFrom(in);
  if (!in.ok()) return InputError(in);
  auto health = lb_.DescribeTargetHealth(arn, targets);
  if (!health.ok()) return Fail(health.status());
  XmlWriter w;
  w.Open("TargetHealthDescriptions");
  for (const auto& d : *health) {
    w.Open("member");
    w.Open("Target");
    w.Element("Id", d.target.ip);
    w.Element("Port", d.target.port);
    w.Close("Target");
    w.Element("HealthCheckPort", std::to_string(d.health_check_port));
    w.Open("TargetHealth");
    w.Element("State", lb::ToString(d.health.state));
    if (d.health.reason != lb::HealthReason::kNone) {
      w.Element("Reason", lb::ToString(d.health.reason));
      w.Element("Description", d.health.description);
    }
    w.Close("TargetHealth");
    w.Close("member");
  }
  w.Close("TargetHealthDescriptions");
  return Ok(w);
}

}  // namespace berth::api
