// Input rules shared by the LoadBalancing methods: names, tags, health-check settings — with
// AWS's ranges and defaults. Pure functions; any thread.
#pragma once

#include <string>

#include "common/status.h"
#include "lb/load_balancing.h"
#include "lb/types.h"

namespace berth::lb {

inline constexpr size_t kMaxTags = 50;

// 1–32 characters, letters, digits and hyphens, no hyphen at either end (and, for load
// balancers, not starting with "internal-").
Status ValidateLoadBalancerName(const std::string& name);
Status ValidateTargetGroupName(const std::string& name);
// Keys 1–128 (not aws:), values ≤ 256, no key twice (AlreadyExists/kTag), ≤ 50 (kTag).
Status ValidateTags(const Tags& tags);
// Applies the fields a request gave onto `hc` for a group of `group_protocol`, checking every
// rule (ranges, timeout < interval, matcher/path only for HTTP checks, checks cannot be off).
Status ApplyHealthCheckPatch(const HealthCheckPatch& patch, Protocol group_protocol,
                             HealthCheck* hc);
// A target's address and port; InvalidArgument (kTarget) otherwise.
Status ValidateTarget(const TargetRef& t, int group_port, TargetKey* out);

}  // namespace berth::lb
