// LoadBalancing: lifetime, persistence, lookups, tags and the hand-off to the lb thread.
#include "lb/load_balancing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <future>

#include "lb/arn.h"
#include "lb/engine.h"
#include "lb/kernel_forwarding.h"
#include "lb/lb_errors.h"
#include "lb/lb_loop.h"
#include "lb/listen_socket.h"
#include "lb/prober.h"
#include "lb/proxy.h"
#include "lb/validate.h"

namespace berth::lb {

namespace {

// Adds the tag or replaces its value (tags are merged by key).
void SetTag(Tags* tags, const std::string& key, const std::string& value) {
  auto it = std::find_if(tags->begin(), tags->end(), [&](const auto& p) { return p.first == key; });
  if (it != tags->end()) {
    it->second = value;
  } else {
    tags->emplace_back(key, value);
  }
}

// Never answers (Options::data_path = false).
class SilentProber : public Prober {
 public:
  void Probe(const ProbeSpec&, std::function<void(ProbeResult)>) override {}
};

}  // namespace

LoadBalancing::LoadBalancing(Executor& control, Options options)
    : control_(control), options_(std::move(options)), alive_(std::make_shared<bool>(true)) {}

Result<std::unique_ptr<LoadBalancing>> LoadBalancing::Open(Executor& control, Options options) {
  std::unique_ptr<LoadBalancing> lb(new LoadBalancing(control, std::move(options)));
  in_addr addr{};
  if (inet_pton(AF_INET, lb->options_.bind_address.c_str(), &addr) != 1) {
    return InvalidArgument("The load balancer bind address '" + lb->options_.bind_address +
                           "' is not an IPv4 address");
  }
  Config config;
  if (!lb->options_.data_dir.empty()) {
    std::string dir = lb->options_.data_dir + "/lb";
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Internal("cannot create " + dir + ": " + strerror(errno));
    }
    lb->state_path_ = dir + "/state.json";
    auto loaded = ReadConfigFile(lb->state_path_);
    if (!loaded.ok()) return loaded.status();
    config = std::move(*loaded);
  }
  BERTH_RETURN_IF_ERROR(lb->Start(std::move(config)));
  return lb;
}

Status LoadBalancing::Start(Config config) {
  loop_ = std::make_unique<LbLoop>();
  if (options_.data_path) {
    prober_ = std::make_unique<AsioProber>(loop_->io());
  } else {
    prober_ = std::make_unique<SilentProber>();
  }
  engine_ = std::make_unique<Engine>(*loop_, *prober_, board_);
  if (options_.data_path && options_.kernel_forwarding) {
    KernelForwardingOptions ko;
    ko.table = options_.kernel_table;
    ko.localnet_interfaces = options_.task_interfaces;
    ko.subnets = options_.task_subnets;
    auto kf = KernelForwarding::Open(ko);
    if (kf.ok()) {
      kernel_ = std::move(*kf);
      kernel_table_ = kernel_->table();
      engine_->SetRoutingObserver([this](const std::string& arn) { RouteInKernel(arn); });
      engine_->SetTrackedConnections([this](const std::string& arn, const TargetKey& key) {
        return KernelConnections(arn, key);
      });
    } else {
      warnings_.push_back("listeners forward through berth's user-space proxy (" +
                          kf.status().message() + ")");
    }
  }
  load_balancers_ = std::move(config.load_balancers);
  target_groups_ = std::move(config.target_groups);
  listeners_ = std::move(config.listeners);
  for (const auto& tg : target_groups_) {
    PushGroup(tg);
    auto& recs = targets_[tg.arn];
    for (const auto& key : config.targets[tg.arn]) {
      uint64_t generation = next_generation_++;
      recs[key] = {generation, false};
      PostToLb([this, arn = tg.arn, key, generation] { engine_->AddTarget(arn, key, generation); });
    }
  }
  for (const auto& l : listeners_) {
    Status st = StartListener(l);
    if (!st.ok()) warnings_.push_back("listener " + l.arn + " is not serving: " + st.message());
  }
  loop_->Start();
  return Status::Ok();
}

LoadBalancing::~LoadBalancing() {
  *alive_ = false;
  if (!loop_) return;
  std::promise<void> done;
  loop_->Post([this, &done] {
    for (auto& [arn, proxy] : proxies_) proxy->Close();
    proxies_.clear();
    engine_->Shutdown();
    kernel_.reset();  // deletes the kernel rules
    done.set_value();
  });
  done.get_future().wait();
  loop_->Stop();
  engine_.reset();
  prober_.reset();
  loop_.reset();  // destroys what the loop still holds (connections, probes)
}

void LoadBalancing::PostToLb(std::function<void()> fn) { loop_->Post(std::move(fn)); }

void LoadBalancing::PushGroup(const TargetGroup& tg) {
  GroupSettings s{tg.health_check, tg.deregistration_delay_s};
  PostToLb([this, arn = tg.arn, s] { engine_->SetGroup(arn, s); });
}

Status LoadBalancing::StartListener(const Listener& l) {
  if (!options_.data_path) {
    PostToLb([this, tg = l.target_group_arn] { engine_->SetInUse(tg, true); });
    return Status::Ok();
  }
  auto fd = OpenListenSocket(options_.bind_address, l.port);
  if (!fd.ok()) return fd.status();
  bool http = l.protocol == Protocol::kHttp;
  PostToLb([this, arn = l.arn, tg = l.target_group_arn, port = l.port, fd = *fd, http] {
    auto proxy = std::make_unique<ListenerProxy>(loop_->io(), fd, http,
                                                 [this, tg] { return engine_->Pick(tg); });
    proxy->Start();
    proxies_[arn] = std::move(proxy);
    if (kernel_) kernel_routes_[arn] = KernelRoute{tg, port, std::nullopt};
    engine_->SetInUse(tg, true);
    RouteInKernel(tg);
  });
  return Status::Ok();
}

void LoadBalancing::RouteInKernel(const std::string& target_group_arn) {
  if (!kernel_) return;
  std::vector<TargetKey> targets = engine_->Routable(target_group_arn);
  // All or nothing: a listener whose targets the kernel cannot all reach stays in user space.
  for (const auto& t : targets) {
    if (!kernel_->CanReach(t)) {
      targets.clear();
      break;
    }
  }
  for (auto& [arn, route] : kernel_routes_) {
    if (route.target_group_arn != target_group_arn || route.pushed == targets) continue;
    Status st = kernel_->Route(options_.bind_address, route.port, targets);
    // On failure the rule keeps its last targets or none; the proxy still serves the port.
    route.pushed = st.ok() ? std::optional(targets) : std::nullopt;
  }
}

int LoadBalancing::KernelConnections(const std::string& target_group_arn,
                                     const TargetKey& key) const {
  int open = 0;
  for (const auto& [arn, route] : kernel_routes_) {
    if (route.target_group_arn != target_group_arn) continue;
    auto n = kernel_->OpenConnections(options_.bind_address, route.port, key);
    // Unknown: assume a connection is open, so the drain waits out its delay.
    open += n.ok() ? *n : 1;
  }
  return open;
}

void LoadBalancing::CloseListenerOnLb(const std::string& listener_arn) {
  auto it = proxies_.find(listener_arn);
  if (it != proxies_.end()) {
    it->second->Close();
    proxies_.erase(it);
  }
  auto route = kernel_routes_.find(listener_arn);
  if (route != kernel_routes_.end()) {
    kernel_->Forget(route->second.port);
    kernel_routes_.erase(route);
  }
}

void LoadBalancing::StopListener(const std::string& listener_arn,
                                 const std::string& target_group_arn) {
  bool still_used = InUse(target_group_arn);
  PostToLb([this, listener_arn, target_group_arn, still_used] {
    CloseListenerOnLb(listener_arn);
    if (!still_used) engine_->SetInUse(target_group_arn, false);
  });
}

Config LoadBalancing::Snapshot() const {
  Config c;
  c.load_balancers = load_balancers_;
  c.target_groups = target_groups_;
  c.listeners = listeners_;
  for (const auto& [arn, recs] : targets_) {
    std::vector<std::pair<uint64_t, TargetKey>> live;
    for (const auto& [key, rec] : recs) {
      if (!rec.draining) live.emplace_back(rec.generation, key);
    }
    std::sort(live.begin(), live.end());
    auto& out = c.targets[arn];
    for (auto& [g, key] : live) out.push_back(key);
  }
  return c;
}

Status LoadBalancing::Save() {
  if (state_path_.empty()) return Status::Ok();
  return WriteConfigFile(state_path_, Snapshot());
}

LoadBalancer* LoadBalancing::FindLoadBalancer(const std::string& arn) {
  for (auto& lb : load_balancers_) {
    if (lb.arn == arn) return &lb;
  }
  return nullptr;
}
const LoadBalancer* LoadBalancing::FindLoadBalancer(const std::string& arn) const {
  return const_cast<LoadBalancing*>(this)->FindLoadBalancer(arn);
}
TargetGroup* LoadBalancing::FindTargetGroup(const std::string& arn) {
  for (auto& tg : target_groups_) {
    if (tg.arn == arn) return &tg;
  }
  return nullptr;
}
const TargetGroup* LoadBalancing::FindTargetGroup(const std::string& arn) const {
  return const_cast<LoadBalancing*>(this)->FindTargetGroup(arn);
}
Listener* LoadBalancing::FindListener(const std::string& arn) {
  for (auto& l : listeners_) {
    if (l.arn == arn) return &l;
  }
  return nullptr;
}
const Listener* LoadBalancing::FindListener(const std::string& arn) const {
  return const_cast<LoadBalancing*>(this)->FindListener(arn);
}

bool LoadBalancing::InUse(const std::string& target_group_arn) const {
  for (const auto& l : listeners_) {
    if (l.target_group_arn == target_group_arn) return true;
  }
  return false;
}

Result<std::vector<std::string>> LoadBalancing::LoadBalancersOfTargetGroup(
    const std::string& arn) const {
  if (!FindTargetGroup(arn)) {
    return NotFound("Target group '" + arn + "' not found", kTargetGroup);
  }
  std::vector<std::string> out;
  for (const auto& l : listeners_) {
    if (l.target_group_arn == arn &&
        std::find(out.begin(), out.end(), l.load_balancer_arn) == out.end()) {
      out.push_back(l.load_balancer_arn);
    }
  }
  return out;
}

// --- Tags ---

Tags* LoadBalancing::TagsOf(const std::string& arn, Status* not_found) {
  switch (KindOfArn(arn)) {
    case ArnKind::kLoadBalancer:
      if (auto* lb = FindLoadBalancer(arn)) return &lb->tags;
      *not_found = NotFound("Load balancer '" + arn + "' not found", kLoadBalancer);
      return nullptr;
    case ArnKind::kTargetGroup:
      if (auto* tg = FindTargetGroup(arn)) return &tg->tags;
      *not_found = NotFound("Target group '" + arn + "' not found", kTargetGroup);
      return nullptr;
    case ArnKind::kListener:
      if (auto* l = FindListener(arn)) return &l->tags;
      *not_found = NotFound("Listener '" + arn + "' not found", kListener);
      return nullptr;
    case ArnKind::kOther:
      break;
  }
  *not_found = InvalidArgument("'" + arn +
                               "' is not a valid load balancer, target group or "
                               "listener ARN");
  return nullptr;
}

Status LoadBalancing::AddTags(const std::vector<std::string>& arns, const Tags& tags) {
  BERTH_RETURN_IF_ERROR(ValidateTags(tags));
  std::vector<Tags*> targets;
  for (const auto& arn : arns) {
    Status st;
    Tags* t = TagsOf(arn, &st);
    if (!t) return st;
    Tags merged = *t;
    for (const auto& tag : tags) SetTag(&merged, tag.first, tag.second);
    if (merged.size() > kMaxTags) {
      return Status(Code::kResourceExhausted, "'" + arn + "' would have more than 50 tags", kTag);
    }
    targets.push_back(t);
  }
  for (Tags* t : targets) {
    for (const auto& tag : tags) SetTag(t, tag.first, tag.second);
  }
  return Save();
}

Status LoadBalancing::RemoveTags(const std::vector<std::string>& arns,
                                 const std::vector<std::string>& keys) {
  std::vector<Tags*> targets;
  for (const auto& arn : arns) {
    Status st;
    Tags* t = TagsOf(arn, &st);
    if (!t) return st;
    targets.push_back(t);
  }
  for (Tags* t : targets) {
    t->erase(std::remove_if(t->begin(), t->end(),
                            [&](auto& p) {
                              return std::find(keys.begin(), keys.end(), p.first) != keys.end();
                            }),
             t->end());
  }
  return Save();
}

Result<std::vector<TagDescription>> LoadBalancing::DescribeTags(
    const std::vector<std::string>& arns) const {
  std::vector<TagDescription> out;
  for (const auto& arn : arns) {
    Status st;
    Tags* t = const_cast<LoadBalancing*>(this)->TagsOf(arn, &st);
    if (!t) return st;
    out.push_back({arn, *t});
  }
  return out;
}

Status LoadBalancing::Reset() {
  for (const auto& l : listeners_) {
    PostToLb([this, arn = l.arn] { CloseListenerOnLb(arn); });
  }
  for (const auto& tg : target_groups_) {
    PostToLb([this, arn = tg.arn] { engine_->RemoveGroup(arn); });
  }
  listeners_.clear();
  target_groups_.clear();
  load_balancers_.clear();
  targets_.clear();
  return Save();
}

}  // namespace berth::lb
