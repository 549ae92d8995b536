#include "api/http/http_server.h"

#include <strings.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <map>

#include "api/http/json_reply.h"

namespace berth::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kChunkBytes = 256 * 1024;
// A refused streamed request whose client did not wait for 100 Continue: at most this much of
// its body is read (and dropped) before the answer, so the client sees the answer, not a reset.
constexpr uint64_t kMaxDrainBytes = 8 * 1024 * 1024;

// An AWS-shaped error after which the connection is closed (the request could not be read).
HttpResponse ErrorResponse(int status, const std::string& type, const std::string& message) {
  HttpResponse r = ToHttpResponse(ErrorReply({status, type, message}));
  r.close = true;
  return r;
}

HttpResponse TooLarge() {
  return ErrorResponse(413, "RequestEntityTooLargeException",
                       "Request body is larger than the 1 MiB limit.");
}

// Reads and drops a refused request's body, then sends the refusal.
class Drain : public StreamedRequest {
 public:
  explicit Drain(HttpResponse answer) : answer_(std::move(answer)) {}
  bool OnBody(std::string_view bytes) override {
    read_ += bytes.size();
    return read_ <= kMaxDrainBytes;
  }
  HttpResponse Finish(bool) override {
    answer_.close = true;
    return std::move(answer_);
  }

 private:
  HttpResponse answer_;
  uint64_t read_ = 0;
};

bool HasHeaderValue(const HttpRequest& req, std::string_view name, std::string_view value) {
  std::string v = req.Header(name);
  return v.size() == value.size() && strncasecmp(v.data(), value.data(), v.size()) == 0;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServer::Handler& handler,
          const HttpServer::StreamHook& hook, const bool& stopping, std::string listener)
      : stream_(std::move(socket)),
        handler_(handler),
        hook_(hook),
        stopping_(stopping),
        listener_(std::move(listener)) {}

  void Start() { Read(); }

 private:
  // Headers first; the body is read by ReadBuffered or ReadStreamed.
  void Read() {
    head_parser_.emplace();
    // Limits are applied once we know the request (boost::none would refuse every body).
    head_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    head_parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(120));
    http::async_read_header(
        stream_, buffer_, *head_parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec) return Write(ErrorResponse(400, "BadRequest", "Malformed HTTP request."));
    auto& msg = head_parser_->get();
    req_ = HttpRequest();
    req_.method = std::string(msg.method_string());
    req_.target = std::string(msg.target());
    for (const auto& f : msg) {
      req_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    beast::error_code ep_ec;
    auto remote = stream_.socket().remote_endpoint(ep_ec);
    req_.from_loopback = !ep_ec && remote.address().is_loopback();
    req_.listener = listener_;
    keep_alive_ = msg.keep_alive();
    StreamStart start;
    if (hook_) start = hook_(req_);
    bool expects_continue = HasHeaderValue(req_, "Expect", "100-continue");
    if (start.reject) {
      if (expects_continue || head_parser_->is_done()) {
        start.reject->close = true;
        return Write(std::move(*start.reject));
      }
      start.stream = std::make_unique<Drain>(std::move(*start.reject));
    }
    if (start.stream) {
      streamed_ = std::move(start.stream);
      if (expects_continue && !head_parser_->is_done()) return SendContinue();
      return StartStreamedBody();
    }
    ReadBuffered();
  }

  // --- buffered bodies (every service but S3): at most kMaxBodyBytes, into req_.body ---
  void ReadBuffered() {
    auto& head = head_parser_->get();
    if (head.has_content_length()) {
      auto len = head_parser_->content_length();
      if (len && *len > HttpServer::kMaxBodyBytes) return Write(TooLarge());
    }
    body_parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    body_parser_->body_limit(HttpServer::kMaxBodyBytes);
    http::async_read(
        stream_, buffer_, *body_parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBuffered(ec); });
  }

  void OnBuffered(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::body_limit) return Write(TooLarge());
    if (ec) return Write(ErrorResponse(400, "BadRequest", "Malformed HTTP request."));
    req_.body = std::move(body_parser_->get().body());
    body_parser_.reset();
    HttpResponse resp;
    try {
      resp = handler_(req_);
    } catch (const std::exception& e) {
      // Our code throws nothing; this is the edge where a library's exception would surface.
      // Answer like AWS's 500 and keep serving.
      resp = ErrorResponse(500, "ServerException", "Internal error.");
      fprintf(stderr, "berth: internal error handling %s %s: %s\n", req_.method.c_str(),
              req_.target.c_str(), e.what());
    }
    if (!keep_alive_ || stopping_) resp.close = true;
    Write(std::move(resp));
  }

  // --- streamed bodies (S3) ---
  void SendContinue() {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->FinishStreamed(false);
                        self->StartStreamedBody();
                      });
  }

  void StartStreamedBody() {
    chunk_.resize(kChunkBytes);
    if (head_parser_->is_done()) {
      head_parser_.reset();
      return FinishStreamed(true);
    }
    stream_parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    stream_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    ReadChunk();
  }

  void ReadChunk() {
    auto& body = stream_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    stream_.expires_after(std::chrono::seconds(120));
    http::async_read(
        stream_, buffer_, *stream_parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnChunk(ec); });
  }

  void OnChunk(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return FinishStreamed(false, /*client_gone=*/true);
    size_t n = chunk_.size() - stream_parser_->get().body().size;
    if (n > 0 && !streamed_->OnBody(std::string_view(chunk_.data(), n))) {
      return FinishStreamed(false);
    }
    if (stream_parser_->is_done()) return FinishStreamed(true);
    ReadChunk();
  }

  void FinishStreamed(bool complete, bool client_gone = false) {
    std::unique_ptr<StreamedRequest> s = std::move(streamed_);
    stream_parser_.reset();
    HttpResponse resp = s->Finish(complete);
    s.reset();
    if (client_gone) return Close();
    if (!complete || !keep_alive_ || stopping_) resp.close = true;
    Write(std::move(resp));
  }

  // --- responses ---
  void Write(HttpResponse r) {
    bool close = r.close;
    if (r.file) return WriteFile(std::move(r));
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::server, "berth");
    bool explicit_length = false;
    for (const auto& [k, v] : r.headers) {
      res->set(k, v);
      if (strcasecmp(k.c_str(), "Content-Length") == 0) explicit_length = true;
    }
    res->body() = std::move(r.body);
    res->keep_alive(!close);
    if (!(explicit_length && res->body().empty())) res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, close](beast::error_code ec, size_t) {
                        if (ec || close) return self->Close();
                        self->Read();
                      });
  }

  void WriteFile(HttpResponse r) {
    auto res = std::make_shared<http::response<http::empty_body>>();
    res->version(11);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::server, "berth");
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->content_length(r.file->length);
    res->keep_alive(!r.close);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    file_ = std::move(r.file);
    close_after_file_ = r.close;
    http::async_write_header(stream_, *sr,
                             [self = shared_from_this(), res, sr](beast::error_code ec, size_t) {
                               if (ec) return self->Close();
                               self->chunk_.resize(kChunkBytes);
                               self->WriteFileChunk();
                             });
  }

  void WriteFileChunk() {
    if (file_->length == 0) {
      file_.reset();
      if (close_after_file_) return Close();
      return Read();
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_.size(), file_->length));
    ssize_t n;
    do {
      n = pread(file_->fd.get(), chunk_.data(), want, static_cast<off_t>(file_->offset));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      // The promised length cannot be sent: the client must not take a short body as whole.
      file_.reset();
      return Abort();
    }
    file_->offset += static_cast<uint64_t>(n);
    file_->length -= static_cast<uint64_t>(n);
    stream_.expires_after(std::chrono::seconds(120));
    asio::async_write(stream_, asio::buffer(chunk_.data(), static_cast<size_t>(n)),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->WriteFileChunk();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  void Abort() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> head_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;
  HttpRequest req_;
  bool keep_alive_ = true;
  std::unique_ptr<StreamedRequest> streamed_;
  std::vector<char> chunk_;
  std::shared_ptr<FileBody> file_;
  bool close_after_file_ = false;
  const HttpServer::Handler& handler_;
  const HttpServer::StreamHook& hook_;
  const bool& stopping_;
  const std::string listener_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(asio::io_context& io, Handler h, StreamHook hook)
      : io(io), acceptor(io), handler(std::move(h)), hook(std::move(hook)) {}

  // Accepts on `a` until it is closed; connections are tagged `listener` (HttpRequest::listener).
  void Accept(tcp::acceptor& a, const std::string& listener) {
    a.async_accept([this, &a, &listener](beast::error_code ec, tcp::socket socket) {
      // Closing an acceptor (StopAccepting, CloseListener) aborts its pending accept; `a` and
      // `listener` may be gone then, and are not touched.
      if (ec == asio::error::operation_aborted || stopping) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), handler, hook, stopping, listener)->Start();
      }
      Accept(a, listener);
    });
  }

  struct Added {
    explicit Added(asio::io_context& io, std::string tag) : acceptor(io), tag(std::move(tag)) {}
    tcp::acceptor acceptor;
    const std::string tag;
  };
  // As Accept; the handler holds the listener, so CloseListener may drop it at any time.
  void AcceptAdded(std::shared_ptr<Added> a) {
    Added& ref = *a;
    ref.acceptor.async_accept([this, a = std::move(a)](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || stopping || !a->acceptor.is_open()) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), handler, hook, stopping, a->tag)->Start();
      }
      AcceptAdded(a);
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  const std::string main_tag;
  std::map<int, std::shared_ptr<Added>> added;
  int next_added = 1;
  Handler handler;
  StreamHook hook;
  bool stopping = false;
};

HttpServer::HttpServer(asio::io_context& io, Handler handler, StreamHook stream_hook)
    : impl_(std::make_unique<Impl>(io, std::move(handler), std::move(stream_hook))) {}
HttpServer::~HttpServer() { StopAccepting(); }

Status HttpServer::Listen(const std::string& host, int port) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("invalid listen address '" + host + "'");
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                       ec.message());
  }
  impl_->Accept(impl_->acceptor, impl_->main_tag);
  return Status::Ok();
}

Result<int> HttpServer::AddListener(UniqueFd fd, const std::string& tag) {
  auto added = std::make_shared<Impl::Added>(impl_->io, tag);
  beast::error_code ec;
  int raw = fd.get();
  added->acceptor.assign(tcp::v4(), raw, ec);
  if (ec) return Internal("cannot adopt a listening socket: " + ec.message());
  (void)fd.release();  // the acceptor owns it now
  int id = impl_->next_added++;
  impl_->added[id] = added;
  if (!impl_->stopping) impl_->AcceptAdded(std::move(added));
  return id;
}

void HttpServer::CloseListener(int id) {
  auto it = impl_->added.find(id);
  if (it == impl_->added.end()) return;
  beast::error_code ec;
  it->second->acceptor.close(ec);
  impl_->added.erase(it);  // the aborted accept's handler holds it until it has run
}

int HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::StopAccepting() {
  impl_->stopping = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  for (auto& [id, a] : impl_->added) a->acceptor.close(ec);
}

}  // namespace berth::api
