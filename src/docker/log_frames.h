// Docker's multiplexed stream (logs and attach of a container without a TTY): frames of an
// 8-byte header — stream (1 stdout, 2 stderr; 0 stdin), three zero bytes, payload size as a
// big-endian uint32 — then the payload. Bytes arrive in arbitrary pieces; the decoder keeps
// a partial header or payload between Feed calls and hands each payload (or the part of it
// that has arrived) out in order.
// Value type; one per stream, used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace berth::docker {

class LogFrameDecoder {
 public:
  enum class Stream { kStdout, kStderr };
  using Sink = std::function<void(Stream, std::string_view)>;

  // Feeds bytes; calls sink for each piece of payload. Returns false (and ignores the rest)
  // once a header is malformed (stream byte > 2 or non-zero padding): not a multiplexed stream.
  bool Feed(std::string_view bytes, const Sink& sink);
  // True between frames (no partial header or payload pending); inside the sink: the piece
  // handed out ends its frame.
  bool at_boundary() const { return header_len_ == 0 && remaining_ == 0; }

 private:
  unsigned char header_[8] = {};
  size_t header_len_ = 0;
  uint32_t remaining_ = 0;  // payload bytes of the current frame still to come
  Stream stream_ = Stream::kStdout;
  bool stdin_frame_ = false;  // stream 0: payload skipped
  bool broken_ = false;
};

// A log message read with timestamps=1 is "TIMESTAMP payload", the timestamp in RFC 3339 with
// up to nine fraction digits, trailing zeros dropped ("2026-11-30T13:40:00.1234Z"; Podman: whole
// seconds). ns since the epoch, or -1 when `t` is not one.
int64_t ParseLogTimestamp(std::string_view t);

// Gives each message of one log read a position that increases: its timestamp in ns, or one
// more than the previous message's when that is not later — so the messages of one Podman
// second are numbered in order, and numbered the same way whenever the log is read again from
// the start of that second (the driver's resume point). One per read; not thread-safe.
class MessagePositions {
 public:
  // A whole message → its payload (a view into `message`) and position; false when it does not
  // start with a timestamp and a space.
  bool Next(std::string_view message, std::string_view* payload, int64_t* position);

 private:
  int64_t last_ = 0;
};

}  // namespace berth::docker
