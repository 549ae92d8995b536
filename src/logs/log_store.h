// LogStore: berth's embedded CloudWatch-Logs-shaped store — log groups, streams and events,
// built for append and scan, durable across restarts and `kill -9`.
//
// On disk (under one directory): a small catalogue of groups/streams, and event data in
// append-only segment files per group; retention deletes whole segment files older than the
// group's retention, never rows. See the .cc (and docs/architecture.md) for the format and for
// exactly what a crash may lose: appends made with durable=false (the container pipeline) may
// lose what arrived since the last Flush(); appends made with durable=true (PutLogEvents) are
// on disk before Append returns.
//
// Threads: thread-safe (one internal mutex); the capture thread appends, the control thread
// reads and administers. Scans run under the lock for bounded pages only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace berth::logs {

struct InputEvent {
  int64_t timestamp = 0;  // ms since the epoch, from the producer
  std::string message;
};

struct StoredEvent {
  std::string stream;
  int64_t timestamp = 0;
  int64_t ingestion_time = 0;
  std::string message;
  std::string event_id;  // stable: the same event always has the same id
};

struct GroupInfo {
  std::string name;
  int64_t creation_time = 0;
  std::optional<int> retention_days;
  int64_t stored_bytes = 0;
  std::vector<std::pair<std::string, std::string>> tags;
};

struct StreamInfo {
  std::string name;
  int64_t creation_time = 0;
  std::optional<int64_t> first_event_timestamp;  // set once it has events
  std::optional<int64_t> last_event_timestamp;
  std::optional<int64_t> last_ingestion_time;
  int64_t stored_bytes = 0;
};

// GetLogEvents: a page of one stream, always ascending in time. Tokens are opaque strings
// ("f/<pos>" / "b/<pos>"); at either end the token sent is echoed back.
struct StreamPageRequest {
  std::string group, stream;
  std::optional<int64_t> start_time;  // inclusive
  std::optional<int64_t> end_time;    // exclusive
  std::string token;                  // "" = first call
  int limit = 10000;
  bool start_from_head = false;
};
struct StreamPage {
  std::vector<StoredEvent> events;
  std::string next_forward_token;
  std::string next_backward_token;
};

// FilterLogEvents: events of many streams in (timestamp, ingestion order), matching `match`.
struct FilterRequest {
  std::string group;
  std::vector<std::string> stream_names;  // empty = all (subject to prefix)
  std::string stream_prefix;
  std::optional<int64_t> start_time;      // inclusive
  std::optional<int64_t> end_time;        // inclusive
  std::function<bool(std::string_view message)> match;  // null = all
  std::string token;                      // "" = first page
  int limit = 10000;
};
struct FilterPage {
  std::vector<StoredEvent> events;
  std::string next_token;  // "" = no more
};

// Tuning knobs; the defaults are the daemon's. Tests shrink segments to exercise rolling and
// retention.
struct LogStoreOptions {
  uint64_t segment_bytes = 64ull << 20;        // roll a group's segment past this size
  int64_t segment_max_age_ms = 24 * 3600'000;  // ... or once its first event is this old
  size_t write_buffer_bytes = 256u << 10;      // per group; written out when full
  size_t page_bytes = 1u << 20;  // a page holds at most this many bytes (message + 26 each),
                                 // like CloudWatch's 1 MB responses; always >= 1 event
  // Recovery notes from Open (torn tails cut, corrupt records skipped). Default: stderr.
  std::function<void(const std::string& note)> warn;
};

class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> Open(const std::string& dir, const Clock& clock);
  static Result<std::unique_ptr<LogStore>> Open(const std::string& dir, const Clock& clock,
                                                LogStoreOptions options);
  virtual ~LogStore() = default;

  // Errors: AlreadyExists / NotFound (Resource::kNone) with CloudWatch's messages
  // ("The specified log group already exists", "The specified log group does not exist.", …).
  virtual Status CreateGroup(const std::string& group,
                             const std::vector<std::pair<std::string, std::string>>& tags) = 0;
  virtual Status DeleteGroup(const std::string& group) = 0;
  virtual Result<GroupInfo> DescribeGroup(const std::string& group) = 0;
  virtual std::vector<GroupInfo> ListGroups() = 0;  // ASCII order
  virtual Status SetRetention(const std::string& group, std::optional<int> days) = 0;
  virtual Status TagGroup(const std::string& group,
                          const std::vector<std::pair<std::string, std::string>>& tags) = 0;
  virtual Status UntagGroup(const std::string& group, const std::vector<std::string>& keys) = 0;

  virtual Status CreateStream(const std::string& group, const std::string& stream) = 0;
  virtual Status DeleteStream(const std::string& group, const std::string& stream) = 0;
  virtual Result<std::vector<StreamInfo>> ListStreams(const std::string& group) = 0;

  // Appends events (already validated and in order) to group/stream, creating the stream when
  // create_stream (the container pipeline); ingestion time = now. durable=true returns only
  // once the events are on disk.
  virtual Status Append(const std::string& group, const std::string& stream,
                        const std::vector<InputEvent>& events, bool durable,
                        bool create_stream = false) = 0;
  // Makes every earlier non-durable append durable (the pipeline's flush interval).
  virtual Status Flush() = 0;
  // Hands the group's buffered appends to the kernel (write, no fsync): from then on they
  // survive the daemon's death (kill -9), though not a kernel crash until the next Flush.
  virtual Status WriteOut(const std::string& group) = 0;

  virtual Result<StreamPage> GetEvents(const StreamPageRequest& req) = 0;
  virtual Result<FilterPage> Filter(const FilterRequest& req) = 0;

  // Deletes whole segments past their group's retention. Called periodically.
  virtual void EnforceRetention() = 0;

  // Calls fn (on the appending thread, lock not held) after every append: `berth logs -f`
  // and live tails wake on it instead of polling. Returns an id for Unsubscribe.
  virtual uint64_t Subscribe(std::function<void(const std::string& group)> fn) = 0;
  virtual void Unsubscribe(uint64_t id) = 0;
};

}  // namespace berth::logs
