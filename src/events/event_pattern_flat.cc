// FlatEvent construction (ruler's Event: dotted paths, array membership) from JSON text in one
// pass, from a parsed tree, and from an event envelope (PathFilter is in path_filter.cc).
//
// The text parser validates as strictly as nlohmann's (the parser every other part of berth
// uses, so that a detail the old code path refused is refused here too): RFC 8259 grammar, only
// ' ', \t, \n, \r as whitespace, a UTF-8 byte-order mark skipped at the very start, strings of
// valid UTF-8 (no overlong forms, no encoded surrogates) without raw control characters,
// escapes \" \\ \/ \b \f \n \r \t \uXXXX with surrogates paired, numbers whose value overflows
// a double refused, nothing after the value. Leaves outside a PathFilter are validated but never
// decoded or stored.
#include <math.h>
#include <string.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/event_json_scan.h"
#include "events/event_pattern.h"
#include "events/event_pattern_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace berth::events {
namespace pi = pattern_internal;

namespace pattern_internal {

namespace {

// ---- builder ------------------------------------------------------------------------------

// A path and what the filter says about it.
struct PathInfo {
  uint64_t hash = kPathHashBasis;
  bool keep = false;    // leaves at this path are kept
  bool descend = true;  // objects at this path may hold kept leaves
};

// Collects the kept leaves, grouped by path at the end. Paths: the caller keeps the builder's
// current path up to date (SetPath/TruncatePath) for every value it may keep.
class Builder {
 public:
  explicit Builder(const PathFilterData* filter, size_t size_hint) : filter_(filter) {
    // The thread's last FlatEventData is reused (storage kept) once nothing else holds it: a
    // bus flattens one event at a time and drops it after matching.
    if (spare_ && spare_.use_count() == 1 && spare_->storage.capacity() <= kKeptScratch * 16 &&
        spare_->leaves.capacity() <= kKeptScratch) {
      data_ = spare_;
      data_->storage.clear();
      data_->fields.clear();
      data_->leaves.clear();
      data_->trails.clear();
    } else {
      data_ = std::make_shared<FlatEventData>();
      spare_ = data_;
    }
    data_->storage.reserve(filter ? 256 : size_hint + 64);
    scratch_.leaves.clear();
    scratch_.fields.clear();
    scratch_.table.assign(64, 0);
    membership_.clear();
    path_.clear();
  }

  ~Builder() {
    // The scratch stays for the next event on this thread, unless an unusual one grew it.
    if (scratch_.leaves.capacity() > kKeptScratch) scratch_.leaves = {};
    if (scratch_.fields.capacity() > kKeptScratch) scratch_.fields = {};
    if (scratch_.table.capacity() > 2 * kKeptScratch) scratch_.table = {};
    if (scratch_.order.capacity() > kKeptScratch) scratch_.order = {};
    if (membership_.capacity() > kKeptScratch) membership_ = {};
    if (path_.capacity() > kKeptScratch) path_ = {};
  }

  PathInfo Child(const PathInfo& parent, bool parent_root, std::string_view key) const {
    if (filter_ && !filter_->MayBeKey(key)) return {0, false, false};
    uint64_t h = parent.hash;
    if (!parent_root) h = (h ^ static_cast<unsigned char>('.')) * 1099511628211ULL;
    h = PathHashMore(h, key);
    if (!filter_) return {h, true, true};
    return {h, filter_->paths.Contains(h), filter_->prefixes.Contains(h)};
  }
  void SetPath(size_t parent_len, bool parent_root, std::string_view key) {
    path_.resize(parent_len);
    if (!parent_root) path_ += '.';
    path_.append(key);
  }
  void TruncatePath(size_t len) { path_.resize(len); }
  size_t path_len() const { return path_.size(); }
  uint32_t NewArray() { return next_array_id_++; }
  void PushMember(uint32_t array_id, uint32_t index) { membership_.emplace_back(array_id, index); }
  void PopMember() { membership_.pop_back(); }

  // A leaf at the current path (whose hash is `hash`).
  void AddLeaf(Leaf::Type type, std::string_view text, uint64_t hash) {
    BuildLeaf l;
    l.leaf.type = type;
    if (type == Leaf::Type::kNumber) {
      l.leaf.has_micros = ToMicros(text, &l.leaf.micros) == NumberError::kNone;
    } else if (type == Leaf::Type::kString && (!filter_ || filter_->ip_paths.Contains(hash))) {
      // Only where a pattern compares IPs (no other matcher reads them).
      l.leaf.has_ip = ParseIp(text, &l.leaf.ip) == IpParse::kOk;
    }
    l.field = FieldFor(hash);
    l.text_off = static_cast<uint32_t>(data_->storage.size());
    l.text_len = static_cast<uint32_t>(text.size());
    data_->storage.append(text);
    l.leaf.trail_begin = static_cast<uint32_t>(data_->trails.size());
    if (!membership_.empty()) {
      data_->trails.insert(data_->trails.end(), membership_.begin(), membership_.end());
    }
    l.leaf.trail_end = static_cast<uint32_t>(data_->trails.size());
    ++scratch_.fields[l.field].count;
    scratch_.leaves.push_back(l);
  }
  void AddRootString(std::string_view key, std::string_view value) {
    PathInfo info = Child(PathInfo{}, true, key);
    if (!info.keep) return;
    SetPath(0, true, key);
    AddLeaf(Leaf::Type::kString, value, info.hash);
  }

  // Groups the leaves by path, paths sorted by (hash, path).
  std::shared_ptr<FlatEventData> Finish() {
    FlatEventData& d = *data_;
    auto& fields = scratch_.fields;
    std::vector<uint32_t>& order = scratch_.order;
    order.resize(fields.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    const std::string& s = d.storage;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      if (fields[a].hash != fields[b].hash) return fields[a].hash < fields[b].hash;
      return std::string_view(s).substr(fields[a].path_off, fields[a].path_len) <
             std::string_view(s).substr(fields[b].path_off, fields[b].path_len);
    });
    d.fields.reserve(fields.size());
    uint32_t offset = 0;
    for (uint32_t f : order) {
      BuildField& bf = fields[f];
      d.fields.push_back({std::string_view(s).substr(bf.path_off, bf.path_len), bf.hash, offset,
                          offset + bf.count});
      bf.start = offset;
      offset += bf.count;
    }
    d.leaves.resize(scratch_.leaves.size());
    for (const BuildLeaf& l : scratch_.leaves) {
      Leaf& out = d.leaves[fields[l.field].start++];
      out = l.leaf;
      out.text = std::string_view(s).substr(l.text_off, l.text_len);
    }
    return std::move(data_);
  }

 private:
  struct BuildLeaf {
    Leaf leaf;
    uint32_t field = 0;
    uint32_t text_off = 0;
    uint32_t text_len = 0;
  };
  struct BuildField {
    uint64_t hash;
    uint32_t path_off;
    uint32_t path_len;
    uint32_t count;
    uint32_t start;
  };
  // Reused between events on one thread (no allocation once warm).
  struct Scratch {
    std::vector<BuildLeaf> leaves;
    std::vector<BuildField> fields;
    std::vector<uint32_t> table;  // open addressing over fields: index + 1, 0 = empty
    std::vector<uint32_t> order;
  };

  uint32_t FieldFor(uint64_t hash) {
    auto& table = scratch_.table;
    auto& fields = scratch_.fields;
    size_t mask = table.size() - 1;
    std::string_view storage(data_->storage);
    for (size_t i = (hash ^ (hash >> 29)) & mask;; i = (i + 1) & mask) {
      uint32_t slot = table[i];
      if (slot == 0) {
        uint32_t id = static_cast<uint32_t>(fields.size());
        fields.push_back({hash, static_cast<uint32_t>(data_->storage.size()),
                          static_cast<uint32_t>(path_.size()), 0, 0});
        data_->storage.append(path_);
        table[i] = id + 1;
        if (fields.size() * 2 > table.size()) Rehash();
        return id;
      }
      const BuildField& f = fields[slot - 1];
      if (f.hash == hash && storage.substr(f.path_off, f.path_len) == path_) return slot - 1;
    }
  }
  void Rehash() {
    auto& table = scratch_.table;
    table.assign(table.size() * 2, 0);
    size_t mask = table.size() - 1;
    for (uint32_t id = 0; id < scratch_.fields.size(); ++id) {
      uint64_t h = scratch_.fields[id].hash;
      size_t i = (h ^ (h >> 29)) & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      table[i] = id + 1;
    }
  }

  static constexpr size_t kKeptScratch = 4096;
  const PathFilterData* filter_;
  std::shared_ptr<FlatEventData> data_;
  static thread_local Scratch scratch_;
  static thread_local std::shared_ptr<FlatEventData> spare_;
  static thread_local std::vector<std::pair<uint32_t, uint32_t>> membership_;
  static thread_local std::string path_;
  uint32_t next_array_id_ = 0;
};

thread_local Builder::Scratch Builder::scratch_;
thread_local std::shared_ptr<FlatEventData> Builder::spare_;
thread_local std::vector<std::pair<uint32_t, uint32_t>> Builder::membership_;
thread_local std::string Builder::path_;

// ---- parser -------------------------------------------------------------------------------

enum class ParseStatus { kOk, kInvalid, kCanonicalize };

class Parser {
 public:
  Parser(Builder* b, bool check_duplicates) : b_(b), check_duplicates_(check_duplicates) {
    frames_.clear();
    keys_.clear();
  }
  ~Parser() {
    if (frames_.capacity() > 4096) frames_ = {};
    if (keys_.capacity() > 4096) keys_ = {};
    if (skip_stack_.capacity() > 4096) skip_stack_ = {};
  }

  // A whole event: an object at the root.
  ParseStatus Document(std::string_view text) {
    end_ = text.data() + text.size();
    const char* p = Ws(SkipBom(text.data()));
    if (p == end_ || *p != '{') return ParseStatus::kInvalid;
    frames_.push_back(RootFrame());
    p = Run(p + 1, 0);
    if (p == nullptr) return Failed();
    return AtEnd(p) ? ParseStatus::kOk : ParseStatus::kInvalid;
  }

  // The detail of an envelope: an object, the value of the root's "detail".
  ParseStatus Detail(std::string_view text) {
    end_ = text.data() + text.size();
    const char* p = Ws(SkipBom(text.data()));
    if (p == end_ || *p != '{') return ParseStatus::kInvalid;
    frames_.push_back(RootFrame());
    Slot slot;
    slot.info = b_->Child(frames_[0].info, true, "detail");
    slot.active = slot.info.keep || slot.info.descend;
    if (slot.active) b_->SetPath(0, true, "detail");
    Push(false, slot);
    p = Run(p + 1, 1);
    if (p == nullptr) return Failed();
    consumed_ = static_cast<size_t>(p - text.data());
    return AtEnd(p) ? ParseStatus::kOk : ParseStatus::kInvalid;
  }

  // Whether the text had whitespace between tokens (or a byte-order mark).
  bool spaced() const { return spaced_; }
  // Detail: the length of the text up to the end of the object.
  size_t consumed() const { return consumed_; }

 private:
  struct Frame {
    bool is_array = false;
    bool active = false;  // the builder follows this container
    bool root = false;    // the document root: its keys get no leading dot
    bool pushed = false;  // it pushed an array membership
    PathInfo info;        // its own path (an array's elements get it too)
    uint32_t path_len = 0;
    uint32_t array_id = 0;
    uint32_t next_index = 0;
    uint64_t bloom = 0;  // duplicate-key check: key signatures seen
    uint32_t keys_begin = 0;
    uint32_t keys = 0;
  };
  struct Slot {
    PathInfo info;
    bool active = false;
    uint32_t index = 0;  // the element's index, in an active array
  };
  struct SkipLevel {
    bool is_array;
    uint64_t bloom;
    uint32_t keys_begin;
    uint32_t keys;
  };
  struct Key {
    uint32_t sig;
    const char* p;
    size_t n;
  };
  static constexpr uint32_t kMaxCheckedKeys = 64;

  ParseStatus Failed() const {
    return canonicalize_ ? ParseStatus::kCanonicalize : ParseStatus::kInvalid;
  }

  Frame RootFrame() {
    Frame f;
    f.active = true;
    f.root = true;
    return f;
  }

  // Only whitespace follows the value, or a NUL byte: nlohmann's lexer takes a NUL for the end
  // of its input (the rest is ignored), so text like "{}\0junk" parses there, and here.
  bool AtEnd(const char* p) {
    p = Ws(p);
    return p == end_ || *p == '\0';
  }

  const char* SkipBom(const char* p) {
    if (end_ - p >= 3 && static_cast<unsigned char>(p[0]) == 0xEF &&
        static_cast<unsigned char>(p[1]) == 0xBB && static_cast<unsigned char>(p[2]) == 0xBF) {
      spaced_ = true;
      return p + 3;
    }
    return p;
  }
  const char* Ws(const char* p) {
    // Every JSON whitespace byte is <= ' ' (and nothing else that low is valid between tokens).
    if (p == end_ || static_cast<unsigned char>(*p) > ' ') return p;
    const char* q = p;
    while (q < end_ && IsWs(*q)) ++q;
    if (q != p) spaced_ = true;
    return q;
  }

  void Push(bool is_array, const Slot& slot) {
    Frame child;
    child.is_array = is_array;
    child.info = slot.info;
    child.active =
        slot.active && (is_array ? slot.info.keep || slot.info.descend : slot.info.descend);
    if (child.active) {
      const Frame& parent = frames_.back();
      if (parent.is_array) {
        b_->PushMember(parent.array_id, slot.index);
        child.pushed = true;
      }
      child.path_len = static_cast<uint32_t>(b_->path_len());
      if (is_array) child.array_id = b_->NewArray();
    }
    child.keys_begin = static_cast<uint32_t>(keys_.size());
    frames_.push_back(child);
  }

  // False when the object already has this key (or the check cannot tell cheaply). `bloom`,
  // `keys_begin`, `count`: the object's duplicate-check state.
  bool NewKey(uint64_t* bloom, uint32_t keys_begin, uint32_t* count, const char* p, const char* e,
              bool escaped) {
    if (escaped || ++*count > kMaxCheckedKeys) return false;
    size_t n = static_cast<size_t>(e - p);
    // A cheap signature: length and the first, second and last bytes.
    uint32_t sig = static_cast<uint32_t>(n) << 24;
    if (n > 0) {
      sig ^= static_cast<uint32_t>(static_cast<unsigned char>(p[0])) << 16 ^
             static_cast<uint32_t>(static_cast<unsigned char>(p[n - 1])) << 8 ^
             static_cast<unsigned char>(p[n > 1 ? 1 : 0]);
    }
    uint64_t bit = 1ULL << ((sig * 0x9E3779B1u) >> 26);
    if (*bloom & bit) {
      for (size_t k = keys_begin; k < keys_.size(); ++k) {
        if (keys_[k].sig == sig && keys_[k].n == n && memcmp(keys_[k].p, p, n) == 0) return false;
      }
    }
    *bloom |= bit;
    keys_.push_back({sig, p, n});
    return true;
  }

  char CloseOf(const Frame& f) const { return f.is_array ? ']' : '}'; }

  // Pops the innermost container; true when the stack is then down to `stop_depth` frames.
  bool Close(size_t stop_depth) {
    Frame& done = frames_.back();
    if (done.pushed) b_->PopMember();
    if (check_duplicates_) keys_.resize(done.keys_begin);
    frames_.pop_back();
    return frames_.size() == stop_depth;
  }

  // Parses the members of the innermost open container (p just after its opening bracket)
  // and of everything it holds, until the frame stack is back to `stop_depth` frames. Returns
  // the byte after the last closing bracket, or nullptr.
  const char* Run(const char* p, size_t stop_depth) {
    enum { kOpened, kMember, kAfterValue } next = kOpened;
    for (;;) {
      switch (next) {
        case kOpened:  // just inside a bracket: a member, or the closing bracket
          p = Ws(p);
          if (p == end_) return nullptr;
          if (*p == CloseOf(frames_.back())) {
            ++p;
            if (Close(stop_depth)) return p;
            next = kAfterValue;
          } else {
            next = kMember;
          }
          continue;
        case kAfterValue:  // ',' and another member, or the closing bracket
          p = Ws(p);
          if (p == end_) return nullptr;
          if (*p == ',') {
            p = Ws(p + 1);
            if (p == end_) return nullptr;
            next = kMember;
            continue;
          }
          if (*p != CloseOf(frames_.back())) return nullptr;
          ++p;
          if (Close(stop_depth)) return p;
          continue;
        case kMember: {
          bool opened = false;
          p = Member(p, &opened);
          if (p == nullptr) return nullptr;
          next = opened ? kOpened : kAfterValue;
          continue;
        }
      }
    }
  }

  // A container nothing in which is kept (p at its bracket): validated as everything else,
  // duplicate keys included, without the builder. Returns the byte after it, or nullptr.
  const char* Skip(const char* p) {
    std::vector<SkipLevel>& stack = skip_stack_;
    stack.clear();
    stack.push_back({*p == '[', 0, static_cast<uint32_t>(keys_.size()), 0});
    ++p;
    bool first = true;  // just inside a bracket
    for (;;) {
      p = Ws(p);
      if (p == end_) return nullptr;
      SkipLevel* top = &stack.back();
      if (!(first && *p == (top->is_array ? ']' : '}'))) {
        if (!first) {  // after a value: ',' then a member
          if (*p != ',') return nullptr;
          p = Ws(p + 1);
          if (p == end_) return nullptr;
        }
        if (!top->is_array) {
          if (*p != '"') return nullptr;
          bool escaped = false;
          const char* ks = p + 1;
          const char* ke = ScanString(ks, end_, &escaped);
          if (ke == nullptr) return nullptr;
          if (check_duplicates_ &&
              !NewKey(&top->bloom, top->keys_begin, &top->keys, ks, ke, escaped)) {
            canonicalize_ = true;
            return nullptr;
          }
          p = Ws(ke + 1);
          if (p == end_ || *p != ':') return nullptr;
          p = Ws(p + 1);
          if (p == end_) return nullptr;
        }
        switch (*p) {
          case '{':
          case '[':
            stack.push_back({*p == '[', 0, static_cast<uint32_t>(keys_.size()), 0});
            ++p;
            first = true;
            continue;
          case '"': {
            bool escaped = false;
            p = ScanString(p + 1, end_, &escaped);
            if (p == nullptr) return nullptr;
            ++p;
            break;
          }
          case 't':
            if (end_ - p < 4 || memcmp(p, "true", 4) != 0) return nullptr;
            p += 4;
            break;
          case 'f':
            if (end_ - p < 5 || memcmp(p, "false", 5) != 0) return nullptr;
            p += 5;
            break;
          case 'n':
            if (end_ - p < 4 || memcmp(p, "null", 4) != 0) return nullptr;
            p += 4;
            break;
          default:
            p = ScanNumber(p, end_);
            if (p == nullptr) return nullptr;
            break;
        }
        p = Ws(p);
        if (p == end_) return nullptr;
        if (*p != (stack.back().is_array ? ']' : '}')) {
          first = false;
          continue;
        }
      }
      // p at the closing bracket of the innermost level; close it and any that close next.
      for (;;) {
        ++p;
        if (check_duplicates_) keys_.resize(stack.back().keys_begin);
        stack.pop_back();
        if (stack.empty()) return p;
        p = Ws(p);
        if (p == end_) return nullptr;
        if (*p != (stack.back().is_array ? ']' : '}')) break;
      }
      first = false;
    }
  }

  // One member of the innermost container at p: a key, ':' and a value in an object, a value
  // in an array. A container value is opened (pushed; *opened = true) and p is returned just
  // after its bracket.
  const char* Member(const char* p, bool* opened) {
    Frame* f = &frames_.back();
    Slot slot;
    if (!f->is_array) {
      if (*p != '"') return nullptr;
      bool escaped = false;
      const char* ks = p + 1;
      const char* ke = ScanString(ks, end_, &escaped);
      if (ke == nullptr) return nullptr;
      p = ke + 1;
      if (check_duplicates_ && !NewKey(&f->bloom, f->keys_begin, &f->keys, ks, ke, escaped)) {
        canonicalize_ = true;
        return nullptr;
      }
      if (f->active) {
        std::string_view key(ks, static_cast<size_t>(ke - ks));
        if (escaped) {
          DecodeString(ks, ke, &key_scratch_);
          key = key_scratch_;
        }
        slot.info = b_->Child(f->info, f->root, key);
        slot.active = slot.info.keep || slot.info.descend;
        if (slot.active) b_->SetPath(f->path_len, f->root, key);
      }
      p = Ws(p);
      if (p == end_ || *p != ':') return nullptr;
      p = Ws(p + 1);
      if (p == end_) return nullptr;
    } else {
      slot.info = f->info;
      slot.active = f->active;
      if (slot.active) {
        b_->TruncatePath(f->path_len);
        slot.index = f->next_index++;
      }
    }
    const bool keep = slot.active && slot.info.keep;
    switch (*p) {
      case '{':
      case '[': {
        const bool is_array = *p == '[';
        if (!(slot.active &&
              (is_array ? slot.info.keep || slot.info.descend : slot.info.descend))) {
          return Skip(p);  // nothing in it is kept: validate only
        }
        Push(is_array, slot);
        *opened = true;
        return p + 1;
      }
      case '"': {
        bool escaped = false;
        const char* s = p + 1;
        const char* e = ScanString(s, end_, &escaped);
        if (e == nullptr) return nullptr;
        if (keep) {
          std::string_view text(s, static_cast<size_t>(e - s));
          if (escaped) {
            DecodeString(s, e, &value_scratch_);
            text = value_scratch_;
          }
          b_->AddLeaf(Leaf::Type::kString, text, slot.info.hash);
        }
        return e + 1;
      }
      case 't':
        if (end_ - p < 4 || memcmp(p, "true", 4) != 0) return nullptr;
        if (keep) b_->AddLeaf(Leaf::Type::kTrue, "true", slot.info.hash);
        return p + 4;
      case 'f':
        if (end_ - p < 5 || memcmp(p, "false", 5) != 0) return nullptr;
        if (keep) b_->AddLeaf(Leaf::Type::kFalse, "false", slot.info.hash);
        return p + 5;
      case 'n':
        if (end_ - p < 4 || memcmp(p, "null", 4) != 0) return nullptr;
        if (keep) b_->AddLeaf(Leaf::Type::kNull, "null", slot.info.hash);
        return p + 4;
      default: {
        const char* e = ScanNumber(p, end_);
        if (e == nullptr) return nullptr;
        if (keep) {
          b_->AddLeaf(Leaf::Type::kNumber, std::string_view(p, static_cast<size_t>(e - p)),
                      slot.info.hash);
        }
        return e;
      }
    }
  }

  Builder* b_;
  bool check_duplicates_;
  const char* end_ = nullptr;
  bool spaced_ = false;
  bool canonicalize_ = false;
  size_t consumed_ = 0;
  static thread_local std::vector<Frame> frames_;
  static thread_local std::vector<Key> keys_;
  static thread_local std::vector<SkipLevel> skip_stack_;
  std::string key_scratch_;
  std::string value_scratch_;
};

thread_local std::vector<Parser::Frame> Parser::frames_;
thread_local std::vector<Parser::Key> Parser::keys_;
thread_local std::vector<Parser::SkipLevel> Parser::skip_stack_;

}  // namespace
}  // namespace pattern_internal

// ---- FlatEvent ----------------------------------------------------------------------------

Result<FlatEvent> FlatEvent::Parse(std::string_view event_json, const PathFilter* filter) {
  pi::Builder builder(filter ? filter->data_.get() : nullptr, event_json.size());
  pi::Parser parser(&builder, false);
  if (parser.Document(event_json) != pi::ParseStatus::kOk) {
    return InvalidArgument("Event is not a valid JSON object");
  }
  return FlatEvent(builder.Finish());
}

Result<FlatEvent> FlatEvent::FromEnvelope(const EventEnvelope& env, std::string_view detail_json,
                                          const PathFilter* filter, std::string* text) {
  const pi::PathFilterData* f = filter ? filter->data_.get() : nullptr;
  std::string canonical;
  std::string_view detail = detail_json;
  bool check_duplicates = true;
  for (;;) {
    pi::Builder builder(f, detail.size() + 512);
    builder.AddRootString("version", "0");
    builder.AddRootString("id", env.id);
    builder.AddRootString("detail-type", env.detail_type);
    builder.AddRootString("source", env.source);
    builder.AddRootString("account", env.account);
    builder.AddRootString("time", env.time);
    builder.AddRootString("region", env.region);
    pi::PathInfo resources = builder.Child(pi::PathInfo{}, true, "resources");
    if (env.resources && !env.resources->empty() && resources.keep) {
      builder.SetPath(0, true, "resources");
      (void)builder.NewArray();
      for (const std::string& r : *env.resources) {
        builder.AddLeaf(pi::Leaf::Type::kString, r, resources.hash);
      }
    }
    pi::Parser parser(&builder, check_duplicates);
    pi::ParseStatus status = parser.Detail(detail);
    if (status == pi::ParseStatus::kCanonicalize) {
      // A key given twice (or escaped, or an object too large to check cheaply): let
      // nlohmann's ordered parser resolve it (first place, last value), then go again.
      nlohmann::ordered_json j = nlohmann::ordered_json::parse(detail, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return InvalidArgument("Detail is malformed.");
      canonical = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      detail = canonical;
      check_duplicates = false;
      continue;
    }
    if (status != pi::ParseStatus::kOk) return InvalidArgument("Detail is malformed.");
    std::string& out = *text;
    out.clear();
    out.reserve(detail.size() + 200 + env.id.size() + env.detail_type.size() + env.source.size());
    out.append(R"({"version":"0","id":)");
    pi::AppendJsonString(env.id, &out);
    out.append(R"(,"detail-type":)");
    pi::AppendJsonString(env.detail_type, &out);
    out.append(R"(,"source":)");
    pi::AppendJsonString(env.source, &out);
    out.append(R"(,"account":)");
    pi::AppendJsonString(env.account, &out);
    out.append(R"(,"time":)");
    pi::AppendJsonString(env.time, &out);
    out.append(R"(,"region":)");
    pi::AppendJsonString(env.region, &out);
    out.append(R"(,"resources":[)");
    if (env.resources) {
      for (size_t i = 0; i < env.resources->size(); ++i) {
        if (i) out.push_back(',');
        pi::AppendJsonString((*env.resources)[i], &out);
      }
    }
    out.append(R"(],"detail":)");
    const std::string_view value = detail.substr(0, parser.consumed());  // (not a NUL's tail)
    if (parser.spaced()) {
      pi::AppendMinified(value, &out);
    } else {
      out.append(value);
    }
    out.push_back('}');
    return FlatEvent(builder.Finish());
  }
}

Result<FlatEvent> FlatEvent::FromJson(const nlohmann::json& event) {
  if (!event.is_object()) return InvalidArgument("Event is not a JSON object");
  pi::Builder builder(nullptr, 1024);
  // Iterative walk (events may nest deeply), mirroring the text parser's frames.
  struct Item {
    const nlohmann::json* node;
    nlohmann::json::const_iterator it;
    size_t path_len;
    bool root;
    bool is_array;
    uint32_t array_id;
    uint32_t next_index;
    bool pushed;
    pi::PathInfo info;
  };
  std::vector<Item> stack;
  stack.push_back({&event, event.cbegin(), 0, true, false, 0, 0, false, pi::PathInfo{}});
  while (!stack.empty()) {
    Item& top = stack.back();
    if (top.it == top.node->cend()) {
      if (top.pushed) builder.PopMember();
      stack.pop_back();
      continue;
    }
    auto it = top.it++;
    pi::PathInfo info = top.info;
    uint32_t index = 0;
    if (top.is_array) {
      builder.TruncatePath(top.path_len);
      index = top.next_index++;
    } else {
      info = builder.Child(top.info, top.root, it.key());
      builder.SetPath(top.path_len, top.root, it.key());
    }
    const nlohmann::json& v = *it;
    switch (v.type()) {
      case nlohmann::json::value_t::object:
      case nlohmann::json::value_t::array: {
        bool pushed = false;
        if (top.is_array) {
          builder.PushMember(top.array_id, index);
          pushed = true;
        }
        bool is_array = v.is_array();
        uint32_t id = is_array ? builder.NewArray() : 0;
        stack.push_back({&v, v.cbegin(), builder.path_len(), false, is_array, id, 0, pushed, info});
        break;
      }
      case nlohmann::json::value_t::string:
        builder.AddLeaf(pi::Leaf::Type::kString, v.get_ref<const std::string&>(), info.hash);
        break;
      case nlohmann::json::value_t::boolean:
        builder.AddLeaf(v.get<bool>() ? pi::Leaf::Type::kTrue : pi::Leaf::Type::kFalse,
                        v.get<bool>() ? "true" : "false", info.hash);
        break;
      case nlohmann::json::value_t::number_integer:
        builder.AddLeaf(pi::Leaf::Type::kNumber, std::to_string(v.get<int64_t>()), info.hash);
        break;
      case nlohmann::json::value_t::number_unsigned:
        builder.AddLeaf(pi::Leaf::Type::kNumber, std::to_string(v.get<uint64_t>()), info.hash);
        break;
      case nlohmann::json::value_t::number_float:
        if (std::isfinite(v.get<double>())) {
          builder.AddLeaf(pi::Leaf::Type::kNumber, v.dump(), info.hash);
        } else {
          builder.AddLeaf(pi::Leaf::Type::kNull, "null", info.hash);
        }
        break;
      default:  // null, binary, discarded
        builder.AddLeaf(pi::Leaf::Type::kNull, "null", info.hash);
        break;
    }
  }
  return FlatEvent(builder.Finish());
}

size_t FlatEvent::leaf_count() const { return data_->leaves.size(); }

}  // namespace berth::events
