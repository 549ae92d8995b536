// Task sizes: the "1 vCPU" / "2 GB" notations and Fargate's cpu/memory pairs.
#include <cstdint>
#include <limits>

#include "model/task_definition.h"

namespace berth::model {

namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// "<digits>[.<digits>][ ]<unit>" → value × 1024, or plain "<digits>" → value.
std::optional<int> ParseScaled(std::string_view s, std::string_view unit) {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  size_t pos = 0;
  uint64_t whole = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (pos >= 10) return std::nullopt;
    whole = whole * 10 + static_cast<uint64_t>(s[pos++] - '0');
  }
  if (pos == 0) return std::nullopt;
  uint64_t numerator = whole;
  uint64_t denominator = 1;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start >= 6) return std::nullopt;
      numerator = numerator * 10 + static_cast<uint64_t>(s[pos++] - '0');
      denominator *= 10;
    }
    if (pos == start) return std::nullopt;
  }
  std::string_view rest = s.substr(pos);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  uint64_t value = 0;
  if (rest.empty()) {
    if (denominator != 1) return std::nullopt;
    value = whole;
  } else {
    if (rest.size() != unit.size()) return std::nullopt;
    for (size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != unit[i]) return std::nullopt;
    }
    if ((numerator * 1024) % denominator != 0) return std::nullopt;
    value = numerator * 1024 / denominator;
  }
  if (value > static_cast<uint64_t>(kInt32Max)) return std::nullopt;
  return static_cast<int>(value);
}

}  // namespace

// Fargate task sizes: memory in MiB for each cpu value (spec/ecs.md §3).
bool FargateSupports(int cpu, int memory) {
  auto steps = [memory](int lo, int hi, int step) {
    return memory >= lo && memory <= hi && (memory - lo) % step == 0;
  };
  switch (cpu) {
    case 256:
      return memory == 512 || memory == 1024 || memory == 2048;
    case 512:
      return steps(1024, 4096, 1024);
    case 1024:
      return steps(2048, 8192, 1024);
    case 2048:
      return steps(4096, 16384, 1024);
    case 4096:
      return steps(8192, 30720, 1024);
    case 8192:
      return steps(16384, 61440, 4096);
    case 16384:
      return steps(32768, 122880, 8192);
    default:
      return false;
  }
}

std::optional<int> ParseCpuUnits(std::string_view s) { return ParseScaled(s, "vcpu"); }

std::optional<int> ParseMemoryMiB(std::string_view s) { return ParseScaled(s, "gb"); }

}  // namespace berth::model
