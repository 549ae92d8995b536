// EventsApi: berth's own read-outs (X-Amz-Target BerthEvents.*) for `berth rules` and
// `berth events`: recent bus traffic with each delivery's outcome, dead letters (and replay),
// rules with their next firings and counters. Not AWS operations.
#include "api/events/events_api.h"
#include "common/time_format.h"

namespace berth::api {

using nlohmann::json;

namespace {

json CountersJson(const events::Counters& c) {
  return {{"Matched", c.matched}, {"Delivered", c.delivered},        {"Failed", c.failed},
          {"Retried", c.retried}, {"DeadLettered", c.dead_lettered}, {"Skipped", c.skipped}};
}

}  // namespace

HttpResponse EventsApi::HandleBerth(const std::string& op, const std::string& body) {
  json j;
  Reply parsed = ParseJsonBody(body, &j);
  if (parsed.error) return ToHttpResponse(parsed);
  Input in(j);
  Reply r;
  if (op == "ListRecentEvents") {
    r = ListRecentEvents(in);
  } else if (op == "ListDeadLetters") {
    r = ListDeadLetters(in);
  } else if (op == "ReplayDeadLetter") {
    r = ReplayDeadLetter(in);
  } else if (op == "DescribeRules") {
    r = DescribeRules(in);
  } else {
    r = ErrorReply({400, "UnknownOperationException", "berth has no operation " + op + "."});
  }
  return ToHttpResponse(r);
}

Reply EventsApi::ListRecentEvents(Input& in) {
  auto after = in.Integer("AfterSeq");
  if (!in.ok()) return InputError(in);
  Reply r;
  r.body["Events"] = json::array();
  uint64_t last = 0;
  for (const auto& e : bus_.recent()) {
    last = e.seq;
    if (after && e.seq <= static_cast<uint64_t>(*after)) continue;
    json outcomes = json::array();
    for (const auto& d : e.deliveries()) {
      outcomes.push_back({{"Rule", d.rule},
                          {"TargetId", d.target_id},
                          {"State", d.state},
                          {"Error", d.error},
                          {"Attempts", d.attempts}});
    }
    r.body["Events"].push_back({{"Seq", e.seq},
                                {"Id", e.id},
                                {"Time", FormatIsoMillis(e.time)},
                                {"EventBusName", e.bus},
                                {"Source", e.source},
                                {"DetailType", e.detail_type},
                                {"MatchedRules", e.matched_rule_names()},
                                {"Deliveries", outcomes}});
  }
  r.body["LastSeq"] = last;
  return r;
}

Reply EventsApi::ListDeadLetters(Input& in) {
  Reply r;
  r.body["DeadLetters"] = json::array();
  for (const auto& d : bus_.dead_letters()) {
    r.body["DeadLetters"].push_back({{"Id", d.delivery.id},
                                     {"RuleArn", d.delivery.rule_arn},
                                     {"RuleName", d.delivery.rule_name},
                                     {"TargetId", d.delivery.target.value("Id", "")},
                                     {"TargetArn", d.delivery.target.value("Arn", "")},
                                     {"EventId", d.delivery.event_id},
                                     {"ErrorCode", d.error_code},
                                     {"ErrorMessage", d.error_message},
                                     {"Attempts", d.delivery.attempts},
                                     {"DeadAt", FormatIsoMillis(d.dead_ms)},
                                     {"Event", d.delivery.event}});
  }
  return r;
}

Reply EventsApi::ReplayDeadLetter(Input& in) {
  auto id = in.Integer("Id");
  if (!in.ok()) return InputError(in);
  if (!id) return EventsInvalid("Id is required.");
  Status st = bus_.ReplayDeadLetter(static_cast<uint64_t>(*id));
  if (!st.ok()) return EventsFail(st);
  return Reply{};
}

Reply EventsApi::DescribeRules(Input& in) {
  std::string bus = in.StringOr("EventBusName", "");
  if (!in.ok()) return InputError(in);
  auto rules = bus_.ListRules(bus, "");
  if (!rules.ok()) return EventsFail(rules.status());
  Reply r;
  r.body["Rules"] = json::array();
  for (const auto& rule : *rules) {
    json next = json::array();
    for (TimeMs t : bus_.NextFirings(rule, 5)) next.push_back(FormatIsoMillis(t));
    json targets = json::array();
    for (const auto& t : rule.targets) {
      targets.push_back({{"Id", t.id},
                         {"Arn", t.arn},
                         {"Counters", CountersJson(bus_.TargetCounters(rule.arn, t.id))}});
    }
    json j = {{"Name", rule.name},
              {"Arn", rule.arn},
              {"EventBusName", rule.bus},
              {"State", rule.state},
              {"NextFirings", next},
              {"Targets", targets},
              {"Counters", CountersJson(bus_.RuleCounters(rule.arn))}};
    if (!rule.pattern_text.empty()) j["EventPattern"] = rule.pattern_text;
    if (!rule.schedule_text.empty()) j["ScheduleExpression"] = rule.schedule_text;
    r.body["Rules"].push_back(std::move(j));
  }
  return r;
}

}  // namespace berth::api
