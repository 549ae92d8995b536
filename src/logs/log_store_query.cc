// LogStore's read side: GetEvents (one stream, token paging both ways) and Filter (many
// streams, merged by time). Both plan under the lock — copy the spans to read, open their
// files — and read without it, so a long scan never stalls the capture thread's appends.
//
// Positions. Every record has a position (segno << 32 | offset) that never changes: its
// event id is that number in decimal, and GetLogEvents tokens are "f/<pos>" (the page starts
// at pos, going forward) and "b/<pos>" (the page ends just before pos, going backward). A
// page's forward token is the end of its last event and its backward token the start of its
// first, so following either direction visits every event once; an empty page echoes the
// token sent, which is how clients see the end. FilterLogEvents tokens are "<ts>/<pos>" of
// the last event returned: the next page is the events after it in (timestamp, position)
// order, position being append order, i.e. ingestion order.
#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "logs/log_store_impl.h"

namespace berth::logs {

namespace {

constexpr int kMaxLimit = 10000;
constexpr size_t kEventOverhead = 26;  // CloudWatch's per-event size accounting
const char kGroupNotFound[] = "The specified log group does not exist.";
const char kStreamNotFound[] = "The specified log stream does not exist.";
const char kBadToken[] = "The specified nextToken is invalid.";

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

int ClampLimit(int limit) { return limit <= 0 || limit > kMaxLimit ? kMaxLimit : limit; }

struct Hit {
  uint64_t pos = 0;
  uint32_t size = 0;
  uint32_t stream = 0;
  int64_t ts = 0;
  int64_t ingestion = 0;
  std::string message;

  size_t cost() const { return message.size() + kEventOverhead; }
  bool operator<(const Hit& o) const { return ts != o.ts ? ts < o.ts : pos < o.pos; }
};

Hit MakeHit(uint32_t segno, const RecordView& r) {
  return Hit{MakePos(segno, r.offset), r.size, r.stream, r.timestamp, r.ingestion_time,
             std::string(r.message)};
}

StoredEvent ToEvent(Hit&& h, const std::string& stream) {
  StoredEvent e;
  e.stream = stream;
  e.timestamp = h.ts;
  e.ingestion_time = h.ingestion;
  e.message = std::move(h.message);
  e.event_id = std::to_string(h.pos);
  return e;
}

// Segment files of one group, opened under the lock (so they exist) and read after it;
// an unlinked file stays readable through its descriptor. Closed when done.
class SegmentFiles {
 public:
  explicit SegmentFiles(std::string group_dir) : dir_(std::move(group_dir)) {}
  ~SegmentFiles() {
    for (auto& [segno, fd] : fds_) close(fd);
  }
  SegmentFiles(const SegmentFiles&) = delete;
  SegmentFiles& operator=(const SegmentFiles&) = delete;

  Result<int> Get(uint32_t segno) {
    auto it = fds_.find(segno);
    if (it != fds_.end()) return it->second;
    std::string path = SegmentPath(dir_, segno);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("opening " + path);
    fds_[segno] = fd;
    return fd;
  }

 private:
  std::string dir_;
  std::map<uint32_t, int> fds_;
};

// Inclusive time bounds.
struct TimeRange {
  int64_t lo = INT64_MIN;
  int64_t hi = INT64_MAX;
  bool Contains(int64_t t) const { return t >= lo && t <= hi; }
  bool Overlaps(const Span& s) const { return s.max_ts >= lo && s.min_ts <= hi; }
};

Status Unreadable(uint32_t segno) {
  return Internal("log store: segment " + std::to_string(segno) + " is unreadable");
}

// A GetEvents page being filled, newest-first when going backward.
struct PageFill {
  uint32_t stream = 0;
  TimeRange tr;
  int limit = kMaxLimit;
  size_t budget = 0;
  std::vector<Hit> hits;
  size_t bytes = 0;
  bool full = false;

  // Takes h unless the page is full; true if it was taken.
  bool Take(Hit&& h) {
    if (!hits.empty() && (static_cast<int>(hits.size()) >= limit || bytes + h.cost() > budget)) {
      full = true;
      return false;
    }
    bytes += h.cost();
    hits.push_back(std::move(h));
    full = static_cast<int>(hits.size()) >= limit;
    return true;
  }
};

// Scans chunks in order, taking the stream's events at positions >= lower.
Status ScanForward(const std::vector<Span>& chunks, uint64_t lower, SegmentFiles* files,
                   SegmentReader* reader, PageFill* page) {
  for (const Span& c : chunks) {
    Result<int> fd = files->Get(c.segno);
    if (!fd.ok()) return fd.status();
    bool ok = reader->Scan(*fd, c.begin, c.end, [&](const RecordView& r) {
      if (r.stream != page->stream || MakePos(c.segno, r.offset) < lower ||
          !page->tr.Contains(r.timestamp)) {
        return true;
      }
      return page->Take(MakeHit(c.segno, r)) && !page->full;
    });
    if (!ok) return Unreadable(c.segno);
    if (page->full) break;
  }
  return Status::Ok();
}

// Scans chunks newest first, taking the stream's events at positions < upper, newest first.
Status ScanBackward(const std::vector<Span>& chunks, uint64_t upper, SegmentFiles* files,
                    SegmentReader* reader, PageFill* page) {
  std::vector<Hit> chunk_hits;
  for (auto it = chunks.rbegin(); it != chunks.rend() && !page->full; ++it) {
    const Span& c = *it;
    Result<int> fd = files->Get(c.segno);
    if (!fd.ok()) return fd.status();
    chunk_hits.clear();
    bool ok = reader->Scan(*fd, c.begin, c.end, [&](const RecordView& r) {
      if (MakePos(c.segno, r.offset) >= upper) return false;
      if (r.stream == page->stream && page->tr.Contains(r.timestamp)) {
        chunk_hits.push_back(MakeHit(c.segno, r));
      }
      return true;
    });
    if (!ok) return Unreadable(c.segno);
    for (auto h = chunk_hits.rbegin(); h != chunk_hits.rend() && !page->full; ++h) {
      page->Take(std::move(*h));
    }
  }
  return Status::Ok();
}

// How many chunks GetEvents copies per visit under the lock.
constexpr size_t kChunkWindow = 256;

}  // namespace

Result<StreamPage> LogStoreImpl::GetEvents(const StreamPageRequest& req) {
  bool forward = req.start_from_head;
  uint64_t pos = forward ? 0 : UINT64_MAX;
  if (!req.token.empty()) {
    std::string_view t = req.token;
    if (t.size() < 3 || (t[0] != 'f' && t[0] != 'b') || t[1] != '/' ||
        !ParseNumber(t.substr(2), &pos)) {
      return InvalidArgument(kBadToken);
    }
    forward = t[0] == 'f';
  }
  PageFill page;
  page.limit = ClampLimit(req.limit);
  page.budget = options_.page_bytes;
  if (req.start_time) page.tr.lo = *req.start_time;
  if (req.end_time && *req.end_time == INT64_MIN) {
    page.tr = TimeRange{INT64_MAX, INT64_MIN};  // before the beginning of time: nothing
  } else if (req.end_time) {
    page.tr.hi = *req.end_time - 1;  // exclusive
  }

  // Visit the stream's chunks a window at a time: copy the window's chunks and open their
  // files under the lock, read them without it.
  std::string stream_name;
  uint64_t stream_end = 0;
  std::optional<SegmentFiles> files;
  SegmentReader reader;
  uint64_t cursor = pos;  // every record of the stream on the far side of it has been seen
  for (bool first = true; !page.full; first = false) {
    std::vector<Span> window;
    {
      std::lock_guard<std::mutex> lock(mu_);
      GroupState* g = FindGroup(req.group);
      if (g == nullptr) return NotFound(kGroupNotFound);
      const auto& streams = catalog_.groups.at(req.group).streams;
      auto sit = streams.find(req.stream);
      if (sit == streams.end() || (!first && sit->second.id != page.stream)) {
        return NotFound(kStreamNotFound);
      }
      const StreamState& s = g->streams.at(sit->second.id);
      if (first) {
        page.stream = s.id;
        stream_name = s.name;
        stream_end = s.chunks.empty() ? 0 : s.chunks.back().EndPos();
        files.emplace(g->dir);
      }
      BERTH_RETURN_IF_ERROR(WriteBuffer(g));  // reads go to the file
      const std::vector<Span>& cs = s.chunks;
      if (forward) {
        auto it = std::partition_point(cs.begin(), cs.end(),
                                       [&](const Span& c) { return c.EndPos() <= cursor; });
        // Chunks begun after the first visit are left for the next call: a stream being
        // appended to cannot keep a page open.
        for (; it != cs.end() && it->BeginPos() < stream_end && window.size() < kChunkWindow;
             ++it) {
          if (page.tr.Overlaps(*it)) window.push_back(*it);
        }
      } else {
        size_t n = std::partition_point(cs.begin(), cs.end(),
                                        [&](const Span& c) { return c.BeginPos() < cursor; }) -
                   cs.begin();
        for (size_t i = n; i-- > 0 && window.size() < kChunkWindow;) {
          if (page.tr.Overlaps(cs[i])) window.push_back(cs[i]);
        }
        std::reverse(window.begin(), window.end());
      }
      for (const Span& c : window) {
        Result<int> fd = files->Get(c.segno);
        if (!fd.ok()) return fd.status();
      }
    }
    if (window.empty()) break;
    if (forward) {
      BERTH_RETURN_IF_ERROR(ScanForward(window, cursor, &*files, &reader, &page));
      cursor = window.back().EndPos();
    } else {
      BERTH_RETURN_IF_ERROR(ScanBackward(window, cursor, &*files, &reader, &page));
      cursor = window.front().BeginPos();
    }
  }
  if (!forward) std::reverse(page.hits.begin(), page.hits.end());
  std::vector<Hit>& hits = page.hits;

  StreamPage out;
  if (!hits.empty()) {
    out.next_forward_token = "f/" + std::to_string(hits.back().pos + hits.back().size);
    out.next_backward_token = "b/" + std::to_string(hits.front().pos);
  } else {
    // Nothing (more) this way: echo the token sent, which tells clients they reached the end.
    uint64_t at = req.token.empty() && !forward ? stream_end : pos;
    out.next_forward_token = "f/" + std::to_string(at);
    out.next_backward_token = "b/" + std::to_string(at);
    if (!req.token.empty())
      (forward ? out.next_forward_token : out.next_backward_token) = req.token;
  }
  // Storage order is append order; a page is returned in time order.
  std::stable_sort(hits.begin(), hits.end(),
                   [](const Hit& a, const Hit& b) { return a.ts < b.ts; });
  out.events.reserve(hits.size());
  for (Hit& h : hits) out.events.push_back(ToEvent(std::move(h), stream_name));
  return out;
}

Result<FilterPage> LogStoreImpl::Filter(const FilterRequest& req) {
  int limit = ClampLimit(req.limit);
  size_t budget = options_.page_bytes;
  TimeRange tr;
  if (req.start_time) tr.lo = *req.start_time;
  if (req.end_time) tr.hi = *req.end_time;
  bool has_token = !req.token.empty();
  int64_t token_ts = 0;
  uint64_t token_pos = 0;
  if (has_token) {
    std::string_view t = req.token;
    size_t slash = t.find('/');
    if (slash == std::string_view::npos || !ParseNumber(t.substr(0, slash), &token_ts) ||
        !ParseNumber(t.substr(slash + 1), &token_pos)) {
      return InvalidArgument(kBadToken);
    }
    tr.lo = std::max(tr.lo, token_ts);
  }

  // Under the lock: choose the streams, plan the spans to read, open their files.
  std::vector<uint8_t> selected;  // by stream id
  std::unordered_map<uint32_t, std::string> names;
  std::vector<Span> plan;
  std::optional<SegmentFiles> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    GroupState* g = FindGroup(req.group);
    if (g == nullptr) return NotFound(kGroupNotFound);
    BERTH_RETURN_IF_ERROR(WriteBuffer(g));
    const auto& streams = catalog_.groups.at(req.group).streams;
    std::vector<const StreamState*> chosen;
    auto choose = [&](const CatalogStream& cs) {
      const StreamState& s = g->streams.at(cs.id);
      chosen.push_back(&s);
      names[s.id] = s.name;
      if (selected.size() <= s.id) selected.resize(s.id + 1);
      selected[s.id] = 1;
    };
    if (!req.stream_names.empty()) {
      for (const std::string& n : req.stream_names) {
        auto it = streams.find(n);
        if (it != streams.end() && !names.count(it->second.id)) choose(it->second);
      }
    } else {
      for (auto it = streams.lower_bound(req.stream_prefix);
           it != streams.end() &&
           it->first.compare(0, req.stream_prefix.size(), req.stream_prefix) == 0;
           ++it) {
        choose(it->second);
      }
    }
    size_t chunk_count = 0;
    for (const StreamState* s : chosen) chunk_count += s->chunks.size();
    if (chosen.size() == g->streams.size() || chunk_count >= g->blocks.size()) {
      for (const Span& b : g->blocks) {
        if (tr.Overlaps(b)) plan.push_back(b);
      }
    } else {
      // The chosen streams' chunks, in log order, overlapping ones merged.
      std::vector<Span> spans;
      for (const StreamState* s : chosen) {
        for (const Span& c : s->chunks) {
          if (tr.Overlaps(c)) spans.push_back(c);
        }
      }
      std::sort(spans.begin(), spans.end(),
                [](const Span& a, const Span& b) { return a.BeginPos() < b.BeginPos(); });
      for (const Span& c : spans) {
        if (!plan.empty() && plan.back().segno == c.segno && c.begin <= plan.back().end) {
          Span& p = plan.back();
          p.end = std::max(p.end, c.end);
          p.min_ts = std::min(p.min_ts, c.min_ts);
          p.max_ts = std::max(p.max_ts, c.max_ts);
        } else {
          plan.push_back(c);
        }
      }
    }
    files.emplace(g->dir);
    for (const Span& sp : plan) {
      Result<int> fd = files->Get(sp.segno);
      if (!fd.ok()) return fd.status();
    }
  }

  // Without the lock: keep the smallest (ts, pos) matches in a max-heap, just enough to fill
  // the page and know whether more remain; stop once no later span can hold a smaller one.
  std::vector<int64_t> suffix_min(plan.size() + 1, INT64_MAX);
  for (size_t i = plan.size(); i-- > 0;) {
    suffix_min[i] = std::min(suffix_min[i + 1], plan[i].min_ts);
  }
  std::vector<Hit> heap;
  size_t heap_bytes = 0;
  auto full = [&] {
    return static_cast<int>(heap.size()) > limit || (heap.size() >= 2 && heap_bytes > budget);
  };
  SegmentReader reader;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (!heap.empty() && full() && suffix_min[i] >= heap.front().ts) break;
    const Span& sp = plan[i];
    Result<int> fd = files->Get(sp.segno);
    if (!fd.ok()) return fd.status();
    bool ok = reader.Scan(*fd, sp.begin, sp.end, [&](const RecordView& r) {
      if (r.stream >= selected.size() || !selected[r.stream] || !tr.Contains(r.timestamp)) {
        return true;
      }
      uint64_t pos = MakePos(sp.segno, r.offset);
      if (has_token && r.timestamp == token_ts && pos <= token_pos) return true;
      if (full()) {
        const Hit& top = heap.front();
        if (r.timestamp > top.ts || (r.timestamp == top.ts && pos > top.pos)) return true;
      }
      if (req.match && !req.match(r.message)) return true;
      heap.push_back(MakeHit(sp.segno, r));
      heap_bytes += heap.back().cost();
      std::push_heap(heap.begin(), heap.end());
      // Drop the largest while the page and the "more remain" witness do without it.
      while (static_cast<int>(heap.size()) > limit + 1 ||
             (heap.size() >= 3 && heap_bytes - heap.front().cost() > budget)) {
        std::pop_heap(heap.begin(), heap.end());
        heap_bytes -= heap.back().cost();
        heap.pop_back();
      }
      return true;
    });
    if (!ok) return Unreadable(sp.segno);
  }

  std::sort(heap.begin(), heap.end());
  size_t take = 0, bytes = 0;
  while (take < heap.size() && static_cast<int>(take) < limit &&
         (take == 0 || bytes + heap[take].cost() <= budget)) {
    bytes += heap[take].cost();
    ++take;
  }
  FilterPage page;
  if (take < heap.size()) {
    const Hit& last = heap[take - 1];
    page.next_token = std::to_string(last.ts) + "/" + std::to_string(last.pos);
  }
  page.events.reserve(take);
  for (size_t i = 0; i < take; ++i) {
    page.events.push_back(ToEvent(std::move(heap[i]), names[heap[i].stream]));
  }
  return page;
}

}  // namespace berth::logs
