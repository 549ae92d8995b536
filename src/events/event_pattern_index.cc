// PatternIndex (event_pattern_index.h): the pre-filter over many compiled patterns.
#include "events/event_pattern_index.h"

#include <string.h>

#include <algorithm>
#include <utility>

#include "events/event_pattern_internal.h"

namespace berth::events {
namespace pi = pattern_internal;
using Kind = pi::ValueMatcher::Kind;

namespace {

uint64_t Combine(uint64_t path_hash, uint8_t key, uint64_t value_hash) {
  uint64_t h =
      (path_hash ^ (value_hash + 0x9E3779B97F4A7C15ULL * (key + 1))) * 0xff51afd7ed558ccdULL;
  return h ^ (h >> 31);
}

// (HashValue covers the length.)
template <typename Key>
uint64_t ValueHash(uint64_t path_hash, Key key, std::string_view text) {
  return Combine(path_hash, static_cast<uint8_t>(key), pi::HashValue(text));
}

// The values of a field as bytes, every count and text length-prefixed: equal for two fields
// with the same values in the same order, and only for those.
void AppendInt(std::string* key, int64_t v) {
  key->append(reinterpret_cast<const char*>(&v), sizeof v);
}
void AppendText(std::string* key, std::string_view text) {
  AppendInt(key, static_cast<int64_t>(text.size()));
  key->append(text);
}
void AppendTexts(std::string* key, const std::vector<std::string>& texts) {
  AppendInt(key, static_cast<int64_t>(texts.size()));
  for (const std::string& t : texts) AppendText(key, t);
}
void AppendCase(std::string* key, const pi::CasePattern& ci) {
  AppendText(key, ci.ascii_lower);
  AppendInt(key, ci.ascii ? 1 : 0);
  AppendInt(key, static_cast<int64_t>(ci.chars.size()));
  for (const pi::CaseChar& c : ci.chars) {
    AppendText(key, c.lower);
    AppendText(key, c.upper);
  }
}
std::string SpecKey(const pi::FieldSpec& spec) {
  std::string key;
  AppendInt(&key, spec.absent ? 1 : 0);
  for (const pi::ValueMatcher& m : spec.matchers) {
    AppendInt(&key, static_cast<int64_t>(m.kind));
    AppendText(&key, m.text);
    for (int64_t v : {m.micros, m.low, m.high}) AppendInt(&key, v);
    AppendInt(&key, m.low_open * 2 + m.high_open);
    for (const pi::IpAddress* ip : {&m.ip.low, &m.ip.high}) {
      key.append(reinterpret_cast<const char*>(ip->bytes.data()), ip->bytes.size());
      AppendInt(&key, ip->size);
    }
    AppendCase(&key, m.ci);
    AppendTexts(&key, m.wildcard.segments);
    AppendTexts(&key, m.strings);
    AppendInt(&key, static_cast<int64_t>(m.numbers.size()));
    for (int64_t v : m.numbers) AppendInt(&key, v);
    AppendInt(&key, static_cast<int64_t>(m.cis.size()));
    for (const pi::CasePattern& ci : m.cis) AppendCase(&key, ci);
    AppendInt(&key, static_cast<int64_t>(m.wildcards.size()));
    for (const pi::Wildcard& w : m.wildcards) AppendTexts(&key, w.segments);
  }
  return key;
}

// A wildcard whose longest literal lies between two '*' is looked up by (up to) the last
// kContainsWindow bytes of that literal, at every position of the string: a necessary condition.
constexpr size_t kContainsWindow = 8;

// What a hit through the index's lookup of this value says (see the header): nothing (the
// value is not indexed), that the value may match the leaf (it is then tried on the leaf), or
// that it does (lookups compare whole texts: a prefix or suffix with the leaf's head or tail of
// its length).
enum class Lookup { kNone, kPossible, kProof };
Lookup LookupOf(const pi::ValueMatcher& m) {
  switch (m.kind) {
    case Kind::kString:
    case Kind::kNumber:
    case Kind::kTrue:
    case Kind::kFalse:
    case Kind::kNull:
    case Kind::kIp:
    case Kind::kCidr:
    case Kind::kRange:
    case Kind::kExists:
    case Kind::kPrefix:
    case Kind::kSuffix:
      return Lookup::kProof;
    case Kind::kWildcard:  // without '*' it is an exact string
      return m.wildcard.segments.size() == 1 ? Lookup::kProof : Lookup::kPossible;
    case Kind::kEqualsIgnoreCase:
    case Kind::kPrefixIgnoreCase:
    case Kind::kSuffixIgnoreCase:  // always verified
      return m.ci.ascii ? Lookup::kPossible : Lookup::kNone;
    default:  // kNumberText, anything-but
      return Lookup::kNone;
  }
}

bool Indexable(const pi::ValueMatcher& m) { return LookupOf(m) != Lookup::kNone; }

bool Indexable(const pi::FieldSpec& spec) {
  if (spec.absent || spec.matchers.empty()) return false;
  for (const pi::ValueMatcher& m : spec.matchers) {
    if (!Indexable(m)) return false;
  }
  return true;
}

void AsciiLower(std::string_view s, std::string* out) {
  out->assign(s);
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

}  // namespace

PatternIndex::PatternIndex() = default;
PatternIndex::~PatternIndex() = default;
PatternIndex::PatternIndex(PatternIndex&&) noexcept = default;
PatternIndex& PatternIndex::operator=(PatternIndex&&) noexcept = default;

uint32_t PatternIndex::PathIndex(const std::string& path, uint64_t hash) {
  for (uint32_t i = 0; i < paths_.size(); ++i) {
    if (paths_[i].hash == hash && paths_[i].path == path) return i;
  }
  paths_.push_back({});
  paths_.back().path = path;
  paths_.back().hash = hash;
  const uint32_t id = static_cast<uint32_t>(paths_.size() - 1);
  auto at =
      std::lower_bound(path_order_.begin(), path_order_.end(), id, [&](uint32_t a, uint32_t b) {
        return paths_[a].hash != paths_[b].hash ? paths_[a].hash < paths_[b].hash
                                                : paths_[a].path < paths_[b].path;
      });
  path_order_.insert(at, id);
  return id;
}

const PatternIndex::Value* PatternIndex::FindValue(uint32_t path, Key key,
                                                   std::string_view text) const {
  if (table_.empty()) return nullptr;
  const uint64_t h = ValueHash(paths_[path].hash, key, text);
  size_t mask = table_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    uint32_t slot = table_[i];
    if (slot == 0) return nullptr;
    const Value& v = values_[slot - 1];
    if (v.hash == h && v.path == path && v.key == key && v.text == text) return &v;
  }
}

uint32_t PatternIndex::AddString(uint32_t path, Key key, std::string_view text, Posting posting) {
  Path& p = paths_[path];
  if (key == Key::kExact) {
    p.exact = true;
  } else if (key == Key::kLower) {
    p.lower = true;
  } else {
    auto& lengths = p.lengths[static_cast<int>(key)];
    auto at = std::lower_bound(lengths.begin(), lengths.end(), text.size());
    if (at == lengths.end() || *at != text.size()) lengths.insert(at, text.size());
  }
  Value* v = const_cast<Value*>(FindValue(path, key, text));
  if (v == nullptr) {
    values_.push_back({ValueHash(p.hash, key, text), path, key, std::string(text), {}});
    if (values_.size() * 2 > table_.size()) {
      Rehash();
    } else {
      size_t mask = table_.size() - 1;
      size_t i = values_.back().hash & mask;
      while (table_[i] != 0) i = (i + 1) & mask;
      table_[i] = static_cast<uint32_t>(values_.size());
    }
    v = &values_.back();
  }
  if (v->postings.empty() || v->postings.back().branch != posting.branch ||
      v->postings.back().bit != posting.bit || v->postings.back().check != posting.check) {
    v->postings.push_back(posting);
  }
  return static_cast<uint32_t>(v - values_.data());
}

void PatternIndex::Rehash() {
  table_.assign(std::max<size_t>(64, table_.size() * 2), 0);
  size_t mask = table_.size() - 1;
  for (uint32_t id = 0; id < values_.size(); ++id) {
    size_t i = values_[id].hash & mask;
    while (table_[i] != 0) i = (i + 1) & mask;
    table_[i] = id + 1;
  }
}

void PatternIndex::Add(const EventPattern& pattern) {
  const uint32_t index = static_cast<uint32_t>(patterns_.size());
  patterns_.push_back(pattern);
  matched_.resize((patterns_.size() + 63) / 64, 0);
  filter_.Add(pattern);
  const auto& branches = pattern.data_->branches;
  // A pattern with a branch the index cannot narrow is tried for every event.
  for (const pi::Branch& branch : branches) {
    bool indexed = false;
    for (const pi::FieldRule& field : branch) indexed = indexed || Indexable(*field.spec);
    if (!indexed) {
      always_.push_back(index);
      return;
    }
  }
  for (size_t k = 0; k < branches.size(); ++k) {
    const pi::Branch& branch = branches[k];
    const uint32_t id = static_cast<uint32_t>(branches_.size());
    uint32_t bits = 0;
    bool decidable = true;
    std::vector<StringField> string_fields;
    bool other_indexed = false;
    const auto fields_begin = static_cast<uint32_t>(branch_fields_.size());
    for (const pi::FieldRule& field : branch) {
      BranchField& f = branch_fields_.emplace_back();
      f.condition = ConditionId(field);
      if (!Indexable(*field.spec) || bits == 64) {
        decidable = false;
        f.bit = kNoBit;
        continue;
      }
      const uint32_t path = PathIndex(field.path, field.hash);
      const uint32_t bit = bits++;
      f.bit = static_cast<uint8_t>(bit);
      // A field whose every value is a string lookup may later be checked on the branches hit
      // instead of posted (Settle); it is recorded with the values it looks up.
      StringField looked_up{bit, {}};
      bool strings_only = true;
      for (const pi::ValueMatcher& m : field.spec->matchers) {
        Path& p = paths_[path];
        const bool exact = LookupOf(m) == Lookup::kProof;
        const Posting posting{id, bit, exact ? nullptr : &m};
        auto add_string = [&](Key key, std::string_view text) {
          looked_up.values.push_back({AddString(path, key, text, posting), !exact});
        };
        switch (m.kind) {
          case Kind::kString:
            add_string(Key::kExact, m.text);
            break;
          case Kind::kPrefix:
            if (m.text.empty()) {
              p.any_string.push_back(posting);
              strings_only = false;
            } else {
              add_string(Key::kPrefix, m.text);
            }
            break;
          case Kind::kSuffix:
            if (m.text.empty()) {
              p.any_string.push_back(posting);
              strings_only = false;
            } else {
              add_string(Key::kSuffix, m.text);
            }
            break;
          case Kind::kEqualsIgnoreCase:
            add_string(Key::kLower, m.ci.ascii_lower);
            break;
          case Kind::kPrefixIgnoreCase:
          case Kind::kSuffixIgnoreCase:
            if (m.ci.ascii_lower.empty()) {
              p.any_string.push_back(posting);
              strings_only = false;
            } else {
              add_string(m.kind == Kind::kPrefixIgnoreCase ? Key::kLowerPrefix : Key::kLowerSuffix,
                         m.ci.ascii_lower);
            }
            break;
          case Kind::kWildcard: {
            // A matching string has the literal before the first '*' as its prefix, the one
            // after the last as its suffix, and every literal between two '*' inside it: it is
            // looked up by the longest of them (the most selective, likely), a prefix or suffix
            // on a tie.
            const auto& segments = m.wildcard.segments;
            if (segments.size() == 1) {
              add_string(Key::kExact, segments[0]);
              break;
            }
            size_t middle = 0;  // the longest literal between two '*', if any
            for (size_t k = 1; k + 1 < segments.size(); ++k) {
              if (segments[k].size() > segments[middle].size() || middle == 0) middle = k;
            }
            const size_t head = segments.front().size();
            const size_t tail = segments.back().size();
            const size_t inner = middle == 0 ? 0 : segments[middle].size();
            if (head == 0 && tail == 0 && inner == 0) {
              p.any_string.push_back(posting);
              strings_only = false;
            } else if (head >= tail && head >= inner) {
              add_string(Key::kPrefix, segments.front());
            } else if (tail >= inner) {
              add_string(Key::kSuffix, segments.back());
            } else {
              const std::string& lit = segments[middle];
              const size_t w = std::min(lit.size(), kContainsWindow);
              add_string(Key::kContains, std::string_view(lit).substr(lit.size() - w));
            }
            break;
          }
          case Kind::kIp:
          case Kind::kCidr: {
            IpRange r;
            memcpy(r.low, m.ip.low.bytes.data(), 16);
            memcpy(r.high, m.ip.high.bytes.data(), 16);
            r.size = m.ip.low.size;
            r.posting = posting;
            p.ips.push_back(r);
            strings_only = false;
            break;
          }
          case Kind::kNumber:
            p.numbers.push_back({m.micros, m.micros, false, false, posting});
            strings_only = false;
            break;
          case Kind::kRange:
            p.numbers.push_back({m.low, m.high, m.low_open, m.high_open, posting});
            strings_only = false;
            break;
          case Kind::kTrue:
            p.trues.push_back(posting);
            strings_only = false;
            break;
          case Kind::kFalse:
            p.falses.push_back(posting);
            strings_only = false;
            break;
          case Kind::kNull:
            p.nulls.push_back(posting);
            strings_only = false;
            break;
          case Kind::kExists:
            p.any_leaf.push_back(posting);
            strings_only = false;
            break;
          default:
            break;  // not Indexable
        }
      }
      if (strings_only) {
        string_fields.push_back(std::move(looked_up));
      } else {
        other_indexed = true;
      }
    }
    branches_.push_back({index, static_cast<uint32_t>(k), bits == 64 ? ~0ULL : (1ULL << bits) - 1,
                         decidable, other_indexed, fields_begin,
                         static_cast<uint32_t>(branch_fields_.size()), std::move(string_fields)});
  }
  const size_t added_from = hits_.size();
  hits_.resize(branches_.size());
  for (size_t b = added_from; b < branches_.size(); ++b) {
    hits_[b].full = branches_[b].full;
    hits_[b].pattern = branches_[b].pattern;
    hits_[b].decidable = branches_[b].decidable;
  }
  settled_ = false;
}

uint32_t PatternIndex::ConditionId(const pi::FieldRule& field) {
  std::string key = field.path;
  key.push_back('\0');
  key += SpecKey(*field.spec);
  auto [it, added] = condition_ids_.emplace(std::move(key), conditions_.size());
  if (added) {
    conditions_.push_back(&field);  // (the pattern's compiled data: patterns_ keeps it)
    evaluated_.emplace_back();
  }
  return it->second;
}

// As MatchBranch tries one field.
PatternIndex::Outcome PatternIndex::ConditionOn(uint32_t condition,
                                                const pi::FlatEventData& e) const {
  Evaluated& memo = evaluated_[condition];
  if (memo.stamp == stamp_) return memo.outcome;
  const pi::FieldRule& rule = *conditions_[condition];
  ++last_conditions_;
  Outcome outcome = Outcome::kFails;
  if (const pi::FlatField* field = e.Find(rule.path, rule.hash)) {
    for (uint32_t i = field->begin; i < field->end; ++i) {
      const pi::Leaf& leaf = e.leaves[i];
      if (!pi::FieldSpecMatches(*rule.spec, leaf)) continue;
      outcome = Outcome::kConstrained;
      if (leaf.trail_begin == leaf.trail_end) {
        outcome = Outcome::kFree;
        break;
      }
    }
  } else if (rule.spec->absent) {
    outcome = Outcome::kFree;
  }
  memo = {stamp_, outcome};
  return outcome;
}

// Which string fields are posted and which are checked on the branches hit. A value many
// branches look up (a `source` or `detail-type` most rules share) would touch all of them for
// every event of that source, though most are then ruled out by a rarer field. So a branch
// keeps posted its rarest string field (or its fields of other kinds, which are always
// posted), and each of its other string fields whose values have more than kCommon postings is
// resolved after the lookups instead, from which values the event's leaves were found to
// have — only on the branches that the posted fields hit. (Such a value that would be tried on
// the leaf — a wildcard with '*', a case-insensitive value — then only makes its field
// possible: the branch is verified.)
void PatternIndex::Settle() const {
  constexpr size_t kCommon = 8;
  auto weight = [&](const StringField& f) {
    size_t w = 0;
    for (const auto& [value, inexact] : f.values) w += values_[value].postings.size();
    return w;
  };
  deferred_.clear();
  std::vector<uint64_t> deferred_bits(branches_.size(), 0);
  for (uint32_t b = 0; b < branches_.size(); ++b) {
    const Branch& branch = branches_[b];
    hits_[b].deferred_begin = static_cast<uint32_t>(deferred_.size());
    size_t keep = branch.string_fields.size();  // the rarest, when nothing else is posted
    if (!branch.other_indexed) {
      for (size_t f = 0; f < branch.string_fields.size(); ++f) {
        if (keep == branch.string_fields.size() ||
            weight(branch.string_fields[f]) < weight(branch.string_fields[keep])) {
          keep = f;
        }
      }
    }
    for (size_t f = 0; f < branch.string_fields.size(); ++f) {
      const StringField& field = branch.string_fields[f];
      if (f == keep || weight(field) <= kCommon) continue;
      for (const auto& [value, inexact] : field.values) {
        deferred_.push_back({value, static_cast<uint8_t>(field.bit), inexact});
      }
      deferred_bits[b] |= 1ULL << field.bit;
    }
    hits_[b].deferred_end = static_cast<uint32_t>(deferred_.size());
  }
  active_.assign(values_.size(), {});
  checked_.assign(values_.size(), 0);
  for (uint32_t v = 0; v < values_.size(); ++v) {
    for (const Posting& p : values_[v].postings) {
      if ((deferred_bits[p.branch] >> (p.bit & 63)) & 1) {
        checked_[v] = 1;
      } else {
        active_[v].push_back(p);
      }
    }
  }
  seen_.assign(values_.size(), {});
  stamp_ = 0;
  settled_ = true;
}

void PatternIndex::Hit(const Posting& p) const {
  if (p.check != nullptr && !pi::ValueMatches(*p.check, *leaf_)) return;
  Hits& h = hits_[p.branch];
  if (h.mask == 0) touched_.push_back(p.branch);
  const uint64_t bit = 1ULL << (p.bit & 63);
  h.mask |= bit;
  if (!leaf_in_array_) h.proven |= bit;
}

void PatternIndex::HitString(uint32_t path, Key key, std::string_view text) const {
  const Value* v = FindValue(path, key, text);
  if (v == nullptr) return;
  const size_t id = static_cast<size_t>(v - values_.data());
  if (checked_[id]) {  // some branch checks this value itself (Settle)
    seen_[id].any = stamp_;
    if (!leaf_in_array_) seen_[id].free = stamp_;
  }
  HitAll(active_[id]);
}

template <typename Leaves>
void PatternIndex::HitLeaves(uint32_t pidx, const Leaves& leaves, uint32_t begin,
                             uint32_t end) const {
  const Path& p = paths_[pidx];
  if (begin < end && !p.any_leaf.empty()) {
    // exists: true is met by any leaf; decided only when one of them is outside every array.
    leaf_in_array_ = true;
    for (uint32_t i = begin; i < end && leaf_in_array_; ++i) {
      leaf_in_array_ = leaves[i].trail_begin != leaves[i].trail_end;
    }
    HitAll(p.any_leaf);
  }
  for (uint32_t i = begin; i < end; ++i) {
    const pi::Leaf& leaf = leaves[i];
    leaf_in_array_ = leaf.trail_begin != leaf.trail_end;
    leaf_ = &leaf;
    switch (leaf.type) {
      case pi::Leaf::Type::kString: {
        std::string_view s = leaf.text;
        HitAll(p.any_string);
        if (p.exact) HitString(pidx, Key::kExact, s);
        for (uint32_t n : p.lengths[static_cast<int>(Key::kPrefix)]) {
          if (n > s.size()) break;
          HitString(pidx, Key::kPrefix, s.substr(0, n));
        }
        for (uint32_t n : p.lengths[static_cast<int>(Key::kSuffix)]) {
          if (n > s.size()) break;
          HitString(pidx, Key::kSuffix, s.substr(s.size() - n));
        }
        for (uint32_t n : p.lengths[static_cast<int>(Key::kContains)]) {
          if (n > s.size()) break;
          for (size_t at = 0; at + n <= s.size(); ++at) {
            HitString(pidx, Key::kContains, s.substr(at, n));
          }
        }
        const auto& lower_prefix = p.lengths[static_cast<int>(Key::kLowerPrefix)];
        const auto& lower_suffix = p.lengths[static_cast<int>(Key::kLowerSuffix)];
        if (p.lower || !lower_prefix.empty() || !lower_suffix.empty()) {
          AsciiLower(s, &lowered_);
          std::string_view l = lowered_;
          if (p.lower) HitString(pidx, Key::kLower, l);
          for (uint32_t n : lower_prefix) {
            if (n > l.size()) break;
            HitString(pidx, Key::kLowerPrefix, l.substr(0, n));
          }
          for (uint32_t n : lower_suffix) {
            if (n > l.size()) break;
            HitString(pidx, Key::kLowerSuffix, l.substr(l.size() - n));
          }
        }
        if (leaf.has_ip) {
          for (const IpRange& r : p.ips) {
            if (leaf.ip.size == r.size && memcmp(r.low, leaf.ip.bytes.data(), r.size) <= 0 &&
                memcmp(leaf.ip.bytes.data(), r.high, r.size) <= 0) {
              Hit(r.posting);
            }
          }
        }
        break;
      }
      case pi::Leaf::Type::kNumber:
        if (!leaf.has_micros) break;
        for (const NumericRange& r : p.numbers) {
          if ((r.low_open ? leaf.micros > r.low : leaf.micros >= r.low) &&
              (r.high_open ? leaf.micros < r.high : leaf.micros <= r.high)) {
            Hit(r.posting);
          }
        }
        break;
      case pi::Leaf::Type::kTrue:
        HitAll(p.trues);
        break;
      case pi::Leaf::Type::kFalse:
        HitAll(p.falses);
        break;
      case pi::Leaf::Type::kNull:
        HitAll(p.nulls);
        break;
    }
  }
}

void PatternIndex::Match(const FlatEvent& event, std::vector<uint32_t>* out) const {
  const pi::FlatEventData& e = *event.data_;
  if (!settled_) Settle();
  if (++stamp_ == 0) {  // (after 2^32 events: the stamps start again)
    std::fill(seen_.begin(), seen_.end(), Seen{});
    std::fill(evaluated_.begin(), evaluated_.end(), Evaluated{});
    stamp_ = 1;
  }
  touched_.clear();
  // Both sides are sorted by (hash, path): one merge finds the indexed paths the event has.
  size_t f = 0;
  size_t j = 0;
  while (f < e.fields.size() && j < path_order_.size()) {
    const pi::FlatField& field = e.fields[f];
    const Path& p = paths_[path_order_[j]];
    if (field.hash != p.hash) {
      if (field.hash < p.hash) {
        ++f;
      } else {
        ++j;
      }
      continue;
    }
    int c = field.path.compare(p.path);
    if (c == 0) HitLeaves(path_order_[j], e.leaves, field.begin, field.end);
    if (c <= 0) ++f;
    if (c >= 0) ++j;
  }
  leaf_in_array_ = false;
  // The fields the branches hit check themselves: hit, and proven where a value found outside
  // arrays of objects proves it.
  for (uint32_t b : touched_) {
    Hits& h = hits_[b];
    for (uint32_t k = h.deferred_begin; k < h.deferred_end; ++k) {
      const DeferredValue& d = deferred_[k];
      const Seen& seen = seen_[d.value];
      if (seen.any != stamp_) continue;
      const uint64_t bit = 1ULL << d.bit;
      h.mask |= bit;
      if (!d.inexact && seen.free == stamp_) h.proven |= bit;
    }
  }
  // A pattern matches when one of its branches does, and a branch can only match when each of
  // its indexed fields was hit (a full mask). Such a branch matches outright when every field
  // is indexed and proven; otherwise it is verified, leaving out the fields already proven (a
  // leaf outside arrays of objects meets them, so they constrain no array choice either).
  // The patterns found matching are bits of matched_ (ascending for free, each once); the words
  // set are within [lo, hi].
  size_t lo = matched_.size(), hi = 0;
  auto marked = [&](uint32_t p) { return (matched_[p >> 6] >> (p & 63)) & 1; };
  auto mark = [&](uint32_t p) {
    matched_[p >> 6] |= 1ULL << (p & 63);
    lo = std::min<size_t>(lo, p >> 6);
    hi = std::max<size_t>(hi, p >> 6);
  };
  size_t n_decided = 0;
  candidates_.clear();
  for (uint32_t b : touched_) {
    Hits& h = hits_[b];
    if (h.mask == h.full) {
      if (h.decidable && h.proven == h.full) {
        if (!marked(h.pattern)) {
          mark(h.pattern);
          ++n_decided;
        }
      } else {
        candidates_.push_back(b);
        h.mask = h.proven;  // kept for the verification below
        h.proven = 0;
        continue;
      }
    }
    h.mask = 0;
    h.proven = 0;
  }
  last_decided_ = n_decided;
  last_candidates_ = 0;
  last_conditions_ = 0;
  for (uint32_t b : candidates_) {
    const Branch& branch = branches_[b];
    const uint64_t proven = hits_[b].mask;
    hits_[b].mask = 0;
    if (marked(branch.pattern)) continue;  // decided already, by another branch
    ++last_candidates_;
    // The fields the index proved are left out; each other field's condition is evaluated once
    // per event: one that fails rules the branch out, one met outside arrays of objects is left
    // out of MatchBranch like a proven one.
    const BranchField* field = &branch_fields_[branch.fields_begin];
    const size_t fields = branch.fields_end - branch.fields_begin;
    uint64_t skip = 0;
    bool fails = false;
    for (size_t r = 0; r < fields && r < 64 && !fails; ++r) {
      const uint8_t bit = field[r].bit;
      if (bit != kNoBit && ((proven >> bit) & 1) != 0) {
        skip |= 1ULL << r;
        continue;
      }
      const Outcome o = ConditionOn(field[r].condition, e);
      fails = o == Outcome::kFails;
      if (o == Outcome::kFree) skip |= 1ULL << r;
    }
    if (fails) continue;
    if (fields <= 64 && skip == (fields == 64 ? ~0ULL : (1ULL << fields) - 1)) {
      mark(branch.pattern);
      continue;
    }
    const pi::PatternData& data = *patterns_[branch.pattern].data_;
    if (pi::MatchBranch(data.branches[branch.in_pattern], e, skip)) mark(branch.pattern);
  }
  for (uint32_t p : always_) {
    ++last_candidates_;
    if (patterns_[p].Matches(event)) mark(p);
  }
  for (size_t w = lo; w <= hi && w < matched_.size(); ++w) {
    for (uint64_t bits = matched_[w]; bits != 0; bits &= bits - 1) {
      out->push_back(static_cast<uint32_t>(w * 64 + __builtin_ctzll(bits)));
    }
    matched_[w] = 0;
  }
}

}  // namespace berth::events
