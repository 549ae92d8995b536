// LogStoreImpl: the one LogStore implementation (log_store.cc: open, recovery, admin, append,
// flush, retention; log_store_query.cc: GetEvents and Filter). Internal header.
//
// In memory it keeps only indexes, never events: per group the list of its segments and
// "blocks" (~1 MiB spans of the group's log with their time range), per stream its "chunks"
// (spans of ~1 MiB of the log holding that stream's records, with their time range and
// bytes). That is ~32 bytes per MiB per stream; a query reads only the spans it needs.
//
// Locking: mu_ guards everything below it. Appends and administration hold it throughout.
// Queries copy the spans they will read and open those segment files under mu_, then read
// without it: written bytes never change (segments are append-only; only Open truncates), and
// a segment unlinked by retention stays readable through its descriptor. Subscribers are
// called with no lock held.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "logs/log_catalog.h"
#include "logs/log_segment.h"
#include "logs/log_store.h"

namespace berth::logs {

// A stretch [begin, end) of one segment from the start of a record to the end of a record.
// As a stream's chunk it covers `bytes` of that stream's records (others may be interleaved);
// as a group's block it covers every record in it. Times are those records' min and max.
struct Span {
  uint32_t segno = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t bytes = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;

  uint64_t BeginPos() const { return MakePos(segno, begin); }
  uint64_t EndPos() const { return MakePos(segno, end); }
};

struct StreamState {
  std::string name;
  uint32_t id = 0;
  int64_t creation_time = 0;
  std::vector<Span> chunks;  // in log order
  uint64_t stored_bytes = 0;
  std::optional<int64_t> first_ts, last_ts, last_ingestion;
};

struct SegmentState {
  uint32_t segno = 0;
  uint64_t size = 0;  // including bytes still in the write buffer
  int64_t min_ts = INT64_MAX;
  int64_t max_ts = INT64_MIN;
  int64_t first_ingestion = INT64_MAX;
};

// The group's active segment: records are encoded into buf and written (pwrite at `written`)
// when it fills, on Flush, before a read, and before a durable Append returns (with fdatasync).
struct SegmentWriter {
  int fd = -1;
  uint32_t segno = 0;
  uint64_t written = 0;  // bytes in the file
  uint64_t synced = 0;   // bytes known to be on disk
  std::string buf;
  uint64_t size() const { return written + buf.size(); }
};

struct GroupState {
  std::string name;
  std::string dir;  // DIR/g<id>
  bool dir_exists = false;
  bool dir_synced = true;  // false after a segment file was created and before its fsync
  std::vector<SegmentState> segments;                 // ascending segno
  std::vector<Span> blocks;                           // in log order
  std::unordered_map<uint32_t, StreamState> streams;  // by id; the catalog maps names to ids
  uint32_t next_segno = 1;
  SegmentWriter writer;
  std::vector<int> unsynced_fds;  // sealed segments with data not yet fdatasynced
  bool appended_since_flush = false;
};

class LogStoreImpl : public LogStore {
 public:
  LogStoreImpl(std::string dir, const Clock& clock, LogStoreOptions options);
  ~LogStoreImpl() override;
  LogStoreImpl(const LogStoreImpl&) = delete;
  LogStoreImpl& operator=(const LogStoreImpl&) = delete;

  Status Load();  // reads the catalogue and rebuilds the indexes; called once by Open

  Status CreateGroup(const std::string& group,
                     const std::vector<std::pair<std::string, std::string>>& tags) override;
  Status DeleteGroup(const std::string& group) override;
  Result<GroupInfo> DescribeGroup(const std::string& group) override;
  std::vector<GroupInfo> ListGroups() override;
  Status SetRetention(const std::string& group, std::optional<int> days) override;
  Status TagGroup(const std::string& group,
                  const std::vector<std::pair<std::string, std::string>>& tags) override;
  Status UntagGroup(const std::string& group, const std::vector<std::string>& keys) override;
  Status CreateStream(const std::string& group, const std::string& stream) override;
  Status DeleteStream(const std::string& group, const std::string& stream) override;
  Result<std::vector<StreamInfo>> ListStreams(const std::string& group) override;
  Status Append(const std::string& group, const std::string& stream,
                const std::vector<InputEvent>& events, bool durable, bool create_stream) override;
  Status Flush() override;
  Status WriteOut(const std::string& group) override;
  Result<StreamPage> GetEvents(const StreamPageRequest& req) override;
  Result<FilterPage> Filter(const FilterRequest& req) override;
  void EnforceRetention() override;
  uint64_t Subscribe(std::function<void(const std::string& group)> fn) override;
  void Unsubscribe(uint64_t id) override;

 private:
  // All private methods require mu_ held.
  GroupState* FindGroup(const std::string& name);
  Result<GroupState*> GroupOrNotFound(const std::string& name);
  Status SaveCatalogCopy(Catalog next);  // saves, then installs it as catalog_
  // mu_ held: records a new stream of g in the catalog (durably) and in memory; its id.
  Result<uint32_t> CreateStreamLocked(GroupState* g, const std::string& group,
                                      const std::string& stream);
  Status LoadGroup(const std::string& name, const CatalogGroup& meta);
  void IndexRecord(GroupState* g, uint32_t segno, const RecordView& r);
  Status StartSegment(GroupState* g, int64_t now);
  Status SealSegment(GroupState* g);
  Status WriteBuffer(GroupState* g);  // buf → file (no sync)
  Status SyncGroup(GroupState* g);    // buf → file, fdatasync, directory entries
  Status ReindexActiveSegment(GroupState* g);
  void DropSegment(GroupState* g, uint32_t segno);
  void CloseGroupFiles(GroupState* g);
  static void RecomputeStreamStats(StreamState* s);
  GroupInfo Describe(const std::string& name, const CatalogGroup& meta, const GroupState& g);
  void Warn(const std::string& note);

  const std::string dir_;
  const Clock& clock_;
  const LogStoreOptions options_;
  int lock_fd_ = -1;  // flock on DIR/LOCK: one process per directory

  std::mutex mu_;
  Catalog catalog_;                                            // guarded by mu_
  std::map<std::string, std::unique_ptr<GroupState>> groups_;  // by name; guarded by mu_

  std::mutex subs_mu_;
  uint64_t next_sub_id_ = 1;  // guarded by subs_mu_
  std::map<uint64_t, std::shared_ptr<std::function<void(const std::string&)>>>
      subs_;  // guarded by subs_mu_
};

}  // namespace berth::logs
