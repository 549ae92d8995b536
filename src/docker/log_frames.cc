#include "docker/log_frames.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace berth::docker {

bool LogFrameDecoder::Feed(std::string_view bytes, const Sink& sink) {
  if (broken_) return false;
  while (!bytes.empty()) {
    if (remaining_ == 0) {
      size_t take = std::min(bytes.size(), sizeof header_ - header_len_);
      std::copy_n(bytes.data(), take, header_ + header_len_);
      header_len_ += take;
      bytes.remove_prefix(take);
      if (header_len_ < sizeof header_) return true;
      header_len_ = 0;
      if (header_[0] > 2 || header_[1] || header_[2] || header_[3]) {
        broken_ = true;
        return false;
      }
      stdin_frame_ = header_[0] == 0;
      stream_ = header_[0] == 2 ? Stream::kStderr : Stream::kStdout;
      remaining_ = (uint32_t{header_[4]} << 24) | (uint32_t{header_[5]} << 16) |
                   (uint32_t{header_[6]} << 8) | uint32_t{header_[7]};
      continue;
    }
    size_t take = std::min<size_t>(bytes.size(), remaining_);
    remaining_ -= static_cast<uint32_t>(take);  // first: at_boundary() tells the sink a frame ended
    std::string_view piece = bytes.substr(0, take);
    bytes.remove_prefix(take);
    if (!stdin_frame_) sink(stream_, piece);
  }
  return true;
}

int64_t ParseLogTimestamp(std::string_view t) {
  struct tm tm = {};
  if (sscanf(std::string(t.substr(0, 19)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year,
             &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6 ||
      t.size() < 20) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t ns = 0;
  size_t i = 19;
  if (t[i] == '.') {
    int digits = 0;
    for (++i; i < t.size() && isdigit(static_cast<unsigned char>(t[i])); ++i) {
      if (digits++ < 9) ns = ns * 10 + (t[i] - '0');
    }
    for (; digits < 9; ++digits) ns *= 10;
  }
  if (i >= t.size() || t[i] != 'Z') return -1;
  time_t seconds = timegm(&tm);
  // Before 1970 or past 2262 (where ns overflow int64): not an engine's timestamp.
  if (seconds < 0 || seconds > INT64_MAX / 1'000'000'000 - 1) return -1;
  return static_cast<int64_t>(seconds) * 1'000'000'000 + ns;
}

bool MessagePositions::Next(std::string_view message, std::string_view* payload,
                            int64_t* position) {
  size_t space = message.find(' ');
  if (space == std::string_view::npos) return false;
  int64_t stamp = ParseLogTimestamp(message.substr(0, space));
  if (stamp < 0) return false;
  last_ = std::max(stamp, last_ + 1);
  *position = last_;
  *payload = message.substr(space + 1);
  return true;
}

}  // namespace berth::docker
