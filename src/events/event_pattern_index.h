// PatternIndex: the compiled patterns of many rules, matched against one event at a time
// without trying every pattern (the bus keeps one per event bus, rebuilt when rules change).
//
// Pre-filter (in the spirit of ruler's machine): a field of an AND-branch can only be satisfied
// by an event that has, at that path, a leaf one of the field's values accepts. When every value
// of the field is of a kind the index can look up — an exact string (`"source": ["aws.ecs"]`),
// a prefix or suffix (also ignoring ASCII case), an equals-ignore-case string, a wildcard (by
// its longest literal: its head, its tail, or a run of up to 8 bytes of a literal between two
// '*', looked up at every position of the string), a cidr or IP address, a number or numeric
// range, true/false/null, `exists: true` — the field is indexed: for an event, the leaves at
// the indexed paths are looked up and a branch becomes a candidate only when every one of its
// indexed fields was hit. Where a lookup does not prove the value accepts the leaf (a wildcard
// with '*', a case-insensitive value), the value is tried on that leaf before the field counts
// as hit. A value most branches share (a `source`) is not looked up for each of them: a branch
// keeps its rarest string field (or fields of other kinds) posted and checks such values once
// those have hit it (Settle, in the .cc).
// Fields with an anything-but, `exists: false` or a non-ASCII equals-ignore-case value are not
// indexed (they only narrow nothing); a pattern with a branch that has no indexed field is a
// candidate for every event. A branch whose fields are all indexed and hit on leaves outside
// arrays of objects matches without more work; every other candidate branch is verified
// against the event, leaving out the fields already proven (patterns with a branch the index
// cannot narrow are matched in full). So the result is exactly the set of patterns that match.
//
// Events matched against the index should be flattened with filter(): it keeps every path the
// patterns look at (and only those), which makes flattening cheaper without changing a match.
//
// Add/filter/size: any thread, not concurrently with Match. Match uses scratch space held by
// the index: one caller at a time (the bus calls it on its control thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/event_pattern.h"

namespace berth::events {
namespace pattern_internal {
struct FieldRule;
struct FlatEventData;
struct Leaf;
struct ValueMatcher;
}  // namespace pattern_internal

class PatternIndex {
 public:
  PatternIndex();
  ~PatternIndex();
  PatternIndex(PatternIndex&&) noexcept;
  PatternIndex& operator=(PatternIndex&&) noexcept;

  // Adds a pattern; its index is the number of patterns added before it.
  void Add(const EventPattern& pattern);
  size_t size() const { return patterns_.size(); }
  // Keeps every path the added patterns look at.
  const PathFilter& filter() const { return filter_; }
  // Appends to *out the indexes of the patterns that match `event`, ascending.
  void Match(const FlatEvent& event, std::vector<uint32_t>* out) const;
  // How many branches the last Match verified against the event (for tests and benchmarks),
  // counting a pattern the index cannot narrow as one; what the index decided on its own is
  // not counted.
  size_t last_candidates() const { return last_candidates_; }
  // How many patterns the last Match found matching from the index alone.
  size_t last_decided() const { return last_decided_; }
  // How many field conditions the last Match evaluated on the event (each at most once, however
  // many verified branches have it).
  size_t last_conditions() const { return last_conditions_; }

 private:
  struct Posting {
    uint32_t branch;
    uint32_t bit;  // the field's bit
    // When the lookup alone does not prove the value accepts the leaf (a wildcard with '*', a
    // case-insensitive value), the value itself, tried on the leaf the lookup found.
    const pattern_internal::ValueMatcher* check;
  };
  // How a string value is looked up: as it is, or lowered (ASCII), whole or by its head/tail;
  // or (kContains) by any run of its bytes.
  enum class Key : uint8_t {
    kExact,
    kPrefix,
    kSuffix,
    kLower,
    kLowerPrefix,
    kLowerSuffix,
    kContains
  };
  struct Value {
    uint64_t hash;  // of (path, key, text)
    uint32_t path;  // index in paths_
    Key key;
    std::string text;
    std::vector<Posting> postings;
  };
  struct NumericRange {
    int64_t low, high;
    bool low_open, high_open;
    Posting posting;
  };
  struct IpRange {
    uint8_t low[16];  // address bytes, big-endian; `size` of them used
    uint8_t high[16];
    uint8_t size;
    Posting posting;
  };
  struct Path {
    std::string path;
    uint64_t hash;
    bool exact = false;
    bool lower = false;
    std::vector<uint32_t> lengths[7];  // by Key: the text lengths indexed (heads, tails, runs)
    std::vector<NumericRange> numbers;
    std::vector<IpRange> ips;
    std::vector<Posting> any_leaf, any_string, trues, falses, nulls;
  };
  // An indexed field whose values are all looked up as strings: the values (ids in values_)
  // and whether a hit through each only makes the field possible.
  struct StringField {
    uint32_t bit;
    std::vector<std::pair<uint32_t, bool>> values;  // (value, inexact)
  };
  struct Branch {
    uint32_t pattern;
    uint32_t in_pattern;  // its place among the pattern's branches
    uint64_t full;        // every indexed field's bit
    // Every field of the branch is indexed: when each field's bit is proven (an exact hit on a
    // leaf outside arrays of objects), the branch matches with no more work.
    bool decidable;
    bool other_indexed;  // it has an indexed field of another kind (number, IP, exists, …)
    // Its fields, in order: branch_fields_[fields_begin, fields_end).
    uint32_t fields_begin;
    uint32_t fields_end;
    std::vector<StringField> string_fields;
  };
  // One field of a branch (kept together for all branches: verifying a candidate reads them).
  struct BranchField {
    uint32_t condition;  // its condition (conditions_)
    uint8_t bit;         // its bit, or kNoBit
  };
  static constexpr uint8_t kNoBit = 0xFF;

  uint32_t PathIndex(const std::string& path, uint64_t hash);
  // Returns the value's id (its index in values_).
  uint32_t AddString(uint32_t path, Key key, std::string_view text, Posting posting);
  void Settle() const;
  // How a field condition fares on the event (evaluated once per Match, see conditions_).
  enum class Outcome : uint8_t { kFails, kFree, kConstrained };
  uint32_t ConditionId(const pattern_internal::FieldRule& field);
  Outcome ConditionOn(uint32_t condition, const pattern_internal::FlatEventData& e) const;
  const Value* FindValue(uint32_t path, Key key, std::string_view text) const;
  void Rehash();
  void Hit(const Posting& p) const;
  void HitAll(const std::vector<Posting>& ps) const {
    for (const Posting& p : ps) Hit(p);
  }
  void HitString(uint32_t path, Key key, std::string_view text) const;
  template <typename Leaves>
  void HitLeaves(uint32_t path, const Leaves& leaves, uint32_t begin, uint32_t end) const;

  std::vector<EventPattern> patterns_;
  PathFilter filter_;
  std::vector<Path> paths_;
  std::vector<uint32_t> path_order_;  // paths_ by (hash, path), as FlatEvent fields are
  std::vector<Value> values_;
  std::vector<uint32_t> table_;  // open addressing over values_: index + 1, 0 = empty
  std::vector<Branch> branches_;
  std::vector<BranchField> branch_fields_;
  std::vector<uint32_t> always_;  // patterns tried for every event
  // The distinct field conditions (a path and its values) of the branches: rule sets repeat
  // them (the same status, the same detail-type with other clusters, …), and verifying the
  // candidate branches of an event evaluates each one at most once. kFree: a leaf outside
  // arrays of objects meets it (or it allows absence and the path is absent); kConstrained: only
  // leaves inside arrays of objects do, which needs the branch's consistent choice (MatchBranch).
  std::unordered_map<std::string, uint32_t> condition_ids_;  // by path and values
  std::vector<const pattern_internal::FieldRule*> conditions_;
  struct Evaluated {
    uint32_t stamp = 0;  // the Match that evaluated it
    Outcome outcome = Outcome::kFails;
  };
  mutable std::vector<Evaluated> evaluated_;  // by condition
  // Settled by the first Match after an Add (see Settle): by value, the postings its lookups
  // hit and whether a branch checks it itself; by branch, the string fields it checks itself.
  mutable bool settled_ = false;
  mutable std::vector<std::vector<Posting>> active_;
  mutable std::vector<uint8_t> checked_;
  // The values a branch checks itself: deferred_[hits_[b].deferred_begin, .deferred_end).
  struct DeferredValue {
    uint32_t value;
    uint8_t bit;
    bool inexact;
  };
  mutable std::vector<DeferredValue> deferred_;
  // By branch: Match's scratch for it, beside what deciding it needs (one record to read for
  // each branch an event hits).
  struct Hits {
    uint64_t mask = 0;    // the bits hit
    uint64_t proven = 0;  // the bits hit exactly, outside arrays of objects
    uint64_t full = 0;    // Branch::full
    uint32_t pattern = 0;
    uint32_t deferred_begin = 0;
    uint32_t deferred_end = 0;
    bool decidable = false;
  };
  mutable std::vector<Hits> hits_;
  mutable bool leaf_in_array_ = false;    // the leaf being looked up is inside an array of objects
  mutable const pattern_internal::Leaf* leaf_ = nullptr;  // the leaf being looked up
  mutable std::vector<uint32_t> touched_;
  mutable std::vector<uint64_t> matched_;     // by pattern, a bit: found matching
  mutable std::vector<uint32_t> candidates_;  // branches to verify
  // By value: the stamps of the last Matches that found it.
  struct Seen {
    uint32_t any = 0;   // at some leaf
    uint32_t free = 0;  // at a leaf outside arrays of objects
  };
  mutable std::vector<Seen> seen_;
  mutable uint32_t stamp_ = 0;
  mutable std::string lowered_;
  mutable size_t last_candidates_ = 0;
  mutable size_t last_decided_ = 0;
  mutable size_t last_conditions_ = 0;
};

}  // namespace berth::events
