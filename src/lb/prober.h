// Prober: runs one health check against one target and reports pass/fail. AsioProber does it on
// the lb thread's io_context: TCP = connect; HTTP = `GET path` with a Host header, and the
// status line's code against the matcher. Each probe is bounded by its timeout
// (Target.Timeout); a refused or broken connection is Target.FailedHealthChecks.
// Threads: Probe is called on the lb thread and `done` runs there, exactly once, later (never
// inside Probe). Unit tests use a fake that records the calls.
#pragma once

#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "lb/health_tracker.h"
#include "lb/matcher.h"

namespace berth::lb {

struct ProbeSpec {
  std::string ip;
  int port = 0;
  bool http = true;
  std::string path = "/";
  int timeout_ms = 5000;
  Matcher matcher;
};

class Prober {
 public:
  virtual ~Prober() = default;
  virtual void Probe(const ProbeSpec& spec, std::function<void(ProbeResult)> done) = 0;
};

class AsioProber : public Prober {
 public:
  explicit AsioProber(boost::asio::io_context& io) : io_(io) {}
  void Probe(const ProbeSpec& spec, std::function<void(ProbeResult)> done) override;

 private:
  boost::asio::io_context& io_;
};

// "HTTP/1.1 200 OK\r\n..." → 200; 0 when the text does not start with a status line.
int ParseStatusCode(const std::string& response_head);

}  // namespace berth::lb
