#include "lb/prober.h"

#include <memory>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace berth::lb {

namespace asio = boost::asio;
using asio::ip::tcp;

int ParseStatusCode(const std::string& head) {
  // "HTTP/1.x NNN"
  if (head.size() < 12 || head.compare(0, 7, "HTTP/1.") != 0 || head[8] != ' ') return 0;
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    code = code * 10 + (head[i] - '0');
  }
  return code;
}

namespace {

// One probe in flight; owned by its pending handlers.
class ProbeOp : public std::enable_shared_from_this<ProbeOp> {
 public:
  ProbeOp(asio::io_context& io, ProbeSpec spec, std::function<void(ProbeResult)> done)
      : socket_(io), timer_(io), spec_(std::move(spec)), done_(std::move(done)) {}

  void Start() {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address_v4(spec_.ip, ec);
    if (ec) {
      // Report on a later turn: Probe's contract is that `done` never runs inside it.
      asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->Finish({false, HealthReason::kFailedHealthChecks, 0});
      });
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(spec_.timeout_ms));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (e) return;
      self->timed_out_ = true;
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
    socket_.async_connect(tcp::endpoint(addr, static_cast<uint16_t>(spec_.port)),
                          [self = shared_from_this()](const boost::system::error_code& e) {
                            self->OnConnect(e);
                          });
  }

 private:
  void OnConnect(const boost::system::error_code& e) {
    if (e) return Fail();
    if (!spec_.http) return Finish({true, HealthReason::kNone, 0});
    request_ = "GET " + spec_.path + " HTTP/1.1\r\nHost: " + spec_.ip + ":" +
               std::to_string(spec_.port) +
               "\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    asio::async_write(socket_, asio::buffer(request_),
                      [self = shared_from_this()](const boost::system::error_code& e, size_t) {
                        if (e) return self->Fail();
                        self->ReadHead();
                      });
  }

  void ReadHead() {
    socket_.async_read_some(
        asio::buffer(buf_ + got_, sizeof(buf_) - got_),
        [self = shared_from_this()](const boost::system::error_code& e, size_t n) {
          self->got_ += n;
          if (self->got_ >= 12 || e) return self->Judge();
          self->ReadHead();
        });
  }

  void Judge() {
    int code = ParseStatusCode(std::string(buf_, got_));
    if (code == 0) return Fail();
    if (spec_.matcher.Matches(code)) return Finish({true, HealthReason::kNone, code});
    Finish({false, HealthReason::kResponseCodeMismatch, code});
  }

  void Fail() {
    Finish({false, timed_out_ ? HealthReason::kTimeout : HealthReason::kFailedHealthChecks, 0});
  }

  void Finish(ProbeResult r) {
    if (!done_) return;
    if (timed_out_ && r.passed) r = {false, HealthReason::kTimeout, 0};
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    auto done = std::move(done_);
    done_ = nullptr;
    done(r);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  ProbeSpec spec_;
  std::function<void(ProbeResult)> done_;
  std::string request_;
  char buf_[64];
  size_t got_ = 0;
  bool timed_out_ = false;
};

}  // namespace

void AsioProber::Probe(const ProbeSpec& spec, std::function<void(ProbeResult)> done) {
  std::make_shared<ProbeOp>(io_, spec, std::move(done))->Start();
}

}  // namespace berth::lb
