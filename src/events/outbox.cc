#include "events/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <fstream>

namespace berth::events {

using nlohmann::json;

namespace {

constexpr char kJournal[] = "outbox.jsonl";
constexpr char kDead[] = "dead.jsonl";
constexpr uint64_t kCompactEvery = 20000;

Status Errno(const std::string& what) { return Internal(what + ": " + strerror(errno)); }

// Every complete line of a JSON-lines file that parses; a torn or corrupt line is skipped.
std::vector<json> ReadLines(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: torn by a crash
    auto j = json::parse(line, nullptr, false);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

int OpenAppend(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

}  // namespace

json DeliveryToJson(const Delivery& d) {
  return {{"id", d.id},           {"rule_arn", d.rule_arn}, {"rule_name", d.rule_name},
          {"target", d.target},   {"event_id", d.event_id}, {"event", d.event},
          {"payload", d.payload}, {"first_ms", d.first_ms}};
}

bool DeliveryFromJson(const json& j, Delivery* d) {
  try {
    d->id = j.at("id").get<uint64_t>();
    d->rule_arn = j.at("rule_arn").get<std::string>();
    d->rule_name = j.at("rule_name").get<std::string>();
    d->target = j.at("target");
    d->event_id = j.at("event_id").get<std::string>();
    d->event = j.at("event").get<std::string>();
    d->payload = j.at("payload").get<std::string>();
    d->first_ms = j.at("first_ms").get<TimeMs>();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

Delivery ToDelivery(const PendingDelivery& p) {
  Delivery d;
  d.id = p.id;
  d.rule_arn = p.route->rule_arn;
  d.rule_name = p.route->rule_name;
  d.target = p.route->target.wire;
  d.event_id = p.event->id;
  d.event = p.event->text;
  if (p.whole_event) {
    d.payload = p.event->text;
  } else if (p.payload) {
    d.payload = *p.payload;
  }
  d.first_ms = p.first_ms;
  d.attempts = p.attempts;
  return d;
}

PendingDelivery FromDelivery(const Delivery& d) {
  auto route = boost::make_local_shared<DeliveryRoute>();
  route->rule_arn = d.rule_arn;
  route->rule_name = d.rule_name;
  auto target = ParseTarget(d.target);
  if (target.ok()) {
    route->target = std::move(*target);
  } else {
    route->parse_status = target.status();
    route->target.wire = d.target;
    if (d.target.is_object()) {
      route->target.id = d.target.value("Id", "");
      route->target.arn = d.target.value("Arn", "");
    }
  }
  auto event = boost::make_local_shared<DeliveryEvent>();
  event->id = d.event_id;
  event->text = d.event;
  PendingDelivery p;
  p.id = d.id;
  p.route = std::move(route);
  p.whole_event = d.payload == d.event;
  if (!p.whole_event && !d.payload.empty()) {
    p.payload = boost::make_local_shared<const std::string>(d.payload);
  }
  p.event = std::move(event);
  p.first_ms = d.first_ms;
  p.attempts = d.attempts;
  return p;
}

Result<std::unique_ptr<Outbox>> Outbox::Open(const std::string& dir) {
  std::unique_ptr<Outbox> o(new Outbox());
  o->dir_ = dir;
  if (dir.empty()) return o;
  for (const auto& j : ReadLines(dir + "/" + kJournal)) {
    std::string op = j.value("op", "");
    uint64_t id = j.value("id", uint64_t{0});
    o->next_id_ = std::max(o->next_id_, id + 1);
    if (op == "enq") {
      Delivery d;
      if (DeliveryFromJson(j, &d)) o->old_[d.id] = FromDelivery(d);
    } else if (op == "done") {
      o->old_.erase(id);
    }
  }
  for (const auto& j : ReadLines(dir + "/" + kDead)) {
    DeadLetter dl;
    if (!j.contains("delivery") || !DeliveryFromJson(j["delivery"], &dl.delivery)) continue;
    dl.error_code = j.value("error_code", "");
    dl.error_message = j.value("error_message", "");
    dl.dead_ms = j.value("dead_ms", TimeMs{0});
    dl.delivery.attempts = j.value("attempts", 0);
    o->next_id_ = std::max(o->next_id_, dl.delivery.id + 1);
    o->dead_.push_back(std::move(dl));
  }
  if (o->dead_.size() > kDeadKept) o->dead_.erase(o->dead_.begin(), o->dead_.end() - kDeadKept);
  o->ring_begin_ = o->ring_end_ = o->next_id_;
  BERTH_RETURN_IF_ERROR(o->Compact());
  o->dead_fd_ = OpenAppend(dir + "/" + kDead);
  if (o->dead_fd_ < 0) return Errno("open " + dir + "/" + kDead);
  return o;
}

Outbox::~Outbox() {
  if (journal_fd_ >= 0) close(journal_fd_);
  if (dead_fd_ >= 0) close(dead_fd_);
}

Status Outbox::WriteLine(int fd, const std::string& line, bool sync) {
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = write(fd, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write outbox");
    off += static_cast<size_t>(n);
  }
  if (sync && fdatasync(fd) != 0) return Errno("fdatasync outbox");
  return Status::Ok();
}

Status Outbox::Compact() {
  std::string tmp = dir_ + "/" + kJournal + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open " + tmp);
  std::string all;
  ForEachPending([&](const PendingDelivery& d) {
    json j = DeliveryToJson(ToDelivery(d));
    j["op"] = "enq";
    all += j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  });
  Status st = WriteLine(fd, all, true);
  close(fd);
  if (!st.ok()) return st;
  std::string path = dir_ + "/" + kJournal;
  if (rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename " + tmp);
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  if (journal_fd_ >= 0) close(journal_fd_);
  journal_fd_ = OpenAppend(path);
  if (journal_fd_ < 0) return Errno("open " + path);
  finished_since_compact_ = 0;
  return Status::Ok();
}

Status Outbox::Append(std::vector<PendingDelivery>* batch) {
  std::string lines;
  for (auto& d : *batch) {
    d.id = next_id_++;
    if (journal_fd_ >= 0) {
      json j = DeliveryToJson(ToDelivery(d));
      j["op"] = "enq";
      lines += j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    }
  }
  if (journal_fd_ >= 0 && !lines.empty()) {
    BERTH_RETURN_IF_ERROR(WriteLine(journal_fd_, lines, true));
  }
  for (auto& d : *batch) {
    if (ring_live_ == 0) ring_begin_ = ring_end_ = d.id;
    while (d.id - ring_begin_ >= ring_.size()) Grow();
    ring_end_ = d.id + 1;
    ring_[d.id & (ring_.size() - 1)] = std::move(d);
    ++ring_live_;
  }
  return Status::Ok();
}

void Outbox::Grow() {
  if (ring_.size() < kMaxRing) {
    std::vector<PendingDelivery> bigger(std::max<size_t>(64, ring_.size() * 2));
    for (uint64_t id = ring_begin_; id < ring_end_ && !ring_.empty(); ++id) {
      PendingDelivery& d = ring_[id & (ring_.size() - 1)];
      if (d.route) bigger[id & (bigger.size() - 1)] = std::move(d);
    }
    ring_ = std::move(bigger);
    return;
  }
  // Full: the older half moves to old_.
  uint64_t until = ring_begin_ + ring_.size() / 2;
  for (; ring_begin_ < until; ++ring_begin_) {
    PendingDelivery& d = ring_[ring_begin_ & (ring_.size() - 1)];
    if (!d.route) continue;
    old_.emplace_hint(old_.end(), ring_begin_, std::move(d));
    d = PendingDelivery{};
    --ring_live_;
  }
  while (ring_begin_ < ring_end_ && !ring_[ring_begin_ & (ring_.size() - 1)].route) ++ring_begin_;
}

template <typename F>
void Outbox::ForEachPending(F f) const {
  for (const auto& [id, d] : old_) f(d);
  if (ring_.empty()) return;
  for (uint64_t id = ring_begin_; id < ring_end_; ++id) {
    const PendingDelivery& d = ring_[id & (ring_.size() - 1)];
    if (d.route) f(d);
  }
}

void Outbox::Done(uint64_t id) {
  if (id >= ring_begin_ && id < ring_end_) {
    const size_t mask = ring_.size() - 1;
    PendingDelivery& d = ring_[id & mask];
    if (!d.route) return;
    d = PendingDelivery{};
    --ring_live_;
    while (ring_begin_ < ring_end_ && !ring_[ring_begin_ & mask].route) ++ring_begin_;
  } else if (old_.erase(id) == 0) {
    return;
  }
  if (journal_fd_ < 0) return;
  (void)WriteLine(journal_fd_, json{{"op", "done"}, {"id", id}}.dump() + "\n", false);
  if (++finished_since_compact_ >= kCompactEvery && pending_count() < kCompactEvery / 4) {
    (void)Compact();
  }
}

Status Outbox::AddDeadLetter(const DeadLetter& d) {
  dead_.push_back(d);
  if (dead_.size() > kDeadKept) dead_.erase(dead_.begin());
  if (dead_fd_ < 0) return Status::Ok();
  json j = {{"delivery", DeliveryToJson(d.delivery)},
            {"error_code", d.error_code},
            {"error_message", d.error_message},
            {"attempts", d.delivery.attempts},
            {"dead_ms", d.dead_ms}};
  return WriteLine(dead_fd_, j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", true);
}

PendingDelivery* Outbox::Find(uint64_t id) {
  if (id >= ring_begin_ && id < ring_end_) {
    PendingDelivery& d = ring_[id & (ring_.size() - 1)];
    return d.route ? &d : nullptr;
  }
  auto it = old_.find(id);
  return it == old_.end() ? nullptr : &it->second;
}

std::vector<uint64_t> Outbox::PendingIds() const {
  std::vector<uint64_t> ids;
  ids.reserve(pending_count());
  ForEachPending([&](const PendingDelivery& d) { ids.push_back(d.id); });
  return ids;
}

}  // namespace berth::events
