#include "connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace kws_serve {

namespace {

// Waits up to `wait` for `events` on `socket`; false on timeout or error.
bool wait_for(socket_t socket, short events, std::chrono::milliseconds wait) {
  pollfd target{socket, events, 0};
  for (;;) {
    const int ready = ::poll(&target, 1, int(std::max<std::chrono::milliseconds::rep>(0, wait.count())));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

void address_of(socket_t socket, bool remote, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  const int got = remote ? ::getpeername(socket, reinterpret_cast<sockaddr*>(&address), &length)
                         : ::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length);
  ip.clear();
  port = 0;
  if (got != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

const char* reason(int status) {
  switch (status) {
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    default: return "Bad Request";
  }
}

std::string seconds(std::chrono::milliseconds duration) {
  const double value = double(duration.count()) / 1000.0;
  char text[32];
  std::snprintf(text, sizeof text, "%g s", value);
  return text;
}

}  // namespace

bool Connection::wait_for_request(std::chrono::milliseconds idle) {
  if (failed_) return false;
  return begin_ < end_ || wait_for(socket_, POLLIN, idle);
}

void Connection::begin_request() {
  in_head_ = true;
  head_bytes_ = head_lines_ = line_bytes_ = 0;
  const Clock::time_point started = Clock::now();
  head_deadline_ = started + limits_.head_deadline;
  request_deadline_ = started + limits_.request_deadline;
}

bool Connection::is_readable() const { return begin_ < end_ || wait_for(socket_, POLLIN, limits_.read_timeout); }

bool Connection::is_writable() const { return wait_for(socket_, POLLOUT, limits_.write_timeout); }

bool Connection::fill() {
  for (;;) {
    const Clock::time_point deadline = in_head_ ? std::min(head_deadline_, request_deadline_) : request_deadline_;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      refuse(408, in_head_ ? "the request's headers did not arrive within " + seconds(limits_.head_deadline)
                           : "the request did not arrive within " + seconds(limits_.request_deadline));
      return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + std::chrono::milliseconds(1);
    if (!wait_for(socket_, POLLIN, std::min(limits_.read_timeout, left))) {
      if (Clock::now() >= deadline) continue;  // answered above
      refuse(408, "no data for " + seconds(limits_.read_timeout));
      return false;
    }
    const ssize_t got = ::recv(socket_, buffer_.data(), buffer_.size(), 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {  // the peer closed, or the connection broke
      failed_ = true;
      return false;
    }
    begin_ = 0;
    end_ = std::size_t(got);
    return true;
  }
}

void Connection::count_head(const char* data, std::size_t size) {
  for (std::size_t i = 0; i < size && in_head_; ++i) {
    ++head_bytes_;
    if (data[i] == '\n') {
      ++head_lines_;
      if (line_bytes_ == 0 || (line_bytes_ == 1 && last_byte_ == '\r')) in_head_ = false;  // the blank line
      line_bytes_ = 0;
    } else {
      ++line_bytes_;
    }
    last_byte_ = data[i];
  }
  if (!in_head_) return;
  if (head_bytes_ > limits_.max_head_bytes)
    refuse(431, "the request's headers exceed " + std::to_string(limits_.max_head_bytes) + " bytes");
  else if (head_lines_ > limits_.max_head_lines)
    refuse(431, "the request has more than " + std::to_string(limits_.max_head_lines - 1) + " headers");
}

ssize_t Connection::read(char* out, size_t size) {
  if (failed_) return -1;
  if (begin_ == end_ && !fill()) return -1;
  const std::size_t count = std::min(size, end_ - begin_);
  std::memcpy(out, buffer_.data() + begin_, count);
  begin_ += count;
  if (in_head_) count_head(out, count);
  return failed_ ? -1 : ssize_t(count);
}

ssize_t Connection::write(const char* data, size_t size) {
  if (answered_) return ssize_t(size);  // the refusal is the answer; httplib's own is dropped
  std::size_t sent = 0;
  while (sent < size) {
    if (!wait_for(socket_, POLLOUT, limits_.write_timeout)) return -1;
    const ssize_t got = ::send(socket_, data + sent, size - sent, MSG_NOSIGNAL);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return -1;
    sent += std::size_t(got);
  }
  return ssize_t(sent);
}

void Connection::refuse(int status, const std::string& why) {
  const std::string body = nlohmann::ordered_json{{"error", why}, {"status", status}}.dump();
  const std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n";
  (void)write(head.data(), head.size());
  (void)write(body.data(), body.size());
  answered_ = true;
  failed_ = true;
}

void Connection::get_remote_ip_and_port(std::string& ip, int& port) const { address_of(socket_, true, ip, port); }

void Connection::get_local_ip_and_port(std::string& ip, int& port) const { address_of(socket_, false, ip, port); }

bool Server::process_and_close_socket(socket_t socket) {
  Connection connection(socket, limits_);
  bool ok = true;
  for (std::size_t served = 0; served < limits_.requests_per_connection && is_running(); ++served) {
    if (!connection.wait_for_request(served == 0 ? limits_.read_timeout : limits_.keep_alive)) break;
    connection.begin_request();
    bool closed = false;
    const bool last = served + 1 == limits_.requests_per_connection;
    ok = process_request(connection, last, closed, {});
    if (!ok || closed || connection.failed()) break;
  }
  ::shutdown(socket, SHUT_RDWR);
  ::close(socket);
  return ok;
}

}  // namespace kws_serve
