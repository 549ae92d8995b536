// Environment files (runner/environment_file.h): any bytes parse without crashing, and every
// variable obeys the agent's rules — a non-empty key without '=', a non-empty value, no NUL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runner/environment_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto vars = berth::runner::ParseEnvironmentFile(text);
  for (const auto& [k, v] : vars) {
    if (k.empty() || v.empty() || k.find('=') != std::string::npos || k[0] == '#' ||
        k.find('\n') != std::string::npos || v.find('\n') != std::string::npos ||
        k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) {
      std::abort();
    }
  }
  auto merged = vars;
  berth::runner::MergeEnvironmentFile(berth::runner::ParseEnvironmentFile(text), &merged);
  if (merged != vars) std::abort();
  return 0;
}
