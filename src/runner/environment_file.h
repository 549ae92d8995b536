// Environment files (`environmentFiles`) as the ECS agent reads them (spec/ecs.md §5):
// - a line starting with `#` is a comment (no trimming first); a trailing "\r" is dropped;
// - only lines containing `=` count, split at the first `=`; no whitespace trimming, quote
//   removal or escapes; a line whose key or value is empty is skipped;
// - within one file the last duplicate wins.
// Across files the first file listed wins (MergeEnvironmentFiles); `environment` entries, then
// container overrides, then `secrets` take precedence over every file (TaskRunner).
//
// Pure functions; any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace berth::runner {

std::map<std::string, std::string> ParseEnvironmentFile(std::string_view text);

// Adds the variables of a later file to those of the earlier ones: existing keys stay.
void MergeEnvironmentFile(const std::map<std::string, std::string>& later,
                          std::map<std::string, std::string>* earlier);

}  // namespace berth::runner
