// Functions: berth's Lambda subset — a registry of functions (config + extracted zip code) and
// the local runtimes that invoke them, one process per invocation, started through the
// driver::Driver like any container (the daemon's ProcessDriver reaps every child, so nothing
// here forks on its own).
//
// Storage (DATA_DIR/functions/, survives restarts; every change is committed by one atomic
// rename of a config file):
//   registry/NAME.json   the function's FunctionConfig (function_config.h); its presence IS the
//                        function. Create/Update write a temp file, fsync, rename.
//   code/<code_id>/      its extracted zip, written before the config that names it; an update
//                        extracts a new tree and flips the config; a tree no config names is
//                        deleted once no invocation runs in it (and by Load after a crash).
//   run/<request_id>/    per-invocation files: event.json in, result.json and meta.json out.
//   runtime/             the Node.js and Python shims (written by Load).
//
// Invocation (one attempt): a process with cwd = LAMBDA_TASK_ROOT = the code tree, the
// function's Environment.Variables over the daemon's base environment, plus Lambda's own
// variables (AWS_LAMBDA_FUNCTION_NAME, _VERSION, _MEMORY_SIZE, AWS_REGION, AWS_DEFAULT_REGION,
// AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME, AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT,
// LAMBDA_RUNTIME_DIR, _HANDLER, TZ=:UTC) and berth's file contract:
//   BERTH_LAMBDA_EVENT     the event (payload) file, JSON
//   BERTH_LAMBDA_RESULT    where the result (or error) JSON goes
//   BERTH_LAMBDA_META      optional {"maxRssKb":N} for the REPORT line
//   BERTH_LAMBDA_REQUEST_ID, BERTH_LAMBDA_DEADLINE_MS (epoch ms), BERTH_LAMBDA_FUNCTION_ARN,
//   BERTH_LAMBDA_CLIENT_CONTEXT (X-Amz-Client-Context, base64, when given)
// The driver gives no stdin and no extra fds, hence files. Runtimes:
//   nodejs*    `node runtime/node-shim.js`: Handler `path/file.export[.nested]` loads
//              file.js|.mjs|.cjs (CommonJS or ESM, via import()), calls export(event, context,
//              callback); a returned promise or the callback gives the result, the first one
//              wins; a callback result waits for the event loop to drain unless
//              context.callbackWaitsForEmptyEventLoop = false. console.* goes to stderr as
//              "ISO-TIME\tREQUEST-ID\tLEVEL\tmessage". Errors: {errorType, errorMessage, trace};
//              types are the Error's name, Runtime.ImportModuleError, Runtime.HandlerNotFound,
//              Runtime.MalformedHandlerName, Runtime.UserCodeSyntaxError,
//              Runtime.UncaughtException, Runtime.UnhandledPromiseRejection.
//   python3*   `/usr/bin/python3 runtime/python-shim.py`: Handler `path/module.function`,
//              function(event, context); print() and logging go to the log. Errors:
//              {errorMessage, errorType, requestId, stackTrace} as Lambda's Python runtime.
//   provided*  `sh -c 'exec "$LAMBDA_TASK_ROOT/bootstrap" < "$BERTH_LAMBDA_EVENT"
//              > "$BERTH_LAMBDA_RESULT"'`: the executable `bootstrap` reads the event on stdin
//              and writes the result on stdout, logs on stderr; exit 0 = success; another exit
//              status is a function error whose body is stdout when that is a JSON object with
//              errorType or errorMessage, else Runtime.ExitError. (Not Lambda's Runtime API: no
//              loop, one process per event.)
// A runtime exiting without a result is Runtime.ExitError ("RequestId: ID Error: Runtime
// exited with error: exit status N"); at the function's Timeout the process tree is killed
// (Signal SIGKILL) and the error is {"errorType":"Sandbox.Timedout","errorMessage":
// "RequestId: ID Error: Task timed out after N.00 seconds"}. MemorySize becomes the process
// tree's memory limit where the driver enforces one (an OOM kill is Runtime.OutOfMemory).
//
// Logs: group /aws/lambda/NAME (created on first use), stream YYYY/MM/DD/[$LATEST]<32 hex> per
// "execution environment" (an idle stream is reused, a busy one never shared; a new set after
// a code or configuration change), lines: "START RequestId: ID Version: $LATEST", the
// runtime's stdout/stderr through logs::Pipeline (Node lines grouped by their timestamp
// prefix), "END RequestId: ID", "REPORT RequestId: ID\tDuration: … ms\tBilled Duration: … ms\t
// Memory Size: … MB\tMax Memory Used: … MB\t" (Max Memory Used is what the Node and Python
// shims measure; provided functions report 0). Every message ends with "\n", as Lambda's do.
//
// Concurrency: at most Options::max_concurrency attempts run at once. A RequestResponse
// invocation beyond it fails with ResourceExhausted (TooManyRequestsException). Event
// invocations queue (up to max_queued_events) and follow Lambda's asynchronous policy: a
// function error, timeout or runtime exit is retried twice, after async_retry_delays_ms (1 min,
// then 2 min), with the same request id, while the event is younger than max_event_age_ms
// (6 h); then the event is dropped (on_event_done says how it ended). The queue is in memory:
// events waiting when the daemon stops are lost here; EventBridge's deliveries survive because
// the bus keeps each one in its outbox until on_event_done (daemon/event_targets.cc).
//
// Threads: construct, call every method and destroy on the control thread (the Executor).
// Every callback (Invoke's done, on_event_done) is posted to and runs on the control thread,
// never inside the call that passed it. Output is captured on the driver's capture thread into
// a per-invocation buffer (its own mutex) and the logs::Pipeline.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "driver/driver.h"
#include "functions/function_config.h"
#include "functions/zip_reader.h"
#include "logs/log_store.h"
#include "logs/pipeline.h"

namespace berth::functions {

struct Options {
  std::string data_dir;  // functions live in data_dir/functions
  std::string account_id = "123456789012";
  std::string default_region = "us-east-1";
  // What every function process starts from (the daemon's BaseEnvironment: PATH, HOME, …);
  // the function's variables and Lambda's own are laid over it.
  std::vector<std::pair<std::string, std::string>> base_env;
  logs::LogStore* log_store = nullptr;  // START/END/REPORT lines; null = none
  logs::Pipeline* pipeline = nullptr;   // the runtime's output; null = only in LogType Tail
  std::string node = "node";            // looked up in the process's PATH
  std::string python = "/usr/bin/python3";
  std::string shell = "/bin/sh";
  // Lambda's asynchronous retry policy: one delay per retry.
  std::vector<int64_t> async_retry_delays_ms = {60'000, 120'000};
  int64_t max_event_age_ms = 6 * 3600'000LL;
  int max_concurrency = 16;
  size_t max_queued_events = 10000;
  size_t max_response_bytes = 6291456;  // Lambda's 6 MB synchronous response limit
  ZipLimits zip_limits;
};

enum class InvocationType { kRequestResponse, kEvent, kDryRun };

struct InvokeResult {
  // Non-OK: the invocation was refused and nothing ran (NotFound, InvalidArgument for a
  // payload that is not JSON, ResourceExhausted when at the concurrency or queue limit).
  Status status;
  int status_code = 200;  // 200 RequestResponse, 202 Event (queued), 204 DryRun
  std::string request_id;
  std::string payload;         // the result, or the error JSON when function_error is set
  std::string function_error;  // "" or "Unhandled"
  std::string log_tail;        // raw (not base64) last 4 KB of the log, with LogType Tail
  std::string executed_version = "$LATEST";
  int attempts = 0;  // Event: attempts made (in on_event_done)
};

struct InvokeOptions {
  InvocationType type = InvocationType::kRequestResponse;
  bool tail_log = false;       // LogType Tail (RequestResponse only)
  std::string qualifier;       // "" or "$LATEST" (berth has no versions or aliases)
  std::string region;          // the caller's region, for error messages; "" = default
  std::string client_context;  // X-Amz-Client-Context (base64 JSON), passed to the runtime
  // Event only: runs once the event is finished — a success, or the error of its last attempt
  // after the retries (or NotFound when the function was deleted meanwhile).
  std::function<void(const InvokeResult&)> on_event_done;
};

// UpdateFunctionConfiguration: only the members given change.
struct ConfigurationUpdate {
  std::optional<std::string> runtime, handler, role, description;
  std::optional<StringMap> environment;
  std::optional<int> timeout_s, memory_mb;
};

struct FunctionPage {
  std::vector<FunctionConfig> functions;  // by name
  std::string next_marker;                // "" = last page
};

class Functions {
 public:
  Functions(Executor& executor, driver::Driver& driver, Options options);
  // Pending timers are cancelled; running processes are left to the driver (the daemon's
  // driver.KillAll() ends them) and their completions are ignored.
  ~Functions();
  Functions(const Functions&) = delete;
  Functions& operator=(const Functions&) = delete;

  // Creates the folders, writes the runtime shims, reads the registry and removes what a crash
  // left behind (code trees no config names, run/ folders). Call once, before anything else.
  Status Load();

  // CreateFunction. config: every configuration member (name, region, runtime, handler, role,
  // description, environment, timeout, memory, tags); the code members are filled in from zip.
  // Errors: AlreadyExists ("Function already exist: NAME"), InvalidArgument (validation, a zip
  // that cannot be extracted: "Could not unzip uploaded file. …", "Unzipped size must be
  // smaller than 262144000 bytes"), Internal (disk).
  Result<FunctionConfig> CreateFunction(FunctionConfig config, std::string_view zip);
  // NotFound ("Function not found: arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]");
  // InvalidArgument for a malformed name or ARN. region: the caller's, for the message.
  Result<FunctionConfig> GetFunction(std::string_view name_or_arn, const std::string& region) const;
  // Names after `marker` (a name from an earlier page's next_marker), at most max_items.
  FunctionPage ListFunctions(const std::string& marker, int max_items) const;
  Status DeleteFunction(std::string_view name_or_arn, const std::string& region);
  Result<FunctionConfig> UpdateFunctionCode(std::string_view name_or_arn, const std::string& region,
                                            std::string_view zip);
  Result<FunctionConfig> UpdateFunctionConfiguration(std::string_view name_or_arn,
                                                     const std::string& region,
                                                     const ConfigurationUpdate& update);
  // Tags by function ARN (TagResource / UntagResource / ListTags).
  Status TagResource(std::string_view arn, const std::string& region, const StringMap& tags);
  Status UntagResource(std::string_view arn, const std::string& region,
                       const std::vector<std::string>& keys);
  Result<StringMap> ListTags(std::string_view arn, const std::string& region) const;

  // Invokes a function. The result is posted to the control thread and passed to `done`
  // exactly once:
  //   RequestResponse  when the attempt has finished (result, function error or timeout);
  //   Event            at once, with status_code 202, once the event is queued; the attempts
  //                    and retries follow (see the top of this file) and end in on_event_done;
  //   DryRun           at once, 204, after checking the function exists.
  // This is the entry point for C++ callers too (EventBridge's Lambda targets call it with
  // InvocationType::kEvent; Lambda's retry policy then applies, so a caller need not retry
  // function errors). payload: the event JSON ("" = {}).
  void Invoke(std::string_view name_or_arn, std::string payload, InvokeOptions options,
              std::function<void(InvokeResult)> done);

  // The daemon's reset: every function deleted, queued events dropped, running attempts
  // killed (their callers still get a result).
  Status Reset();

  std::string Arn(const FunctionConfig& config) const;
  // Absolute path of a function's extracted code (LAMBDA_TASK_ROOT).
  std::string CodeRoot(const FunctionConfig& config) const;
  size_t running() const { return static_cast<size_t>(running_); }
  size_t queued_events() const { return queue_.size(); }

 private:
  struct Attempt;
  struct Event;
  struct Output;

  // Looks a reference up; NotFound/InvalidArgument with Lambda's messages.
  Result<const FunctionConfig*> Find(std::string_view name_or_arn, const std::string& region,
                                     bool allow_qualifier) const;
  Status NotFoundError(const std::string& name, const std::string& qualifier,
                       const std::string& region) const;
  Result<std::string> ExtractCode(std::string_view zip);  // → code id
  Status WriteConfig(const FunctionConfig& config);
  void ReleaseCode(const std::string& code_id);
  void CollectCode(const std::string& code_id);

  // Invocation (invocation.cc).
  void StartAttempt(const std::shared_ptr<Attempt>& attempt);
  // exit: how the process ended; start_error: it never ran (no bootstrap, spawn failure).
  void FinishAttempt(const std::shared_ptr<Attempt>& attempt, driver::ExitStatus exit,
                     const std::string& start_error);
  InvokeResult Outcome(Attempt& attempt, driver::ExitStatus exit, const std::string& start_error,
                       std::string* log_error, std::string* report_status);
  void EventAttemptDone(const std::shared_ptr<Event>& event, InvokeResult result);
  void Pump();
  std::string AcquireStream(const FunctionConfig& config);
  void ReleaseStream(const std::string& name, const std::string& stream);
  void AppendLog(const std::string& group, const std::string& stream, const std::string& line);
  std::vector<std::pair<std::string, std::string>> ProcessEnv(const Attempt& a) const;

  std::string Dir(const std::string& sub) const;

  Executor& executor_;
  driver::Driver& driver_;
  Options options_;
  std::string root_;                                 // data_dir/functions
  std::map<std::string, FunctionConfig> functions_;  // by name
  std::map<std::string, int> code_in_use_;           // code id → running attempts
  std::vector<std::string> orphaned_code_;           // unreferenced, waiting for attempts
  struct StreamPool {
    std::string revision_id, day;
    std::vector<std::pair<std::string, bool>> streams;  // name, busy
  };
  std::map<std::string, StreamPool> streams_;                 // by function name
  std::map<std::string, std::shared_ptr<Attempt>> attempts_;  // running, by request id
  std::deque<std::shared_ptr<Event>> queue_;  // Event invocations waiting for a slot
  std::set<TimerId> retry_timers_;            // Event retries waiting
  int running_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // callbacks check it
};

}  // namespace berth::functions
