// LogsApi: PutLogEvents, GetLogEvents, FilterLogEvents.
#include "api/logs/logs_api.h"
#include "common/ids.h"
#include "logs/filter_pattern.h"

namespace berth::api {

using nlohmann::json;

namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr size_t kMaxBatchBytes = 1048576;
constexpr size_t kPerEventOverhead = 26;

json EventJson(const logs::StoredEvent& e, bool with_stream) {
  json j = {{"timestamp", e.timestamp}, {"message", e.message}, {"ingestionTime", e.ingestion_time}};
  if (with_stream) {
    j["logStreamName"] = e.stream;
    j["eventId"] = e.event_id;
  }
  return j;
}

}  // namespace

Reply LogsApi::PutLogEvents(Input& in) {
  std::string group = in.RequiredString("logGroupName");
  std::string stream = in.RequiredString("logStreamName");
  const json* events_json = in.Array("logEvents");
  if (!in.ok()) return InputError(in);
  if (!events_json) return LogsInvalid("logEvents must contain at least one event.");
  if (events_json->size() > 10000) {
    return LogsInvalid("1 validation error detected: Value at 'logEvents' failed to satisfy "
                       "constraint: Member must have length less than or equal to 10000");
  }
  std::vector<logs::InputEvent> events;
  size_t bytes = 0;
  for (const auto& e : *events_json) {
    if (!e.is_object() || !e.contains("timestamp") || !e["timestamp"].is_number_integer() ||
        !e.contains("message") || !e["message"].is_string()) {
      return ErrorReply({400, "SerializationException",
                         "Each log event needs an integer timestamp and a string message."});
    }
    std::string message = e["message"].get<std::string>();
    if (message.empty()) {
      return LogsInvalid("1 validation error detected: Value at 'logEvents.message' failed to "
                         "satisfy constraint: Member must have length greater than or equal to 1");
    }
    bytes += message.size() + kPerEventOverhead;
    events.push_back({e["timestamp"].get<int64_t>(), std::move(message)});
  }
  if (bytes > kMaxBatchBytes) {
    return LogsInvalid("Upload too large: " + std::to_string(bytes) +
                       " bytes exceeds limit of 1048576");
  }
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].timestamp < events[i - 1].timestamp) {
      return LogsInvalid(
          "Log events in a single PutLogEvents request must be in chronological order.");
    }
  }
  if (events.back().timestamp - events.front().timestamp > kDayMs) {
    return LogsInvalid(
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
  }
  auto g = store_.DescribeGroup(group);
  if (!g.ok()) return LogsFail(g.status());
  // Partial rejects, as CloudWatch reports them: a too-old / expired prefix and a too-new suffix.
  int64_t now = clock_.NowMs();
  size_t too_old_end = 0, expired_end = 0, too_new_start = events.size();
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].timestamp < now - 14 * kDayMs) too_old_end = i + 1;
    if (g->retention_days && events[i].timestamp < now - *g->retention_days * kDayMs) {
      expired_end = i + 1;
    }
    if (events[i].timestamp > now + 2 * kHourMs && too_new_start == events.size()) too_new_start = i;
  }
  size_t first = std::max(too_old_end, expired_end);
  std::vector<logs::InputEvent> accepted;
  for (size_t i = first; i < too_new_start; ++i) accepted.push_back(std::move(events[i]));
  if (!accepted.empty()) {
    Status st = store_.Append(group, stream, accepted, /*durable=*/true);
    if (!st.ok()) return LogsFail(st);
  } else {
    // Nothing to store, but the stream must still exist.
    auto streams = store_.ListStreams(group);
    if (!streams.ok()) return LogsFail(streams.status());
    bool found = false;
    for (const auto& s : *streams) found |= s.name == stream;
    if (!found) return LogsFail(NotFound("The specified log stream does not exist."));
  }
  Reply r;
  r.body["nextSequenceToken"] = RandomHex(56);
  json rejected = json::object();
  if (too_new_start < events.size()) rejected["tooNewLogEventStartIndex"] = too_new_start;
  if (too_old_end > 0) rejected["tooOldLogEventEndIndex"] = too_old_end;
  if (expired_end > 0) rejected["expiredLogEventEndIndex"] = expired_end;
  if (!rejected.empty()) r.body["rejectedLogEventsInfo"] = rejected;
  return r;
}

Reply LogsApi::GetLogEvents(Input& in) {
  logs::StreamPageRequest req;
  req.group = GroupName(in);
  req.stream = in.RequiredString("logStreamName");
  req.start_time = in.Integer("startTime");
  req.end_time = in.Integer("endTime");
  req.token = in.StringOr("nextToken", "");
  auto limit = in.Integer("limit");
  req.start_from_head = in.Boolean("startFromHead").value_or(false);
  if (!in.ok()) return InputError(in);
  if (limit && (*limit < 1 || *limit > 10000)) {
    return LogsInvalid("1 validation error detected: Value at 'limit' failed to satisfy "
                       "constraint: Member must have value between 1 and 10000");
  }
  req.limit = static_cast<int>(limit.value_or(10000));
  auto page = store_.GetEvents(req);
  if (!page.ok()) return LogsFail(page.status());
  Reply r;
  r.body["events"] = json::array();
  for (const auto& e : page->events) r.body["events"].push_back(EventJson(e, false));
  r.body["nextForwardToken"] = page->next_forward_token;
  r.body["nextBackwardToken"] = page->next_backward_token;
  return r;
}

Reply LogsApi::FilterLogEvents(Input& in) {
  logs::FilterRequest req;
  req.group = GroupName(in);
  req.stream_names = in.StringList("logStreamNames");
  req.stream_prefix = in.StringOr("logStreamNamePrefix", "");
  req.start_time = in.Integer("startTime");
  req.end_time = in.Integer("endTime");
  std::string pattern = in.StringOr("filterPattern", "");
  req.token = in.StringOr("nextToken", "");
  auto limit = in.Integer("limit");
  (void)in.Boolean("interleaved");
  if (!in.ok()) return InputError(in);
  if (!req.stream_names.empty() && !req.stream_prefix.empty()) {
    return LogsInvalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
  }
  if (req.stream_names.size() > 100) {
    return LogsInvalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy "
                       "constraint: Member must have length less than or equal to 100");
  }
  if (pattern.size() > 1024) {
    return LogsInvalid("1 validation error detected: Value at 'filterPattern' failed to satisfy "
                       "constraint: Member must have length less than or equal to 1024");
  }
  if (limit && (*limit < 1 || *limit > 10000)) {
    return LogsInvalid("1 validation error detected: Value at 'limit' failed to satisfy "
                       "constraint: Member must have value between 1 and 10000");
  }
  req.limit = static_cast<int>(limit.value_or(10000));
  auto parsed = logs::FilterPattern::Parse(pattern);
  if (!parsed.ok()) return LogsFail(parsed.status());
  std::shared_ptr<const logs::FilterPattern> filter = *parsed;
  req.match = [filter](std::string_view message) { return filter->Matches(message); };
  auto page = store_.Filter(req);
  if (!page.ok()) return LogsFail(page.status());
  Reply r;
  r.body["events"] = json::array();
  for (const auto& e : page->events) r.body["events"].push_back(EventJson(e, true));
  r.body["searchedLogStreams"] = json::array();
  if (!page->next_token.empty()) r.body["nextToken"] = page->next_token;
  return r;
}

}  // namespace berth::api
