// Docker driver parsers: Docker's multiplexed log frames (fed in pieces of every size) with the
// timestamped messages' positions, and the create body built from an arbitrary container
// definition and volumes (JSON).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "docker/container_config.h"
#include "docker/log_frames.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (data[0] % 2 == 0) {
    berth::docker::LogFrameDecoder d;
    berth::docker::MessagePositions positions;
    size_t piece = data[1] % 17 + 1, total = 0;
    std::string message;
    int64_t last = 0;
    for (size_t i = 0; i < in.size(); i += piece) {
      d.Feed(in.substr(i, piece), [&](berth::docker::LogFrameDecoder::Stream, std::string_view b) {
        total += b.size();
        message.append(b);
        if (!d.at_boundary()) return;
        std::string_view payload;
        int64_t position = 0;
        if (positions.Next(message, &payload, &position)) {
          if (position <= last) __builtin_trap();  // positions always increase
          last = position;
        }
        message.clear();
      });
    }
    if (total > in.size()) __builtin_trap();  // payload never exceeds what came in
    return 0;
  }
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return 0;
  berth::driver::ProcessSpec spec;
  spec.task_id = "0123456789abcdef0123456789abcdef";
  spec.definition = j.is_object() && j.contains("def") ? j["def"] : j;
  if (j.is_object() && j.contains("volumes")) spec.task_volumes = j["volumes"];
  berth::docker::CreateOptions o;
  o.network_mode = data[1] % 2 ? "bridge" : "host";
  o.task_container_ids = {{"data", "abc"}};
  (void)berth::docker::CreateBody(spec, o);
  return 0;
}
