#include "logs/log_catalog.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "logs/log_segment.h"

namespace berth::logs {

namespace {

using nlohmann::json;

constexpr int kCatalogVersion = 1;

json ToJson(const Catalog& c) {
  json groups = json::array();
  for (const auto& [name, g] : c.groups) {
    json streams = json::array();
    for (const auto& [sname, s] : g.streams) {
      streams.push_back({{"name", sname}, {"id", s.id}, {"creationTime", s.creation_time}});
    }
    json jg = {{"name", name},
               {"id", g.id},
               {"creationTime", g.creation_time},
               {"tags", g.tags},
               {"nextStreamId", g.next_stream_id},
               {"streams", std::move(streams)}};
    if (g.retention_days) jg["retentionInDays"] = *g.retention_days;
    groups.push_back(std::move(jg));
  }
  return {{"version", kCatalogVersion}, {"nextGroupId", c.next_group_id}, {"groups", groups}};
}

// nlohmann throws on a type mismatch; the caller catches (this is the library edge).
Catalog FromJson(const json& j) {
  Catalog c;
  c.next_group_id = j.at("nextGroupId").get<uint64_t>();
  for (const json& jg : j.at("groups")) {
    CatalogGroup g;
    g.id = jg.at("id").get<uint64_t>();
    g.creation_time = jg.at("creationTime").get<int64_t>();
    if (jg.contains("retentionInDays")) g.retention_days = jg["retentionInDays"].get<int>();
    g.tags = jg.at("tags").get<std::map<std::string, std::string>>();
    g.next_stream_id = jg.at("nextStreamId").get<uint32_t>();
    for (const json& js : jg.at("streams")) {
      CatalogStream s;
      s.id = js.at("id").get<uint32_t>();
      s.creation_time = js.at("creationTime").get<int64_t>();
      g.streams[js.at("name").get<std::string>()] = s;
    }
    c.groups[jg.at("name").get<std::string>()] = std::move(g);
  }
  return c;
}

}  // namespace

Result<Catalog> LoadCatalog(const std::string& dir) {
  std::string path = dir + "/catalog.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return Catalog{};
    return ErrnoStatus("opening " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Internal("log store: " + path + " is not JSON");
  try {
    if (j.value("version", 0) != kCatalogVersion) {
      return Internal("log store: " + path + " has an unknown version");
    }
    return FromJson(j);
  } catch (const std::exception& e) {
    return Internal("log store: " + path + ": " + e.what());
  }
}

Status SaveCatalog(const std::string& dir, const Catalog& catalog) {
  std::string text =
      ToJson(catalog).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::string tmp = dir + "/catalog.json.tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("creating " + tmp);
  Status s = WriteAll(fd, text.data(), text.size(), 0);
  if (s.ok() && fsync(fd) != 0) s = ErrnoStatus("syncing " + tmp);
  close(fd);
  if (!s.ok()) return s;
  if (rename(tmp.c_str(), (dir + "/catalog.json").c_str()) != 0) {
    return ErrnoStatus("renaming " + tmp);
  }
  return SyncDir(dir);
}

}  // namespace berth::logs
