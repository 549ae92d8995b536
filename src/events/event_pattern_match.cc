// The matching of a compiled pattern against a FlatEvent (ruler's per-value semantics plus
// array consistency). FlatEvent construction is in event_pattern_flat.cc.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/event_pattern.h"
#include "events/event_pattern_internal.h"

namespace berth::events {
namespace pi = pattern_internal;

namespace pattern_internal {
namespace {

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

template <typename T, typename V>
bool Contains(const std::vector<T>& sorted, const V& v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

}  // namespace

bool ValueMatches(const ValueMatcher& m, const Leaf& leaf) {
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

bool FieldSpecMatches(const FieldSpec& spec, const Leaf& leaf) {
  for (const ValueMatcher& m : spec.matchers) {
    if (ValueMatches(m, leaf)) return true;
  }
  return false;
}

namespace {


// Bounds the search for an array-consistent choice (fields × candidates is tiny in practice).
constexpr int kMaxBacktrackSteps = 1 << 16;

}  // namespace

bool MatchBranch(const Branch& branch, const FlatEventData& e, uint64_t skip_fields) {
  // Fields whose every matching leaf sits inside arrays of objects: those need a consistent
  // choice of array elements. The others can always pick a leaf outside any such array.
  std::vector<std::pair<const FlatField*, const FieldSpec*>> constrained;
  for (size_t r = 0; r < branch.size(); ++r) {
    if (r < 64 && ((skip_fields >> r) & 1) != 0) continue;
    const FieldRule& rule = branch[r];
    const FlatField* field = e.Find(rule.path, rule.hash);
    if (field == nullptr) {
      if (rule.spec->absent) continue;
      return false;
    }
    bool any = false;
    bool free = false;
    for (uint32_t i = field->begin; i < field->end && !free; ++i) {
      const Leaf& leaf = e.leaves[i];
      if (!FieldSpecMatches(*rule.spec, leaf)) continue;
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
      if (FieldSpecMatches(*spec, e.leaves[i])) c.push_back(i);
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

uint64_t PathHash(std::string_view path) { return PathHashMore(kPathHashBasis, path); }

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
    if (MatchBranch(branch, event, 0)) return true;
  }
  return false;
}

}  // namespace pattern_internal

}  // namespace berth::events
