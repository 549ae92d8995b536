// PathFilter (the paths some patterns look at) and the hashing it and the PatternIndex share.
#include <string.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "events/event_pattern.h"
#include "events/event_pattern_internal.h"

namespace berth::events {
namespace pi = pattern_internal;

namespace pattern_internal {

void HashSet64::Insert(uint64_t h) {
  h = h ? h : 1;
  if ((size_ + 1) * 2 > slots_.size()) {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, old.size() * 2), 0);
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (uint64_t x : old) {
      if (x) Insert(x);
    }
  }
  for (size_t i = Mix(h) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i] == h) return;
    if (slots_[i] == 0) {
      slots_[i] = h;
      ++size_;
      return;
    }
  }
}

uint64_t HashValue(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0x100000001B3ULL);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

}  // namespace pattern_internal

// ---- PathFilter ---------------------------------------------------------------------------

PathFilter::PathFilter() : data_(std::make_shared<pi::PathFilterData>()) {}

void PathFilter::Add(const EventPattern& pattern) {
  for (const pi::Branch& branch : pattern.data_->branches) {
    for (const pi::FieldRule& rule : branch) {
      std::string_view path = rule.path;
      data_->paths.Insert(rule.hash);
      for (const pi::ValueMatcher& m : rule.spec->matchers) {
        if (m.kind == pi::ValueMatcher::Kind::kIp || m.kind == pi::ValueMatcher::Kind::kCidr) {
          data_->ip_paths.Insert(rule.hash);
        }
      }
      std::vector<size_t> bounds = {0};  // where a key may start: 0 and after each dot
      for (size_t dot = path.find('.'); dot != std::string_view::npos;
           dot = path.find('.', dot + 1)) {
        data_->prefixes.Insert(pi::PathHash(path.substr(0, dot)));
        bounds.push_back(dot + 1);
      }
      // Every key that can make up part of the path: from one bound to a dot or the end.
      for (size_t b = 0; b < bounds.size(); ++b) {
        for (size_t e = b + 1; e < bounds.size(); ++e) {
          data_->AddKey(path.substr(bounds[b], bounds[e] - 1 - bounds[b]));
        }
        data_->AddKey(path.substr(bounds[b]));
      }
    }
  }
}

}  // namespace berth::events
