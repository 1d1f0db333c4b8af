// The kws-serve process of the end-to-end tests: started on a free port (read from its stdout),
// stopped with SIGTERM. Shared by test_api.cpp and test_load.cpp.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace kws_serve_test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The server process: started with stdout on a pipe, from which the port is read.
struct Server {
  pid_t pid = -1;
  int port = 0;

  bool start(const std::string& binary, const std::vector<std::string>& args) {
    int out[2];
    if (pipe(out) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> all{binary};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) return false;
    // "kws-serve: listening on http://127.0.0.1:PORT/"
    std::string text;
    char buffer[256];
    ssize_t got;
    while (text.find("listening on http://") == std::string::npos || text.back() != '\n') {
      got = read(out[0], buffer, sizeof buffer);
      if (got <= 0) break;
      text.append(buffer, std::size_t(got));
    }
    std::fputs(text.c_str(), stdout);
    const std::size_t at = text.find("listening on http://");
    if (at == std::string::npos) return false;
    const std::size_t colon = text.find(':', at + std::strlen("listening on http://"));
    port = std::atoi(text.c_str() + colon + 1);
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread([fd = out[0]] {
      char sink[256];
      while (read(fd, sink, sizeof sink) > 0) {
      }
      close(fd);
    }).detach();
    return port > 0;
  }

  int stop() {  // exit status, or -signal
    if (pid <= 0) return -1;
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
};


// Resident memory of a process in KiB (VmRSS of /proc/PID/status), 0 when unknown.
inline long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

}  // namespace kws_serve_test
