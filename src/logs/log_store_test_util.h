// Helpers shared by the LogStore tests: a temporary directory, opening a store on a fake
// clock, and reading a whole stream back through GetEvents paging.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/fake_executor.h"
#include "logs/log_store.h"

namespace berth::logs {

#define ASSERT_OK(expr)                    \
  do {                                     \
    const ::berth::Status _s = (expr);     \
    ASSERT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                    \
  do {                                     \
    const ::berth::Status _s = (expr);     \
    EXPECT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth_log_store_XXXXXX";
    char* p = mkdtemp(tmpl);
    path_ = p != nullptr ? p : "/tmp/berth_log_store_fallback";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::unique_ptr<LogStore> OpenOrDie(const std::string& dir, const Clock& clock,
                                           LogStoreOptions options = {}) {
  if (!options.warn) options.warn = [](const std::string&) {};
  Result<std::unique_ptr<LogStore>> r = LogStore::Open(dir, clock, std::move(options));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

inline std::vector<InputEvent> Events(int from, int to, int64_t ts0, const std::string& tag = "e") {
  std::vector<InputEvent> out;
  for (int i = from; i < to; ++i) out.push_back({ts0 + i, tag + std::to_string(i)});
  return out;
}

// Reads a stream from the head by following forward tokens until the token is echoed.
inline std::vector<StoredEvent> ReadAll(LogStore* store, const std::string& group,
                                        const std::string& stream, int limit = 10000) {
  std::vector<StoredEvent> out;
  StreamPageRequest req;
  req.group = group;
  req.stream = stream;
  req.start_from_head = true;
  req.limit = limit;
  for (int guard = 0; guard < 100000; ++guard) {
    Result<StreamPage> page = store->GetEvents(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (StoredEvent& e : page->events) out.push_back(std::move(e));
    if (page->next_forward_token == req.token) break;
    req.token = page->next_forward_token;
  }
  return out;
}

// Builders: designated initializers would leave fields unnamed (-Wmissing-field-initializers).
struct Fr {
  FilterRequest r;
  explicit Fr(std::string group) { r.group = std::move(group); }
  Fr& Limit(int n) {
    r.limit = n;
    return *this;
  }
  Fr& Match(std::function<bool(std::string_view)> m) {
    r.match = std::move(m);
    return *this;
  }
  Fr& Prefix(std::string p) {
    r.stream_prefix = std::move(p);
    return *this;
  }
  Fr& Names(std::vector<std::string> n) {
    r.stream_names = std::move(n);
    return *this;
  }
  Fr& Times(int64_t start, int64_t end) {
    r.start_time = start;
    r.end_time = end;
    return *this;
  }
  Fr& Token(std::string t) {
    r.token = std::move(t);
    return *this;
  }
  operator FilterRequest() const { return r; }  // NOLINT
};

inline StreamPageRequest PageRequest(std::string group, std::string stream, int limit = 10000,
                                     bool start_from_head = false) {
  StreamPageRequest r;
  r.group = std::move(group);
  r.stream = std::move(stream);
  r.limit = limit;
  r.start_from_head = start_from_head;
  return r;
}

inline std::vector<std::string> SegmentFilesOf(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& g : std::filesystem::directory_iterator(dir)) {
    if (!g.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(g.path())) {
      out.push_back(f.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::logs
