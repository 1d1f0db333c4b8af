// Load test of kws-serve: a bounded number of concurrent clients on loopback, some on kept-alive
// connections and some opening one per request, doing classify, detect and whole streaming
// sessions. Prints requests/s and p50/p99 latency per kind (figures, never a gate), and checks
// that every request succeeded and that the server's memory is flat: a second round of the same
// load may not grow its resident memory by more than a small margin.
//
//   test_kws_serve_load KWS_SERVE MODEL WAV [SECONDS_PER_ROUND]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server_process.hpp"

// AddressSanitizer keeps freed memory in quarantine, so resident memory grows under it by design:
// the memory check applies to the other builds.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMemoryIsMeasurable = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMemoryIsMeasurable = false;
#else
constexpr bool kMemoryIsMeasurable = true;
#endif
#else
constexpr bool kMemoryIsMeasurable = true;
#endif

namespace {

using Clock = std::chrono::steady_clock;

struct Tally {
  std::mutex mutex;
  std::map<std::string, std::vector<double>> latencies_ms;  // by request kind
  std::atomic<int> failures{0};

  void add(const std::string& kind, Clock::time_point started, bool ok) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    if (!ok) ++failures;
    std::lock_guard<std::mutex> lock(mutex);
    latencies_ms[kind].push_back(ms);
  }
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, std::size_t(p * double(values.size() - 1) + 0.5))];
}

// One client for `seconds`: kept-alive (one httplib::Client) or a connection per request.
void client_loop(int port, const std::string& wav, const std::string& pcm, bool keep_alive, int index,
                 double seconds, Tally& tally) {
  httplib::Client shared("127.0.0.1", port);
  shared.set_keep_alive(keep_alive);
  shared.set_read_timeout(30, 0);
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  for (int round = index; Clock::now() < until; ++round) {
    httplib::Client fresh("127.0.0.1", port);
    fresh.set_read_timeout(30, 0);
    httplib::Client& client = keep_alive ? shared : fresh;
    const auto started = Clock::now();
    switch (round % 3) {
      case 0: {
        const httplib::Result r = client.Post("/api/classify", wav, "audio/wav");
        tally.add("classify", started, r && r->status == 200);
        break;
      }
      case 1: {
        const httplib::Result r = client.Post("/api/detect", wav, "audio/wav");
        tally.add("detect", started, r && r->status == 200);
        break;
      }
      default: {  // a whole streaming session: open, 100 ms chunks, close
        const httplib::Result opened = client.Post("/api/stream?rate=16000&format=s16", "", "text/plain");
        bool ok = opened && opened->status == 200;
        const std::size_t at = ok ? opened->body.find("\"id\":\"") : std::string::npos;
        ok = ok && at != std::string::npos;
        const std::string id = ok ? opened->body.substr(at + 6, opened->body.find('"', at + 6) - at - 6) : "";
        for (std::size_t offset = 0; ok && offset < pcm.size(); offset += 3200) {
          const httplib::Result chunk =
              client.Post(("/api/stream/" + id).c_str(), pcm.substr(offset, 3200), "application/octet-stream");
          ok = chunk && chunk->status == 200;
        }
        const httplib::Result closed = client.Delete(("/api/stream/" + id).c_str());
        tally.add("stream session", started, ok && closed && closed->status == 200);
      }
    }
  }
}

// 16-bit PCM of a WAV's data chunk (the bundled recordings are 16 kHz mono PCM16).
std::string pcm_of(const std::string& wav) {
  const std::size_t data = wav.find("data");
  return data == std::string::npos ? std::string() : wav.substr(data + 8);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: test_kws_serve_load KWS_SERVE MODEL WAV [SECONDS_PER_ROUND]\n");
    return 2;
  }
  const std::string wav = kws_serve_test::read_file(argv[3]);
  const std::string pcm = pcm_of(wav);
  const double seconds = argc > 4 ? std::atof(argv[4]) : 4.0;
  if (wav.size() < 1000 || pcm.size() < 3200) {
    std::fprintf(stderr, "cannot read %s\n", argv[3]);
    return 2;
  }
  kws_serve_test::Server server;
  if (!server.start(argv[1], {"--model", argv[2], "--port", "0", "--quiet"})) {
    std::fprintf(stderr, "kws-serve did not start\n");
    server.stop();
    return 1;
  }
  constexpr int kClients = 6;  // 3 kept alive, 3 with a connection per request
  long resident[3] = {kws_serve_test::resident_kib(server.pid), 0, 0};
  int failures = 0;
  for (int round = 1; round <= 2; ++round) {
    Tally tally;
    const auto started = Clock::now();
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i)
      clients.emplace_back(client_loop, server.port, std::cref(wav), std::cref(pcm), i % 2 == 0, i, seconds,
                           std::ref(tally));
    for (std::thread& t : clients) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    resident[round] = kws_serve_test::resident_kib(server.pid);
    std::size_t total = 0;
    for (const auto& [kind, values] : tally.latencies_ms) {
      total += values.size();
      std::printf("round %d  %-15s %5zu requests  p50 %7.1f ms  p99 %7.1f ms\n", round, kind.c_str(), values.size(),
                  percentile(values, 0.5), percentile(values, 0.99));
    }
    std::printf("round %d: %zu requests from %d clients in %.1f s (%.1f/s), %d failed, server RSS %ld KiB\n", round,
                total, kClients, elapsed, double(total) / elapsed, tally.failures.load(), resident[round]);
    failures += tally.failures.load();
  }
  const long growth = resident[2] - resident[1];
  std::printf("server RSS: %ld KiB at start, %ld after round 1, %ld after round 2 (%+ld)\n", resident[0], resident[1],
              resident[2], growth);
  const int exit_status = server.stop();
  bool ok = failures == 0 && exit_status == 0;
  // Flat memory: the second round reuses what the first allocated (allocator slack allowed).
  if (!kMemoryIsMeasurable) std::printf("memory not checked: AddressSanitizer quarantines freed memory\n");
  if (kMemoryIsMeasurable && resident[1] > 0 && growth > 16 * 1024) {
    std::fprintf(stderr, "FAILED: the server grew by %ld KiB in the second round of the same load\n", growth);
    ok = false;
  }
  if (failures) std::fprintf(stderr, "FAILED: %d requests failed\n", failures);
  if (ok) std::printf("kws-serve load: all checks passed\n");
  return ok ? 0 : 1;
}
