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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sndfile.h>
#include <sys/socket.h>
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

#include "server_process.hpp"

namespace {

using json = nlohmann::json;
using kws_serve_test::read_file;
using kws_serve_test::Server;
int g_failures = 0;

#define CHECK(condition)                                                                  \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #condition);         \
      ++g_failures;                                                                       \
    }                                                                                     \
  } while (0)

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

// A loopback connection to `port` with a 10 s receive timeout, or -1.
int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(std::uint16_t(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// One raw HTTP exchange on a fresh connection (for requests httplib::Client will not send):
// the status code and the seconds until the answer came (-1 on no answer).
std::pair<int, double> raw_request(int port, const std::string& request) {
  const int fd = connect_to(port);
  if (fd < 0) return {-1, -1.0};
  const auto started = std::chrono::steady_clock::now();
  (void)!write(fd, request.data(), request.size());
  char buffer[512];
  const ssize_t got = read(fd, buffer, sizeof buffer - 1);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  close(fd);
  if (got <= 12) return {-1, seconds};
  buffer[got] = '\0';
  return {std::atoi(buffer + 9), seconds};  // "HTTP/1.1 400 ..."
}

// Everything the server sends until it closes the connection (or 10 s of silence).
std::string read_until_closed(int fd) {
  std::string out;
  char buffer[4096];
  for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, std::size_t(got));
  return out;
}

// How many responses with `status` a byte stream holds.
int count_responses(const std::string& bytes, int status) {
  const std::string line = "HTTP/1.1 " + std::to_string(status) + " ";
  int count = 0;
  for (std::size_t at = bytes.find(line); at != std::string::npos; at = bytes.find(line, at + 1)) ++count;
  return count;
}

// Sends `head` then drips `drip` one byte every `gap_s`; returns what came back and when, in
// seconds from the first byte (a server that refuses stops reading: a failed send ends the drip).
std::pair<std::string, double> drip(int port, const std::string& head, const std::string& drip, double gap_s) {
  const int fd = connect_to(port);
  if (fd < 0) return {"", -1.0};
  const auto started = std::chrono::steady_clock::now();
  (void)!send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  for (char byte : drip) {
    std::this_thread::sleep_for(std::chrono::duration<double>(gap_s));
    pollfd answer{fd, POLLIN, 0};
    if (poll(&answer, 1, 0) > 0 || send(fd, &byte, 1, MSG_NOSIGNAL) != 1) break;
  }
  const std::string reply = read_until_closed(fd);
  close(fd);
  return {reply, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
}

// Issue 16: a request head has bounds (header count and bytes, a deadline), so does a whole
// request, requests pipelined in one packet are all answered, and clients dripping their requests
// do not stop the server answering others. Runs its own server with short deadlines.
void check_connection_bounds(const char* binary, const char* model) {
  Server server;
  CHECK(server.start(binary, {"--model", model, "--port", "0", "--head-timeout", "1", "--request-timeout", "2",
                              "--quiet"}));
  const std::string get = "GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n";

  std::string many_headers = get;
  for (int i = 0; i < 150; ++i) many_headers += "X-Filler-" + std::to_string(i) + ": 1\r\n";
  int fd = connect_to(server.port);
  (void)!send(fd, (many_headers + "\r\n").data(), many_headers.size() + 2, MSG_NOSIGNAL);
  std::string reply = read_until_closed(fd);
  close(fd);
  CHECK(count_responses(reply, 431) == 1);
  CHECK(reply.find("more than 99 headers") != std::string::npos);

  // 100k small headers sent as fast as the server reads them: refused after the first hundred,
  // not stored (httplib alone grew by about 440 MB here).
  fd = connect_to(server.port);
  (void)!send(fd, get.data(), get.size(), MSG_NOSIGNAL);
  const std::string header = "X-A: b\r\n";
  int sent = 0;
  while (sent < 100000 && send(fd, header.data(), header.size(), MSG_NOSIGNAL) == ssize_t(header.size())) ++sent;
  reply = read_until_closed(fd);
  close(fd);
  CHECK(sent < 100000);  // the server closed the connection
  CHECK(count_responses(reply, 431) == 1);

  const std::string long_header = get + "X-Long: " + std::string(40000, 'a') + "\r\n\r\n";
  fd = connect_to(server.port);
  (void)!send(fd, long_header.data(), long_header.size(), MSG_NOSIGNAL);
  reply = read_until_closed(fd);
  close(fd);
  CHECK(count_responses(reply, 431) == 1);

  // Slow clients: eight drip their heads, then a normal client is answered at once, and each
  // dripping client gets 408 once its head deadline (1 s) passes.
  std::vector<std::thread> dripping;
  std::vector<std::pair<std::string, double>> dripped(8);
  for (auto& result : dripped)
    dripping.emplace_back([&] { result = drip(server.port, get, std::string(40, 'x'), 0.2); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Client client("127.0.0.1", server.port);
  const auto asked = std::chrono::steady_clock::now();
  const httplib::Result model_info = client.Get("/api/model");
  CHECK(model_info && model_info->status == 200);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count() < 0.5);
  for (auto& thread : dripping) thread.join();
  for (const auto& [bytes, seconds] : dripped) {
    CHECK(count_responses(bytes, 408) == 1);
    CHECK(seconds > 0.9 && seconds < 3.0);
  }

  // A body dripped one byte every 0.3 s: 408 once the request deadline (2 s) passes.
  const auto [body_reply, body_seconds] =
      drip(server.port, "POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n",
           std::string(100, 'x'), 0.3);
  CHECK(count_responses(body_reply, 408) == 1);
  CHECK(body_seconds > 1.9 && body_seconds < 4.0);

  // Seven GETs pipelined in one packet: seven answers (httplib alone answered the first only).
  std::string pipelined;
  for (int i = 0; i < 6; ++i) pipelined += get + "\r\n";
  pipelined += get + "Connection: close\r\n\r\n";
  fd = connect_to(server.port);
  (void)!send(fd, pipelined.data(), pipelined.size(), MSG_NOSIGNAL);
  reply = read_until_closed(fd);
  close(fd);
  CHECK(count_responses(reply, 200) == 7);

  CHECK(server.stop() == 0);
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

  // Request shapes that once went wrong (issue 16): a form on the raw-PCM endpoint answered 500
  // "bad_function_call", a malformed form "empty request body", Content-Length -5 waited 5 s, and
  // a part with a file name won over a later part named "file".
  httplib::MultipartFormDataItems pcm_form{{"file", "\0\0", "a.raw", "application/octet-stream"}};
  CHECK(is_json_error(client.Post("/api/stream/0123456789abcdef", pcm_form), 400));
  const json open_form = parse(client.Post("/api/stream?format=s16", "", "text/plain"));
  CHECK(is_json_error(client.Post(("/api/stream/" + open_form.value("id", std::string("0"))).c_str(), pcm_form), 400));
  const httplib::Result broken = client.Post("/api/classify", "--xyz\r\nContent-Disposition: form-data\r\n\r\nabc",
                                             "multipart/form-data; boundary=xyz");
  CHECK(is_json_error(broken, 400));
  CHECK(broken && broken->body.find("empty request body") == std::string::npos);
  for (const char* length : {"-5", "12abc", "99999999999999999999999"}) {
    const auto [status, seconds] = raw_request(
        server.port, std::string("POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ") + length +
                         "\r\nConnection: close\r\n\r\n");
    CHECK(status == 400 || status == 413);
    CHECK(seconds >= 0 && seconds < 2.0);
  }
  httplib::MultipartFormDataItems two_files{{"attachment", "not audio at all", "notes.txt", "text/plain"},
                                            {"file", wav, "clip.wav", "audio/wav"}};
  check_classification(client.Post("/api/classify", two_files));

  // The page is served, with its script.
  const httplib::Result page = client.Get("/");
  CHECK(page && page->status == 200 && page->body.find("app.js") != std::string::npos);
  const httplib::Result script = client.Get("/app.js");
  CHECK(script && script->status == 200 && script->body.find("/api/stream") != std::string::npos);

  CHECK(parse(client.Get("/api/model")).value("labels", json::array()).size() == labels.size());
  const int exit_status = server.stop();
  CHECK(exit_status == 0);

  check_connection_bounds(argv[1], argv[2]);

  // --static DIR serves DIR and nothing outside it: not through a symlink leading out, not with a
  // NUL in the path (index.html%00.js once served index.html as JavaScript).
  char static_dir[] = "/tmp/kws_serve_static_XXXXXX";
  if (mkdtemp(static_dir) != nullptr) {
    const std::string dir = static_dir;
    std::ofstream(dir + "/index.html") << "<html>app.js</html>";
    CHECK(symlink("/etc/hostname", (dir + "/leak").c_str()) == 0);
    Server page_server;
    CHECK(page_server.start(argv[1], {"--model", argv[2], "--port", "0", "--static", dir, "--quiet"}));
    httplib::Client page_client("127.0.0.1", page_server.port);
    const httplib::Result index = page_client.Get("/index.html");
    CHECK(index && index->status == 200);
    const httplib::Result leak = page_client.Get("/leak");
    CHECK(leak && leak->status == 404);
    const httplib::Result nul = page_client.Get("/index.html%00.js");
    CHECK(nul && nul->status == 400);
    const httplib::Result dots = page_client.Get("/../../etc/hostname");
    CHECK(dots && dots->status != 200);
    CHECK(page_server.stop() == 0);
    std::remove((dir + "/leak").c_str());
    std::remove((dir + "/index.html").c_str());
    rmdir(static_dir);
  }
  if (g_failures == 0) std::printf("kws-serve API: all checks passed\n");
  return g_failures == 0 ? 0 : 1;
}
