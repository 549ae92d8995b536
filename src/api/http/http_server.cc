#include "api/http/http_server.h"

#include "api/http/json_reply.h"

#include <cstdio>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace berth::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// An AWS-shaped error after which the connection is closed (the request could not be read).
HttpResponse ErrorResponse(int status, const std::string& type, const std::string& message) {
  HttpResponse r = ToHttpResponse(ErrorReply({status, type, message}));
  r.close = true;
  return r;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServer::Handler& handler, const bool& stopping)
      : stream_(std::move(socket)), handler_(handler), stopping_(stopping) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(HttpServer::kMaxBodyBytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(120));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return Write(ErrorResponse(413, "RequestEntityTooLargeException",
                                 "Request body is larger than the 1 MiB limit."));
    }
    if (ec) return Write(ErrorResponse(400, "BadRequest", "Malformed HTTP request."));
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    beast::error_code ep_ec;
    auto remote = stream_.socket().remote_endpoint(ep_ec);
    req.from_loopback = !ep_ec && remote.address().is_loopback();
    HttpResponse resp;
    try {
      resp = handler_(req);
    } catch (const std::exception& e) {
      // Our code throws nothing; this is the edge where a library's exception would surface.
      // Answer like AWS's 500 and keep serving.
      resp = ErrorResponse(500, "ServerException", "Internal error.");
      fprintf(stderr, "berth: internal error handling %s %s: %s\n", req.method.c_str(),
              req.target.c_str(), e.what());
    }
    if (!msg.keep_alive() || stopping_) resp.close = true;
    Write(std::move(resp));
  }

  void Write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::server, "berth");
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(!r.close);
    res->prepare_payload();
    bool close = r.close;
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, close](beast::error_code ec, size_t) {
                        if (ec || close) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServer::Handler& handler_;
  const bool& stopping_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(asio::io_context& io, Handler h) : io(io), acceptor(io), handler(std::move(h)) {}

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || stopping) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), handler, stopping)->Start();
      }
      Accept();
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  Handler handler;
  bool stopping = false;
};

HttpServer::HttpServer(asio::io_context& io, Handler handler)
    : impl_(std::make_unique<Impl>(io, std::move(handler))) {}

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
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  impl_->Accept();
  return Status::Ok();
}

int HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::StopAccepting() {
  impl_->stopping = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace berth::api
