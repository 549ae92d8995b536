// bench (i)'s workload (events_workload.h).
#include "events_workload.h"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace bench_events {

using berth::events::EventPattern;
using berth::events::FlatEvent;
using nlohmann::json;
using nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// Random helpers (deterministic).

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g_); }
  bool Chance(double p) { return Real(0, 1) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }
  std::string Hex(int n) {
    static const char k[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(k[Int(0, 15)]);
    return s;
  }
  std::string Digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + Int(0, 9)));
    return s;
  }
  std::string Words(int n) {
    static const std::vector<std::string> w = {
        "please",   "deliver", "before", "noon",     "leave",   "at",      "the",
        "door",     "gift",    "for",    "birthday", "fragile", "handle",  "with",
        "care",     "call",    "on",     "arrival",  "ring",    "bell",    "twice",
        "customer", "asked",   "about",  "express",  "upgrade", "invoice", "needed"};
    std::string s;
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += Pick(w);
    }
    return s;
  }
  std::string Time() {
    char b[40];
    snprintf(b, sizeof b, "2024-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(1, 12), Int(1, 28), Int(0, 23),
             Int(0, 59), Int(0, 59), Int(0, 999));
    return b;
  }
  std::mt19937_64& engine() { return g_; }

 private:
  std::mt19937_64 g_;
};

const std::vector<std::string> kClusters = {"prod", "prod-eu", "staging", "dev",  "batch", "ml",
                                            "edge", "legacy",  "qa",      "perf", "ops",   "data"};
const std::vector<std::string> kFamilies = {
    "web",    "api",     "worker",   "scheduler", "migrate", "billing", "search",  "notifier",
    "images", "reports", "checkout", "auth",      "cart",    "emails",  "exports", "ingest"};
const std::vector<std::string> kEcsStatuses = {
    "PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING", "RUNNING", "RUNNING",
    "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED", "STOPPED"};
const std::vector<std::string> kStopCodes = {"EssentialContainerExited", "UserInitiated",
                                             "TaskFailedToStart", "ServiceSchedulerInitiated",
                                             "SpotInterruption"};
const std::vector<std::string> kZones = {"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"};
const std::vector<std::string> kCountries = {"DE", "FR", "US", "GB", "NL", "ES", "IT",
                                             "SE", "PL", "JP", "BR", "CA", "AU", "IN"};
const std::vector<std::string> kTiers = {"gold", "silver", "bronze", "none", "none", "platinum"};
const std::vector<std::string> kChannels = {"web", "ios", "android", "pos", "partner", "Web"};
const std::vector<std::string> kCurrencies = {"EUR", "USD", "GBP", "JPY", "SEK"};
const std::vector<std::string> kDomains = {"example.com", "example.org", "mail.example.net",
                                           "corp.example.com", "test.example.io"};
const std::vector<std::string> kBrands = {"visa",     "mastercard", "amex",
                                          "discover", "visa-debit", "maestro"};
const std::vector<std::string> kReasons = {"card_declined", "insufficient_funds", "expired_card",
                                           "fraud_suspected", "processing_error"};
const std::vector<std::string> kPlans = {"free", "pro", "team", "enterprise", "free", "trial"};
const std::vector<std::string> kEnvs = {"prod", "staging", "dev", "prod", "sandbox"};
const std::vector<std::string> kDeployStatus = {"STARTED", "SUCCEEDED",   "SUCCEEDED",
                                                "FAILED",  "ROLLED_BACK", "IN_PROGRESS"};
const std::vector<std::string> kServices = {"api-gateway", "checkout-svc", "search-svc",
                                            "auth-svc",    "billing-svc",  "frontend",
                                            "API-admin",   "notifier",     "reports-svc"};
const std::vector<std::string> kCities = {"Berlin", "Paris", "Austin", "London", "Utrecht",
                                          "Madrid", "Milan", "Malmo",  "Krakow", "Osaka"};

std::string Ip(Rng& r) {
  switch (r.Int(0, 3)) {
    case 0:
      return "10." + std::to_string(r.Int(0, 255)) + "." + std::to_string(r.Int(0, 255)) + "." +
             std::to_string(r.Int(1, 254));
    case 1:
      return "192.168." + std::to_string(r.Int(0, 255)) + "." + std::to_string(r.Int(1, 254));
    case 2:
      return "203.0.113." + std::to_string(r.Int(1, 254));
    default:
      return std::to_string(r.Int(11, 223)) + "." + std::to_string(r.Int(0, 255)) + "." +
             std::to_string(r.Int(0, 255)) + "." + std::to_string(r.Int(1, 254));
  }
}

// ---------------------------------------------------------------------------------------------
// Events.

Entry EcsEvent(Rng& r) {
  std::string cluster = r.Pick(kClusters);
  std::string family = r.Pick(kFamilies);
  std::string task_id = r.Hex(32);
  std::string acct = "arn:aws:ecs:us-east-1:123456789012:";
  std::string task_arn = acct + "task/" + cluster + "/" + task_id;
  std::string status = r.Pick(kEcsStatuses);
  bool stopped = status == "STOPPED" || status == "STOPPING" || status == "DEPROVISIONING";
  std::string ip = "10.0." + std::to_string(r.Int(0, 255)) + "." + std::to_string(r.Int(1, 254));
  ordered_json d;
  std::string eni = "eni-" + r.Hex(17);
  d["attachments"] = ordered_json::array(
      {{{"id", r.Hex(8) + "-" + r.Hex(4) + "-" + r.Hex(4) + "-" + r.Hex(4) + "-" + r.Hex(12)},
        {"type", "eni"},
        {"status", stopped ? "DELETED" : "ATTACHED"},
        {"details",
         {{{"name", "subnetId"}, {"value", "subnet-" + r.Hex(17)}},
          {{"name", "networkInterfaceId"}, {"value", eni}},
          {{"name", "macAddress"},
           {"value", r.Hex(2) + ":" + r.Hex(2) + ":" + r.Hex(2) + ":" + r.Hex(2) + ":" + r.Hex(2) +
                         ":" + r.Hex(2)}},
          {{"name", "privateIPv4Address"}, {"value", ip}}}}}});
  d["availabilityZone"] = r.Pick(kZones);
  d["clusterArn"] = acct + "cluster/" + cluster;
  ordered_json containers = ordered_json::array();
  int nc = r.Int(1, 3);
  for (int i = 0; i < nc; ++i) {
    ordered_json c;
    std::string name = i == 0 ? family : (i == 1 ? "log-router" : "sidecar");
    c["containerArn"] = acct + "container/" + cluster + "/" + task_id + "/" + r.Hex(8) + "-" +
                        r.Hex(4) + "-" + r.Hex(4) + "-" + r.Hex(4) + "-" + r.Hex(12);
    if (stopped) c["exitCode"] = r.Chance(0.7) ? 0 : r.Int(1, 137);
    c["lastStatus"] = stopped ? "STOPPED" : status;
    c["name"] = name;
    c["image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + family + ":v" +
                 std::to_string(r.Int(1, 9)) + "." + std::to_string(r.Int(0, 30));
    c["imageDigest"] = "sha256:" + r.Hex(64);
    c["runtimeId"] = task_id + "-" + r.Digits(10);
    c["taskArn"] = task_arn;
    c["networkInterfaces"] = {{{"attachmentId", r.Hex(8)}, {"privateIpv4Address", ip}}};
    c["cpu"] = std::to_string(r.Pick(std::vector<int>{0, 128, 256, 512}));
    containers.push_back(c);
  }
  d["containers"] = containers;
  d["createdAt"] = r.Time();
  d["launchType"] = r.Chance(0.7) ? "FARGATE" : "EC2";
  d["cpu"] = std::to_string(r.Pick(std::vector<int>{256, 512, 1024, 2048, 4096}));
  d["memory"] = std::to_string(r.Pick(std::vector<int>{512, 1024, 2048, 4096, 8192}));
  d["desiredStatus"] = stopped || r.Chance(0.1) ? "STOPPED" : "RUNNING";
  d["group"] = (r.Chance(0.8) ? "service:" : "family:") + family;
  d["lastStatus"] = status;
  d["overrides"] = {{"containerOverrides", {{{"name", family}}}}};
  d["connectivity"] = "CONNECTED";
  d["connectivityAt"] = r.Time();
  d["pullStartedAt"] = r.Time();
  d["startedAt"] = r.Time();
  d["startedBy"] = "ecs-svc/" + r.Digits(19);
  d["pullStoppedAt"] = r.Time();
  if (stopped) {
    d["stopCode"] = r.Pick(kStopCodes);
    d["stoppedReason"] =
        r.Chance(0.5) ? "Essential container in task exited"
                      : "Scaling activity initiated by (deployment ecs-svc/" + r.Digits(19) + ")";
    d["stoppingAt"] = r.Time();
  }
  d["updatedAt"] = r.Time();
  d["taskArn"] = task_arn;
  d["taskDefinitionArn"] = acct + "task-definition/" + family + ":" + std::to_string(r.Int(1, 60));
  d["version"] = r.Int(1, 9);
  d["platformVersion"] = "1.4.0";
  return {"com.acme.ecs", "ECS Task State Change", d.dump(), {task_arn}};
}

Entry OrderEvent(Rng& r) {
  static const std::vector<std::string> kTypes = {"Order Placed", "Order Placed", "Order Shipped",
                                                  "Order Cancelled"};
  ordered_json d;
  std::string id = "ord-" + r.Digits(10);
  d["orderId"] = id;
  std::string type = r.Pick(kTypes);
  d["status"] = type == "Order Placed"    ? "placed"
                : type == "Order Shipped" ? "shipped"
                                          : "cancelled";
  std::string country = r.Pick(kCountries);
  d["customer"] = {{"id", "cus-" + r.Hex(12)},
                   {"email", "user" + r.Digits(5) + "@" + r.Pick(kDomains)},
                   {"tier", r.Pick(kTiers)},
                   {"country", country},
                   {"signupYear", r.Int(2012, 2024)}};
  d["channel"] = r.Pick(kChannels);
  d["clientIp"] = Ip(r);
  ordered_json items = ordered_json::array();
  int n = r.Int(1, 7);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    double price = r.Int(199, 49999) / 100.0;
    int qty = r.Int(1, 4);
    total += price * qty;
    items.push_back({{"sku", "SKU-" + r.Digits(6)},
                     {"name", r.Words(3)},
                     {"qty", qty},
                     {"price", price},
                     {"category", r.Pick(std::vector<std::string>{"books", "toys", "garden",
                                                                  "kitchen", "electronics"})}});
  }
  d["items"] = items;
  d["total"] = static_cast<int64_t>(total * 100) / 100.0;
  d["currency"] = r.Pick(kCurrencies);
  d["shipping"] = {
      {"method", r.Pick(std::vector<std::string>{"standard", "express", "pickup", "standard"})},
      {"address", {{"city", r.Pick(kCities)}, {"postcode", r.Digits(5)}, {"country", country}}}};
  if (r.Chance(0.3)) d["coupon"] = "SPRING" + std::to_string(r.Int(10, 50));
  d["giftWrap"] = r.Chance(0.2);
  d["notes"] = r.Words(r.Int(4, 20));
  d["tags"] = {r.Pick(std::vector<std::string>{"vip", "repeat", "first-order", "b2b"}),
               r.Pick(std::vector<std::string>{"promo", "organic", "newsletter"})};
  d["placedAt"] = r.Time();
  d["warehouse"] = r.Pick(std::vector<std::string>{"fra-1", "ams-2", "iad-1", "nrt-1"});
  return {"com.acme.orders", type, d.dump(), {"arn:aws:acme:orders:" + id}};
}

Entry PaymentEvent(Rng& r) {
  static const std::vector<std::string> kTypes = {"Payment Succeeded", "Payment Succeeded",
                                                  "Payment Failed", "Refund Issued"};
  std::string type = r.Pick(kTypes);
  ordered_json d;
  d["paymentId"] = "pay_" + r.Hex(24);
  d["orderId"] = "ord-" + r.Digits(10);
  d["amount"] = r.Int(100, 300000) / 100.0;
  d["currency"] = r.Pick(kCurrencies);
  d["card"] = {{"brand", r.Pick(kBrands)},
               {"last4", r.Digits(4)},
               {"expYear", r.Int(2024, 2031)},
               {"country", r.Pick(kCountries)},
               {"fingerprint", r.Hex(16)}};
  if (type == "Payment Failed") d["reason"] = r.Pick(kReasons);
  d["attempt"] = r.Int(1, 3);
  d["clientIp"] = Ip(r);
  d["processor"] = r.Pick(std::vector<std::string>{"stripe", "adyen", "braintree"});
  d["riskScore"] = r.Int(0, 99);
  d["threeDSecure"] = r.Chance(0.6);
  d["merchant"] = {{"id", "m-" + r.Digits(6)},
                   {"mcc", r.Pick(std::vector<std::string>{"5411", "5732", "5999", "4111"})},
                   {"descriptor", "ACME*" + r.Words(2)}};
  d["metadata"] = {{"checkoutSession", "cs_" + r.Hex(32)},
                   {"userAgent",
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/" +
                        std::to_string(r.Int(100, 125)) + ".0.0.0 Safari/537.36"},
                   {"idempotencyKey", r.Hex(32)},
                   {"note", r.Words(r.Int(5, 15))}};
  d["createdAt"] = r.Time();
  return {"com.acme.payments", type, d.dump(), {}};
}

Entry UserEvent(Rng& r) {
  static const std::vector<std::string> kTypes = {"User Signed Up", "User Signed Up",
                                                  "User Deleted", "Password Reset"};
  std::string type = r.Pick(kTypes);
  ordered_json d;
  d["userId"] = "usr_" + r.Hex(20);
  d["email"] = "someone" + r.Digits(4) + "@" + r.Pick(kDomains);
  d["plan"] = r.Pick(kPlans);
  if (r.Chance(0.5)) {
    d["referrer"] = "https://" + r.Pick(kDomains) + "/blog/" + r.Words(1) + "-" + r.Digits(3);
  } else {
    d["referrer"] = nullptr;
  }
  d["locale"] = r.Pick(std::vector<std::string>{"en-US", "de-DE", "fr-FR", "ja-JP", "en-GB"});
  d["ip"] = Ip(r);
  d["userAgent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_" + std::to_string(r.Int(0, 5)) +
                   ") AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17." +
                   std::to_string(r.Int(0, 4)) + " Safari/605.1.15";
  d["marketingOptIn"] = r.Chance(0.4);
  d["profile"] = {{"displayName", r.Words(2)},
                  {"company", r.Chance(0.5) ? "Acme " + r.Words(1) : ""},
                  {"seats", r.Int(1, 500)},
                  {"timezone", r.Pick(std::vector<std::string>{"Europe/Berlin", "America/Chicago",
                                                               "Asia/Tokyo", "UTC"})},
                  {"bio", r.Words(r.Int(8, 30))}};
  d["consents"] = {{"terms", "2024-01"}, {"privacy", "2024-03"}, {"cookies", r.Chance(0.5)}};
  d["at"] = r.Time();
  return {"com.acme.users", type, d.dump(), {}};
}

Entry DeployEvent(Rng& r) {
  ordered_json d;
  d["service"] = r.Pick(kServices);
  d["env"] = r.Pick(kEnvs);
  d["version"] = "v" + std::to_string(r.Int(1, 5)) + "." + std::to_string(r.Int(0, 40)) + "." +
                 std::to_string(r.Int(0, 9));
  d["status"] = r.Pick(kDeployStatus);
  d["commit"] = r.Hex(40);
  d["author"] = r.Pick(std::vector<std::string>{"alice", "bob", "carol", "dave", "erin"}) + "@" +
                r.Pick(kDomains);
  d["durationSeconds"] = r.Int(20, 1800);
  d["region"] = r.Pick(std::vector<std::string>{"us-east-1", "eu-central-1", "ap-northeast-1"});
  ordered_json changes = ordered_json::array();
  for (int i = r.Int(1, 6); i > 0; --i) changes.push_back(r.Words(r.Int(3, 9)));
  d["changes"] = changes;
  d["pipeline"] = {{"id", "pl-" + r.Hex(10)},
                   {"url", "https://ci.example.com/pipelines/" + r.Digits(7)},
                   {"trigger", r.Pick(std::vector<std::string>{"push", "manual", "schedule"})}};
  d["canary"] = {{"percent", r.Int(0, 100)}, {"errorRate", r.Int(0, 500) / 10000.0}};
  return {"com.acme.deploy", "Deployment State Change", d.dump(), {}};
}

std::vector<Entry> MakeEvents(int n, uint64_t seed) {
  Rng r(seed);
  std::vector<Entry> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    double x = r.Real(0, 1);
    if (x < 0.35) {
      out.push_back(EcsEvent(r));
    } else if (x < 0.60) {
      out.push_back(OrderEvent(r));
    } else if (x < 0.75) {
      out.push_back(PaymentEvent(r));
    } else if (x < 0.90) {
      out.push_back(UserEvent(r));
    } else {
      out.push_back(DeployEvent(r));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rules: templates over the event fields above, every operator of the list represented. Paths
// never cross arrays of objects (moto's matcher does not flatten them).

using Template = ordered_json (*)(Rng&);

ordered_json SrcExact(const std::string& s) { return ordered_json::array({s}); }

const std::vector<Template> kTemplates = {
    // exact + suffix
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.ecs")},
              {"detail-type", SrcExact("ECS Task State Change")},
              {"detail",
               {{"lastStatus", {r.Pick(kEcsStatuses)}},
                {"clusterArn", {{{"suffix", "/" + r.Pick(kClusters)}}}}}}};
    },
    // prefix + anything-but
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.ecs")},
              {"detail",
               {{"group", {{{"prefix", "service:" + r.Pick(kFamilies).substr(0, r.Int(1, 3))}}}},
                {"desiredStatus", {{{"anything-but", {"PENDING"}}}}}}}};
    },
    // anything-but list + exists + exact
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.ecs")},
              {"detail",
               {{"stopCode", {{{"exists", true}}}},
                {"lastStatus", {{{"anything-but", {r.Pick(kEcsStatuses), "PENDING"}}}}},
                {"launchType", {r.Chance(0.5) ? "FARGATE" : "EC2"}}}}};
    },
    // numeric (ECS version) + exact
    [](Rng& r) -> ordered_json {
      int lo = r.Int(1, 8);
      return {{"source", SrcExact("com.acme.ecs")},
              {"detail",
               {{"version", {{{"numeric", {">=", lo, "<", lo + r.Int(1, 4)}}}}},
                {"availabilityZone", {r.Pick(kZones), r.Pick(kZones)}}}}};
    },
    // numeric range on order totals + exact currency list
    [](Rng& r) -> ordered_json {
      int lo = r.Int(0, 30) * 100;
      return {{"source", SrcExact("com.acme.orders")},
              {"detail-type", SrcExact("Order Placed")},
              {"detail",
               {{"total", {{{"numeric", {">", lo, "<=", lo + r.Int(5, 40) * 100}}}}},
                {"currency", {r.Pick(kCurrencies), r.Pick(kCurrencies)}}}}};
    },
    // cidr on client IPs
    [](Rng& r) -> ordered_json {
      static const std::vector<std::string> cidrs = {
          "10.0.0.0/8", "192.168.0.0/16", "203.0.113.0/24", "10.128.0.0/9", "192.168.128.0/17"};
      return {{"source", {r.Chance(0.5) ? "com.acme.orders" : "com.acme.payments"}},
              {"detail", {{"clientIp", {{{"cidr", r.Pick(cidrs)}}}}}}};
    },
    // wildcard on e-mail addresses + exact tier
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.orders")},
              {"detail",
               {{"customer",
                 {{"email", {{{"wildcard", "user*@*" + r.Pick(kDomains).substr(r.Int(0, 3))}}}},
                  {"tier", {r.Pick(kTiers), r.Pick(kTiers)}}}}}}};
    },
    // equals-ignore-case on detail-type + exact reason list
    [](Rng& r) -> ordered_json {
      return {{"detail-type", {{{"equals-ignore-case", "payment failed"}}}},
              {"detail", {{"reason", {r.Pick(kReasons), r.Pick(kReasons)}}}}};
    },
    // prefix equals-ignore-case + suffix
    [](Rng& r) -> ordered_json {
      std::string s = r.Pick(kServices).substr(0, r.Int(2, 4));
      for (auto& c : s) c = static_cast<char>(toupper(c));
      return {{"source", SrcExact("com.acme.deploy")},
              {"detail",
               {{"service", {{{"prefix", {{"equals-ignore-case", s}}}}}},
                {"status", {{{"suffix", r.Chance(0.5) ? "ED" : "BACK"}}}}}}};
    },
    // $or over env/status
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.deploy")},
              {"$or",
               {{{"detail", {{"env", {r.Pick(kEnvs)}}}}},
                {{"detail", {{"status", {"FAILED", "ROLLED_BACK"}}}}}}}};
    },
    // $or across sources with exists false
    [](Rng& r) -> ordered_json {
      return {
          {"$or",
           {{{"source", SrcExact("com.acme.users")}, {"detail", {{"plan", {r.Pick(kPlans)}}}}},
            {{"source", SrcExact("com.acme.orders")},
             {"detail", {{"coupon", {{{"exists", false}}}}, {"channel", {r.Pick(kChannels)}}}}}}}};
    },
    // anything-but prefix on card brands + numeric risk
    [](Rng& r) -> ordered_json {
      int risk = r.Int(10, 90);
      return {
          {"source", SrcExact("com.acme.payments")},
          {"detail",
           {{"card", {{"brand", {{{"anything-but", {{"prefix", r.Pick(kBrands).substr(0, 2)}}}}}}}},
            {"riskScore", {{{"numeric", {">=", risk}}}}}}}};
    },
    // equals-ignore-case on channel + exact boolean
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.orders")},
              {"detail",
               {{"channel", {{{"equals-ignore-case", r.Pick(kChannels)}}}},
                {"giftWrap", {r.Chance(0.5)}}}}};
    },
    // users: suffix on e-mail + exact locale + exists
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.users")},
              {"detail-type", {r.Chance(0.7) ? "User Signed Up" : "User Deleted"}},
              {"detail",
               {{"email", {{{"suffix", r.Pick(kDomains)}}}},
                {"referrer", {{{"exists", r.Chance(0.5)}}}}}}};
    },
    // exact on resources prefix (array of strings) + detail-type prefix
    [](Rng& r) -> ordered_json {
      return {{"resources",
               {{{"prefix", "arn:aws:ecs:us-east-1:123456789012:task/" + r.Pick(kClusters)}}}},
              {"detail-type", {{{"prefix", "ECS"}}}}};
    },
    // wildcard on task definition ARNs + anything-but suffix
    [](Rng& r) -> ordered_json {
      return {{"source", SrcExact("com.acme.ecs")},
              {"detail",
               {{"taskDefinitionArn",
                 {{{"wildcard", "*:task-definition/" + r.Pick(kFamilies) + ":*"}}}},
                {"stoppedReason", {{{"anything-but", {{"suffix", ")"}}}}}}}}};
    },
};

RuleSet MakeRules(int n, double target, const std::vector<FlatEvent>& sample, uint64_t seed) {
  Rng r(seed);
  RuleSet out;
  double sum = 0;
  int live = 0;
  for (int i = 0; i < n; ++i) {
    // One rule: a template with two fields (ECS lastStatus + cluster suffix).
    int t = n == 1 ? 0 : i % static_cast<int>(kTemplates.size());
    std::string best;
    double best_rate = -1;
    for (int tries = 0; tries < 40; ++tries) {
      ordered_json p = kTemplates[t](r);
      std::string text = p.dump();
      auto compiled = EventPattern::Compile(text);
      if (!compiled.ok()) {
        fprintf(stderr, "bad generated pattern %s: %s\n", text.c_str(),
                compiled.status().message().c_str());
        exit(2);
      }
      int hits = 0;
      for (const auto& e : sample) hits += compiled->Matches(e) ? 1 : 0;
      double rate = static_cast<double>(hits) / sample.size();
      double mean_if = (sum + rate) / (i + 1);
      double best_mean = (sum + best_rate) / (i + 1);
      bool ok = std::abs(mean_if - target) <= std::abs(best_mean - target) || best_rate < 0;
      if (ok) {
        best = text;
        best_rate = rate;
      }
      if (std::abs(mean_if - target) < 0.01 && tries >= 3) break;
    }
    sum += best_rate;
    live += best_rate > 0 ? 1 : 0;
    out.patterns.push_back(best);
    out.templates.push_back(t);
  }
  out.match_frac = sum / n;
  out.live_frac = static_cast<double>(live) / n;
  return out;
}

// Moves a pattern to the sources of another team's applications: every "source" (top level and
// in $or branches) becomes com.team<k>.<app>, and a branch without one gets one. None of the
// generated events comes from such a source, so the rule never matches them.
ordered_json ForOtherSources(ordered_json p, int k) {
  std::string source = "com.team" + std::to_string(k) + ".app" + std::to_string(k % 7);
  auto move = [&](ordered_json& branch) { branch["source"] = ordered_json::array({source}); };
  if (p.contains("$or")) {
    for (auto& branch : p["$or"]) move(branch);
    if (p.contains("source")) move(p);
  } else {
    move(p);
  }
  return p;
}

// `base`'s rules, then rules of the templates, each moved by move(pattern, its index), up to n:
// rules that never match the events, so the fan-out stays base's.
template <typename Move>
RuleSet WithMovedRules(const RuleSet& base, int n, uint64_t seed, Move move) {
  Rng r(seed);
  RuleSet out = base;
  for (int i = static_cast<int>(base.patterns.size()); i < n; ++i) {
    int t = i % static_cast<int>(kTemplates.size());
    out.patterns.push_back(move(kTemplates[t](r), i).dump());
    out.templates.push_back(t);
  }
  out.match_frac = base.match_frac * base.patterns.size() / n;
  out.live_frac = base.live_frac * base.patterns.size() / n;
  return out;
}

RuleSet WithOtherSources(const RuleSet& base, int n, uint64_t seed) {
  return WithMovedRules(base, n, seed, ForOtherSources);
}

// Moves a pattern's values out of the events' vocabulary, keeping its sources and detail-types:
// another team's rule on the same source, watching other clusters, services, customers or
// amounts. Every string a value compares with (exact, prefix, suffix, wildcard,
// equals-ignore-case, resources) gets a "~k" no generated event has; numbers and numeric ranges
// move up by 10^6; cidr ranges become TEST-NET-2, which no event's address is in. anything-but
// and exists are left as they are: each template has a moved value beside them in every branch,
// so the rule never matches the generated events (the benchmark's brute-force count checks it).
ordered_json ForOtherValues(const ordered_json& p, int k) {
  std::string tag = std::to_string(k);
  tag.insert(tag.begin(), '~');  // (not "~" + …: g++ 12 warns falsely, -Wrestrict)
  std::function<ordered_json(const ordered_json&)> value = [&](const ordered_json& v) {
    if (v.is_string()) return ordered_json(v.get<std::string>() + tag);
    if (v.is_number()) return ordered_json(v.get<double>() + 1e6);
    if (!v.is_object() || v.size() != 1) return v;
    const std::string& op = v.begin().key();
    const ordered_json& arg = v.begin().value();
    if (op == "anything-but" || op == "exists") return v;
    if (op == "cidr") return ordered_json{{"cidr", "198.51.100.0/24"}};
    if (op == "numeric") {
      ordered_json out = ordered_json::array();
      for (const auto& x : arg) {
        out.push_back(x.is_number() ? ordered_json(x.get<double>() + 1e6) : x);
      }
      return ordered_json{{"numeric", out}};
    }
    // {"prefix": {"equals-ignore-case": …}}
    if (arg.is_object()) return ordered_json{{op, value(arg)}};
    if (arg.is_string()) {
      const std::string s = arg.get<std::string>();
      // A suffix keeps its end, so the tag goes in front of it.
      return ordered_json{{op, op == "suffix" ? tag + s : s + tag}};
    }
    return v;
  };
  std::function<ordered_json(const ordered_json&, bool)> walk = [&](const ordered_json& node,
                                                                    bool top) {
    ordered_json out = ordered_json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string& key = it.key();
      const ordered_json& v = it.value();
      if (key == "$or") {
        ordered_json branches = ordered_json::array();
        for (const auto& b : v) branches.push_back(walk(b, top));
        out[key] = branches;
      } else if (top && (key == "source" || key == "detail-type")) {
        out[key] = v;
      } else if (v.is_object()) {
        out[key] = walk(v, false);
      } else {
        ordered_json values = ordered_json::array();
        for (const auto& x : v) values.push_back(value(x));
        out[key] = values;
      }
    }
    return out;
  };
  return walk(p, true);
}

RuleSet WithOtherValues(const RuleSet& base, int n, uint64_t seed) {
  return WithMovedRules(base, n, seed, ForOtherValues);
}

}  // namespace bench_events
