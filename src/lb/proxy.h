// ListenerProxy: one listener's data path. Accepts on the listener's socket and splices each
// connection to a target the picker chooses (Engine::Pick: round-robin over healthy targets),
// byte for byte in both directions — berth balances connections, not HTTP requests.
// An HTTP listener with no healthy target answers `503 Service Temporarily Unavailable` (and
// `502 Bad Gateway` when the chosen target refuses the connection); a TCP listener just closes.
//
// Speed: 64 KiB buffers per direction, TCP_NODELAY on both sockets, no parsing of relayed bytes;
// each direction is one recv → one send loop with no failed (EAGAIN) reads in between.
//
// Threads: the lb thread only (construct, Start, Close and destroy there). Connections own
// themselves through their pending handlers; Close() stops accepting and closes them.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "lb/engine.h"

namespace berth::lb {

class ProxyConnection;

class ListenerProxy {
 public:
  using Picker = std::function<std::unique_ptr<Lease>()>;

  // Takes ownership of fd, a listening socket (OpenListenSocket).
  ListenerProxy(boost::asio::io_context& io, int fd, bool http, Picker pick);
  ~ListenerProxy();

  void Start();
  void Close();  // stops accepting and closes every connection accepted here

 private:
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  bool http_;
  Picker pick_;
  bool closed_ = false;
  uint64_t next_id_ = 1;
  std::shared_ptr<std::map<uint64_t, std::weak_ptr<ProxyConnection>>> live_;
};

}  // namespace berth::lb
