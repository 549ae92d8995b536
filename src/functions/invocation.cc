// Functions: invocation — attempts (one runtime process each), their logs, outcomes, the
// Event queue and Lambda's asynchronous retries. See functions.h for the contracts.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "functions/files.h"
#include "functions/functions.h"
#include "functions/functions_internal.h"
#include "functions/runtime_shims.h"

namespace berth::functions {

using nlohmann::json;

namespace {

// Node lines start with the ISO time the shim's console writes; other lines continue them.
constexpr char kNodeLineStart[] = R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t)";

struct tm Utc(TimeMs t) {
  time_t secs = static_cast<time_t>(t / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return tm;
}

std::string IsoMillis(TimeMs t) {
  struct tm tm = Utc(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(t % 1000));
}

std::string Day(TimeMs t) {
  struct tm tm = Utc(t);
  return fmt::format("{:04}/{:02}/{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// Go's spelling, as Lambda's "Runtime exited with error: signal: killed".
std::string SignalName(int sig) {
  const char* s = strsignal(sig);
  std::string name = s ? s : "signal " + std::to_string(sig);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

InvokeResult Refused(Status st) {
  InvokeResult r;
  r.status = std::move(st);
  r.status_code = 0;
  return r;
}

}  // namespace

void Functions::Invoke(std::string_view name_or_arn, std::string payload, InvokeOptions options,
                       std::function<void(InvokeResult)> done) {
  auto reply = [this, &done](InvokeResult r) {
    executor_.Post([done = std::move(done), r = std::move(r)]() mutable {
      if (done) done(std::move(r));
    });
  };
  std::string region = options.region.empty() ? options_.default_region : options.region;
  auto f = Find(name_or_arn, region, true);
  if (!f.ok()) return reply(Refused(f.status()));
  const FunctionConfig& config = **f;
  if (!options.qualifier.empty() && options.qualifier != "$LATEST") {
    return reply(Refused(NotFoundError(config.name, options.qualifier, region)));
  }
  if (payload.empty()) payload = "{}";
  if (!json::accept(payload)) {
    return reply(Refused(InvalidArgument(
        "Could not parse request body into json: Could not parse payload into json: the "
        "payload is not a JSON document")));
  }
  InvokeResult r;
  r.request_id = NewUuid();
  switch (options.type) {
    case InvocationType::kDryRun:
      r.status_code = 204;
      return reply(std::move(r));
    case InvocationType::kEvent: {
      if (queue_.size() >= options_.max_queued_events) {
        return reply(Refused(ResourceExhausted("Rate Exceeded.")));
      }
      auto ev = std::make_shared<Event>();
      ev->name = config.name;
      ev->request_id = r.request_id;
      ev->payload = std::move(payload);
      ev->options = std::move(options);
      ev->enqueued_ms = executor_.clock().NowMs();
      queue_.push_back(std::move(ev));
      r.status_code = 202;
      reply(std::move(r));
      Pump();
      return;
    }
    case InvocationType::kRequestResponse:
      break;
  }
  if (running_ >= options_.max_concurrency) {
    return reply(Refused(ResourceExhausted("Rate Exceeded.")));
  }
  auto a = std::make_shared<Attempt>();
  a->request_id = r.request_id;
  a->config = config;
  a->arn = Arn(config);
  a->payload = std::move(payload);
  a->tail_log = options.tail_log;
  a->client_context = options.client_context;
  a->done = std::move(done);
  StartAttempt(a);
}

void Functions::Pump() {
  while (running_ < options_.max_concurrency && !queue_.empty()) {
    std::shared_ptr<Event> ev = queue_.front();
    queue_.pop_front();
    auto it = functions_.find(ev->name);
    if (it == functions_.end()) {
      InvokeResult r = Refused(NotFoundError(ev->name, "", ev->options.region));
      r.request_id = ev->request_id;
      r.attempts = ev->attempts;
      if (ev->options.on_event_done) {
        executor_.Post([cb = ev->options.on_event_done, r] { cb(r); });
      }
      continue;
    }
    ++ev->attempts;
    auto a = std::make_shared<Attempt>();
    a->request_id = ev->request_id;
    a->config = it->second;
    a->arn = Arn(it->second);
    a->payload = ev->payload;
    a->client_context = ev->options.client_context;
    a->event = ev;
    StartAttempt(a);
  }
}

std::vector<std::pair<std::string, std::string>> Functions::ProcessEnv(const Attempt& a) const {
  const FunctionConfig& c = a.config;
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : options_.base_env) env[k] = v;
  for (const auto& [k, v] : c.environment) env[k] = v;
  std::string region = c.region.empty() ? options_.default_region : c.region;
  env["AWS_LAMBDA_FUNCTION_NAME"] = c.name;
  env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
  env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(c.memory_mb);
  env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
  env["AWS_REGION"] = region;
  env["AWS_DEFAULT_REGION"] = region;
  env["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + c.runtime;
  env["AWS_LAMBDA_LOG_GROUP_NAME"] = a.group;
  env["AWS_LAMBDA_LOG_STREAM_NAME"] = a.stream;
  env["LAMBDA_TASK_ROOT"] = CodeRoot(c);
  env["LAMBDA_RUNTIME_DIR"] = Dir("runtime");
  env["_HANDLER"] = c.handler;
  env["TZ"] = ":UTC";
  if (env.find("PATH") == env.end()) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  if (KindOf(c.runtime) == RuntimeKind::kPython) {
    env["PYTHONUNBUFFERED"] = "1";         // lines reach the log as they are printed
    env["PYTHONDONTWRITEBYTECODE"] = "1";  // the extracted code stays as uploaded
  }
  env["BERTH_LAMBDA_EVENT"] = a.dir + "/event.json";
  env["BERTH_LAMBDA_RESULT"] = a.dir + "/result.json";
  env["BERTH_LAMBDA_META"] = a.dir + "/meta.json";
  env["BERTH_LAMBDA_REQUEST_ID"] = a.request_id;
  env["BERTH_LAMBDA_DEADLINE_MS"] = std::to_string(a.started_ms + c.timeout_s * 1000LL);
  env["BERTH_LAMBDA_FUNCTION_ARN"] = a.arn;
  if (!a.client_context.empty()) env["BERTH_LAMBDA_CLIENT_CONTEXT"] = a.client_context;
  return {env.begin(), env.end()};
}

void Functions::StartAttempt(const std::shared_ptr<Attempt>& a) {
  ++running_;
  ++code_in_use_[a->config.code_id];
  attempts_[a->request_id] = a;
  a->started_ms = executor_.clock().NowMs();
  a->group = "/aws/lambda/" + a->config.name;
  a->stream = AcquireStream(a->config);
  a->dir = Dir("run/" + a->request_id);
  const std::string root = CodeRoot(a->config);
  const RuntimeKind kind = KindOf(a->config.runtime);

  std::string start_error;
  RemoveTree(a->dir);
  Status st = MakeDirs(a->dir);
  if (st.ok()) st = WriteFile(a->dir + "/event.json", a->payload);
  if (!st.ok()) start_error = st.message();
  std::string start = "START RequestId: " + a->request_id + " Version: $LATEST";
  AppendLog(a->group, a->stream, start);
  a->output->Add(start + "\n");

  driver::ProcessSpec spec;
  spec.task_id = a->request_id;
  spec.task_id.erase(std::remove(spec.task_id.begin(), spec.task_id.end(), '-'),
                     spec.task_id.end());
  spec.container_name = "lambda";
  spec.working_dir = root;
  spec.memory_limit_bytes = static_cast<long long>(a->config.memory_mb) * 1024 * 1024;
  switch (kind) {
    case RuntimeKind::kNode:
      spec.argv = {options_.node, Dir(std::string("runtime/") + kNodeShimFile)};
      break;
    case RuntimeKind::kPython:
      spec.argv = {options_.python, Dir(std::string("runtime/") + kPythonShimFile)};
      break;
    case RuntimeKind::kProvided:
      spec.argv = {options_.shell, "-c",
                   "exec \"$LAMBDA_TASK_ROOT/bootstrap\" < \"$BERTH_LAMBDA_EVENT\" > "
                   "\"$BERTH_LAMBDA_RESULT\""};
      if (start_error.empty() && access((root + "/bootstrap").c_str(), X_OK) != 0) {
        start_error = "Couldn't find valid bootstrap(s): [" + root + "/bootstrap]";
      }
      break;
    case RuntimeKind::kUnsupported:
      if (start_error.empty()) start_error = "Runtime " + a->config.runtime + " is not supported";
      break;
  }
  spec.env = ProcessEnv(*a);

  if (start_error.empty() && options_.pipeline) {
    logs::ContainerLogConfig cfg;
    cfg.group = a->group;
    cfg.stream = a->stream;
    cfg.create_group = true;
    // Node: a console line and its continuation lines are one event. Others: every line is an
    // event; multiline mode keeps each line's "\n", as Lambda's messages have it.
    cfg.start_pattern = kind == RuntimeKind::kNode ? kNodeLineStart : "^";
    auto log = options_.pipeline->Open(cfg);
    if (log.ok()) a->output->log = *log;
  }
  std::weak_ptr<int> alive = alive_;
  if (start_error.empty()) {
    std::shared_ptr<Output> out = a->output;
    Result<std::string> id = driver_.Start(
        spec,
        [this, alive, a](driver::ExitStatus status) {
          if (alive.lock()) FinishAttempt(a, status, "");
        },
        [out](driver::Stream s, std::string_view data, int64_t) {
          out->Add(data);
          if (out->log) out->log->Write(data, s == driver::Stream::kStderr);
        });
    if (id.ok()) {
      a->runtime_id = *id;
      a->timer = executor_.RunAfter(a->config.timeout_s * 1000LL, [this, alive, a] {
        if (!alive.lock() || a->finished) return;
        a->timed_out = true;
        (void)driver_.Signal(a->runtime_id, SIGKILL);
      });
      return;
    }
    start_error = id.status().message();
  }
  // Never ran: finish on a later turn, so Invoke never calls back from inside itself.
  executor_.Post([this, alive, a, start_error] {
    if (alive.lock()) FinishAttempt(a, driver::ExitStatus{}, start_error);
  });
}

InvokeResult Functions::Outcome(Attempt& a, driver::ExitStatus exit, const std::string& start_error,
                                std::string* log_error, std::string* report_status) {
  InvokeResult r;
  r.request_id = a.request_id;
  r.status_code = 200;
  const std::string prefix = "RequestId: " + a.request_id + " Error: ";
  auto error = [&](const std::string& type, const std::string& message, bool log) {
    r.function_error = "Unhandled";
    r.payload = nlohmann::ordered_json{{"errorType", type}, {"errorMessage", message}}.dump();
    if (log) *log_error = message + "\n" + type;
    *report_status = "Status: error\tError Type: " + type;
  };
  if (!start_error.empty()) {
    error("Runtime.InvalidEntrypoint", prefix + start_error, true);
    return r;
  }
  if (a.timed_out) {
    std::string msg =
        fmt::format("Task timed out after {:.2f} seconds", static_cast<double>(a.config.timeout_s));
    error("Sandbox.Timedout", prefix + msg, false);
    *log_error = IsoMillis(executor_.clock().NowMs()) + " " + a.request_id + " " + msg;
    *report_status = "Status: timeout";
    return r;
  }
  if (exit.oom_killed) {
    error("Runtime.OutOfMemory", prefix + "Runtime exited with error: signal: killed", true);
    return r;
  }
  auto result = ReadFile(a.dir + "/result.json", options_.max_response_bytes);
  bool has = result.ok();
  if (has && result->size() > options_.max_response_bytes) {
    error("Function.ResponseSizeTooLarge",
          "Response payload size exceeded maximum allowed payload size (" +
              std::to_string(options_.max_response_bytes) + " bytes).",
          true);
    return r;
  }
  bool clean = exit.signal == 0;
  if (KindOf(a.config.runtime) == RuntimeKind::kProvided) {
    if (clean && exit.exit_code == 0) {
      r.payload = has ? *result : "";
      return r;
    }
    if (has) {
      json j = json::parse(*result, nullptr, false);
      if (j.is_object() && (j.contains("errorType") || j.contains("errorMessage"))) {
        r.function_error = "Unhandled";
        r.payload = *result;
        auto t = j.find("errorType");
        *report_status = "Status: error\tError Type: " +
                         (t != j.end() && t->is_string() ? t->get<std::string>() : "Unhandled");
        return r;
      }
    }
  } else if (has && clean && (exit.exit_code == 0 || exit.exit_code == 1)) {
    r.payload = *result;
    if (exit.exit_code == 1) {
      r.function_error = "Unhandled";
      json j = json::parse(*result, nullptr, false);
      auto t = j.is_object() ? j.find("errorType") : j.end();
      *report_status =
          "Status: error\tError Type: " +
          (j.is_object() && t != j.end() && t->is_string() ? t->get<std::string>() : "Unhandled");
    }
    return r;
  }
  std::string why = !clean ? "Runtime exited with error: signal: " + SignalName(exit.signal)
                    : exit.exit_code != 0
                        ? "Runtime exited with error: exit status " + std::to_string(exit.exit_code)
                        : "Runtime exited without providing a reason";
  error("Runtime.ExitError", prefix + why, true);
  return r;
}

void Functions::FinishAttempt(const std::shared_ptr<Attempt>& a, driver::ExitStatus exit,
                              const std::string& start_error) {
  if (a->finished) return;
  a->finished = true;
  executor_.Cancel(a->timer);
  // The driver delivered every chunk of output before the exit: flush the last lines.
  if (a->output->log) a->output->log->Close();
  std::string log_error, report_status;
  InvokeResult r = Outcome(*a, exit, start_error, &log_error, &report_status);

  TimeMs now = executor_.clock().NowMs();
  int64_t duration = std::max<int64_t>(0, now - a->started_ms);
  int64_t max_mb = 0;
  if (auto meta = ReadFile(a->dir + "/meta.json", 4096); meta.ok()) {
    json j = json::parse(*meta, nullptr, false);
    if (j.is_object() && j.contains("maxRssKb") && j["maxRssKb"].is_number()) {
      max_mb = (j["maxRssKb"].get<int64_t>() + 1023) / 1024;
    }
  }
  std::vector<std::string> lines;
  if (!log_error.empty()) lines.push_back(log_error);
  lines.push_back("END RequestId: " + a->request_id);
  std::string report = fmt::format(
      "REPORT RequestId: {}\tDuration: {:.2f} ms\tBilled Duration: {} ms\tMemory Size: {} MB\t"
      "Max Memory Used: {} MB\t",
      a->request_id, static_cast<double>(duration), std::max<int64_t>(1, duration),
      a->config.memory_mb, max_mb);
  if (!report_status.empty()) report += report_status;
  lines.push_back(report);
  for (const std::string& line : lines) {
    AppendLog(a->group, a->stream, line);
    a->output->Add(line + "\n");
  }
  if (a->tail_log) r.log_tail = a->output->Tail();

  RemoveTree(a->dir);
  ReleaseStream(a->config.name, a->stream);
  attempts_.erase(a->request_id);
  --running_;
  ReleaseCode(a->config.code_id);
  if (a->event) {
    EventAttemptDone(a->event, std::move(r));
  } else if (a->done) {
    auto done = std::move(a->done);
    done(std::move(r));
  }
  Pump();
}

void Functions::EventAttemptDone(const std::shared_ptr<Event>& ev, InvokeResult r) {
  r.attempts = ev->attempts;
  size_t retry = static_cast<size_t>(ev->attempts - 1);
  if (!r.function_error.empty() && retry < options_.async_retry_delays_ms.size()) {
    int64_t delay = options_.async_retry_delays_ms[retry];
    TimeMs due = executor_.clock().NowMs() + delay;
    if (due - ev->enqueued_ms <= options_.max_event_age_ms && functions_.count(ev->name)) {
      auto id = std::make_shared<TimerId>(0);
      std::weak_ptr<int> alive = alive_;
      *id = executor_.RunAfter(delay, [this, alive, id, ev] {
        if (!alive.lock()) return;
        retry_timers_.erase(*id);
        queue_.push_back(ev);
        Pump();
      });
      retry_timers_.insert(*id);
      return;
    }
  }
  if (ev->options.on_event_done) ev->options.on_event_done(r);
}

std::string Functions::AcquireStream(const FunctionConfig& c) {
  std::string day = Day(executor_.clock().NowMs());
  StreamPool& pool = streams_[c.name];
  if (pool.revision_id != c.revision_id || pool.day != day) {
    pool.revision_id = c.revision_id;
    pool.day = day;
    pool.streams.clear();
  }
  for (auto& [name, busy] : pool.streams) {
    if (!busy) {
      busy = true;
      return name;
    }
  }
  std::string name = day + "/[$LATEST]" + RandomHex(32);
  pool.streams.emplace_back(name, true);
  return name;
}

void Functions::ReleaseStream(const std::string& function, const std::string& stream) {
  auto it = streams_.find(function);
  if (it == streams_.end()) return;
  for (auto& [name, busy] : it->second.streams) {
    if (name == stream) busy = false;
  }
}

void Functions::AppendLog(const std::string& group, const std::string& stream,
                          const std::string& line) {
  logs::LogStore* store = options_.log_store;
  if (!store) return;
  if (!store->DescribeGroup(group).ok()) {
    Status st = store->CreateGroup(group, {});
    if (!st.ok() && st.code() != Code::kAlreadyExists) return;
  }
  // Lambda's messages end with a newline, as the runtimes' lines do (multiline mode below).
  (void)store->Append(group, stream, {{executor_.clock().NowMs(), line + "\n"}}, false, true);
}

}  // namespace berth::functions
