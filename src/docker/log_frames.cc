#include "docker/log_frames.h"

#include <algorithm>

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

}  // namespace berth::docker
