#include "lb/proxy.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace berth::lb {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kBufferBytes = 64 * 1024;

constexpr char k503[] =
    "HTTP/1.1 503 Service Temporarily Unavailable\r\n"
    "Server: awselb/2.0\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 162\r\n"
    "Connection: close\r\n"
    "\r\n"
    "<html>\r\n"
    "<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
    "<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "</body>\r\n"
    "</html>\r\n";

constexpr char k502[] =
    "HTTP/1.1 502 Bad Gateway\r\n"
    "Server: awselb/2.0\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 122\r\n"
    "Connection: close\r\n"
    "\r\n"
    "<html>\r\n"
    "<head><title>502 Bad Gateway</title></head>\r\n"
    "<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n"
    "</body>\r\n"
    "</html>\r\n";

void NoDelay(tcp::socket& s) {
  error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
}

}  // namespace

// One accepted connection: client ⇄ target, or a canned error answer.
class ProxyConnection : public std::enable_shared_from_this<ProxyConnection> {
 public:
  ProxyConnection(tcp::socket client, bool http)
      : client_(std::move(client)), upstream_(client_.get_executor()), http_(http) {}

  void Run(std::unique_ptr<Lease> lease) {
    NoDelay(client_);
    if (!lease) return Refuse(k503, sizeof(k503) - 1);
    lease_ = std::move(lease);
    std::weak_ptr<ProxyConnection> weak = weak_from_this();
    lease_->SetCloser([weak] {
      if (auto self = weak.lock()) self->Close();
    });
    error_code ec;
    auto addr = asio::ip::make_address_v4(lease_->target().ip, ec);
    if (ec) return Close();
    upstream_.async_connect(tcp::endpoint(addr, static_cast<uint16_t>(lease_->target().port)),
                            [self = shared_from_this()](const error_code& e) {
                              if (e) return self->Refuse(k502, sizeof(k502) - 1);
                              NoDelay(self->upstream_);
                              // Our own reads and writes (Pump) must not block the loop.
                              error_code ignored;
                              self->client_.non_blocking(true, ignored);
                              self->upstream_.non_blocking(true, ignored);
                              self->buf_.reset(new char[2 * kBufferBytes]);
                              // The client may have sent its request already: read at once.
                              self->Pump(self->client_, self->upstream_, self->buf_.get(), true);
                              self->Pump(self->upstream_, self->client_,
                                         self->buf_.get() + kBufferBytes, false);
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
    if (timer_) timer_->cancel();
  }

 private:
  // Relays from → to until `from` ends; then half-closes `to`, so each side sees the other's
  // EOF. Syscalls per chunk: one recv, one send. Boost 1.74's async_read_some first tries a
  // speculative recv that, for request/response traffic, nearly always fails with EAGAIN; so
  // after a short read (the socket was drained) we wait for readiness (async_wait never tries
  // the socket) and read ourselves. After a full buffer more may be waiting already, and an
  // edge-triggered wait would not fire for it: then the speculative read is the right one.
  void Pump(tcp::socket& from, tcp::socket& to, char* buf, bool more_waiting) {
    if (more_waiting) {
      from.async_read_some(asio::buffer(buf, kBufferBytes),
                           [self = shared_from_this(), &from, &to, buf](const error_code& e,
                                                                       size_t n) {
                             self->Relay(from, to, buf, e, n);
                           });
      return;
    }
    from.async_wait(tcp::socket::wait_read,
                    [self = shared_from_this(), &from, &to, buf](const error_code& e) {
                      if (e) return self->Close();
                      error_code re;
                      size_t n = from.read_some(asio::buffer(buf, kBufferBytes), re);
                      if (re == asio::error::would_block) return self->Pump(from, to, buf, false);
                      self->Relay(from, to, buf, re, n);
                    });
  }

  void Relay(tcp::socket& from, tcp::socket& to, char* buf, const error_code& e, size_t n) {
    if (e) {
      if (e != asio::error::eof || closed_) return Close();
      error_code ignored;
      to.shutdown(tcp::socket::shutdown_send, ignored);
      if (++ended_ == 2) Close();
      return;
    }
    const bool full = n == kBufferBytes;
    error_code we;
    size_t sent = to.write_some(asio::buffer(buf, n), we);
    if (we == asio::error::would_block) {
      sent = 0;
    } else if (we) {
      return Close();
    }
    if (sent == n) return Pump(from, to, buf, full);
    asio::async_write(to, asio::buffer(buf + sent, n - sent),
                      [self = shared_from_this(), &from, &to, buf, full](const error_code& e2,
                                                                         size_t) {
                        if (e2) return self->Close();
                        self->Pump(from, to, buf, full);
                      });
  }

  // Sends a canned HTTP answer (or, for TCP, nothing), then reads until the client goes away
  // (at most 2 s) so the answer is not lost to a reset from unread request bytes.
  void Refuse(const char* answer, size_t size) {
    if (!http_) return Close();
    asio::async_write(client_, asio::buffer(answer, size),
                      [self = shared_from_this()](const error_code& e, size_t) {
                        if (e) return self->Close();
                        error_code ignored;
                        self->client_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->timer_ = std::make_unique<asio::steady_timer>(
                            self->client_.get_executor(), std::chrono::seconds(2));
                        self->timer_->async_wait([self](const error_code& te) {
                          if (!te) self->Close();
                        });
                        self->buf_.reset(new char[4096]);
                        self->Discard();
                      });
  }

  void Discard() {
    client_.async_read_some(asio::buffer(buf_.get(), 4096),
                            [self = shared_from_this()](const error_code& e, size_t) {
                              if (e) return self->Close();
                              self->Discard();
                            });
  }

  tcp::socket client_;
  tcp::socket upstream_;
  bool http_;
  std::unique_ptr<Lease> lease_;
  std::unique_ptr<char[]> buf_;
  std::unique_ptr<asio::steady_timer> timer_;
  int ended_ = 0;
  bool closed_ = false;
};

ListenerProxy::ListenerProxy(asio::io_context& io, int fd, bool http, Picker pick)
    : io_(io),
      acceptor_(io, tcp::v4(), fd),
      retry_(io),
      http_(http),
      pick_(std::move(pick)),
      live_(std::make_shared<std::map<uint64_t, std::weak_ptr<ProxyConnection>>>()) {}

ListenerProxy::~ListenerProxy() { Close(); }

void ListenerProxy::Start() { Accept(); }

void ListenerProxy::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
  auto live = std::move(*live_);
  live_->clear();
  for (auto& [id, weak] : live) {
    if (auto c = weak.lock()) c->Close();
  }
}

void ListenerProxy::Accept() {
  acceptor_.async_accept([this](const error_code& e, tcp::socket socket) {
    if (e == asio::error::operation_aborted || closed_) return;
    if (e) {
      // Out of descriptors or similar: try again shortly instead of spinning.
      retry_.expires_after(std::chrono::milliseconds(50));
      retry_.async_wait([this](const error_code& te) {
        if (!te && !closed_) Accept();
      });
      return;
    }
    auto conn = std::make_shared<ProxyConnection>(std::move(socket), http_);
    uint64_t id = next_id_++;
    (*live_)[id] = conn;
    conn->Run(pick_());
    // Prune dead entries now and then, so the map stays the size of the open connections.
    if (live_->size() > 64 && (id & 63) == 0) {
      for (auto it = live_->begin(); it != live_->end();) {
        it = it->second.expired() ? live_->erase(it) : std::next(it);
      }
    }
    Accept();
  });
}

}  // namespace berth::lb
