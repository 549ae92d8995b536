// HealthBoard: the lb thread's latest health verdict per target, readable from the control
// thread (DescribeTargetHealth answers at once, without a round trip to the lb thread).
// Entries carry the registration's generation, so a verdict about an earlier registration of
// the same address is never shown for a new one.
// Thread-safe (one mutex; entries are small and written only when a verdict changes).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "lb/types.h"

namespace berth::lb {

class HealthBoard {
 public:
  void Set(const std::string& group_arn, const TargetKey& key, uint64_t generation,
           const TargetHealth& health) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[{group_arn, key}] = {generation, health};
  }
  void Erase(const std::string& group_arn, const TargetKey& key) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase({group_arn, key});
  }
  // The verdict for this registration (generation), if the lb thread has one.
  std::optional<TargetHealth> Get(const std::string& group_arn, const TargetKey& key,
                                  uint64_t generation) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find({group_arn, key});
    if (it == entries_.end() || it->second.first != generation) return std::nullopt;
    return it->second.second;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, TargetKey>, std::pair<uint64_t, TargetHealth>> entries_;
};

}  // namespace berth::lb
