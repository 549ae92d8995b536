// fuzz_request: libFuzzer target for berth's request path — HTTP parse (Boost.Beast, with the
// same limits as api/http/http_server.cc) → Router (Host check, SigV4) → EcsApi (JSON decode,
// input checks) → ControlPlane → TaskRunner over a FakeDriver, on a FakeExecutor.
//
// Input layout: data[0] is a control byte, the rest is the payload.
//   bits 0-1  mode:
//     0  payload is raw HTTP bytes; parsed and handed to the router as is (mostly ends at
//        the Host check or SigV4 — this fuzzes the parser, Host check and Verify).
//     1  data[1] picks an operation from kOperations, data[2..] is the JSON body (for "elbv2:"
//        operations: the form body after `Action=…&Version=2015-12-01&`); the harness builds a
//        correctly signed POST / and dispatches it (fuzzes JSON/form decode and the
//        handlers/control plane behind valid auth).
//     2  payload is raw HTTP bytes, but after parsing the harness re-signs the request with
//        the daemon's credentials (Authorization/X-Amz-Date replaced), so odd methods, targets,
//        header names and bodies get past SigV4 (fuzzes canonicalisation and dispatch).
//     3  like 1.
//   bit 2     afterwards, every running fake container exits (code 0 if bit 3 clear, else 1)
//   bits 4-7  how far the simulated clock moves afterwards (kAdvanceMs), so runners progress,
//             stop timeouts fire and stopped tasks get purged.
//
// The stack is built once; every kResetEvery inputs ControlPlane::Reset() bounds memory.
//
// Exceptions: like api/http/http_server.cc (the daemon's edge), an exception escaping
// Router::Handle becomes a 500 and the run goes on — but it is printed (once per distinct
// what()), since berth's own code is meant to throw nothing. FUZZ_REQUEST_STRICT=1 aborts on
// it instead, so libFuzzer records the input. FUZZ_REQUEST_MASK_NON_ASCII=1 replaces bytes
// >= 0x80 in the parsed method, target and headers with '?' (to look past the known
// non-UTF-8-in-error-message exception in strict mode).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/auth/sigv4.h"
#include "api/ecs/ecs_api.h"
#include "api/elbv2/elbv2_api.h"
#include "api/http/http_server.h"
#include "api/http/http_types.h"
#include "api/router.h"
#include "common/fake_executor.h"
#include "ecs/control_plane.h"
#include "lb/load_balancing.h"
#include "runner/fake_driver.h"
#include "state/state_store.h"

// The CloudWatch Logs API (when the tree has it) is wired like daemon/serve.cc does.
#if __has_include("api/logs/logs_api.h")
#define BERTH_FUZZ_HAS_LOGS 1
#include <stdlib.h>

#include "api/logs/logs_api.h"
#include "logs/log_store.h"
#endif

namespace {

namespace http = boost::beast::http;

constexpr char kAccessKey[] = "AKIDFUZZ";
constexpr char kSecret[] = "secret";
constexpr char kHost[] = "127.0.0.1:4747";
constexpr int kResetEvery = 4000;

const char* const kOperations[] = {
    "RegisterTaskDefinition",
    "RunTask",
    "DescribeTasks",
    "StopTask",
    "ListTasks",
    "DescribeTaskDefinition",
    "ListTaskDefinitions",
    "ListTaskDefinitionFamilies",
    "DeregisterTaskDefinition",
    "DeleteTaskDefinitions",
    "CreateCluster",
    "DescribeClusters",
    "ListClusters",
    "DeleteCluster",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "NoSuchOperation",
    // CloudWatch Logs ("logs:" = Logs_20140328.*, signed for the logs service).
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutRetentionPolicy",
    "logs:DeleteLogGroup",
    // Elastic Load Balancing v2 ("elbv2:" = query protocol, signed for elasticloadbalancing).
    "elbv2:CreateLoadBalancer",
    "elbv2:CreateTargetGroup",
    "elbv2:CreateListener",
    "elbv2:RegisterTargets",
    "elbv2:DeregisterTargets",
    "elbv2:DescribeTargetHealth",
    "elbv2:DescribeLoadBalancers",
    "elbv2:DescribeTargetGroups",
    "elbv2:ModifyTargetGroup",
    "elbv2:ModifyTargetGroupAttributes",
    "elbv2:DeleteTargetGroup",
    "elbv2:AddTags",
    // ECS services (appended, so the seeds' operation indexes above stay valid).
    "CreateService",
    "UpdateService",
    "DescribeServices",
    "ListServices",
    "DeleteService",
};
constexpr size_t kNumOperations = sizeof(kOperations) / sizeof(kOperations[0]);

const int64_t kAdvanceMs[16] = {0,     1,      10,      100,     1000,    5000,
                                10000, 30000,  31000,   60000,   120000,  300000,
                                600000, 1800000, 3600000, 3700000};

struct Stack {
  berth::FakeExecutor executor;
  berth::runner::FakeDriver driver{executor};
  std::unique_ptr<berth::state::StateStore> store;
  std::unique_ptr<berth::ecs::ControlPlane> control_plane;
  std::unique_ptr<berth::api::EcsApi> ecs_api;
  std::unique_ptr<berth::lb::LoadBalancing> load_balancing;
  std::unique_ptr<berth::api::Elbv2Api> elbv2_api;
#ifdef BERTH_FUZZ_HAS_LOGS
  std::unique_ptr<berth::logs::LogStore> log_store;
  std::unique_ptr<berth::api::LogsApi> logs_api;
#endif
  std::unique_ptr<berth::api::Router> router;
  uint64_t inputs = 0;

  Stack() {
    auto s = berth::state::StateStore::Open(":memory:");
    if (!s.ok()) {
      fprintf(stderr, "fuzz_request: cannot open state store: %s\n", s.status().message().c_str());
      abort();
    }
    store = std::move(*s);
    berth::ecs::Options o;
    // Fixed capacity, so the number of live tasks (FakeDriver processes run until told to exit)
    // is bounded whatever the host.
    o.host_cpu_units = 4096;
    o.host_memory_mib = 8192;
    o.runner.base_env = {{"PATH", "/usr/bin:/bin"}, {"AWS_REGION", "us-east-1"}};
    control_plane = std::make_unique<berth::ecs::ControlPlane>(executor, driver, *store, o);
    berth::Status st = control_plane->Load();
    if (!st.ok()) {
      fprintf(stderr, "fuzz_request: Load failed: %s\n", st.message().c_str());
      abort();
    }
    ecs_api = std::make_unique<berth::api::EcsApi>(*control_plane);
    // In memory, binding no port and sending no health check: fuzz inputs name arbitrary
    // ports and target addresses.
    berth::lb::Options lbo;
    lbo.data_path = false;
    auto lb = berth::lb::LoadBalancing::Open(executor, lbo);
    if (!lb.ok()) {
      fprintf(stderr, "fuzz_request: cannot open load balancing: %s\n", lb.status().message().c_str());
      abort();
    }
    load_balancing = std::move(*lb);
    elbv2_api = std::make_unique<berth::api::Elbv2Api>(*load_balancing);
    berth::api::RouterOptions ro;
    ro.listen_host = "127.0.0.1";
    ro.port = 4747;
    ro.allow_reset = true;
    ro.credentials = {kAccessKey, kSecret};
#ifdef BERTH_FUZZ_HAS_LOGS
    char tmpl[] = "/tmp/fuzz_request-logs-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    auto ls = dir ? berth::logs::LogStore::Open(dir, executor.clock())
                  : berth::Result<std::unique_ptr<berth::logs::LogStore>>(
                        berth::Internal("mkdtemp failed"));
    if (!ls.ok()) {
      fprintf(stderr, "fuzz_request: cannot open log store: %s\n", ls.status().message().c_str());
      abort();
    }
    log_store = std::move(*ls);
    logs_api = std::make_unique<berth::api::LogsApi>(*log_store, executor.clock(), "123456789012");
    router = std::make_unique<berth::api::Router>(ro, executor.clock(), *ecs_api, *logs_api,
                                                  *elbv2_api, [this] { return ResetState(); });
#else
    router = std::make_unique<berth::api::Router>(ro, executor.clock(), *ecs_api, *elbv2_api,
                                                  [this] { return ResetState(); });
#endif
    router->ready = true;
  }

  // Also reachable through POST /_berth/reset (allow_reset, from_loopback).
  berth::Status ResetState() {
    executor.RunPending();
    berth::Status st = control_plane->Reset();
    if (st.ok()) st = load_balancing->Reset();
    // Reset destroyed every runner; FakeDriver keeps a record of every process it ever started
    // (the runners' exit callbacks are guarded by a weak alive token), so drop them too.
    driver.procs.clear();
    driver.by_name.clear();
    driver.start_order.clear();
    driver.signal_order.clear();
    driver.probes.clear();
    return st;
  }

  void Dispatch(const berth::api::HttpRequest& req) {
    berth::api::HttpResponse resp;
    try {
      resp = router->Handle(req);
    } catch (const std::exception& e) {
      static const bool strict = [] {
        const char* v = getenv("FUZZ_REQUEST_STRICT");
        return v && *v && *v != '0';
      }();
      if (strict) {
        fprintf(stderr, "fuzz_request: exception escaped Router::Handle: %s\n", e.what());
        abort();
      }
      static std::set<std::string> seen;
      std::string what = e.what();
      for (char& c : what) {
        if (isdigit(static_cast<unsigned char>(c))) c = 'N';
      }
      if (seen.size() < 100 && seen.insert(what).second) {
        fprintf(stderr, "fuzz_request: exception escaped Router::Handle (the HTTP edge answers "
                        "500): %s\n", e.what());
      }
      return;
    }
    if (resp.status < 100 || resp.status > 599) {
      fprintf(stderr, "fuzz_request: router returned HTTP status %d\n", resp.status);
      abort();
    }
  }

  void ExitAll(int code) {
    std::vector<std::string> running;
    for (const auto& [name, id] : driver.by_name) {
      if (driver.Running(name)) running.push_back(name);
    }
    for (const std::string& name : running) driver.Exit(name, code);
  }
};

Stack& GetStack() {
  static Stack* stack = new Stack();  // never destroyed: libFuzzer exits without unwinding
  return *stack;
}

bool MaskNonAscii() {
  static const bool mask = [] {
    const char* v = getenv("FUZZ_REQUEST_MASK_NON_ASCII");
    return v && *v && *v != '0';
  }();
  return mask;
}

void Mask(std::string* s) {
  for (char& c : *s) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
}

// Parses raw HTTP like HttpServer's session does (same body and header limits). Returns false
// when the bytes are not one complete request.
bool ParseHttp(std::string_view bytes, berth::api::HttpRequest* out) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(berth::api::HttpServer::kMaxBodyBytes);
  parser.header_limit(16 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t offset = 0;
  while (!parser.is_done() && offset < bytes.size()) {
    size_t n = parser.put(boost::asio::buffer(bytes.data() + offset, bytes.size() - offset), ec);
    offset += n;
    if (ec == http::error::need_more) {
      ec = {};
      if (n == 0) break;  // the parser wants bytes we do not have
      continue;
    }
    if (ec) return false;
    if (n == 0) break;
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return false;
  }
  auto& msg = parser.get();
  out->method = std::string(msg.method_string());
  out->target = std::string(msg.target());
  for (const auto& f : msg) out->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out->body = std::move(msg.body());
  out->from_loopback = true;
  if (MaskNonAscii()) {
    Mask(&out->method);
    Mask(&out->target);
    for (auto& [k, v] : out->headers) {
      Mask(&k);
      Mask(&v);
    }
  }
  return true;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Replaces any Authorization / X-Amz-Date with a valid signature over the request as parsed.
void Resign(Stack& s, berth::api::HttpRequest* req) {
  berth::auth::Headers headers;
  bool has_host = false;
  for (auto& [k, v] : req->headers) {
    if (IEquals(k, "authorization") || IEquals(k, "x-amz-date")) continue;
    if (IEquals(k, "host")) has_host = true;
    headers.emplace_back(k, v);
  }
  if (!has_host) headers.emplace_back("Host", kHost);
  berth::auth::Headers extra = berth::auth::Sign(
      req->method, kHost, req->target, headers, req->body, {kAccessKey, kSecret}, "us-east-1",
      "ecs", s.executor.clock().NowMs());
  for (auto& h : extra) headers.push_back(std::move(h));
  req->headers = std::move(headers);
}

berth::api::HttpRequest SignedJson(Stack& s, const std::string& op, std::string body) {
  berth::api::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.body = std::move(body);
  req.from_loopback = true;
  const bool logs = op.rfind("logs:", 0) == 0;
  if (op.rfind("elbv2:", 0) == 0) {
    req.body = "Action=" + op.substr(6) + "&Version=2015-12-01&" + req.body;
    req.headers = {{"Host", kHost},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    berth::auth::Headers to_sign = {req.headers[1]};
    berth::auth::Headers extra = berth::auth::Sign(
        req.method, kHost, req.target, to_sign, req.body, {kAccessKey, kSecret}, "us-east-1",
        berth::api::Elbv2Api::kSigningName, s.executor.clock().NowMs());
    for (auto& h : extra) req.headers.push_back(std::move(h));
    return req;
  }
  const std::string target = logs ? std::string("Logs_20140328.") + op.substr(5)
                                  : std::string(berth::api::EcsApi::kTargetPrefix) + op;
  req.headers = {{"Host", kHost},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", target}};
  berth::auth::Headers to_sign = {req.headers[1], req.headers[2]};
  berth::auth::Headers extra =
      berth::auth::Sign(req.method, kHost, req.target, to_sign, req.body, {kAccessKey, kSecret},
                        "us-east-1", logs ? "logs" : "ecs", s.executor.clock().NowMs());
  for (auto& h : extra) req.headers.push_back(std::move(h));
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Stack& s = GetStack();
  if (++s.inputs % kResetEvery == 0) (void)s.ResetState();

  const uint8_t control = data[0];
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (control & 3) {
    case 0:
    case 2: {
      berth::api::HttpRequest req;
      if (!ParseHttp(payload, &req)) break;
      if ((control & 3) == 2) Resign(s, &req);
      s.Dispatch(req);
      break;
    }
    default: {
      if (payload.empty()) break;
      const char* op = kOperations[static_cast<uint8_t>(payload[0]) % kNumOperations];
      s.Dispatch(SignedJson(s, op, std::string(payload.substr(1))));
      break;
    }
  }
  s.executor.RunPending();
  if (control & 4) {
    s.ExitAll((control & 8) ? 1 : 0);
    s.executor.RunPending();
  }
  s.executor.Advance(kAdvanceMs[control >> 4]);
  return 0;
}
