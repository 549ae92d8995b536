// Resource tags as ECS stores them: an ordered key → value list, merged by key.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace berth::model {

struct Tag {
  std::string key;
  std::string value;
};
using Tags = std::vector<Tag>;

// Parses `[{"key":..,"value":..}]`, validating ECS's limits (≤50 tags, key 1–128 and value
// ≤256 characters, no "aws:" prefix). Errors are InvalidArgument.
Result<Tags> ParseTags(const nlohmann::json& j, Resource resource);
nlohmann::json TagsToJson(const Tags& tags);
// Adds or replaces by key.
void MergeTags(Tags* into, const Tags& more);
void RemoveTags(Tags* from, const std::vector<std::string>& keys);

}  // namespace berth::model
