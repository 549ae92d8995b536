#include "lb/lb_loop.h"

namespace berth::lb {

LbLoop::LbLoop() : work_(boost::asio::make_work_guard(io_)) {}

LbLoop::~LbLoop() { Stop(); }

void LbLoop::Start() {
  thread_ = std::thread([this] { io_.run(); });
}

void LbLoop::Stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  executor_.ForgetTimers();
}

}  // namespace berth::lb
