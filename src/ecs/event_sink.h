// EventSink: where the control plane sends the events ECS sends to EventBridge (spec/ecs.md §8)
// — "ECS Task State Change", "ECS Service Action" and "ECS Deployment State Change". The
// daemon implements it over the event bus (events/), which adds the envelope's id, source
// ("aws.ecs", always), account and version "0" and formats `time` in whole seconds.
//
// Ownership: the ControlPlane does not own the sink (ecs::Options::events; null = no events).
// Threads: Publish is called on the control thread only, always AFTER the change it reports has
// been committed to the StateStore (DESIGN.md: committed, then published), and in the order the
// changes happened. ControlPlane::Load() publishes the STOPPED events of tasks that the previous
// daemon left running, so a sink must accept events before Load(). Publish must not block and
// must not call back into the ControlPlane.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"

namespace berth::ecs {

struct EcsEvent {
  std::string detail_type;             // "ECS Task State Change", …
  std::vector<std::string> resources;  // [taskArn] or [serviceArn]
  nlohmann::json detail;               // the AWS detail object, timestamps as ISO strings
  TimeMs time = 0;                     // when the change happened (the envelope's `time`)
  std::string region;                  // the region of the task or service
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Publish(EcsEvent event) = 0;
};

}  // namespace berth::ecs
