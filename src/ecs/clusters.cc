// ControlPlane: clusters.
#include "ecs/control_plane.h"

namespace berth::ecs {

namespace {

// "arn:aws:ecs:R:A:cluster/NAME" → "NAME"; a plain name is returned as is.
std::string ClusterName(const std::string& name_or_arn) {
  size_t p = name_or_arn.find(":cluster/");
  if (name_or_arn.rfind("arn:", 0) == 0 && p != std::string::npos) {
    return name_or_arn.substr(p + 9);
  }
  return name_or_arn.empty() ? "default" : name_or_arn;
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

model::Cluster* ControlPlane::MutableCluster(const std::string& name_or_arn) {
  if (!OwnArn(name_or_arn)) return nullptr;
  std::string name = ClusterName(name_or_arn);
  for (auto& c : clusters_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<const model::Cluster*> ControlPlane::FindCluster(const std::string& name_or_arn) const {
  auto* c = const_cast<ControlPlane*>(this)->MutableCluster(name_or_arn);
  if (c == nullptr) return NotFound("Cluster not found.", Resource::kCluster);
  return static_cast<const model::Cluster*>(c);
}

std::vector<const model::Cluster*> ControlPlane::Clusters() const {
  std::vector<const model::Cluster*> out;
  for (const auto& c : clusters_) out.push_back(&c);
  return out;
}

model::ClusterCounts ControlPlane::Counts(const model::Cluster& c) const {
  model::ClusterCounts counts;
  for (const auto& [id, e] : tasks_) {
    const model::Task& t = e->task;
    if (t.cluster_arn != c.arn || t.stopped()) continue;
    if (t.last_status == model::TaskStatus::kRunning) {
      ++counts.running_tasks;
    } else if (t.last_status < model::TaskStatus::kRunning) {
      ++counts.pending_tasks;
    }
  }
  for (const auto& s : services_) {
    if (s->cluster_arn == c.arn && s->status == model::ServiceStatus::kActive) ++counts.active_services;
  }
  return counts;
}

Result<model::Cluster> ControlPlane::CreateCluster(const RequestContext& ctx,
                                                   const std::string& name,
                                                   const model::Tags& tags,
                                                   const nlohmann::json& settings) {
  std::string n = name.empty() ? "default" : name;
  if (!ValidName(n)) {
    return InvalidArgument(
        "Cluster name can have up to 255 characters: letters (upper and lower case), numbers, "
        "underscores, and hyphens.");
  }
  if (auto* existing = MutableCluster(n)) {
    // An existing name returns the cluster; an INACTIVE one comes back to life.
    if (!existing->active) {
      existing->active = true;
      model::MergeTags(&existing->tags, tags);
      BERTH_RETURN_IF_ERROR(store_.PutCluster(*existing));
    }
    return *existing;
  }
  model::Cluster c;
  c.name = n;
  c.arn = Arn(ctx.region, "cluster/" + n);
  c.tags = tags;
  if (settings.is_array()) c.settings = settings;
  BERTH_RETURN_IF_ERROR(store_.PutCluster(c));
  clusters_.push_back(c);
  return c;
}

Result<model::Cluster> ControlPlane::DeleteCluster(const std::string& name_or_arn) {
  auto* c = MutableCluster(name_or_arn);
  if (c == nullptr) return NotFound("Cluster not found.", Resource::kCluster);
  for (const auto& s : services_) {
    if (s->cluster_arn == c->arn && s->status != model::ServiceStatus::kInactive) {
      return FailedPrecondition("The Cluster cannot be deleted while Services are active.",
                                Resource::kService);
    }
  }
  for (const auto& [id, e] : tasks_) {
    if (e->task.cluster_arn == c->arn && !e->task.stopped()) {
      return FailedPrecondition("The Cluster cannot be deleted while Tasks are active.",
                                Resource::kTask);
    }
  }
  c->active = false;
  BERTH_RETURN_IF_ERROR(store_.PutCluster(*c));
  return *c;
}

}  // namespace berth::ecs
