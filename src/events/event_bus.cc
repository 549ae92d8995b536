// EventBus: configuration — buses, rules, targets, tags, connections, API destinations — and
// its file. Matching and delivery are in event_delivery.cc.
#include "events/event_bus.h"

#include <errno.h>
#include <fcntl.h>
#include <re2/re2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/ids.h"

namespace berth::events {

using nlohmann::json;

namespace {

constexpr size_t kMaxTargetsPerRule = 5;

bool ValidName(const std::string& s) {
  static const RE2 kName("[\\.\\-_A-Za-z0-9]{1,64}");
  return RE2::FullMatch(s, kName);
}

json TagsJson(const Tags& tags) {
  json a = json::array();
  for (const auto& [k, v] : tags) a.push_back({{"Key", k}, {"Value", v}});
  return a;
}

Tags TagsFrom(const json& a) {
  Tags t;
  if (!a.is_array()) return t;
  for (const auto& x : a) {
    if (x.is_object()) t.emplace_back(x.value("Key", ""), x.value("Value", ""));
  }
  return t;
}

void SetTag(Tags* tags, const std::string& k, const std::string& v) {
  for (auto& [key, value] : *tags) {
    if (key == k) {
      value = v;
      return;
    }
  }
  tags->emplace_back(k, v);
}

std::string NameAfter(const std::string& arn, const std::string& marker) {
  auto p = arn.find(marker);
  return p == std::string::npos ? "" : arn.substr(p + marker.size());
}

}  // namespace

EventBus::EventBus(Executor& executor, BusOptions options)
    : executor_(executor), options_(std::move(options)), recent_(options_.recent_kept) {
  std::string seed = RandomHex(64);
  std::vector<uint32_t> words;
  for (size_t i = 0; i < seed.size(); i += 8) {
    words.push_back(static_cast<uint32_t>(std::stoul(seed.substr(i, 8), nullptr, 16)));
  }
  std::seed_seq seq(words.begin(), words.end());
  id_rng_.seed(seq);
}

EventBus::~EventBus() { Shutdown(); }

Result<std::unique_ptr<EventBus>> EventBus::Open(Executor& executor, BusOptions options) {
  std::unique_ptr<EventBus> bus(new EventBus(executor, std::move(options)));
  std::string dir;
  if (!bus->options_.data_dir.empty()) {
    dir = bus->options_.data_dir + "/events";
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Internal("cannot create " + dir + ": " + strerror(errno));
    }
    bus->config_path_ = dir + "/config.json";
  }
  auto outbox = Outbox::Open(dir);
  if (!outbox.ok()) return outbox.status();
  bus->outbox_ = std::move(*outbox);
  BERTH_RETURN_IF_ERROR(bus->Load());
  return bus;
}

std::string EventBus::BusArn(const std::string& name) const {
  return "arn:aws:events:" + options_.region + ":" + options_.account_id + ":event-bus/" + name;
}

std::string EventBus::RuleArn(const std::string& bus, const std::string& name) const {
  std::string base = "arn:aws:events:" + options_.region + ":" + options_.account_id + ":rule/";
  return bus == "default" ? base + name : base + bus + "/" + name;
}

// --- Persistence ---

Status EventBus::Load() {
  TimeMs now = executor_.clock().NowMs();
  buses_["default"] = {"default", BusArn("default"), "", {}, now};
  if (config_path_.empty()) return Status::Ok();
  std::ifstream in(config_path_);
  if (!in) return Status::Ok();
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) return Internal(config_path_ + " is not valid JSON");
  try {
    for (const auto& b : j.value("buses", json::array())) {
      EventBusInfo info{b.at("name"), b.at("arn"), b.value("description", ""),
                        TagsFrom(b.value("tags", json::array())), b.value("created_ms", now)};
      buses_[info.name] = info;
    }
    for (const auto& r : j.value("rules", json::array())) {
      Rule rule;
      rule.name = r.at("name");
      rule.bus = r.at("bus");
      rule.arn = r.at("arn");
      rule.state = r.value("state", "ENABLED");
      rule.description = r.value("description", "");
      rule.role_arn = r.value("role_arn", "");
      rule.pattern_text = r.value("pattern", "");
      rule.schedule_text = r.value("schedule", "");
      rule.tags = TagsFrom(r.value("tags", json::array()));
      rule.created_ms = r.value("created_ms", now);
      rule.enabled_ms = r.value("enabled_ms", now);
      if (!rule.pattern_text.empty()) {
        auto p = EventPattern::Compile(rule.pattern_text);
        if (!p.ok()) return Internal("stored pattern of " + rule.arn + ": " + p.status().message());
        rule.pattern = std::move(*p);
      }
      if (!rule.schedule_text.empty()) {
        auto s = ScheduleExpression::Parse(rule.schedule_text);
        if (!s.ok()) return Internal("stored schedule of " + rule.arn + " is not valid");
        rule.schedule = std::move(*s);
      }
      for (const auto& tw : r.value("targets", json::array())) {
        auto t = ParseTarget(tw);
        if (!t.ok()) return Internal("stored target of " + rule.arn + ": " + t.status().message());
        rule.targets.push_back(std::move(*t));
      }
      rules_[rule.arn] = std::move(rule);
    }
    for (const auto& c : j.value("connections", json::array())) {
      Connection conn;
      conn.name = c.at("name");
      conn.arn = c.at("arn");
      conn.authorization_type = c.value("authorization_type", "");
      conn.auth_parameters = c.value("auth_parameters", json::object());
      conn.description = c.value("description", "");
      conn.created_ms = c.value("created_ms", now);
      conn.modified_ms = c.value("modified_ms", now);
      connections_[conn.name] = std::move(conn);
    }
    for (const auto& d : j.value("api_destinations", json::array())) {
      ApiDestination dest;
      dest.name = d.at("name");
      dest.arn = d.at("arn");
      dest.connection_arn = d.value("connection_arn", "");
      dest.endpoint = d.value("endpoint", "");
      dest.http_method = d.value("http_method", "POST");
      dest.rate_limit_per_second = d.value("rate_limit", 300);
      dest.description = d.value("description", "");
      dest.created_ms = d.value("created_ms", now);
      dest.modified_ms = d.value("modified_ms", now);
      destinations_[dest.name] = std::move(dest);
    }
  } catch (const json::exception& e) {
    return Internal(config_path_ + ": " + e.what());
  }
  return Status::Ok();
}

Status EventBus::Save() {
  routes_dirty_ = true;
  ++config_epoch_;
  if (config_path_.empty()) return Status::Ok();
  json j = {{"version", 1}};
  json& buses = j["buses"] = json::array();
  for (const auto& [name, b] : buses_) {
    if (name == "default" && b.tags.empty()) continue;
    buses.push_back({{"name", b.name},
                     {"arn", b.arn},
                     {"description", b.description},
                     {"tags", TagsJson(b.tags)},
                     {"created_ms", b.created_ms}});
  }
  json& rules = j["rules"] = json::array();
  for (const auto& [arn, r] : rules_) {
    json targets = json::array();
    for (const auto& t : r.targets) targets.push_back(t.wire);
    rules.push_back({{"name", r.name},
                     {"bus", r.bus},
                     {"arn", r.arn},
                     {"state", r.state},
                     {"description", r.description},
                     {"role_arn", r.role_arn},
                     {"pattern", r.pattern_text},
                     {"schedule", r.schedule_text},
                     {"tags", TagsJson(r.tags)},
                     {"created_ms", r.created_ms},
                     {"enabled_ms", r.enabled_ms},
                     {"targets", targets}});
  }
  json& conns = j["connections"] = json::array();
  for (const auto& [name, c] : connections_) {
    conns.push_back({{"name", c.name},
                     {"arn", c.arn},
                     {"authorization_type", c.authorization_type},
                     {"auth_parameters", c.auth_parameters},
                     {"description", c.description},
                     {"created_ms", c.created_ms},
                     {"modified_ms", c.modified_ms}});
  }
  json& dests = j["api_destinations"] = json::array();
  for (const auto& [name, d] : destinations_) {
    dests.push_back({{"name", d.name},
                     {"arn", d.arn},
                     {"connection_arn", d.connection_arn},
                     {"endpoint", d.endpoint},
                     {"http_method", d.http_method},
                     {"rate_limit", d.rate_limit_per_second},
                     {"description", d.description},
                     {"created_ms", d.created_ms},
                     {"modified_ms", d.modified_ms}});
  }
  // Connections carry credentials: the file is 0600, written whole and renamed into place.
  std::string tmp = config_path_ + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + strerror(errno));
  std::string data = j.dump(1, ' ', false, json::error_handler_t::replace);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return Internal("cannot write " + tmp + ": " + strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (fdatasync(fd) != 0) {
    close(fd);
    return Internal("cannot sync " + tmp + ": " + strerror(errno));
  }
  close(fd);
  if (rename(tmp.c_str(), config_path_.c_str()) != 0) {
    return Internal("cannot rename " + tmp + ": " + strerror(errno));
  }
  return Status::Ok();
}

// --- Buses ---

Result<std::string> EventBus::ResolveBus(const std::string& name_or_arn) const {
  std::string name = name_or_arn.empty() ? "default" : name_or_arn;
  if (name.rfind("arn:", 0) == 0) name = NameAfter(name, ":event-bus/");
  if (!buses_.count(name)) {
    return NotFound("Event bus " + (name.empty() ? name_or_arn : name) + " does not exist.");
  }
  return name;
}

Result<EventBusInfo> EventBus::CreateEventBus(const std::string& name,
                                              const std::string& description, const Tags& tags) {
  static const RE2 kBusName("[/\\.\\-_A-Za-z0-9]{1,256}");
  if (!RE2::FullMatch(name, kBusName) || name == "default" || name.rfind("aws.", 0) == 0) {
    return InvalidArgument(name == "default" ? "Event bus default already exists."
                                             : "Event bus name " + name + " is not valid.");
  }
  if (buses_.count(name)) {
    return Status(Code::kAlreadyExists, "Event bus " + name + " already exists.");
  }
  EventBusInfo b{name, BusArn(name), description, tags, executor_.clock().NowMs()};
  buses_[name] = b;
  BERTH_RETURN_IF_ERROR(Save());
  return b;
}

Status EventBus::DeleteEventBus(const std::string& name) {
  if (name == "default") return InvalidArgument("Cannot delete event bus default.");
  auto it = buses_.find(name);
  if (it == buses_.end()) return Status::Ok();  // AWS: deleting a missing bus succeeds
  for (auto r = rules_.begin(); r != rules_.end();) {
    if (r->second.bus == name) {
      DisarmSchedule(r->first);
      r = rules_.erase(r);
    } else {
      ++r;
    }
  }
  buses_.erase(it);
  return Save();
}

Result<EventBusInfo> EventBus::DescribeEventBus(const std::string& name_or_arn) const {
  auto name = ResolveBus(name_or_arn);
  if (!name.ok()) return name.status();
  return buses_.at(*name);
}

std::vector<EventBusInfo> EventBus::ListEventBuses(const std::string& prefix) const {
  std::vector<EventBusInfo> out;
  for (const auto& [name, b] : buses_) {
    if (name.rfind(prefix, 0) == 0) out.push_back(b);
  }
  return out;
}

// --- Rules ---

Rule* EventBus::FindRule(const std::string& bus, const std::string& name) {
  auto it = rules_.find(RuleArn(bus, name));
  return it == rules_.end() ? nullptr : &it->second;
}
const Rule* EventBus::FindRule(const std::string& bus, const std::string& name) const {
  return const_cast<EventBus*>(this)->FindRule(bus, name);
}

Result<std::string> EventBus::PutRule(const RuleSpec& spec) {
  auto bus = ResolveBus(spec.bus);
  if (!bus.ok()) return bus.status();
  if (!ValidName(spec.name)) {
    return InvalidArgument("1 validation error detected: Value '" + spec.name +
                           "' at 'name' failed to satisfy constraint: Member must satisfy regular "
                           "expression pattern: [\\.\\-_A-Za-z0-9]+");
  }
  bool has_pattern = spec.pattern_text && !spec.pattern_text->empty();
  bool has_schedule = spec.schedule_text && !spec.schedule_text->empty();
  if (!has_pattern && !has_schedule) {
    return InvalidArgument("Parameter(s) EventPattern or ScheduleExpression must be specified.");
  }
  std::optional<ScheduleExpression> schedule;
  if (has_schedule) {
    if (*bus != "default") {
      return InvalidArgument("ScheduleExpression is supported only on the default event bus.");
    }
    auto s = ScheduleExpression::Parse(*spec.schedule_text);
    if (!s.ok()) return s.status();
    schedule = std::move(*s);
  }
  if (has_pattern && !spec.pattern) return Internal("PutRule: the pattern was not compiled");
  if (spec.description && spec.description->size() > 512) {
    return InvalidArgument(
        "1 validation error detected: Value at 'description' failed to "
        "satisfy constraint: Member must have length less than or equal to 512");
  }
  std::string state = spec.state.value_or("ENABLED");
  if (state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS") state = "ENABLED";
  if (state != "ENABLED" && state != "DISABLED") {
    return InvalidArgument("1 validation error detected: Value '" + state +
                           "' at 'state' failed to satisfy constraint: Member must satisfy enum "
                           "value set: [ENABLED, DISABLED, "
                           "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]");
  }
  TimeMs now = executor_.clock().NowMs();
  std::string arn = RuleArn(*bus, spec.name);
  auto [it, created] = rules_.try_emplace(arn);
  Rule& r = it->second;
  bool was_enabled = !created && r.enabled();
  std::string old_schedule = r.schedule_text;
  if (created) {
    r.name = spec.name;
    r.bus = *bus;
    r.arn = arn;
    r.created_ms = now;
    r.tags = spec.tags;  // tags only count on creation
  }
  r.state = state;
  r.description = spec.description.value_or("");
  r.role_arn = spec.role_arn.value_or("");
  r.pattern_text = has_pattern ? *spec.pattern_text : "";
  r.pattern = has_pattern ? spec.pattern : std::nullopt;
  r.schedule_text = has_schedule ? *spec.schedule_text : "";
  r.schedule = std::move(schedule);
  if (created || (!was_enabled && r.enabled()) || old_schedule != r.schedule_text) {
    r.enabled_ms = now;
  }
  Status st = Save();
  if (!st.ok()) return st;
  ArmSchedule(arn);
  return arn;
}

Result<Rule> EventBus::DescribeRule(const std::string& bus, const std::string& name) const {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  const Rule* r = FindRule(*b, name);
  if (!r) return NotFound("Rule " + name + " does not exist on EventBus " + *b + ".");
  return *r;
}

Result<std::vector<Rule>> EventBus::ListRules(const std::string& bus,
                                              const std::string& prefix) const {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  std::vector<Rule> out;
  for (const auto& [arn, r] : rules_) {
    if (r.bus == *b && r.name.rfind(prefix, 0) == 0) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const Rule& x, const Rule& y) { return x.name < y.name; });
  return out;
}

Status EventBus::DeleteRule(const std::string& bus, const std::string& name) {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  Rule* r = FindRule(*b, name);
  if (!r) return Status::Ok();
  if (!r->targets.empty()) return InvalidArgument("Rule can't be deleted since it has targets.");
  DisarmSchedule(r->arn);
  rules_.erase(r->arn);
  return Save();
}

Status EventBus::SetRuleState(const std::string& bus, const std::string& name, bool enabled) {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  Rule* r = FindRule(*b, name);
  if (!r) return NotFound("Rule " + name + " does not exist on EventBus " + *b + ".");
  if (enabled && !r->enabled()) r->enabled_ms = executor_.clock().NowMs();
  r->state = enabled ? "ENABLED" : "DISABLED";
  BERTH_RETURN_IF_ERROR(Save());
  ArmSchedule(r->arn);
  return Status::Ok();
}

Result<std::vector<FailedTarget>> EventBus::PutTargets(const std::string& bus,
                                                       const std::string& rule,
                                                       std::vector<Target> targets) {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  Rule* r = FindRule(*b, rule);
  if (!r) return NotFound("Rule " + rule + " does not exist on EventBus " + *b + ".");
  std::vector<Target> merged = r->targets;
  for (auto& t : targets) {
    auto same =
        std::find_if(merged.begin(), merged.end(), [&](const Target& x) { return x.id == t.id; });
    if (same != merged.end()) {
      *same = std::move(t);
    } else {
      merged.push_back(std::move(t));
    }
  }
  if (merged.size() > kMaxTargetsPerRule) {
    return ResourceExhausted("The requested resource exceeds the maximum number allowed.");
  }
  r->targets = std::move(merged);
  BERTH_RETURN_IF_ERROR(Save());
  return std::vector<FailedTarget>{};
}

Result<std::vector<FailedTarget>> EventBus::RemoveTargets(const std::string& bus,
                                                          const std::string& rule,
                                                          const std::vector<std::string>& ids) {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  Rule* r = FindRule(*b, rule);
  if (!r) return NotFound("Rule " + rule + " does not exist on EventBus " + *b + ".");
  auto& ts = r->targets;
  ts.erase(std::remove_if(ts.begin(), ts.end(),
                          [&](const Target& t) {
                            return std::find(ids.begin(), ids.end(), t.id) != ids.end();
                          }),
           ts.end());
  BERTH_RETURN_IF_ERROR(Save());
  return std::vector<FailedTarget>{};
}

Result<std::vector<Target>> EventBus::ListTargets(const std::string& bus,
                                                  const std::string& rule) const {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  const Rule* r = FindRule(*b, rule);
  if (!r) return NotFound("Rule " + rule + " does not exist on EventBus " + *b + ".");
  return r->targets;
}

Result<std::vector<std::string>> EventBus::RuleNamesByTarget(const std::string& bus,
                                                             const std::string& target_arn) const {
  auto b = ResolveBus(bus);
  if (!b.ok()) return b.status();
  std::vector<std::string> out;
  for (const auto& [arn, r] : rules_) {
    if (r.bus != *b) continue;
    for (const auto& t : r.targets) {
      if (t.arn == target_arn) {
        out.push_back(r.name);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- Tags ---

Tags* EventBus::TagsOf(const std::string& arn) {
  for (auto& [name, b] : buses_) {
    if (b.arn == arn) return &b.tags;
  }
  auto it = rules_.find(arn);
  return it == rules_.end() ? nullptr : &it->second.tags;
}

Status EventBus::TagResource(const std::string& arn, const Tags& tags) {
  Tags* t = TagsOf(arn);
  if (!t) return NotFound("Resource " + arn + " does not exist.");
  for (const auto& [k, v] : tags) SetTag(t, k, v);
  return Save();
}

Status EventBus::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  Tags* t = TagsOf(arn);
  if (!t) return NotFound("Resource " + arn + " does not exist.");
  t->erase(std::remove_if(t->begin(), t->end(),
                          [&](const auto& kv) {
                            return std::find(keys.begin(), keys.end(), kv.first) != keys.end();
                          }),
           t->end());
  return Save();
}

Result<Tags> EventBus::ListTags(const std::string& arn) const {
  Tags* t = const_cast<EventBus*>(this)->TagsOf(arn);
  if (!t) return NotFound("Resource " + arn + " does not exist.");
  return *t;
}

// --- Connections and API destinations ---

Result<Connection> EventBus::CreateConnection(Connection c) {
  if (!ValidName(c.name)) return InvalidArgument("Connection name " + c.name + " is not valid.");
  if (connections_.count(c.name)) {
    return Status(Code::kAlreadyExists, "Connection " + c.name + " already exists.");
  }
  c.arn = "arn:aws:events:" + options_.region + ":" + options_.account_id + ":connection/" +
          c.name + "/" + NewUuid();
  c.created_ms = c.modified_ms = executor_.clock().NowMs();
  connections_[c.name] = c;
  BERTH_RETURN_IF_ERROR(Save());
  return c;
}

Result<Connection> EventBus::DescribeConnection(const std::string& name) const {
  auto it = connections_.find(name);
  if (it == connections_.end())
    return NotFound("Failed to describe the connection(s). Connection '" + name +
                    "' does not exist.");
  return it->second;
}

std::vector<Connection> EventBus::ListConnections(const std::string& prefix) const {
  std::vector<Connection> out;
  for (const auto& [name, c] : connections_) {
    if (name.rfind(prefix, 0) == 0) out.push_back(c);
  }
  return out;
}

Result<Connection> EventBus::DeleteConnection(const std::string& name) {
  auto it = connections_.find(name);
  if (it == connections_.end())
    return NotFound("Failed to describe the connection(s). Connection '" + name +
                    "' does not exist.");
  Connection c = it->second;
  connections_.erase(it);
  BERTH_RETURN_IF_ERROR(Save());
  return c;
}

Result<ApiDestination> EventBus::CreateApiDestination(ApiDestination d) {
  if (!ValidName(d.name))
    return InvalidArgument("ApiDestination name " + d.name + " is not valid.");
  if (destinations_.count(d.name)) {
    return Status(Code::kAlreadyExists, "An api-destination '" + d.name + "' already exists.");
  }
  if (!FindConnectionByArn(d.connection_arn)) {
    return NotFound("Connection '" + d.connection_arn + "' does not exist.");
  }
  d.arn = "arn:aws:events:" + options_.region + ":" + options_.account_id + ":api-destination/" +
          d.name + "/" + NewUuid();
  d.created_ms = d.modified_ms = executor_.clock().NowMs();
  destinations_[d.name] = d;
  BERTH_RETURN_IF_ERROR(Save());
  return d;
}

Result<ApiDestination> EventBus::DescribeApiDestination(const std::string& name) const {
  auto it = destinations_.find(name);
  if (it == destinations_.end())
    return NotFound("An api-destination '" + name + "' does not exist.");
  return it->second;
}

std::vector<ApiDestination> EventBus::ListApiDestinations(const std::string& prefix) const {
  std::vector<ApiDestination> out;
  for (const auto& [name, d] : destinations_) {
    if (name.rfind(prefix, 0) == 0) out.push_back(d);
  }
  return out;
}

Result<ApiDestination> EventBus::DeleteApiDestination(const std::string& name) {
  auto it = destinations_.find(name);
  if (it == destinations_.end())
    return NotFound("An api-destination '" + name + "' does not exist.");
  ApiDestination d = it->second;
  destinations_.erase(it);
  BERTH_RETURN_IF_ERROR(Save());
  return d;
}

const ApiDestination* EventBus::FindApiDestinationByArn(const std::string& arn) const {
  for (const auto& [name, d] : destinations_) {
    if (d.arn == arn) return &d;
  }
  return nullptr;
}

const Connection* EventBus::FindConnectionByArn(const std::string& arn) const {
  for (const auto& [name, c] : connections_) {
    if (c.arn == arn) return &c;
  }
  return nullptr;
}

Status EventBus::Reset() {
  for (auto& [arn, id] : schedule_timers_) executor_.Cancel(id);
  schedule_timers_.clear();
  for (auto& [id, timer] : retry_timers_) executor_.Cancel(timer);
  retry_timers_.clear();
  for (uint64_t id : outbox_->PendingIds()) outbox_->Done(id);
  rules_.clear();
  connections_.clear();
  destinations_.clear();
  EventBusInfo def = buses_.at("default");
  def.tags.clear();
  buses_.clear();
  buses_["default"] = def;
  routes_.clear();  // (they point at the counters)
  recent_.clear();
  rule_counters_.clear();
  target_counters_.clear();
  return Save();
}

}  // namespace berth::events
