// What an lb Status is about, so the ELBv2 error table can tell LoadBalancerNotFound from
// TargetGroupNotFound without reading messages (the Resource values of common/status.h).
//
// Codes used by lb, and the AWS error each becomes (api/elbv2/elbv2_errors.cc):
//   NotFound + kLoadBalancer/kTargetGroup/kListener  → LoadBalancerNotFound/TargetGroupNotFound/
//                                                       ListenerNotFound
//   AlreadyExists + kLoadBalancer/kTargetGroup/kListener → DuplicateLoadBalancerName/
//                                                       DuplicateTargetGroupName/DuplicateListener
//   AlreadyExists + kTag                              → DuplicateTagKeys
//   InvalidArgument + kTarget                         → InvalidTarget
//   InvalidArgument (other)                           → ValidationError
//   FailedPrecondition                                → ResourceInUse
//   Conflict + kTargetGroup                           → IncompatibleProtocols
//   Conflict (other)                                  → InvalidConfigurationRequest
//   ResourceExhausted + kTag                          → TooManyTags
// Constants; any thread.
#pragma once

#include "common/status.h"

namespace berth::lb {

inline constexpr Resource kLoadBalancer = Resource::kLoadBalancer;
inline constexpr Resource kTargetGroup = Resource::kTargetGroup;
inline constexpr Resource kListener = Resource::kListener;
inline constexpr Resource kTarget = Resource::kTarget;
inline constexpr Resource kTag = Resource::kTag;

}  // namespace berth::lb
