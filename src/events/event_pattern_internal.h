// Internals of EventPattern and FlatEvent (event_pattern.h): the compiled form of a pattern,
// the flattened form of an event, and the value semantics both share — ruler's comparable
// numbers, IP addresses and CIDR ranges, equals-ignore-case, and wildcards (with ruler's
// complexity measure). Not part of the events/ API; only event_pattern*.cc include it.
// Plain values and pure functions; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::events::pattern_internal {

// ---- numbers ------------------------------------------------------------------------------
// ruler (ComparableNumber) compares numbers in −5e9..5e9 with at most 6 decimals exactly, as
// integer millionths; any other number is compared by its text only.
enum class NumberError { kNone, kDecimals, kRange, kOverflow };
// `text` must be a JSON number. On kNone, *micros is the value × 10^6.
NumberError ToMicros(std::string_view text, int64_t* micros);
// ruler's wording for the error (IllegalArgumentException / ArithmeticException messages).
const char* NumberErrorMessage(NumberError e);

// ---- IP addresses ------------------------------------------------------------------------
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t size = 0;  // 4 or 16
};
enum class IpParse {
  kOk,
  kNotIpLike,  // fails ruler's IPv4/IPv6 regex ("Nonstandard IP address")
  kInvalid,    // looks like one but is not a literal Java accepts ("Invalid IP address")
};
IpParse ParseIp(std::string_view text, IpAddress* out);
// Inclusive range of addresses of one family.
struct IpRange {
  IpAddress low;
  IpAddress high;
  bool Contains(const IpAddress& ip) const;
};
// ruler's CIDR.cidr(): on failure returns false and sets *reason (no location suffix).
bool ParseCidr(std::string_view text, IpRange* out, std::string* reason);

// ---- equals-ignore-case -------------------------------------------------------------------
// One pattern character and the two spellings ruler accepts for it (its lower- and
// upper-case forms, UTF-8).
struct CaseChar {
  std::string lower;
  std::string upper;
};
struct CasePattern {
  std::vector<CaseChar> chars;
  bool ascii = true;        // every character is ASCII: compare bytes, ignoring ASCII case
  std::string ascii_lower;  // (when ascii) the pattern in lower case
};
CasePattern CompileIgnoreCase(std::string_view text);
enum class CaseMode { kEquals, kPrefix, kSuffix };
bool MatchIgnoreCase(const CasePattern& pattern, std::string_view value, CaseMode mode);

// ---- wildcard -----------------------------------------------------------------------------
// A wildcard value split at its unescaped '*': segments.size() == stars + 1.
struct Wildcard {
  std::vector<std::string> segments;
};
// ruler's WildcardParser: on failure returns false with *reason ("Consecutive wildcard
// characters at pos N" / "Invalid escape character at pos N", N counted in '"' + text).
bool ParseWildcard(std::string_view text, Wildcard* out, std::string* reason);
bool MatchWildcard(const Wildcard& w, std::string_view value);
// ruler's MachineComplexityEvaluator for the wildcards of one field: the largest number of
// wildcard-pattern prefixes that one input can match at once. Stops counting above `limit`
// (returns limit + 1).
int WildcardComplexity(const std::vector<const Wildcard*>& wildcards, int limit);

// ---- compiled pattern ---------------------------------------------------------------------
struct ValueMatcher {
  enum class Kind : uint8_t {
    kString,      // text: exact string
    kNumber,      // micros: comparable number
    kNumberText,  // text: a number ruler cannot normalise, compared literally
    kTrue,
    kFalse,
    kNull,
    kIp,                // ip: an exact string that is an IP address (any spelling matches)
    kCidr,              // ip
    kPrefix,            // text
    kSuffix,            // text
    kEqualsIgnoreCase,  // ci
    kPrefixIgnoreCase,  // ci
    kSuffixIgnoreCase,  // ci
    kWildcard,          // wildcard
    kRange,             // low/high (micros) with open ends
    kExists,
    kAnythingBut,            // strings (sorted)
    kAnythingButNumber,      // numbers (sorted)
    kAnythingButIgnoreCase,  // cis
    kAnythingButPrefix,      // strings
    kAnythingButSuffix,      // strings
    kAnythingButWildcard,    // wildcards
  };
  Kind kind = Kind::kExists;
  std::string text;
  int64_t micros = 0;
  int64_t low = 0;
  int64_t high = 0;
  bool low_open = false;
  bool high_open = false;
  IpRange ip;
  CasePattern ci;
  Wildcard wildcard;
  std::vector<std::string> strings;
  std::vector<int64_t> numbers;
  std::vector<CasePattern> cis;
  std::vector<Wildcard> wildcards;
};

// The values listed for one field: the field matches if any matcher matches one of its
// leaves, or (absent) if the event has no leaf at that path.
struct FieldSpec {
  std::vector<ValueMatcher> matchers;
  bool absent = false;  // {"exists": false} is among the values
};

// Hash of a dotted path (FNV-1a), so that looking a field up costs integer compares.
uint64_t PathHash(std::string_view path);

struct FieldRule {
  std::string path;   // dot-joined
  uint64_t hash = 0;  // PathHash(path)
  std::shared_ptr<const FieldSpec> spec;
};

// One AND-branch: every field must match (with array consistency).
using Branch = std::vector<FieldRule>;

struct PatternData {
  std::vector<Branch> branches;  // OR-ed ($or expanded)
};

// ---- flattened event ----------------------------------------------------------------------
struct Leaf {
  enum class Type : uint8_t { kString, kNumber, kTrue, kFalse, kNull };
  Type type = Type::kNull;
  bool has_micros = false;  // kNumber: comparable
  bool has_ip = false;      // kString: an IP address literal
  int64_t micros = 0;
  IpAddress ip;
  std::string_view text;  // kString: the string; kNumber: the number as written (in storage)
  // Arrays of objects/arrays crossed on the way to this leaf: (array id, element index),
  // as trail[trail_begin, trail_end) of FlatEventData::trails.
  uint32_t trail_begin = 0;
  uint32_t trail_end = 0;
};

struct FlatField {
  std::string_view path;  // in storage
  uint64_t hash = 0;      // PathHash(path)
  uint32_t begin = 0;     // leaves[begin, end)
  uint32_t end = 0;
};

// Built once (event_pattern_flat.cc), then immutable; the views point into `storage`, so it is
// never copied or moved.
struct FlatEventData {
  FlatEventData() = default;
  FlatEventData(const FlatEventData&) = delete;
  FlatEventData& operator=(const FlatEventData&) = delete;

  std::string storage;            // the text of every path and leaf
  std::vector<FlatField> fields;  // sorted by (hash, path)
  std::vector<Leaf> leaves;
  std::vector<std::pair<uint32_t, uint32_t>> trails;
  const FlatField* Find(std::string_view path, uint64_t hash) const;
};

// FNV-1a continued over more bytes: PathHash(a + b) == PathHashMore(PathHash(a), b).
constexpr uint64_t kPathHashBasis = 1469598103934665603ULL;
inline uint64_t PathHashMore(uint64_t h, std::string_view bytes) {
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

// A set of 64-bit path hashes (open addressing; 0 is never a member).
class HashSet64 {
 public:
  void Insert(uint64_t h);
  bool Contains(uint64_t h) const {
    if (slots_.empty()) return false;
    h = h ? h : 1;
    for (size_t i = Mix(h) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == h) return true;
      if (slots_[i] == 0) return false;
    }
  }
  size_t size() const { return size_; }

 private:
  static size_t Mix(uint64_t h) { return static_cast<size_t>(h ^ (h >> 29) ^ (h >> 47)); }
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// What a PathFilter keeps: the dotted paths of pattern fields, and every dotted prefix of them
// (the objects to descend into). Hash collisions only keep more than needed. `keys` is a
// Bloom-like bitmap of every key an interesting path can be made of (each run of a path between
// two dots, dots inside included), by length and first and last byte: a key it does not know
// cannot lead anywhere, and is skipped without hashing.
struct PathFilterData {
  HashSet64 paths;
  HashSet64 prefixes;
  HashSet64 ip_paths;  // paths with an IP or cidr value: their string leaves are parsed as IPs
  std::array<uint64_t, 64> keys{};  // 4096 bits
  static size_t KeyBit(std::string_view k) {
    size_t first = k.empty() ? 0 : static_cast<unsigned char>(k.front());
    size_t last = k.empty() ? 0 : static_cast<unsigned char>(k.back());
    return (k.size() * 131 + first * 31 + last * 7) & 4095;
  }
  void AddKey(std::string_view k) {
    size_t b = KeyBit(k);
    keys[b >> 6] |= 1ULL << (b & 63);
  }
  bool MayBeKey(std::string_view k) const {
    size_t b = KeyBit(k);
    return (keys[b >> 6] >> (b & 63)) & 1;
  }
};

// A fast hash of a string value (8 bytes at a time), for value indexes.
uint64_t HashValue(std::string_view s);

// Whether one value of a pattern field accepts one leaf (ruler's per-value semantics).
bool ValueMatches(const ValueMatcher& m, const Leaf& leaf);
// Whether one of the field's values matches the leaf.
bool FieldSpecMatches(const FieldSpec& spec, const Leaf& leaf);
bool MatchPattern(const PatternData& pattern, const FlatEventData& event);
// One AND-branch, leaving out the fields whose bits (by position in the branch, the first 64)
// are set in skip_fields: fields the caller knows a leaf outside every array of objects meets.
bool MatchBranch(const Branch& branch, const FlatEventData& event, uint64_t skip_fields);

}  // namespace berth::events::pattern_internal
