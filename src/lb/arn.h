// ELBv2 ARNs and DNS names, as berth mints them:
//   arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/16hex   (net/ for NLBs)
//   arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/16hex
//   arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/LBNAME/LBID/16hex
// DNS names are NAME-<10 digits>.elb.localhost (internal-NAME-… for internal schemes): berth
// runs no DNS server, so the name is a label; clients reach a listener at bind address:port.
// Pure functions (ids are random); any thread.
#pragma once

#include <string>

#include "lb/types.h"

namespace berth::lb {

enum class ArnKind { kOther, kLoadBalancer, kTargetGroup, kListener };

std::string NewLoadBalancerArn(const std::string& region, const std::string& account,
                               LbType type, const std::string& name);
std::string NewTargetGroupArn(const std::string& region, const std::string& account,
                              const std::string& name);
// lb_arn's "loadbalancer/app/NAME/ID" becomes "listener/app/NAME/ID/NEWID".
std::string NewListenerArn(const std::string& lb_arn);
std::string NewDnsName(const std::string& name, bool internal);

ArnKind KindOfArn(const std::string& arn);

}  // namespace berth::lb
