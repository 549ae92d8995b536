// FlatEvent construction (ruler's Event: dotted paths, array membership) and the matching of
// a compiled pattern against it (ruler's per-value semantics plus array consistency).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/event_pattern.h"
#include "events/event_pattern_internal.h"

namespace berth::events {
namespace pi = pattern_internal;

namespace pattern_internal {
namespace {

// Builds FlatEventData from a stream of JSON events (SAX or a tree walk). Mirrors ruler's
// Event.traverseObject/traverseArray: every array gets an id; an object or array that is an
// element of an array records (array id, index) for all the leaves under it. A primitive
// element records nothing for its own array.
class Builder {
 public:
  // False if the root is not an object.
  bool BeginObject() {
    if (frames_.empty()) {  // the root
      if (started_) return false;
      started_ = true;
      pushed_ = false;
      frames_.push_back({false, 0, 0, path_.size(), false});
      return true;
    }
    if (!ValueStart(true)) return false;
    frames_.push_back({false, 0, 0, path_.size(), pushed_});
    return true;
  }
  void Key(std::string_view key) {
    const Frame& f = frames_.back();
    path_.resize(f.path_len);
    if (frames_.size() > 1) path_ += '.';
    path_.append(key);
  }
  bool BeginArray() {
    if (!ValueStart(true)) return false;
    frames_.push_back({true, next_array_id_++, 0, path_.size(), pushed_});
    return true;
  }
  void End() {
    Frame f = frames_.back();
    frames_.pop_back();
    path_.resize(f.path_len);
    if (f.pushed) membership_.pop_back();
  }
  bool Scalar(Leaf::Type type, std::string text) {
    if (!ValueStart(false)) return false;
    Leaf leaf;
    leaf.type = type;
    leaf.text = std::move(text);
    if (type == Leaf::Type::kNumber) {
      leaf.has_micros = ToMicros(leaf.text, &leaf.micros) == NumberError::kNone;
    } else if (type == Leaf::Type::kString) {
      leaf.has_ip = ParseIp(leaf.text, &leaf.ip) == IpParse::kOk;
    }
    leaf.trail_begin = static_cast<uint32_t>(data_->trails.size());
    data_->trails.insert(data_->trails.end(), membership_.begin(), membership_.end());
    leaf.trail_end = static_cast<uint32_t>(data_->trails.size());
    auto [it, inserted] = path_ids_.try_emplace(path_, static_cast<uint32_t>(paths_.size()));
    if (inserted) paths_.push_back(path_);
    leaf_path_.push_back(it->second);
    data_->leaves.push_back(std::move(leaf));
    return true;
  }

  // Groups the leaves by path, paths sorted by (hash, path).
  std::shared_ptr<FlatEventData> Finish() {
    std::vector<uint64_t> hashes(paths_.size());
    for (size_t i = 0; i < paths_.size(); ++i) hashes[i] = PathHash(paths_[i]);
    std::vector<uint32_t> order(paths_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return hashes[a] != hashes[b] ? hashes[a] < hashes[b] : paths_[a] < paths_[b];
    });
    std::vector<uint32_t> count(paths_.size(), 0);
    for (uint32_t p : leaf_path_) ++count[p];
    std::vector<uint32_t> start(paths_.size(), 0);
    uint32_t offset = 0;
    for (uint32_t p : order) {
      start[p] = offset;
      data_->fields.push_back({std::move(paths_[p]), hashes[p], offset, offset + count[p]});
      offset += count[p];
    }
    std::vector<Leaf> grouped(data_->leaves.size());
    for (size_t i = 0; i < data_->leaves.size(); ++i) {
      grouped[start[leaf_path_[i]]++] = std::move(data_->leaves[i]);
    }
    data_->leaves = std::move(grouped);
    return std::move(data_);
  }

 private:
  struct Frame {
    bool is_array;
    uint32_t array_id;
    uint32_t next_index;
    size_t path_len;
    bool pushed;  // pushed a membership entry (it is an element of an array)
  };

  bool ValueStart(bool container) {
    pushed_ = false;
    if (frames_.empty()) return false;  // the root must be an object
    Frame& parent = frames_.back();
    if (!parent.is_array) return true;
    uint32_t index = parent.next_index++;
    if (container) {
      membership_.emplace_back(parent.array_id, index);
      pushed_ = true;
    }
    return true;
  }

  std::shared_ptr<FlatEventData> data_ = std::make_shared<FlatEventData>();
  std::vector<Frame> frames_;
  std::vector<std::pair<uint32_t, uint32_t>> membership_;
  std::string path_;
  std::unordered_map<std::string, uint32_t> path_ids_;
  std::vector<std::string> paths_;
  std::vector<uint32_t> leaf_path_;
  uint32_t next_array_id_ = 0;
  bool pushed_ = false;
  bool started_ = false;
};

// nlohmann's SAX interface: keeps each number's text (and every duplicate key), like ruler's
// streaming event parser.
class Sax : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit Sax(Builder* b) : b_(b) {}
  bool null() override { return b_->Scalar(Leaf::Type::kNull, "null"); }
  bool boolean(bool v) override {
    return b_->Scalar(v ? Leaf::Type::kTrue : Leaf::Type::kFalse, v ? "true" : "false");
  }
  bool number_integer(number_integer_t v) override {
    return b_->Scalar(Leaf::Type::kNumber, std::to_string(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    return b_->Scalar(Leaf::Type::kNumber, std::to_string(v));
  }
  bool number_float(number_float_t, const string_t& s) override {
    return b_->Scalar(Leaf::Type::kNumber, s);
  }
  bool string(string_t& s) override { return b_->Scalar(Leaf::Type::kString, std::move(s)); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return b_->BeginObject(); }
  bool key(string_t& k) override {
    b_->Key(k);
    return true;
  }
  bool end_object() override {
    b_->End();
    return true;
  }
  bool start_array(std::size_t) override { return b_->BeginArray(); }
  bool end_array() override {
    b_->End();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  Builder* b_;
};

bool Compatible(const FlatEventData& e, const Leaf& leaf,
                const std::vector<std::pair<uint32_t, uint32_t>>& assigned) {
  for (uint32_t t = leaf.trail_begin; t < leaf.trail_end; ++t) {
    const auto& [array, index] = e.trails[t];
    for (const auto& [a, i] : assigned) {
      if (a == array && i != index) return false;
    }
  }
  return true;
}

template <typename T>
bool Contains(const std::vector<T>& sorted, const T& v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

bool LeafMatches(const ValueMatcher& m, const Leaf& leaf) {
  using Kind = ValueMatcher::Kind;
  const bool is_string = leaf.type == Leaf::Type::kString;
  const bool is_number = leaf.type == Leaf::Type::kNumber;
  switch (m.kind) {
    case Kind::kString:
      return is_string && leaf.text == m.text;
    case Kind::kNumber:
      return is_number && leaf.has_micros && leaf.micros == m.micros;
    case Kind::kNumberText:
      return is_number && !leaf.has_micros && leaf.text == m.text;
    case Kind::kTrue:
      return leaf.type == Leaf::Type::kTrue;
    case Kind::kFalse:
      return leaf.type == Leaf::Type::kFalse;
    case Kind::kNull:
      return leaf.type == Leaf::Type::kNull;
    case Kind::kIp:
    case Kind::kCidr:
      return is_string && leaf.has_ip && m.ip.Contains(leaf.ip);
    case Kind::kPrefix:
      return is_string && StartsWith(leaf.text, m.text);
    case Kind::kSuffix:
      return is_string && EndsWith(leaf.text, m.text);
    case Kind::kEqualsIgnoreCase:
      return is_string && MatchIgnoreCase(m.ci, leaf.text, CaseMode::kEquals);
    case Kind::kPrefixIgnoreCase:
      return is_string && MatchIgnoreCase(m.ci, leaf.text, CaseMode::kPrefix);
    case Kind::kSuffixIgnoreCase:
      return is_string && MatchIgnoreCase(m.ci, leaf.text, CaseMode::kSuffix);
    case Kind::kWildcard:
      return is_string && MatchWildcard(m.wildcard, leaf.text);
    case Kind::kRange:
      return is_number && leaf.has_micros &&
             (m.low_open ? leaf.micros > m.low : leaf.micros >= m.low) &&
             (m.high_open ? leaf.micros < m.high : leaf.micros <= m.high);
    case Kind::kExists:
      return true;
    // anything-but: the leaf must not be one of the values; other types always qualify.
    case Kind::kAnythingBut:
      return !(is_string && Contains(m.strings, leaf.text));
    case Kind::kAnythingButNumber:
      return !(is_number && leaf.has_micros && Contains(m.numbers, leaf.micros));
    case Kind::kAnythingButIgnoreCase:
      if (!is_string) return true;
      for (const CasePattern& ci : m.cis) {
        if (MatchIgnoreCase(ci, leaf.text, CaseMode::kEquals)) return false;
      }
      return true;
    case Kind::kAnythingButPrefix:
      if (!is_string) return true;
      for (const std::string& p : m.strings) {
        if (StartsWith(leaf.text, p)) return false;
      }
      return true;
    case Kind::kAnythingButSuffix:
      if (!is_string) return true;
      for (const std::string& p : m.strings) {
        if (EndsWith(leaf.text, p)) return false;
      }
      return true;
    case Kind::kAnythingButWildcard:
      if (!is_string) return true;
      for (const Wildcard& w : m.wildcards) {
        if (MatchWildcard(w, leaf.text)) return false;
      }
      return true;
  }
  return false;
}

bool SpecMatches(const FieldSpec& spec, const Leaf& leaf) {
  for (const ValueMatcher& m : spec.matchers) {
    if (LeafMatches(m, leaf)) return true;
  }
  return false;
}

// Bounds the search for an array-consistent choice (fields × candidates is tiny in practice).
constexpr int kMaxBacktrackSteps = 1 << 16;

bool MatchBranch(const Branch& branch, const FlatEventData& e) {
  // Fields whose every matching leaf sits inside arrays of objects: those need a consistent
  // choice of array elements. The others can always pick a leaf outside any such array.
  std::vector<std::pair<const FlatField*, const FieldSpec*>> constrained;
  for (const FieldRule& rule : branch) {
    const FlatField* field = e.Find(rule.path, rule.hash);
    if (field == nullptr) {
      if (rule.spec->absent) continue;
      return false;
    }
    bool any = false;
    bool free = false;
    for (uint32_t i = field->begin; i < field->end && !free; ++i) {
      const Leaf& leaf = e.leaves[i];
      if (!SpecMatches(*rule.spec, leaf)) continue;
      any = true;
      free = leaf.trail_begin == leaf.trail_end;
    }
    if (!any) return false;
    if (!free) constrained.emplace_back(field, rule.spec.get());
  }
  if (constrained.size() <= 1) return true;

  std::vector<std::vector<uint32_t>> candidates;
  for (const auto& [field, spec] : constrained) {
    std::vector<uint32_t> c;
    for (uint32_t i = field->begin; i < field->end; ++i) {
      if (SpecMatches(*spec, e.leaves[i])) c.push_back(i);
    }
    candidates.push_back(std::move(c));
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.size() < b.size(); });
  // Depth-first search: choice[k] is the next candidate to try for field k.
  std::vector<size_t> choice(candidates.size(), 0);
  std::vector<size_t> assigned_size(candidates.size(), 0);
  std::vector<std::pair<uint32_t, uint32_t>> assigned;
  size_t k = 0;
  int steps = 0;
  while (true) {
    if (++steps > kMaxBacktrackSteps) return false;
    if (choice[k] == candidates[k].size()) {  // exhausted: back up
      if (k == 0) return false;
      choice[k] = 0;
      --k;
      assigned.resize(assigned_size[k]);
      ++choice[k];
      continue;
    }
    const Leaf& leaf = e.leaves[candidates[k][choice[k]]];
    if (!Compatible(e, leaf, assigned)) {
      ++choice[k];
      continue;
    }
    assigned_size[k] = assigned.size();
    assigned.insert(assigned.end(), e.trails.begin() + leaf.trail_begin,
                    e.trails.begin() + leaf.trail_end);
    if (k + 1 == candidates.size()) return true;
    ++k;
  }
}

}  // namespace

uint64_t PathHash(std::string_view path) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : path) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

const FlatField* FlatEventData::Find(std::string_view path, uint64_t hash) const {
  auto it = std::lower_bound(fields.begin(), fields.end(), hash,
                             [](const FlatField& f, uint64_t h) { return f.hash < h; });
  for (; it != fields.end() && it->hash == hash; ++it) {
    if (it->path == path) return &*it;
  }
  return nullptr;
}

bool MatchPattern(const PatternData& pattern, const FlatEventData& event) {
  for (const Branch& branch : pattern.branches) {
    if (MatchBranch(branch, event)) return true;
  }
  return false;
}

}  // namespace pattern_internal

Result<FlatEvent> FlatEvent::Parse(std::string_view event_json) {
  pi::Builder builder;
  pi::Sax sax(&builder);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(event_json.data(), event_json.data() + event_json.size(), &sax);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) return InvalidArgument("Event is not a valid JSON object");
  return FlatEvent(builder.Finish());
}

Result<FlatEvent> FlatEvent::FromJson(const nlohmann::json& event) {
  if (!event.is_object()) return InvalidArgument("Event is not a JSON object");
  pi::Builder builder;
  // Iterative walk (events may nest deeply).
  struct Item {
    const nlohmann::json* node;
    nlohmann::json::const_iterator it;
  };
  std::vector<Item> stack;
  (void)builder.BeginObject();
  stack.push_back({&event, event.cbegin()});
  while (!stack.empty()) {
    Item& top = stack.back();
    if (top.it == top.node->cend()) {
      builder.End();
      stack.pop_back();
      continue;
    }
    auto it = top.it++;
    if (top.node->is_object()) builder.Key(it.key());
    const nlohmann::json& v = *it;
    switch (v.type()) {
      case nlohmann::json::value_t::object:
        (void)builder.BeginObject();
        stack.push_back({&v, v.cbegin()});
        break;
      case nlohmann::json::value_t::array:
        (void)builder.BeginArray();
        stack.push_back({&v, v.cbegin()});
        break;
      case nlohmann::json::value_t::string:
        (void)builder.Scalar(pi::Leaf::Type::kString, v.get_ref<const std::string&>());
        break;
      case nlohmann::json::value_t::boolean:
        (void)builder.Scalar(v.get<bool>() ? pi::Leaf::Type::kTrue : pi::Leaf::Type::kFalse,
                             v.get<bool>() ? "true" : "false");
        break;
      case nlohmann::json::value_t::number_integer:
        (void)builder.Scalar(pi::Leaf::Type::kNumber, std::to_string(v.get<int64_t>()));
        break;
      case nlohmann::json::value_t::number_unsigned:
        (void)builder.Scalar(pi::Leaf::Type::kNumber, std::to_string(v.get<uint64_t>()));
        break;
      case nlohmann::json::value_t::number_float:
        if (std::isfinite(v.get<double>())) {
          (void)builder.Scalar(pi::Leaf::Type::kNumber, v.dump());
        } else {
          (void)builder.Scalar(pi::Leaf::Type::kNull, "null");
        }
        break;
      default:  // null, binary, discarded
        (void)builder.Scalar(pi::Leaf::Type::kNull, "null");
        break;
    }
  }
  return FlatEvent(builder.Finish());
}

size_t FlatEvent::leaf_count() const { return data_->leaves.size(); }

}  // namespace berth::events
