#include "events/bus_types.h"

#include <re2/re2.h>

namespace berth::events {

using nlohmann::json;

namespace {

Status Invalid(std::string m) { return InvalidArgument(std::move(m)); }

const json* Field(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

Result<Target> ParseTarget(const json& wire) {
  if (!wire.is_object()) return Invalid("Each target must be an object.");
  Target t;
  t.wire = wire;
  const json* id = Field(wire, "Id");
  const json* arn = Field(wire, "Arn");
  if (!id || !id->is_string()) return Invalid("Target Id is required.");
  if (!arn || !arn->is_string()) return Invalid("Target Arn is required.");
  t.id = id->get<std::string>();
  t.arn = arn->get<std::string>();
  static const RE2 kId("[\\.\\-_A-Za-z0-9]{1,64}");
  if (!RE2::FullMatch(t.id, kId)) {
    return Invalid("1 validation error detected: Value '" + t.id +
                   "' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy "
                   "regular expression pattern: [\\.\\-_A-Za-z0-9]+");
  }
  if (t.arn.empty() || t.arn.size() > 1600) return Invalid("Target Arn is not valid.");
  if (const json* v = Field(wire, "Input")) {
    if (!v->is_string()) return Invalid("Input must be a string.");
    t.input.input = v->get<std::string>();
  }
  if (const json* v = Field(wire, "InputPath")) {
    if (!v->is_string()) return Invalid("InputPath must be a string.");
    t.input.input_path = v->get<std::string>();
  }
  if (const json* v = Field(wire, "InputTransformer")) {
    if (!v->is_object()) return Invalid("InputTransformer must be an object.");
    InputTransformer tr;
    if (const json* m = Field(*v, "InputPathsMap")) {
      if (!m->is_object()) return Invalid("InputPathsMap must be a map.");
      for (const auto& [k, p] : m->items()) {
        if (!p.is_string()) return Invalid("InputPathsMap values must be strings.");
        tr.input_paths_map[k] = p.get<std::string>();
      }
    }
    const json* tmpl = Field(*v, "InputTemplate");
    if (!tmpl || !tmpl->is_string()) {
      return Invalid("InputTemplate is required for target " + t.id + ".");
    }
    tr.input_template = tmpl->get<std::string>();
    t.input.transformer = std::move(tr);
  }
  BERTH_RETURN_IF_ERROR(ValidateTargetInput(t.input, t.id));
  if (const json* r = Field(wire, "RetryPolicy")) {
    if (!r->is_object()) return Invalid("RetryPolicy must be an object.");
    if (const json* n = Field(*r, "MaximumRetryAttempts")) {
      if (!n->is_number_integer() || *n < 0 || *n > 185) {
        return Invalid(
            "1 validation error detected: Value at "
            "'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value between 0 and 185");
      }
      t.retry.maximum_retry_attempts = n->get<int>();
    }
    if (const json* n = Field(*r, "MaximumEventAgeInSeconds")) {
      if (!n->is_number_integer() || *n < 60 || *n > 86400) {
        return Invalid(
            "1 validation error detected: Value at "
            "'targets.1.member.retryPolicy.maximumEventAgeInSeconds' failed to "
            "satisfy constraint: Member must have value between 60 and 86400");
      }
      t.retry.maximum_event_age_seconds = n->get<int>();
    }
  }
  if (const json* d = Field(wire, "DeadLetterConfig")) {
    const json* a = d->is_object() ? Field(*d, "Arn") : nullptr;
    if (a && a->is_string()) t.dead_letter_arn = a->get<std::string>();
    if (!t.dead_letter_arn.empty() && t.dead_letter_arn.rfind("arn:aws:logs:", 0) != 0) {
      return Invalid(
          "berth dead-letters to CloudWatch Logs log groups: DeadLetterConfig Arn "
          "must be arn:aws:logs:REGION:ACCOUNT:log-group:NAME (berth has no SQS).");
    }
  }
  if (const json* e = Field(wire, "EcsParameters")) {
    if (!e->is_object()) return Invalid("EcsParameters must be an object.");
    const json* td = Field(*e, "TaskDefinitionArn");
    if (!td || !td->is_string() || td->get<std::string>().empty()) {
      return Invalid("Parameter TaskDefinitionArn is required for EcsParameters.");
    }
    if (const json* c = Field(*e, "TaskCount")) {
      if (!c->is_number_integer() || *c < 1 || *c > 10) {
        return Invalid("TaskCount must be between 1 and 10.");
      }
    }
    t.ecs_parameters = *e;
  }
  if (const json* h = Field(wire, "HttpParameters")) t.http_parameters = *h;
  return t;
}

}  // namespace berth::events
