// ControlPlane: task definitions.
#include "ecs/control_plane.h"

#include <algorithm>

namespace berth::ecs {

using model::TaskDefinitionStatus;

namespace {

// Splits "family:rev", "family" or an ARN into family and revision (0 = latest ACTIVE).
bool ParseRef(const std::string& ref, std::string* family, int* revision) {
  std::string s = ref;
  size_t p = s.find(":task-definition/");
  if (s.rfind("arn:", 0) == 0) {
    if (p == std::string::npos) return false;
    s = s.substr(p + 17);
  }
  *revision = 0;
  size_t colon = s.rfind(':');
  if (colon != std::string::npos) {
    std::string rev = s.substr(colon + 1);
    if (rev.empty() || rev.size() > 9 || rev.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    *revision = std::stoi(rev);
    s = s.substr(0, colon);
  }
  *family = s;
  return !s.empty();
}

}  // namespace

model::TaskDefinition* ControlPlane::MutableTaskDefinition(const std::string& ref) {
  if (!OwnArn(ref)) return nullptr;
  std::string family;
  int revision;
  if (!ParseRef(ref, &family, &revision)) return nullptr;
  model::TaskDefinition* latest = nullptr;
  for (auto& td : definitions_) {
    if (td->family != family) continue;
    if (revision != 0 && td->revision == revision) return td.get();
    if (revision == 0 && td->status == TaskDefinitionStatus::kActive &&
        (!latest || td->revision > latest->revision)) {
      latest = td.get();
    }
  }
  return revision == 0 ? latest : nullptr;
}

Result<const model::TaskDefinition*> ControlPlane::FindTaskDefinition(const std::string& ref) const {
  auto* td = const_cast<ControlPlane*>(this)->MutableTaskDefinition(ref);
  if (td == nullptr) {
    return NotFound("Unable to describe task definition.", Resource::kTaskDefinition);
  }
  return static_cast<const model::TaskDefinition*>(td);
}

Result<model::TaskDefinition> ControlPlane::RegisterTaskDefinition(const RequestContext& ctx,
                                                                   model::TaskDefinition td) {
  int& max = max_revision_[td.family];
  td.revision = max + 1;
  td.arn = Arn(ctx.region, "task-definition/" + td.family + ":" + std::to_string(td.revision));
  td.status = TaskDefinitionStatus::kActive;
  td.registered_at = executor_.clock().NowMs();
  BERTH_RETURN_IF_ERROR(store_.PutTaskDefinition(td));
  max = td.revision;
  definitions_.push_back(std::make_unique<model::TaskDefinition>(td));
  return td;
}

std::vector<const model::TaskDefinition*> ControlPlane::ListTaskDefinitions(
    const ListTaskDefinitionsFilter& f) const {
  std::vector<const model::TaskDefinition*> out;
  for (const auto& td : definitions_) {
    if (td->status != f.status) continue;
    if (!f.family.empty() && td->family != f.family) continue;
    out.push_back(td.get());
  }
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return a->family != b->family ? a->family < b->family : a->revision < b->revision;
  });
  if (f.descending) std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> ControlPlane::ListFamilies(const std::string& prefix,
                                                    const std::string& status) const {
  std::map<std::string, bool> families;  // family → has an ACTIVE revision
  for (const auto& td : definitions_) {
    if (td->family.rfind(prefix, 0) != 0) continue;
    families[td->family] |= td->status == TaskDefinitionStatus::kActive;
  }
  std::vector<std::string> out;
  for (const auto& [family, active] : families) {
    if (status == "ACTIVE" && !active) continue;
    if (status == "INACTIVE" && active) continue;
    out.push_back(family);
  }
  return out;
}

Result<model::TaskDefinition> ControlPlane::DeregisterTaskDefinition(const std::string& ref) {
  std::string family;
  int revision;
  if (!ParseRef(ref, &family, &revision) || revision == 0) {
    return InvalidArgument("Invalid revision number. Number: " +
                           (ref.rfind(':') == std::string::npos ? ref : ref.substr(ref.rfind(':') + 1)));
  }
  auto* td = MutableTaskDefinition(ref);
  if (td == nullptr || td->status == TaskDefinitionStatus::kDeleteInProgress) {
    return NotFound("The specified task definition does not exist.", Resource::kTaskDefinition);
  }
  if (td->status == TaskDefinitionStatus::kActive) {
    td->status = TaskDefinitionStatus::kInactive;
    td->deregistered_at = executor_.clock().NowMs();
    BERTH_RETURN_IF_ERROR(store_.PutTaskDefinition(*td));
  }
  return *td;
}

Result<model::TaskDefinition> ControlPlane::DeleteTaskDefinition(const std::string& ref) {
  std::string family;
  int revision;
  if (!ParseRef(ref, &family, &revision) || revision == 0) {
    return InvalidArgument("The specified task definition identifier is invalid. Specify a valid name or ARN and try again.");
  }
  auto* td = MutableTaskDefinition(ref);
  if (td == nullptr) {
    return NotFound("The specified task definition does not exist.", Resource::kTaskDefinition);
  }
  if (td->status == TaskDefinitionStatus::kActive) {
    return InvalidArgument(
        "The specified task definition is still in ACTIVE status. Please deregister the target "
        "and try again.");
  }
  td->status = TaskDefinitionStatus::kDeleteInProgress;
  BERTH_RETURN_IF_ERROR(store_.PutTaskDefinition(*td));
  return *td;
}

}  // namespace berth::ecs
