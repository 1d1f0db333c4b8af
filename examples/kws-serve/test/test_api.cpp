// End-to-end test of kws-serve's REST API: starts the server on a free port, talks to it with
// httplib::Client, and stops it with SIGTERM (which must end it cleanly, exit status 0).
//
//   test_kws_serve_api KWS_SERVE MODEL WAV
//
// With the random-weight test model only the plumbing is checked: status codes, JSON shapes,
// posteriors summing to 1, the stream giving the same events as /api/detect on the same audio,
// limits and errors answered as JSON, and the server alive after every bad request.
#include <httplib.h>
#include <signal.h>
#include <sndfile.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using json = nlohmann::json;
int g_failures = 0;

#define CHECK(condition)                                                                  \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #condition);         \
      ++g_failures;                                                                       \
    }                                                                                     \
  } while (0)

std::string read_file(const std::string& path) {
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

json parse(const httplib::Result& result) {
  if (!result) return json();
  try {
    return json::parse(result->body);
  } catch (const std::exception&) {
    std::fprintf(stderr, "not JSON: %s\n", result->body.substr(0, 200).c_str());
    return json();
  }
}

bool is_json_error(const httplib::Result& result, int status) {
  if (!result || result->status != status) {
    std::fprintf(stderr, "expected HTTP %d, got %d\n", status, result ? result->status : -1);
    return false;
  }
  const json body = parse(result);
  return body.is_object() && body.value("status", 0) == status && body.contains("error") &&
         body["error"].is_string() && !body["error"].get<std::string>().empty() &&
         result->get_header_value("Content-Type") == "application/json";
}

// A FLAC file of `seconds` of silence at `rate`: tiny compressed, huge decoded.
std::string silent_flac(int rate, double seconds) {
  char path[] = "/tmp/kws_serve_test_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {};
  close(fd);
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(path, SFM_WRITE, &info);
  std::string out;
  if (file != nullptr) {
    const std::vector<short> block(1 << 16, 0);
    for (double written = 0; written < seconds * rate; written += double(block.size()))
      sf_write_short(file, block.data(), sf_count_t(block.size()));
    sf_close(file);
    out = read_file(path);
  }
  std::remove(path);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: test_kws_serve_api KWS_SERVE MODEL WAV\n");
    return 2;
  }
  const std::string wav = read_file(argv[3]);
  if (wav.size() < 1000) {
    std::fprintf(stderr, "cannot read %s\n", argv[3]);
    return 2;
  }
  Server server;
  if (!server.start(argv[1], {"--model", argv[2], "--port", "0", "--max-body-mb", "2", "--quiet"})) {
    std::fprintf(stderr, "kws-serve did not start\n");
    server.stop();
    return 1;
  }
  httplib::Client client("127.0.0.1", server.port);
  client.set_read_timeout(30, 0);
  client.set_write_timeout(30, 0);

  // GET /api/model
  const json model = parse(client.Get("/api/model"));
  CHECK(model.is_object());
  const std::vector<std::string> labels = model.value("labels", std::vector<std::string>{});
  CHECK(labels.size() == 12);
  CHECK(model.value("sample_rate", 0) == 16000);
  CHECK(model.contains("feature_config") && model["feature_config"].value("n_mels", 0) == 40);
  CHECK(model.value("version", std::string()).size() >= 5);

  // POST /api/classify, raw body and multipart form
  auto check_classification = [&](const httplib::Result& result) {
    CHECK(result && result->status == 200);
    const json body = parse(result);
    CHECK(body.is_object() && body.contains("label") && body.contains("scores"));
    if (!body.is_object() || !body.contains("scores")) return json();
    double sum = 0.0;
    for (const auto& [label, score] : body["scores"].items()) sum += score.get<double>();
    CHECK(body["scores"].size() == labels.size());
    CHECK(std::fabs(sum - 1.0) < 1e-3);
    CHECK(body["score"].get<double>() == body["scores"][body["label"].get<std::string>()].get<double>());
    return body;
  };
  const json raw = check_classification(client.Post("/api/classify", wav, "audio/wav"));
  httplib::MultipartFormDataItems form{{"file", wav, "yes_no_up_down.wav", "audio/wav"}};
  const json multipart = check_classification(client.Post("/api/classify", form));
  CHECK(raw == multipart);

  // POST /api/detect: events with the documented fields; the same as a stream of the same audio.
  const std::string options = "threshold=0.05&refractory_ms=500";
  const httplib::Result detect = client.Post(("/api/detect?" + options).c_str(), wav, "audio/wav");
  CHECK(detect && detect->status == 200);
  const json detected = parse(detect);
  CHECK(detected.contains("events") && detected["events"].is_array() && !detected["events"].empty());
  CHECK(std::fabs(detected.value("duration_s", 0.0) - 3.1686) < 0.01);
  for (const json& event : detected.value("events", json::array()))
    CHECK(event.contains("label") && event.contains("score") && event.contains("start_s") && event.contains("end_s"));

  // Streaming: open, push the WAV's samples as s16 in 100 ms chunks, close.
  const json session = parse(client.Post(("/api/stream?rate=16000&format=s16&" + options).c_str(), "", "text/plain"));
  CHECK(session.contains("id"));
  const std::string id = session.value("id", std::string("0"));
  const std::size_t data_at = wav.find("data") + 8;  // the PCM of the 16-bit mono WAV
  const std::string pcm = wav.substr(data_at);
  json streamed = json::array();
  int scored = 0;
  for (std::size_t at = 0; at < pcm.size(); at += 3200) {
    const httplib::Result chunk =
        client.Post(("/api/stream/" + id).c_str(), pcm.substr(at, 3200), "application/octet-stream");
    CHECK(chunk && chunk->status == 200);
    const json reply = parse(chunk);
    for (const json& event : reply.value("events", json::array())) streamed.push_back(event);
    if (reply.contains("scores") && reply["scores"].size() == labels.size()) ++scored;
  }
  CHECK(scored > 10);
  const json closed = parse(client.Delete(("/api/stream/" + id).c_str()));
  for (const json& event : closed.value("events", json::array())) streamed.push_back(event);
  CHECK(closed.value("samples", 0) == int(pcm.size() / 2));
  CHECK(streamed == detected["events"]);
  const json status = parse(client.Get("/api/status"));
  CHECK(status.value("stream_samples", 0) == int(pcm.size() / 2));
  CHECK(status.value("sessions", -1) == 0);

  // Errors: JSON, the right status, and the server still answers afterwards.
  CHECK(is_json_error(client.Post("/api/classify", "this is not audio", "audio/wav"), 400));
  CHECK(is_json_error(client.Post("/api/classify", "", "audio/wav"), 400));
  CHECK(is_json_error(client.Post("/api/classify", wav.substr(0, 40), "audio/wav"), 400));  // header only
  CHECK(is_json_error(client.Post("/api/classify", std::string(3u << 20, '\0'), "audio/wav"), 413));
  CHECK(is_json_error(client.Post("/api/detect?threshold=2", wav, "audio/wav"), 400));
  CHECK(is_json_error(client.Post("/api/stream?format=u8", "", "text/plain"), 400));
  CHECK(is_json_error(client.Post("/api/stream/0123456789abcdef", "\0\0", "application/octet-stream"), 404));
  const json odd = parse(client.Post("/api/stream?format=s16", "", "text/plain"));
  CHECK(is_json_error(client.Post(("/api/stream/" + odd.value("id", std::string("0"))).c_str(), "abc",
                                  "application/octet-stream"),
                      400));
  CHECK(is_json_error(client.Get("/api/nothing"), 404));

  // Amplification: a small upload that would decode to gigabytes, and parameters that would
  // multiply the model work, are refused (413) before the work is done, saying which limit.
  const std::string huge = silent_flac(384000, 300.0);  // 115M samples from about 0.5 MB
  CHECK(!huge.empty() && huge.size() < (2u << 20));
  for (const char* endpoint : {"/api/classify", "/api/detect"}) {
    const auto started = std::chrono::steady_clock::now();
    const httplib::Result refused = client.Post(endpoint, huge, "audio/flac");
    CHECK(is_json_error(refused, 413));
    CHECK(refused && refused->body.find("limit") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  }
  const std::string minute = silent_flac(16000, 60.0);
  const httplib::Result costly = client.Post("/api/detect?stride_ms=10&window_ms=10000", minute, "audio/flac");
  CHECK(is_json_error(costly, 413));
  CHECK(costly && costly->body.find("frame evaluations") != std::string::npos);
  CHECK(parse(client.Post("/api/detect", minute, "audio/flac")).contains("events"));  // defaults: fine
  const json slow = parse(client.Post("/api/stream?rate=1000&format=f32&stride_ms=10&window_ms=10000", "", "text/plain"));
  CHECK(slow.contains("id"));
  const std::string chunk(200000, '\0');  // 50 s at 1 kHz
  CHECK(is_json_error(client.Post(("/api/stream/" + slow.value("id", std::string("0"))).c_str(), chunk,
                                  "application/octet-stream"),
                      413));
  httplib::MultipartFormDataItems no_file{{"comment", "hello", "", "text/plain"}};
  CHECK(is_json_error(client.Post("/api/classify", no_file), 400));

  // The page is served, with its script.
  const httplib::Result page = client.Get("/");
  CHECK(page && page->status == 200 && page->body.find("app.js") != std::string::npos);
  const httplib::Result script = client.Get("/app.js");
  CHECK(script && script->status == 200 && script->body.find("/api/stream") != std::string::npos);

  CHECK(parse(client.Get("/api/model")).value("labels", json::array()).size() == labels.size());
  const int exit_status = server.stop();
  CHECK(exit_status == 0);
  if (g_failures == 0) std::printf("kws-serve API: all checks passed\n");
  return g_failures == 0 ? 0 : 1;
}
