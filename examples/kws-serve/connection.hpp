// kws-serve's connections: httplib's request handling over a connection loop of our own.
//
// Debian's cpp-httplib 0.11 reads a request's head with no bound on its header count or size and
// no deadline for the whole head or request (only a timeout per read), so one client could grow
// the server by hundreds of MB with 100k small headers, or hold a worker forever by sending one
// byte every few seconds; its keep-alive loop also asked the socket, not its own read buffer,
// whether another request had come, so requests pipelined in one packet were dropped. Server
// replaces that loop (httplib::Server::process_and_close_socket, a virtual hook) with one that
// reads through Connection: a buffered stream with those bounds, which answers a request over
// them itself (431 for too many or too large headers, 408 past a deadline) and closes.
#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>

namespace kws_serve {

struct ConnectionLimits {
  std::size_t max_head_bytes = 32 * 1024;  // request line + headers (nginx: 4 x 8 KiB)
  std::size_t max_head_lines = 100;        // request line + headers (Apache: 100 fields)
  std::chrono::milliseconds head_deadline{10000};     // the whole head, from its first byte
  std::chrono::milliseconds request_deadline{60000};  // head + body
  std::chrono::milliseconds read_timeout{5000};       // silence between bytes
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive{2000};  // idle time before a kept-alive connection closes
  std::size_t requests_per_connection = 100;
};

// One connection's bytes, for httplib's request parser. read() serves from a 16 KiB buffer, so
// bytes of a pipelined next request stay for it; while a request's head is being read it counts
// bytes and lines, and it enforces the deadlines.
class Connection final : public httplib::Stream {
 public:
  Connection(socket_t socket, const ConnectionLimits& limits) : socket_(socket), limits_(limits) {}

  // Waits up to `idle` for the next request's first byte (true at once when one is buffered).
  bool wait_for_request(std::chrono::milliseconds idle);
  // Starts the bounds of a new request: its head, its deadlines.
  void begin_request();
  // Whether the connection must close: a bound was crossed (and answered), or the peer is gone.
  bool failed() const { return failed_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* out, size_t size) override;
  ssize_t write(const char* data, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return socket_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Fills the empty buffer; false on end of stream, error, silence past read_timeout or a deadline.
  bool fill();
  // Answers `status` with a JSON error naming `why`, then fails the connection.
  void refuse(int status, const std::string& why);
  // Counts the head bytes just handed to the parser; refuses past a bound.
  void count_head(const char* data, std::size_t size);

  socket_t socket_;
  ConnectionLimits limits_;
  std::array<char, 16 * 1024> buffer_{};
  std::size_t begin_ = 0, end_ = 0;
  bool failed_ = false;
  bool answered_ = false;  // refuse() wrote the response
  bool in_head_ = false;
  char last_byte_ = 0;
  std::size_t head_bytes_ = 0, head_lines_ = 0, line_bytes_ = 0;
  Clock::time_point head_deadline_{}, request_deadline_{};
};

// httplib::Server with the connection loop above. Everything else (routing, handlers, the worker
// pool) is httplib's.
class Server final : public httplib::Server {
 public:
  explicit Server(const ConnectionLimits& limits) : limits_(limits) {}

 private:
  bool process_and_close_socket(socket_t socket) override;

  ConnectionLimits limits_;
};

}  // namespace kws_serve
