#include "lb/arn.h"

#include "common/ids.h"

namespace berth::lb {

namespace {
constexpr char kPrefix[] = "arn:aws:elasticloadbalancing:";
}

std::string NewLoadBalancerArn(const std::string& region, const std::string& account,
                               LbType type, const std::string& name) {
  return kPrefix + region + ":" + account + ":loadbalancer/" +
         (type == LbType::kNetwork ? "net/" : "app/") + name + "/" + RandomHex(16);
}

std::string NewTargetGroupArn(const std::string& region, const std::string& account,
                              const std::string& name) {
  return kPrefix + region + ":" + account + ":targetgroup/" + name + "/" + RandomHex(16);
}

std::string NewListenerArn(const std::string& lb_arn) {
  std::string arn = lb_arn;
  size_t p = arn.find(":loadbalancer/");
  if (p != std::string::npos) arn.replace(p, 14, ":listener/");
  return arn + "/" + RandomHex(16);
}

std::string NewDnsName(const std::string& name, bool internal) {
  std::string digits;
  for (char c : RandomHex(10)) digits += static_cast<char>('0' + (c % 10));
  if (digits[0] == '0') digits[0] = '1';
  return (internal ? "internal-" : "") + name + "-" + digits + ".elb.localhost";
}

ArnKind KindOfArn(const std::string& arn) {
  if (arn.rfind(kPrefix, 0) != 0) return ArnKind::kOther;
  if (arn.find(":loadbalancer/") != std::string::npos) return ArnKind::kLoadBalancer;
  if (arn.find(":targetgroup/") != std::string::npos) return ArnKind::kTargetGroup;
  if (arn.find(":listener/") != std::string::npos) return ArnKind::kListener;
  return ArnKind::kOther;
}

}  // namespace berth::lb
