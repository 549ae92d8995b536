// The ECS wire shape of a service (DescribeServices/CreateService/UpdateService `service`) and
// its storage form. Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "model/service.h"

namespace berth::model {

// Tags only when include_tags (DescribeServices include=[TAGS]).
nlohmann::json ServiceToJson(const Service& s, bool include_tags);

nlohmann::json ServiceToStorage(const Service& s);
Result<Service> ServiceFromStorage(const nlohmann::json& j);

}  // namespace berth::model
