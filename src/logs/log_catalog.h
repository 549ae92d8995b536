// LogCatalog: the small, rarely changing part of LogStore's state — log groups (id, creation
// time, retention, tags) and their streams (id, creation time) — kept in DIR/catalog.json.
// Saved whole on every administrative change: written to catalog.json.tmp, fsynced, renamed
// over catalog.json and the directory fsynced, so a crash leaves the old or the new catalogue,
// never a mix. Event data is not here (see log_segment.h). Value types; the caller locks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"

namespace berth::logs {

struct CatalogStream {
  uint32_t id = 0;  // unique within its group, never reused (records carry it)
  int64_t creation_time = 0;
};

struct CatalogGroup {
  uint64_t id = 0;  // names the group's directory g<id>; never reused
  int64_t creation_time = 0;
  std::optional<int> retention_days;
  std::map<std::string, std::string> tags;
  uint32_t next_stream_id = 1;
  std::map<std::string, CatalogStream> streams;  // by name
};

struct Catalog {
  uint64_t next_group_id = 1;
  std::map<std::string, CatalogGroup> groups;  // by name
};

// A missing file is an empty catalogue; an unreadable one is an error (never guessed at).
Result<Catalog> LoadCatalog(const std::string& dir);
Status SaveCatalog(const std::string& dir, const Catalog& catalog);

}  // namespace berth::logs
