// LogStore's write side: Append, Flush, segment rolling, and retention. See log_store.cc for
// what a crash may lose.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "logs/log_store_impl.h"

namespace berth::logs {

namespace {
const char kGroupNotFound[] = "The specified log group does not exist.";
const char kStreamNotFound[] = "The specified log stream does not exist.";
constexpr int64_t kDayMs = 24 * 3600'000;
}  // namespace

Status LogStoreImpl::Append(const std::string& group, const std::string& stream,
                            const std::vector<InputEvent>& events, bool durable,
                            bool create_stream) {
  std::unique_lock<std::mutex> lock(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFound(kGroupNotFound);
  const CatalogGroup& meta = catalog_.groups.at(group);
  auto sit = meta.streams.find(stream);
  uint32_t stream_id;
  if (sit != meta.streams.end()) {
    stream_id = sit->second.id;
  } else if (!create_stream) {
    return NotFound(kStreamNotFound);
  } else {
    auto id = CreateStreamLocked(g, group, stream);
    if (!id.ok()) return id.status();
    stream_id = *id;
  }
  uint64_t batch_bytes = 0;
  for (const InputEvent& e : events) {
    if (e.message.size() > kMaxMessageSize) {
      return InvalidArgument("log event too large: " + std::to_string(e.message.size()) + " bytes");
    }
    batch_bytes += kRecordHeaderSize + e.message.size();
  }
  if (events.empty()) return Status::Ok();

  int64_t now = clock_.NowMs();
  SegmentWriter& w = g->writer;
  if (w.fd >= 0) {
    // Roll before the batch rather than inside it, when it would not fit or the segment is
    // older than the roll age (so retention can drop whole days).
    const SegmentState& seg = g->segments.back();
    bool has_records = w.size() > kSegmentHeaderSize;
    bool too_old = seg.first_ingestion != INT64_MAX &&
                   now - seg.first_ingestion >= options_.segment_max_age_ms;
    if (has_records && (w.size() + batch_bytes > options_.segment_bytes || too_old)) {
      BERTH_RETURN_IF_ERROR(SealSegment(g));
    }
  }
  if (w.fd < 0) BERTH_RETURN_IF_ERROR(StartSegment(g, now));
  if (w.buf.capacity() < options_.write_buffer_bytes) w.buf.reserve(options_.write_buffer_bytes);
  for (const InputEvent& e : events) {
    uint32_t size = kRecordHeaderSize + static_cast<uint32_t>(e.message.size());
    if (w.size() > kSegmentHeaderSize && w.size() + size > options_.segment_bytes) {
      BERTH_RETURN_IF_ERROR(SealSegment(g));  // a batch larger than a segment
      BERTH_RETURN_IF_ERROR(StartSegment(g, now));
    }
    RecordView r;
    r.offset = static_cast<uint32_t>(w.size());
    r.size = size;
    r.stream = stream_id;
    r.timestamp = e.timestamp;
    r.ingestion_time = now;
    r.message = e.message;
    EncodeRecord(stream_id, e.timestamp, now, e.message, &w.buf);
    IndexRecord(g, w.segno, r);
    if (w.buf.size() >= options_.write_buffer_bytes) BERTH_RETURN_IF_ERROR(WriteBuffer(g));
  }
  g->appended_since_flush = true;
  if (durable) BERTH_RETURN_IF_ERROR(SyncGroup(g));
  lock.unlock();

  std::vector<std::shared_ptr<std::function<void(const std::string&)>>> subs;
  {
    std::lock_guard<std::mutex> sl(subs_mu_);
    for (const auto& [id, fn] : subs_) subs.push_back(fn);
  }
  for (const auto& fn : subs) (*fn)(group);
  return Status::Ok();
}

Status LogStoreImpl::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  for (auto& [name, g] : groups_) {
    Status s = SyncGroup(g.get());
    if (!s.ok() && first.ok()) first = s;
    if (!g->appended_since_flush) std::string().swap(g->writer.buf);  // idle: free the buffer
    g->appended_since_flush = false;
  }
  return first;
}

Status LogStoreImpl::WriteOut(const std::string& group) {
  std::lock_guard<std::mutex> lock(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFound(kGroupNotFound);
  return WriteBuffer(g);
}

Status LogStoreImpl::StartSegment(GroupState* g, int64_t now) {
  if (!g->dir_exists) {
    if (mkdir(g->dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus("creating " + g->dir);
    }
    BERTH_RETURN_IF_ERROR(SyncDir(dir_));
    g->dir_exists = true;
  }
  uint32_t segno = g->next_segno++;
  std::string path = SegmentPath(g->dir, segno);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating " + path);
  SegmentWriter& w = g->writer;
  w.fd = fd;
  w.segno = segno;
  w.written = 0;
  w.synced = 0;
  w.buf.clear();
  w.buf.append(kSegmentMagic, kSegmentHeaderSize);
  g->segments.push_back(SegmentState{segno, kSegmentHeaderSize});
  g->dir_synced = false;
  return Status::Ok();
}

Status LogStoreImpl::SealSegment(GroupState* g) {
  SegmentWriter& w = g->writer;
  if (w.fd < 0) return Status::Ok();
  BERTH_RETURN_IF_ERROR(WriteBuffer(g));
  if (w.synced < w.written) {
    g->unsynced_fds.push_back(w.fd);  // the next Flush or durable append syncs it
  } else {
    close(w.fd);
  }
  w.fd = -1;
  w.segno = 0;
  w.written = w.synced = 0;
  return Status::Ok();
}

Status LogStoreImpl::WriteBuffer(GroupState* g) {
  SegmentWriter& w = g->writer;
  if (w.fd < 0 || w.buf.empty()) return Status::Ok();
  Status s = WriteAll(w.fd, w.buf.data(), w.buf.size(), w.written);
  if (s.ok()) {
    w.written += w.buf.size();
    w.buf.clear();
    if (w.buf.capacity() > 2 * options_.write_buffer_bytes)
      std::string().swap(w.buf);  // a huge event
    return s;
  }
  // Drop what could not be written and make the indexes match the file again.
  w.buf.clear();
  if (ftruncate(w.fd, static_cast<off_t>(w.written)) != 0) {
    Warn("truncating segment " + std::to_string(w.segno) + " after a failed write");
  }
  Status r = ReindexActiveSegment(g);
  if (!r.ok()) Warn("re-reading segment after a failed write: " + r.message());
  return s;
}

Status LogStoreImpl::ReindexActiveSegment(GroupState* g) {
  SegmentWriter& w = g->writer;
  DropSegment(g, w.segno);
  g->segments.push_back(SegmentState{w.segno, kSegmentHeaderSize});
  if (w.written < kSegmentHeaderSize) {
    w.written = 0;
    w.buf.assign(kSegmentMagic, kSegmentHeaderSize);
    return Status::Ok();
  }
  uint32_t segno = w.segno;
  Result<RecoveryResult> rec =
      RecoverSegment(w.fd, w.written, [&](const RecordView& r) { IndexRecord(g, segno, r); });
  if (!rec.ok()) return rec.status();
  if (rec->valid_end < w.written) {
    w.written = rec->valid_end;
    if (ftruncate(w.fd, static_cast<off_t>(w.written)) != 0) {
      return ErrnoStatus("truncating segment");
    }
  }
  w.synced = std::min(w.synced, w.written);
  return Status::Ok();
}

Status LogStoreImpl::SyncGroup(GroupState* g) {
  BERTH_RETURN_IF_ERROR(WriteBuffer(g));
  while (!g->unsynced_fds.empty()) {
    int fd = g->unsynced_fds.back();
    if (fdatasync(fd) != 0) return ErrnoStatus("syncing a log segment");
    close(fd);
    g->unsynced_fds.pop_back();
  }
  SegmentWriter& w = g->writer;
  if (w.fd >= 0 && w.synced < w.written) {
    if (fdatasync(w.fd) != 0) return ErrnoStatus("syncing a log segment");
    w.synced = w.written;
  }
  if (!g->dir_synced) {
    BERTH_RETURN_IF_ERROR(SyncDir(g->dir));
    g->dir_synced = true;
  }
  return Status::Ok();
}

void LogStoreImpl::CloseGroupFiles(GroupState* g) {
  for (int fd : g->unsynced_fds) close(fd);
  g->unsynced_fds.clear();
  if (g->writer.fd >= 0) close(g->writer.fd);
  g->writer.fd = -1;
  g->writer.buf.clear();
}

void LogStoreImpl::RecomputeStreamStats(StreamState* s) {
  s->stored_bytes = 0;
  s->first_ts.reset();
  s->last_ts.reset();
  for (const Span& c : s->chunks) {
    s->stored_bytes += c.bytes;
    s->first_ts = std::min(s->first_ts.value_or(INT64_MAX), c.min_ts);
    s->last_ts = std::max(s->last_ts.value_or(INT64_MIN), c.max_ts);
  }
}

void LogStoreImpl::DropSegment(GroupState* g, uint32_t segno) {
  auto in_seg = [segno](const Span& s) { return s.segno == segno; };
  std::erase_if(g->segments, [segno](const SegmentState& s) { return s.segno == segno; });
  std::erase_if(g->blocks, in_seg);
  for (auto& [id, s] : g->streams) {
    if (std::erase_if(s.chunks, in_seg) > 0) RecomputeStreamStats(&s);
  }
}

void LogStoreImpl::EnforceRetention() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_.NowMs();
  for (auto& [name, g] : groups_) {
    const std::optional<int>& days = catalog_.groups.at(name).retention_days;
    if (!days) continue;
    int64_t cutoff = now - static_cast<int64_t>(*days) * kDayMs;
    std::vector<uint32_t> doomed;
    for (const SegmentState& seg : g->segments) {
      bool empty = seg.max_ts == INT64_MIN;
      bool newest = seg.segno == g->segments.back().segno;
      if (empty ? !newest : seg.max_ts < cutoff) doomed.push_back(seg.segno);
    }
    for (uint32_t segno : doomed) {
      if (segno == g->segments.back().segno) {
        // The newest file carries the numbering across restarts: start a newer one first.
        Status s = SealSegment(g.get());
        if (s.ok()) s = StartSegment(g.get(), now);
        if (s.ok()) s = WriteBuffer(g.get());
        if (!s.ok()) {
          Warn("retention of " + name + ": " + s.message());
          break;
        }
      }
      DropSegment(g.get(), segno);
      std::string path = SegmentPath(g->dir, segno);
      if (unlink(path.c_str()) != 0) Warn("retention: removing " + path + " failed");
    }
  }
}

}  // namespace berth::logs
