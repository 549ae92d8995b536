#include "runner/log_config.h"

#include "logs/multiline.h"

namespace berth::runner {

namespace {

std::string Option(const model::ContainerDefinition& c, const char* key) {
  auto it = c.log_options.find(key);
  return it == c.log_options.end() ? "" : it->second;
}

}  // namespace

size_t ParseByteSize(const std::string& s) {
  if (s.empty()) return 0;
  size_t digits = s.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string::npos) {
    return digits == 0 ? 0 : (s.size() > 15 ? 0 : std::stoull(s));
  }
  if (digits > 12) return 0;
  std::string unit = s.substr(digits);
  for (auto& ch : unit) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  size_t n = std::stoull(s.substr(0, digits));
  if (unit == "k") return n * 1024;
  if (unit == "m") return n * 1024 * 1024;
  if (unit == "g") return n * 1024 * 1024 * 1024;
  return unit.empty() ? n : 0;
}

Result<logs::ContainerLogConfig> LogConfigFor(const model::ContainerDefinition& c,
                                              const std::string& family,
                                              const std::string& task_id) {
  logs::ContainerLogConfig cfg;
  if (c.log_driver != "awslogs") {
    cfg.group = "/berth/tasks/" + family;
    cfg.stream = c.name + "/" + task_id;
    cfg.create_group = true;
  } else {
    cfg.group = Option(c, "awslogs-group");
    if (cfg.group.empty()) {
      return FailedPrecondition(
          "ResourceInitializationError: failed to validate logger args: must specify a value for "
          "log opt 'awslogs-group'");
    }
    std::string prefix = Option(c, "awslogs-stream-prefix");
    // Docker names a prefix-less stream after the container id; berth uses the ECS form
    // without the prefix so it is known before the process starts.
    cfg.stream = (prefix.empty() ? "" : prefix + "/") + c.name + "/" + task_id;
    cfg.create_group = Option(c, "awslogs-create-group") == "true";
    std::string datetime = Option(c, "awslogs-datetime-format");
    cfg.start_pattern = datetime.empty() ? Option(c, "awslogs-multiline-pattern")
                                         : logs::DatetimeFormatToRegex(datetime);
    std::string interval = Option(c, "awslogs-force-flush-interval-seconds");
    if (!interval.empty()) {
      if (interval.size() > 6 || interval.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(interval) <= 0) {
        return FailedPrecondition(
            "ResourceInitializationError: failed to validate logger args: invalid value for log "
            "opt 'awslogs-force-flush-interval-seconds': " + interval);
      }
      cfg.flush_interval_ms = std::stoll(interval) * 1000;
    }
  }
  cfg.php_fpm_unwrap = Option(c, "berth-php-fpm-unwrap") == "true";
  if (std::string limit = Option(c, "berth-php-fpm-log-limit"); !limit.empty()) {
    size_t n = ParseByteSize(limit);
    if (n < 512) {
      return FailedPrecondition(
          "ResourceInitializationError: berth-php-fpm-log-limit must be a number >= 512 (php-fpm's "
          "log_limit)");
    }
    cfg.php_fpm_log_limit = n;
  }
  std::string mode = Option(c, "mode");
  if (!mode.empty() && mode != "blocking" && mode != "non-blocking") {
    return FailedPrecondition("ResourceInitializationError: failed to validate logger args: "
                              "unknown log mode '" + mode + "'");
  }
  cfg.non_blocking = mode == "non-blocking";
  if (std::string size = Option(c, "max-buffer-size"); !size.empty()) {
    if (!cfg.non_blocking) {
      return FailedPrecondition("ResourceInitializationError: max-buffer-size option is only "
                                "supported with 'mode=non-blocking'");
    }
    cfg.max_buffer_bytes = ParseByteSize(size);
    if (cfg.max_buffer_bytes == 0) {
      return FailedPrecondition("ResourceInitializationError: could not parse max-buffer-size '" +
                                size + "'");
    }
  }
  return cfg;
}

}  // namespace berth::runner
