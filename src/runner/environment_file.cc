#include "runner/environment_file.h"

namespace berth::runner {

std::map<std::string, std::string> ParseEnvironmentFile(std::string_view text) {
  std::map<std::string, std::string> vars;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == line.size()) continue;
    // A NUL cannot reach a process environment; such a line is not a variable.
    if (line.find('\0') != std::string_view::npos) continue;
    vars[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  return vars;
}

void MergeEnvironmentFile(const std::map<std::string, std::string>& later,
                          std::map<std::string, std::string>* earlier) {
  for (const auto& [k, v] : later) earlier->emplace(k, v);
}

}  // namespace berth::runner
