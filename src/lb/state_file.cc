#include "lb/state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace berth::lb {

using nlohmann::json;

namespace {

constexpr int kVersion = 1;

json TagsJson(const Tags& tags) {
  json a = json::array();
  for (const auto& [k, v] : tags) a.push_back({{"key", k}, {"value", v}});
  return a;
}

Tags TagsFrom(const json& a) {
  Tags tags;
  for (const auto& t : a) tags.emplace_back(t.at("key").get<std::string>(), t.at("value").get<std::string>());
  return tags;
}

Status WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(std::string("write: ") + strerror(errno));
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string ConfigToJson(const Config& c) {
  json j = {{"version", kVersion}};
  json& lbs = j["load_balancers"] = json::array();
  for (const auto& lb : c.load_balancers) {
    lbs.push_back({{"arn", lb.arn},
                   {"name", lb.name},
                   {"type", ToString(lb.type)},
                   {"scheme", lb.scheme},
                   {"ip_address_type", lb.ip_address_type},
                   {"subnets", lb.subnets},
                   {"security_groups", lb.security_groups},
                   {"dns_name", lb.dns_name},
                   {"created_ms", lb.created_ms},
                   {"tags", TagsJson(lb.tags)}});
  }
  json& tgs = j["target_groups"] = json::array();
  for (const auto& tg : c.target_groups) {
    const HealthCheck& hc = tg.health_check;
    json targets = json::array();
    auto it = c.targets.find(tg.arn);
    if (it != c.targets.end()) {
      for (const auto& t : it->second) targets.push_back({{"ip", t.ip}, {"port", t.port}});
    }
    tgs.push_back({{"arn", tg.arn},
                   {"name", tg.name},
                   {"protocol", ToString(tg.protocol)},
                   {"port", tg.port},
                   {"vpc_id", tg.vpc_id},
                   {"target_type", tg.target_type},
                   {"health_check",
                    {{"protocol", ToString(hc.protocol)},
                     {"port", hc.port},
                     {"path", hc.path},
                     {"interval_s", hc.interval_s},
                     {"timeout_s", hc.timeout_s},
                     {"healthy_threshold", hc.healthy_threshold},
                     {"unhealthy_threshold", hc.unhealthy_threshold},
                     {"matcher", hc.matcher.text()}}},
                   {"deregistration_delay_s", tg.deregistration_delay_s},
                   {"created_ms", tg.created_ms},
                   {"tags", TagsJson(tg.tags)},
                   {"targets", targets}});
  }
  json& ls = j["listeners"] = json::array();
  for (const auto& l : c.listeners) {
    ls.push_back({{"arn", l.arn},
                  {"load_balancer_arn", l.load_balancer_arn},
                  {"protocol", ToString(l.protocol)},
                  {"port", l.port},
                  {"target_group_arn", l.target_group_arn},
                  {"tags", TagsJson(l.tags)}});
  }
  return j.dump(2);
}

Result<Config> ConfigFromJson(const std::string& text) {
  // nlohmann throws on malformed input; this is the edge where that becomes a Status.
  try {
    json j = json::parse(text);
    if (j.at("version").get<int>() != kVersion) {
      return InvalidArgument("unsupported lb state version " + j.at("version").dump());
    }
    Config c;
    for (const auto& x : j.at("load_balancers")) {
      LoadBalancer lb;
      lb.arn = x.at("arn").get<std::string>();
      lb.name = x.at("name").get<std::string>();
      lb.type = ParseLbType(x.at("type").get<std::string>()).value_or(LbType::kApplication);
      lb.scheme = x.at("scheme").get<std::string>();
      lb.ip_address_type = x.at("ip_address_type").get<std::string>();
      lb.subnets = x.at("subnets").get<std::vector<std::string>>();
      lb.security_groups = x.at("security_groups").get<std::vector<std::string>>();
      lb.dns_name = x.at("dns_name").get<std::string>();
      lb.created_ms = x.at("created_ms").get<TimeMs>();
      lb.tags = TagsFrom(x.at("tags"));
      c.load_balancers.push_back(std::move(lb));
    }
    for (const auto& x : j.at("target_groups")) {
      TargetGroup tg;
      tg.arn = x.at("arn").get<std::string>();
      tg.name = x.at("name").get<std::string>();
      tg.protocol = ParseProtocol(x.at("protocol").get<std::string>()).value_or(Protocol::kHttp);
      tg.port = x.at("port").get<int>();
      tg.vpc_id = x.at("vpc_id").get<std::string>();
      tg.target_type = x.at("target_type").get<std::string>();
      const json& h = x.at("health_check");
      HealthCheck& hc = tg.health_check;
      hc.protocol = ParseProtocol(h.at("protocol").get<std::string>()).value_or(Protocol::kHttp);
      hc.port = h.at("port").get<int>();
      hc.path = h.at("path").get<std::string>();
      hc.interval_s = h.at("interval_s").get<int>();
      hc.timeout_s = h.at("timeout_s").get<int>();
      hc.healthy_threshold = h.at("healthy_threshold").get<int>();
      hc.unhealthy_threshold = h.at("unhealthy_threshold").get<int>();
      auto m = Matcher::Parse(h.at("matcher").get<std::string>());
      if (m.ok()) hc.matcher = *m;
      tg.deregistration_delay_s = x.at("deregistration_delay_s").get<int>();
      tg.created_ms = x.at("created_ms").get<TimeMs>();
      tg.tags = TagsFrom(x.at("tags"));
      auto& targets = c.targets[tg.arn];
      for (const auto& t : x.at("targets")) {
        targets.push_back({t.at("ip").get<std::string>(), t.at("port").get<int>()});
      }
      c.target_groups.push_back(std::move(tg));
    }
    for (const auto& x : j.at("listeners")) {
      Listener l;
      l.arn = x.at("arn").get<std::string>();
      l.load_balancer_arn = x.at("load_balancer_arn").get<std::string>();
      l.protocol = ParseProtocol(x.at("protocol").get<std::string>()).value_or(Protocol::kHttp);
      l.port = x.at("port").get<int>();
      l.target_group_arn = x.at("target_group_arn").get<std::string>();
      l.tags = TagsFrom(x.at("tags"));
      c.listeners.push_back(std::move(l));
    }
    return c;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed lb state: ") + e.what());
  }
}

Status WriteConfigFile(const std::string& path, const Config& c) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + strerror(errno));
  Status st = WriteAll(fd, ConfigToJson(c));
  if (st.ok() && fsync(fd) != 0) st = Internal("fsync " + tmp + ": " + strerror(errno));
  close(fd);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    st = Internal("rename " + tmp + ": " + strerror(errno));
  }
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  // The rename itself must survive a crash.
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos
                                       ? 0
                                       : path.find_last_of('/'));
  int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

Result<Config> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (access(path.c_str(), F_OK) != 0) return Config{};
    return Internal("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ConfigFromJson(ss.str());
}

}  // namespace berth::lb
