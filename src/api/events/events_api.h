// EventsApi: the EventBridge wire protocol (awsJson1_1, X-Amz-Target AWSEvents.*, signing name
// "events") over events::EventBus — rules, targets, buses, tags, PutEvents, TestEventPattern,
// connections and API destinations (spec/events.md §4) — plus berth's own read-outs for the
// `berth rules` / `berth events` CLI under X-Amz-Target BerthEvents.* (same signing name).
// Threads: control thread only.
#pragma once

#include <string>

#include "api/http/http_types.h"
#include "api/http/input.h"
#include "api/http/json_reply.h"
#include "events/event_bus.h"

namespace berth::api {

class EventsApi {
 public:
  static constexpr const char* kTargetPrefix = "AWSEvents.";
  static constexpr const char* kBerthTargetPrefix = "BerthEvents.";
  static constexpr const char* kSigningName = "events";

  explicit EventsApi(events::EventBus& bus) : bus_(bus) {}

  HttpResponse Handle(const std::string& operation, const std::string& body,
                      const std::string& region);
  HttpResponse HandleBerth(const std::string& operation, const std::string& body);

 private:
  Reply PutRule(Input& in);
  Reply DescribeRule(Input& in);
  Reply ListRules(Input& in);
  Reply DeleteRule(Input& in);
  Reply SetRuleState(Input& in, bool enabled);
  Reply PutTargets(Input& in);
  Reply ListTargetsByRule(Input& in);
  Reply RemoveTargets(Input& in);
  Reply ListRuleNamesByTarget(Input& in);
  Reply PutEvents(Input& in);
  Reply TestEventPattern(Input& in);
  Reply CreateEventBus(Input& in);
  Reply DeleteEventBus(Input& in);
  Reply DescribeEventBus(Input& in);
  Reply ListEventBuses(Input& in);
  Reply TagResource(Input& in);
  Reply UntagResource(Input& in);
  Reply ListTagsForResource(Input& in);
  // connection_handlers.cc
  Reply CreateConnection(Input& in);
  Reply DescribeConnection(Input& in);
  Reply ListConnections(Input& in);
  Reply DeleteConnection(Input& in);
  Reply CreateApiDestination(Input& in);
  Reply DescribeApiDestination(Input& in);
  Reply ListApiDestinations(Input& in);
  Reply DeleteApiDestination(Input& in);
  // berth_handlers.cc
  Reply ListRecentEvents(Input& in);
  Reply ListDeadLetters(Input& in);
  Reply ReplayDeadLetter(Input& in);
  Reply DescribeRules(Input& in);

  events::EventBus& bus_;
};

// Shared by the handler files.
Reply EventsFail(const Status& s);
Reply EventsInvalid(const std::string& message);
// A page of `items` from NextToken (an offset) and Limit (1–100); NextToken in the reply when
// more follow.
template <typename T, typename Fn>
Reply Page(Input& in, const std::vector<T>& items, const char* key, Fn to_json) {
  auto token = in.String("NextToken");
  auto limit = in.Integer("Limit");
  if (!in.ok()) return InputError(in);
  size_t start = 0;
  if (token) {
    if (token->empty() || token->find_first_not_of("0123456789") != std::string::npos ||
        token->size() > 9) {
      return EventsInvalid("The nextToken provided is invalid.");
    }
    start = std::stoul(*token);
  }
  if (limit && (*limit < 1 || *limit > 100)) {
    return EventsInvalid(
        "1 validation error detected: Value at 'limit' failed to satisfy "
        "constraint: Member must have value between 1 and 100");
  }
  size_t n = limit ? static_cast<size_t>(*limit) : 100;
  Reply r;
  r.body[key] = nlohmann::json::array();
  for (size_t i = start; i < items.size() && i < start + n; ++i) {
    r.body[key].push_back(to_json(items[i]));
  }
  if (start + n < items.size()) r.body["NextToken"] = std::to_string(start + n);
  return r;
}

}  // namespace berth::api
