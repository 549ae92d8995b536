// LogStore: open and recovery, administration, append, flush and retention. Queries are in
// log_store_query.cc; the file format is in log_segment.h.
//
// Durability — exactly what a crash may lose:
//  * Appends with durable=true (PutLogEvents) are written and fdatasynced, along with any new
//    segment's directory entry, before Append returns: never lost.
//  * Appends with durable=false (the container pipeline) sit in the group's write buffer
//    (write_buffer_bytes, 256 KiB) until it fills, a read needs them, Flush(), WriteOut() (the
//    pipeline, after each batch of a container whose driver resumes its log) or a durable
//    append to the same group. A kill -9 of the daemon loses only that unwritten buffer: at
//    most 256 KiB per group, all of it appended since the last Flush(). A kernel crash or
//    power loss loses what was appended with durable=false since the last Flush().
//  * Administrative changes (groups, streams, retention, tags) are in the catalogue, saved
//    with tmp + fsync + rename + fsync before the call returns.
//  * Open truncates a torn record at the end of any segment and skips a record whose
//    checksum fails in the middle (a warning names each), so a crash never leaves corruption
//    that later reads trip on. Open always starts a new segment for new appends, so a
//    position (event id, token) is never reused for a different event.
//  * A failed write (e.g. disk full) drops the unwritten buffer, reports the error to the
//    call that hit it, and re-reads the segment so the indexes match the file.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "logs/log_store_impl.h"

namespace berth::logs {

namespace {

constexpr uint32_t kSpanBytes = 1u << 20;
constexpr int64_t kDayMs = 24 * 3600'000;

const char kGroupNotFound[] = "The specified log group does not exist.";
const char kStreamNotFound[] = "The specified log stream does not exist.";
const char kGroupExists[] = "The specified log group already exists";
const char kStreamExists[] = "The specified log stream already exists";

Status AlreadyExists(const char* m) { return Status(Code::kAlreadyExists, m); }

// Adds a record to a span list: the last span grows while the record is in the same segment
// and less than kSpanBytes past the span's start; otherwise a new span starts.
void AddToSpans(std::vector<Span>* spans, uint32_t segno, const RecordView& r) {
  if (!spans->empty()) {
    Span& b = spans->back();
    if (b.segno == segno && r.offset >= b.end && r.offset - b.begin < kSpanBytes) {
      b.end = r.offset + r.size;
      b.bytes += r.size;
      b.min_ts = std::min(b.min_ts, r.timestamp);
      b.max_ts = std::max(b.max_ts, r.timestamp);
      return;
    }
  }
  spans->push_back(Span{segno, r.offset, r.offset + r.size, r.size, r.timestamp, r.timestamp});
}

LogStoreOptions Sanitize(LogStoreOptions o) {
  o.segment_bytes = std::clamp<uint64_t>(o.segment_bytes, 4096, 1ull << 30);
  o.write_buffer_bytes = std::clamp<size_t>(o.write_buffer_bytes, 4096, 64u << 20);
  o.page_bytes = std::max<size_t>(o.page_bytes, 1);
  if (o.segment_max_age_ms <= 0) o.segment_max_age_ms = kDayMs;
  return o;
}

// Names of the entries of dir (non-throwing; errors end the listing).
std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(it->path().filename().string());
  }
  return out;
}

// Segment numbers of the files named like 0000000001.log in dir, ascending.
std::vector<uint32_t> ListSegments(const std::string& dir) {
  std::vector<uint32_t> out;
  for (const std::string& n : ListDir(dir)) {
    uint64_t v = 0;
    if (n.size() != 14 || n.compare(10, 4, ".log") != 0) continue;
    auto [p, ec] = std::from_chars(n.data(), n.data() + 10, v);
    if (ec != std::errc() || p != n.data() + 10) continue;
    if (v > 0 && v < UINT32_MAX) out.push_back(static_cast<uint32_t>(v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& dir, const Clock& clock) {
  return Open(dir, clock, LogStoreOptions{});
}

Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& dir, const Clock& clock,
                                                 LogStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("log store: creating " + dir + ": " + ec.message());
  auto store = std::make_unique<LogStoreImpl>(dir, clock, std::move(options));
  BERTH_RETURN_IF_ERROR(store->Load());
  return std::unique_ptr<LogStore>(std::move(store));
}

LogStoreImpl::LogStoreImpl(std::string dir, const Clock& clock, LogStoreOptions options)
    : dir_(std::move(dir)), clock_(clock), options_(Sanitize(std::move(options))) {}

LogStoreImpl::~LogStoreImpl() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, g] : groups_) {
    Status s = SyncGroup(g.get());
    if (!s.ok()) Warn("closing " + name + ": " + s.message());
    CloseGroupFiles(g.get());
  }
  if (lock_fd_ >= 0) close(lock_fd_);
}

void LogStoreImpl::Warn(const std::string& note) {
  if (options_.warn) {
    options_.warn(note);
  } else {
    std::fprintf(stderr, "berth: log store: %s\n", note.c_str());
  }
}

Status LogStoreImpl::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string lock_path = dir_ + "/LOCK";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return ErrnoStatus("opening " + lock_path);
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition("log store " + dir_ + " is in use by another process");
  }
  Result<Catalog> cat = LoadCatalog(dir_);
  if (!cat.ok()) return cat.status();
  catalog_ = std::move(*cat);
  unlink((dir_ + "/catalog.json.tmp").c_str());
  for (const auto& [name, meta] : catalog_.groups) BERTH_RETURN_IF_ERROR(LoadGroup(name, meta));
  // Directories of groups deleted just before a crash.
  for (const std::string& n : ListDir(dir_)) {
    if (n.size() < 2 || n[0] != 'g') continue;
    bool known = false;
    for (const auto& [name, meta] : catalog_.groups) known |= n == "g" + std::to_string(meta.id);
    if (known) continue;
    std::string path = dir_ + "/" + n;
    Warn("removing " + path + " (a deleted log group)");
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  return Status::Ok();
}

Status LogStoreImpl::LoadGroup(const std::string& name, const CatalogGroup& meta) {
  auto g = std::make_unique<GroupState>();
  g->name = name;
  g->dir = dir_ + "/g" + std::to_string(meta.id);
  for (const auto& [sname, cs] : meta.streams) {
    StreamState& s = g->streams[cs.id];
    s.name = sname;
    s.id = cs.id;
    s.creation_time = cs.creation_time;
  }
  struct stat st;
  g->dir_exists = stat(g->dir.c_str(), &st) == 0;
  for (uint32_t segno : g->dir_exists ? ListSegments(g->dir) : std::vector<uint32_t>{}) {
    g->next_segno = segno + 1;
    std::string path = SegmentPath(g->dir, segno);
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
      if (fd >= 0) close(fd);
      return ErrnoStatus("opening " + path);
    }
    g->segments.push_back(SegmentState{segno, kSegmentHeaderSize});
    Result<RecoveryResult> rec =
        RecoverSegment(fd, static_cast<uint64_t>(st.st_size),
                       [&](const RecordView& r) { IndexRecord(g.get(), segno, r); });
    if (!rec.ok()) {
      close(fd);
      return rec.status();
    }
    for (const std::string& note : rec->notes) Warn(path + ": " + note);
    Status s;
    bool changed = rec->skipped > 0;
    if (rec->bad_magic) {
      g->segments.pop_back();  // left alone, but its number is never reused
    } else if (rec->valid_end < kSegmentHeaderSize) {
      // Created just before a crash: make it a proper empty segment (it keeps the numbering).
      changed = true;
      if (ftruncate(fd, 0) != 0) s = ErrnoStatus("truncating " + path);
      if (s.ok()) s = WriteAll(fd, kSegmentMagic, kSegmentHeaderSize, 0);
    } else if (rec->valid_end < static_cast<uint64_t>(st.st_size)) {
      changed = true;
      Warn(path + ": cut " + std::to_string(st.st_size - rec->valid_end) + " bytes at offset " +
           std::to_string(rec->valid_end));
      if (ftruncate(fd, rec->valid_end) != 0) s = ErrnoStatus("truncating " + path);
    }
    if (s.ok() && changed && fdatasync(fd) != 0) s = ErrnoStatus("syncing " + path);
    close(fd);
    BERTH_RETURN_IF_ERROR(s);
  }
  groups_[name] = std::move(g);
  return Status::Ok();
}

void LogStoreImpl::IndexRecord(GroupState* g, uint32_t segno, const RecordView& r) {
  SegmentState& seg = g->segments.back();
  seg.size = r.offset + r.size;
  seg.min_ts = std::min(seg.min_ts, r.timestamp);
  seg.max_ts = std::max(seg.max_ts, r.timestamp);
  seg.first_ingestion = std::min(seg.first_ingestion, r.ingestion_time);
  AddToSpans(&g->blocks, segno, r);
  auto it = g->streams.find(r.stream);
  if (it == g->streams.end()) return;  // a deleted stream: its bytes go with the segment
  StreamState& s = it->second;
  AddToSpans(&s.chunks, segno, r);
  s.stored_bytes += r.size;
  s.first_ts = std::min(s.first_ts.value_or(INT64_MAX), r.timestamp);
  s.last_ts = std::max(s.last_ts.value_or(INT64_MIN), r.timestamp);
  s.last_ingestion = std::max(s.last_ingestion.value_or(INT64_MIN), r.ingestion_time);
}

// ---- Administration ----

GroupState* LogStoreImpl::FindGroup(const std::string& name) {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

Result<GroupState*> LogStoreImpl::GroupOrNotFound(const std::string& name) {
  GroupState* g = FindGroup(name);
  if (g == nullptr) return NotFound(kGroupNotFound);
  return g;
}

Status LogStoreImpl::SaveCatalogCopy(Catalog next) {
  BERTH_RETURN_IF_ERROR(SaveCatalog(dir_, next));
  catalog_ = std::move(next);
  return Status::Ok();
}

Status LogStoreImpl::CreateGroup(const std::string& group,
                                 const std::vector<std::pair<std::string, std::string>>& tags) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FindGroup(group) != nullptr) return AlreadyExists(kGroupExists);
  Catalog next = catalog_;
  CatalogGroup& meta = next.groups[group];
  meta.id = next.next_group_id++;
  meta.creation_time = clock_.NowMs();
  for (const auto& [k, v] : tags) meta.tags[k] = v;
  auto g = std::make_unique<GroupState>();
  g->name = group;
  g->dir = dir_ + "/g" + std::to_string(meta.id);
  BERTH_RETURN_IF_ERROR(SaveCatalogCopy(std::move(next)));
  groups_[group] = std::move(g);
  return Status::Ok();
}

Status LogStoreImpl::DeleteGroup(const std::string& group) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<GroupState*> g = GroupOrNotFound(group);
  if (!g.ok()) return g.status();
  Catalog next = catalog_;
  next.groups.erase(group);
  BERTH_RETURN_IF_ERROR(SaveCatalogCopy(std::move(next)));
  CloseGroupFiles(*g);
  std::error_code ec;
  std::filesystem::remove_all((*g)->dir, ec);  // leftovers are removed by the next Open
  if (ec) Warn("removing " + (*g)->dir + ": " + ec.message());
  groups_.erase(group);
  return Status::Ok();
}

GroupInfo LogStoreImpl::Describe(const std::string& name, const CatalogGroup& meta,
                                 const GroupState& g) {
  GroupInfo info;
  info.name = name;
  info.creation_time = meta.creation_time;
  info.retention_days = meta.retention_days;
  for (const SegmentState& seg : g.segments) info.stored_bytes += static_cast<int64_t>(seg.size);
  info.tags.assign(meta.tags.begin(), meta.tags.end());
  return info;
}

Result<GroupInfo> LogStoreImpl::DescribeGroup(const std::string& group) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<GroupState*> g = GroupOrNotFound(group);
  if (!g.ok()) return g.status();
  return Describe(group, catalog_.groups.at(group), **g);
}

std::vector<GroupInfo> LogStoreImpl::ListGroups() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GroupInfo> out;
  for (const auto& [name, g] : groups_) out.push_back(Describe(name, catalog_.groups.at(name), *g));
  return out;
}

Status LogStoreImpl::SetRetention(const std::string& group, std::optional<int> days) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FindGroup(group) == nullptr) return NotFound(kGroupNotFound);
  if (days && *days <= 0) return InvalidArgument("retentionInDays must be positive");
  Catalog next = catalog_;
  next.groups[group].retention_days = days;
  return SaveCatalogCopy(std::move(next));
}

Status LogStoreImpl::TagGroup(const std::string& group,
                              const std::vector<std::pair<std::string, std::string>>& tags) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FindGroup(group) == nullptr) return NotFound(kGroupNotFound);
  Catalog next = catalog_;
  for (const auto& [k, v] : tags) next.groups[group].tags[k] = v;
  return SaveCatalogCopy(std::move(next));
}

Status LogStoreImpl::UntagGroup(const std::string& group, const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FindGroup(group) == nullptr) return NotFound(kGroupNotFound);
  Catalog next = catalog_;
  for (const std::string& k : keys) next.groups[group].tags.erase(k);
  return SaveCatalogCopy(std::move(next));
}

Status LogStoreImpl::CreateStream(const std::string& group, const std::string& stream) {
  std::lock_guard<std::mutex> lock(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFound(kGroupNotFound);
  if (catalog_.groups.at(group).streams.count(stream) > 0) return AlreadyExists(kStreamExists);
  auto id = CreateStreamLocked(g, group, stream);
  return id.ok() ? Status::Ok() : id.status();
}

Result<uint32_t> LogStoreImpl::CreateStreamLocked(GroupState* g, const std::string& group,
                                                  const std::string& stream) {
  Catalog next = catalog_;
  CatalogGroup& meta = next.groups[group];
  CatalogStream cs{meta.next_stream_id++, clock_.NowMs()};
  meta.streams[stream] = cs;
  BERTH_RETURN_IF_ERROR(SaveCatalogCopy(std::move(next)));
  StreamState& s = g->streams[cs.id];
  s.name = stream;
  s.id = cs.id;
  s.creation_time = cs.creation_time;
  return cs.id;
}

Status LogStoreImpl::DeleteStream(const std::string& group, const std::string& stream) {
  std::lock_guard<std::mutex> lock(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFound(kGroupNotFound);
  auto it = catalog_.groups.at(group).streams.find(stream);
  if (it == catalog_.groups.at(group).streams.end()) return NotFound(kStreamNotFound);
  uint32_t id = it->second.id;
  Catalog next = catalog_;
  next.groups[group].streams.erase(stream);
  BERTH_RETURN_IF_ERROR(SaveCatalogCopy(std::move(next)));
  g->streams.erase(id);  // its records stay in the segments, ignored, until retention
  return Status::Ok();
}

Result<std::vector<StreamInfo>> LogStoreImpl::ListStreams(const std::string& group) {
  std::lock_guard<std::mutex> lock(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFound(kGroupNotFound);
  std::vector<StreamInfo> out;
  for (const auto& [name, cs] : catalog_.groups.at(group).streams) {
    const StreamState& s = g->streams.at(cs.id);
    StreamInfo info;
    info.name = name;
    info.creation_time = s.creation_time;
    info.first_event_timestamp = s.first_ts;
    info.last_event_timestamp = s.last_ts;
    info.last_ingestion_time = s.last_ingestion;
    info.stored_bytes = static_cast<int64_t>(s.stored_bytes);
    out.push_back(std::move(info));
  }
  return out;
}

// ---- Subscriptions ----

uint64_t LogStoreImpl::Subscribe(std::function<void(const std::string& group)> fn) {
  std::lock_guard<std::mutex> lock(subs_mu_);
  uint64_t id = next_sub_id_++;
  subs_[id] = std::make_shared<std::function<void(const std::string&)>>(std::move(fn));
  return id;
}

void LogStoreImpl::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(subs_mu_);
  subs_.erase(id);
}

}  // namespace berth::logs
