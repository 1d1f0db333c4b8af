// kws-serve: keyword spotting over HTTP, with a browser page that listens to the microphone.
//
//   kws-serve [--model M] [--host H] [--port P] [--static DIR] [--max-body-mb N]
//             [--session-timeout S] [--max-sessions N] [--workers N] [--head-timeout S]
//             [--request-timeout S] [--quiet]
//
// Endpoints (every response is JSON, errors too: {"error": "...", "status": N}):
//   GET  /api/model          labels, sample rate, feature config, window, thresholds, version
//   GET  /api/status         open streaming sessions and the audio received so far
//   POST /api/classify       body: an audio file (WAV, FLAC, OGG, ...; any rate), raw or as the
//                            "file" field of a multipart form -> {label, score, scores}
//   POST /api/detect         the same body -> {events: [{label, score, start_s, end_s}], duration_s}
//   POST /api/stream         open a streaming session: ?rate=48000&format=f32|s16 (plus the
//                            detector options below) -> {id, ...}
//   POST /api/stream/ID      body: raw little-endian mono PCM in the session's format -> the new
//                            events, the current score per label, and the audio received so far
//   DELETE /api/stream/ID    end the stream (its last events) and close the session
// Detector options, as query parameters of /api/detect and /api/stream: threshold, sensitivity,
// stride_ms, window_ms, refractory_ms. Sessions unused for --session-timeout seconds expire.
// Bodies above --max-body-mb (default 20) get 413, and so do uploads that decode to more than
// 32M samples and requests whose detector work (evaluations x window frames) is over 2M; audio
// libkws cannot read gets 400 saying why.
//
// GET / serves the page (web/index.html, web/app.js), embedded in the binary at build time; with
// --static DIR the files are served from DIR instead (edit and reload while developing).
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "connection.hpp"
#include "example_support.hpp"
#include "kws/audio.hpp"
#include "kws/classifier.hpp"
#include "kws/detector.hpp"
#include "kws/error.hpp"
#include "kws/version.h"
#include "web_assets.hpp"

namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct Settings {
  std::string model_arg, host = "127.0.0.1", static_dir;
  int port = 8080;
  std::size_t max_body_bytes = 20u << 20;
  double session_timeout_s = 60.0;
  std::size_t max_sessions = 32;
  // Connections served at once. httplib holds a worker per connection for as long as it is kept
  // alive or a slow client drips its request, so 8 (httplib's default on small machines) let 8
  // slow clients stall every other one.
  std::size_t workers = 64;
  // Per request (kws-serve/connection.hpp): its head must arrive within 10 s and the whole request
  // within 60 s; 5 s of silence, 32 KiB or 100 lines of headers end it.
  kws_serve::ConnectionLimits connection;
  double max_upload_seconds = 15.0 * 60.0;  // decoded length of one uploaded file
  // Decoded samples of one upload (frames x channels; 32M floats = 128 MiB): a small compressed
  // file can decode to gigabytes (15 min of FLAC silence at 768 kHz is 2 MB and 2.7 GB).
  std::size_t max_decoded_samples = 32u << 20;
  // Model work of one request, in frame evaluations (evaluations x window frames): 15 min of
  // audio at the defaults (100 ms stride, 1 s window) is 0.9M; stride_ms=10&window_ms=10000
  // would be 90M for the same audio (128 s of CPU once).
  double max_frame_evaluations = 2e6;
  bool quiet = false;
};

// A request the client got wrong: becomes a 4xx JSON answer.
struct HttpError {
  int status;
  std::string message;
};

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(kws_example::json_line(body), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, json{{"error", message}, {"status", status}}, status);
}

json detection_json(const kws::Detection& detection, int sample_rate) {
  return json{{"label", *detection.label},
              {"score", kws_example::rounded(detection.score)},
              {"start_s", kws_example::rounded(double(detection.start_sample) / sample_rate)},
              {"end_s", kws_example::rounded(double(detection.end_sample) / sample_rate)}};
}

json scores_json(const std::vector<std::string>& labels, const std::vector<float>& scores) {
  json out = json::object();
  for (std::size_t i = 0; i < labels.size() && i < scores.size(); ++i)
    out[labels[i]] = kws_example::rounded(scores[i]);
  return out;
}

// Reads a query parameter as a number in [low, high]; absent gives nullopt.
std::optional<double> number_param(const httplib::Request& req, const char* name, double low, double high) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string text = req.get_param_value(name);
  double value = 0.0;
  if (!kws_example::parse_double(text, value) || value < low || value > high)
    throw HttpError{400, std::string("parameter ") + name + "=" + text + " is not a number in [" +
                             std::to_string(low) + ", " + std::to_string(high) + "]"};
  return value;
}

// The model work of running the detector with `options` over `seconds` of audio, in frame
// evaluations; over `limit` is refused with 413, naming the limit and what to change.
void check_work(const kws::DetectorOptions& options, const kws::Model& model, double seconds, double limit) {
  const kws::FeatureConfig& config = model.feature_config();
  const double frame_seconds = double(config.hop_length) / config.sample_rate;
  const double window_frames =
      options.window_seconds > 0 ? options.window_seconds / frame_seconds : double(model.input_frames());
  const double evaluations = std::ceil(seconds / options.stride_seconds);
  const double work = evaluations * window_frames;
  if (work > limit)
    throw HttpError{413, "this request needs " + std::to_string(std::int64_t(work)) + " frame evaluations (" +
                             std::to_string(std::int64_t(evaluations)) + " evaluations of " +
                             std::to_string(std::int64_t(window_frames)) + " frames), more than the limit of " +
                             std::to_string(std::int64_t(limit)) +
                             "; use a larger stride_ms, a smaller window_ms or less audio per request"};
}

kws::DetectorOptions detector_options(const httplib::Request& req, const kws::Model& model, int sample_rate) {
  kws::DetectorOptions options;
  options.sample_rate = sample_rate;
  if (auto v = number_param(req, "sensitivity", 0.0, 1.0)) options.sensitivity = *v;
  if (auto v = number_param(req, "stride_ms", 10.0, 10000.0)) options.stride_seconds = *v / 1000.0;
  if (auto v = number_param(req, "window_ms", 100.0, 10000.0)) options.window_seconds = *v / 1000.0;
  if (auto v = number_param(req, "refractory_ms", 0.0, 3600000.0)) options.refractory_seconds = *v / 1000.0;
  if (auto v = number_param(req, "threshold", 0.0, 1.0))
    for (const std::string& label : model.labels())
      if (label.empty() || label[0] != '_') options.thresholds[label] = float(*v);
  return options;
}

// The request body, read through the content reader so that the size limit holds for chunked
// uploads too (httplib checks Content-Length itself, answering 413 through the reader). With
// `form` a multipart form gives its "file" field (or its first file). Throws HttpError 413 / 400.
std::string read_body(const httplib::Request& req, const httplib::ContentReader& reader, std::size_t limit,
                      bool form = true) {
  // A raw-PCM endpoint has no multipart reader to give httplib (it would call an empty one).
  if (!form && req.is_multipart_form_data())
    throw HttpError{400, "send the samples as the raw request body, not as a multipart form"};
  std::string body, first_file;  // the part named "file", else the first part with a filename
  bool too_large = false;
  auto append_to = [&](std::string& into, const char* data, std::size_t size) {
    if (body.size() + first_file.size() + size > limit) {
      too_large = true;
      return false;
    }
    into.append(data, size);
    return true;
  };
  bool ok = false, named = false, any_file = false;
  if (form && req.is_multipart_form_data()) {
    std::string* target = nullptr;
    ok = reader(
        [&](const httplib::MultipartFormData& part) {
          target = nullptr;
          if (part.name == "file" && !named) {
            named = true;
            target = &body;
          } else if (!part.filename.empty() && !any_file) {
            any_file = true;
            target = &first_file;
          }
          return true;
        },
        [&](const char* data, std::size_t size) { return target ? append_to(*target, data, size) : true; });
    if (!named) body.swap(first_file);
  } else {
    ok = reader([&](const char* data, std::size_t size) { return append_to(body, data, size); });
    named = true;
  }
  const std::string declared = req.get_header_value("Content-Length");
  if (too_large || (!declared.empty() && std::strtoull(declared.c_str(), nullptr, 10) > limit))
    throw HttpError{413, "request body larger than the limit of " + std::to_string(limit) + " bytes"};
  if (!ok)
    throw HttpError{400, req.is_multipart_form_data()
                             ? "could not read the multipart form (malformed, or the upload was interrupted)"
                             : "could not read the request body (malformed or interrupted upload)"};
  if (!named && !any_file) throw HttpError{400, "the multipart form has no file field (expected one named \"file\")"};
  if (body.empty() && form) throw HttpError{400, "empty request body: send an audio file (WAV, FLAC, OGG, ...)"};
  return body;
}

// Objects made on demand and reused, one per concurrent request (a Classifier owns an Engine,
// which one thread uses at a time).
template <class T>
class Pool {
 public:
  explicit Pool(std::function<std::unique_ptr<T>()> make) : make_(std::move(make)) {}
  template <class F>
  auto with(F&& use) {
    std::unique_ptr<T> item;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) item = std::move(free_.back()), free_.pop_back();
    }
    if (!item) item = make_();
    struct Return {
      Pool* pool;
      std::unique_ptr<T>* item;
      ~Return() {
        std::lock_guard<std::mutex> lock(pool->mutex_);
        pool->free_.push_back(std::move(*item));
      }
    } give_back{this, &item};
    return use(*item);
  }

 private:
  std::function<std::unique_ptr<T>()> make_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> free_;
};

// One browser microphone stream: its own Detector, used under its own lock.
struct Session {
  Session(kws::Detector d, kws::DetectorOptions o, bool f32)
      : detector(std::move(d)), options(std::move(o)), float32(f32) {}
  std::mutex mutex;
  kws::Detector detector;
  kws::DetectorOptions options;  // what each chunk's work is bounded by
  bool float32;
  bool finished = false;
  Clock::time_point last_used = Clock::now();
  std::vector<float> f32_buffer;
  std::vector<std::int16_t> s16_buffer;
};

class Sessions {
 public:
  Sessions(std::size_t max_sessions, double timeout_s) : max_(max_sessions), timeout_(timeout_s) {}

  std::string add(std::shared_ptr<Session> session) {
    std::lock_guard<std::mutex> lock(mutex_);
    expire_locked();
    if (sessions_.size() >= max_)
      throw HttpError{503, "too many open streams (" + std::to_string(max_) + "); try again later"};
    std::string id;
    do {
      char text[17];
      std::snprintf(text, sizeof text, "%016llx", (unsigned long long)random_());
      id = text;
    } while (sessions_.count(id));
    sessions_[id] = std::move(session);
    return id;
  }
  std::shared_ptr<Session> find(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    expire_locked();
    auto it = sessions_.find(id);
    if (it == sessions_.end())
      throw HttpError{404, "no stream " + id + " (never opened, closed, or expired after " +
                               std::to_string(int(timeout_)) + " s without audio)"};
    return it->second;
  }
  std::shared_ptr<Session> remove(const std::string& id) {
    auto session = find(id);
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
    return session;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    expire_locked();
    return sessions_.size();
  }
  void expire() {
    std::lock_guard<std::mutex> lock(mutex_);
    expire_locked();
  }

 private:
  void expire_locked() {
    const auto now = Clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      bool idle = false;
      {
        // A session in use (its lock held by a request) is not idle. The lock is released before
        // erasing: the erase may destroy the session, mutex included.
        std::unique_lock<std::mutex> busy(it->second->mutex, std::try_to_lock);
        idle = busy.owns_lock() && std::chrono::duration<double>(now - it->second->last_used).count() > timeout_;
      }
      it = idle ? sessions_.erase(it) : std::next(it);
    }
  }
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::size_t max_;
  double timeout_;
  std::mt19937_64 random_{std::random_device{}()};
};

int usage() {
  std::fprintf(stderr,
               "usage: kws-serve [--model M] [--host H] [--port P] [--static DIR] [--max-body-mb N]\n"
               "                 [--session-timeout S] [--max-sessions N] [--workers N] [--head-timeout S]\n"
               "                 [--request-timeout S] [--quiet]\n"
               "  Serves keyword spotting over HTTP (REST + a browser page that listens to the microphone).\n"
               "  --model M            model file (default: $KWS_MODEL, else %s)\n"
               "  --host H             address to listen on (default 127.0.0.1; 0.0.0.0 for all)\n"
               "  --port P             port (default 8080; 0 picks a free one, printed at start)\n"
               "  --static DIR         serve the page from DIR instead of the copy built in\n"
               "  --max-body-mb N      largest request body (default 20)\n"
               "  --session-timeout S  close a stream idle for S seconds (default 60)\n"
               "  --max-sessions N     open streams at most (default 32)\n"
               "  --workers N          connections served at once (default 64)\n"
               "  --head-timeout S     a request's headers must arrive within S seconds (default 10)\n"
               "  --request-timeout S  a whole request must arrive within S seconds (default 60)\n"
               "  --quiet              no request log on stderr\n",
               KWS_DEFAULT_MODEL);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    auto number = [&](double& into, double low, double high) {
      double value = 0.0;
      if (!kws_example::parse_double(argv[++i], value) || value < low || value > high) {
        std::fprintf(stderr, "kws-serve: %s needs a number in [%g, %g], not '%s'\n", arg.c_str(), low, high, argv[i]);
        return false;
      }
      into = value;
      return true;
    };
    double value = 0.0;
    if (arg == "--model" && has_value) settings.model_arg = argv[++i];
    else if (arg == "--host" && has_value) settings.host = argv[++i];
    else if (arg == "--static" && has_value) settings.static_dir = argv[++i];
    else if (arg == "--port" && has_value) { if (!number(value, 0, 65535)) return 2; settings.port = int(value); }
    else if (arg == "--max-body-mb" && has_value) {
      if (!number(value, 0.001, 4096)) return 2;
      settings.max_body_bytes = std::size_t(value * 1024 * 1024);
    } else if (arg == "--session-timeout" && has_value) { if (!number(settings.session_timeout_s, 1, 86400)) return 2; }
    else if (arg == "--max-sessions" && has_value) { if (!number(value, 1, 10000)) return 2; settings.max_sessions = std::size_t(value); }
    else if (arg == "--workers" && has_value) { if (!number(value, 1, 4096)) return 2; settings.workers = std::size_t(value); }
    else if (arg == "--head-timeout" && has_value) {
      if (!number(value, 0.1, 3600)) return 2;
      settings.connection.head_deadline = std::chrono::milliseconds(std::int64_t(value * 1000));
    } else if (arg == "--request-timeout" && has_value) {
      if (!number(value, 0.1, 86400)) return 2;
      settings.connection.request_deadline = std::chrono::milliseconds(std::int64_t(value * 1000));
    }
    else if (arg == "--quiet") settings.quiet = true;
    else if (arg == "-h" || arg == "--help") return usage(), 0;
    else {
      std::fprintf(stderr, "kws-serve: unexpected argument or missing value: %s\n", arg.c_str());
      return usage();
    }
  }

  const std::optional<kws::Model> loaded = kws_example::load_model("kws-serve", settings.model_arg);
  if (!loaded) return 1;
  const kws::Model model = *loaded;
  const std::string model_file = kws_example::model_path(settings.model_arg);
  const int model_rate = model.feature_config().sample_rate;

  // SIGINT/SIGTERM stop the server cleanly: blocked in every thread (httplib's workers inherit
  // the mask) and taken by one thread with sigwait, which may call stop() safely.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client hanging up mid-response is not our death

  kws_serve::Server server(settings.connection);
  Pool<kws::Classifier> classifiers([&] { return std::make_unique<kws::Classifier>(model); });
  Sessions sessions(settings.max_sessions, settings.session_timeout_s);
  std::atomic<std::int64_t> stream_samples_total{0}, stream_chunks_total{0};

  kws::AudioReadOptions read_options;
  read_options.max_seconds = settings.max_upload_seconds;
  read_options.max_samples = settings.max_decoded_samples;
  // An upload over a decoding limit is too large (413), like one over the byte limit.
  auto read_upload = [&](const std::string& body) {
    try {
      return kws::read_audio(body.data(), body.size(), read_options);
    } catch (const kws::FileError& error) {
      if (error.code() == kws::ErrorCode::invalid_argument) throw HttpError{413, error.what()};
      throw;
    }
  };

  // Every handler runs inside this: client mistakes become 4xx JSON, library errors about the
  // input 400, anything else 500 -- never a dead server.
  auto guarded = [&](auto handler) {
    return [handler](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      try {
        handler(req, res, reader);
      } catch (const HttpError& error) {
        send_error(res, error.status, error.message);
      } catch (const kws::Error& error) {
        const bool client = error.code() != kws::ErrorCode::internal && error.code() != kws::ErrorCode::out_of_memory;
        send_error(res, client ? 400 : 500, error.what());
      } catch (const std::bad_alloc&) {
        send_error(res, 507, "out of memory");
      } catch (const std::exception& error) {
        send_error(res, 500, std::string("internal error: ") + error.what());
      }
    };
  };
  auto guarded_get = [&](auto handler) {
    auto inner = guarded([handler](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader&) { handler(req, res); });
    return [inner](const httplib::Request& req, httplib::Response& res) {
      const httplib::ContentReader none([](httplib::ContentReceiver) { return true; },
                                        [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return true; });
      inner(req, res, none);
    };
  };

  server.Get("/api/model", guarded_get([&](const httplib::Request&, httplib::Response& res) {
    json thresholds = json::object();
    for (const auto& [label, value] : model.thresholds()) thresholds[label] = value;
    const kws::FeatureConfig& features = model.feature_config();
    send_json(res, json{{"labels", model.labels()},
                        {"sample_rate", model_rate},
                        {"input_frames", model.input_frames()},
                        {"window_s", kws_example::rounded(double(model.input_frames() - 1) * features.hop_length / model_rate)},
                        {"feature_config", json::parse(features.to_json())},
                        {"feature_summary", features.describe()},
                        {"architecture", model.architecture()},
                        {"tau", model.tau()},
                        {"thresholds", thresholds},
                        {"description", model.description()},
                        {"model_file", model_file.substr(model_file.find_last_of('/') + 1)},
                        {"version", KWS_VERSION_STRING},
                        {"limits",
                         {{"max_body_bytes", settings.max_body_bytes},
                          {"max_sessions", settings.max_sessions},
                          {"session_timeout_s", settings.session_timeout_s}}}});
  }));

  server.Get("/api/status", guarded_get([&](const httplib::Request&, httplib::Response& res) {
    send_json(res, json{{"sessions", sessions.size()},
                        {"stream_chunks", stream_chunks_total.load()},
                        {"stream_samples", stream_samples_total.load()}});
  }));

  server.Post("/api/classify", guarded([&](const httplib::Request& req, httplib::Response& res,
                                            const httplib::ContentReader& reader) {
    const std::string body = read_body(req, reader, settings.max_body_bytes);
    const kws::Audio audio = read_upload(body);
    if (audio.samples.empty()) throw HttpError{400, "the audio file holds no samples"};
    const kws::Classification result =
        classifiers.with([&](kws::Classifier& c) { return c.classify(audio.samples, audio.sample_rate); });
    const auto& labels = model.labels();
    send_json(res, json{{"label", labels[result.best]},
                        {"score", kws_example::rounded(result.scores[result.best])},
                        {"scores", scores_json(labels, result.scores)},
                        {"window_start_s", kws_example::rounded(double(result.window_start) / audio.sample_rate)},
                        {"window_end_s", kws_example::rounded(double(result.window_end) / audio.sample_rate)},
                        {"duration_s", kws_example::rounded(audio.duration_seconds())}});
  }));

  server.Post("/api/detect", guarded([&](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
    const std::string body = read_body(req, reader, settings.max_body_bytes);
    const kws::Audio audio = read_upload(body);
    const kws::DetectorOptions options = detector_options(req, model, audio.sample_rate);
    check_work(options, model, audio.duration_seconds(), settings.max_frame_evaluations);
    kws::Detector detector(model, options);
    json events = json::array();
    auto on_event = [&](const kws::Detection& d) { events.push_back(detection_json(d, audio.sample_rate)); };
    detector.push(audio.samples.data(), audio.samples.size(), on_event);
    detector.finish(on_event);
    send_json(res, json{{"events", events}, {"duration_s", kws_example::rounded(audio.duration_seconds())}});
  }));

  server.Post("/api/stream", guarded([&](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader&) {
    const double requested_rate = number_param(req, "rate", kws::kMinSampleRate, kws::kMaxSampleRate).value_or(model_rate);
    if (requested_rate != std::floor(requested_rate)) throw HttpError{400, "rate must be a whole number of Hz"};
    const int rate = int(requested_rate);
    const std::string format = req.has_param("format") ? req.get_param_value("format") : "f32";
    if (format != "f32" && format != "s16")
      throw HttpError{400, "format=" + format + ": expected f32 (float32) or s16 (int16), little-endian"};
    kws::DetectorOptions options = detector_options(req, model, rate);
    // Refused up front when even a 1 s chunk would be over the per-request work limit.
    check_work(options, model, 1.0, settings.max_frame_evaluations);
    auto session = std::make_shared<Session>(kws::Detector(model, options), options, format == "f32");
    json thresholds = json::object();  // effective thresholds of the labels that can fire
    for (std::size_t i = 0; i < model.labels().size(); ++i)
      if (session->detector.thresholds()[i] <= 1.0f)
        thresholds[model.labels()[i]] = kws_example::rounded(session->detector.thresholds()[i]);
    const std::string id = sessions.add(session);
    send_json(res, json{{"id", id},
                        {"rate", rate},
                        {"format", format},
                        {"thresholds", thresholds},
                        {"session_timeout_s", settings.session_timeout_s}});
  }));

  server.Post(R"(/api/stream/([0-9a-f]+))", guarded([&](const httplib::Request& req, httplib::Response& res,
                                                          const httplib::ContentReader& reader) {
    const std::string body = read_body(req, reader, settings.max_body_bytes, /*form=*/false);
    std::shared_ptr<Session> session = sessions.find(req.matches[1]);
    std::lock_guard<std::mutex> lock(session->mutex);
    if (session->finished) throw HttpError{409, "the stream has ended"};
    const std::size_t sample_bytes = session->float32 ? 4 : 2;
    if (body.size() % sample_bytes != 0)
      throw HttpError{400, "body of " + std::to_string(body.size()) + " bytes is not whole " +
                               (session->float32 ? "float32" : "int16") + " samples"};
    const std::size_t count = body.size() / sample_bytes;
    const int rate = session->detector.sample_rate();
    check_work(session->options, model, double(count) / rate, settings.max_frame_evaluations);
    json events = json::array();
    auto on_event = [&](const kws::Detection& d) { events.push_back(detection_json(d, rate)); };
    if (session->float32) {
      session->f32_buffer.resize(count);
      std::memcpy(session->f32_buffer.data(), body.data(), body.size());  // libkws treats NaN/Inf as 0
      session->detector.push(session->f32_buffer.data(), count, on_event);
    } else {
      session->s16_buffer.resize(count);
      std::memcpy(session->s16_buffer.data(), body.data(), body.size());
      session->detector.push(session->s16_buffer.data(), count, on_event);
    }
    session->last_used = Clock::now();
    stream_samples_total += std::int64_t(count);
    ++stream_chunks_total;
    const std::int64_t samples = session->detector.samples_pushed();
    send_json(res, json{{"events", events},
                        {"scores", scores_json(model.labels(), session->detector.scores())},
                        {"samples", samples},
                        {"duration_s", kws_example::rounded(double(samples) / rate)},
                        {"evaluations", session->detector.evaluations()}});
  }));

  server.Delete(R"(/api/stream/([0-9a-f]+))", guarded([&](const httplib::Request& req, httplib::Response& res,
                                                            const httplib::ContentReader&) {
    std::shared_ptr<Session> session = sessions.remove(req.matches[1]);
    std::lock_guard<std::mutex> lock(session->mutex);
    const int rate = session->detector.sample_rate();
    json events = json::array();
    if (!session->finished)
      session->detector.finish([&](const kws::Detection& d) { events.push_back(detection_json(d, rate)); });
    session->finished = true;
    const std::int64_t samples = session->detector.samples_pushed();
    send_json(res, json{{"events", events},
                        {"samples", samples},
                        {"duration_s", kws_example::rounded(double(samples) / rate)},
                        {"closed", true}});
  }));

  // The page: built in, or from --static DIR.
  if (!settings.static_dir.empty()) {
    if (!server.set_mount_point("/", settings.static_dir)) {
      std::fprintf(stderr, "kws-serve: --static %s: not a directory\n", settings.static_dir.c_str());
      return 1;
    }
  } else {
    for (const kws_web::Asset& asset : kws_web::assets()) {
      auto serve = [&asset](const httplib::Request&, httplib::Response& res) {
        res.set_content(reinterpret_cast<const char*>(asset.data), asset.size, asset.mime);
        res.set_header("Cache-Control", "no-cache");
      };
      server.Get(asset.path, serve);
      if (std::strcmp(asset.path, "/index.html") == 0) server.Get("/", serve);
    }
  }

  // Errors httplib answers itself (404, 413 from Content-Length, 400 for malformed requests)
  // get the same JSON shape as ours.
  server.set_error_handler(httplib::Server::HandlerWithResponse([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = res.status == 404   ? "not found: " + req.method + " " + req.path
                          : res.status == 413 ? "request body larger than the limit of " +
                                                    std::to_string(settings.max_body_bytes) + " bytes"
                                              : "request failed";
    send_error(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal error");
  });
  server.set_payload_max_length(settings.max_body_bytes);
  server.set_tcp_nodelay(true);  // small JSON answers on kept-alive connections: no Nagle delay
  server.new_task_queue = [workers = settings.workers] { return new httplib::ThreadPool(workers); };
  // Before any body is read: a malformed Content-Length is refused at once (httplib would wait
  // for the read timeout), and so are paths with a NUL or, with --static, paths that resolve
  // outside DIR (through "..", or a symlink leading out).
  std::error_code no_error;
  const std::filesystem::path static_root =
      settings.static_dir.empty() ? std::filesystem::path() : std::filesystem::canonical(settings.static_dir, no_error);
  server.set_pre_routing_handler([&, static_root](const httplib::Request& req, httplib::Response& res) {
    const std::string length = req.get_header_value("Content-Length");
    if (req.has_header("Content-Length") &&
        (length.empty() || length.size() > 19 || length.find_first_not_of("0123456789") != std::string::npos)) {
      send_error(res, 400, "Content-Length \"" + length.substr(0, 40) + "\" is not a byte count");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.path.find('\0') != std::string::npos) {
      send_error(res, 400, "the path holds a NUL byte");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!static_root.empty() && req.path.rfind("/api/", 0) != 0) {
      std::error_code error;
      const std::filesystem::path file =
          std::filesystem::weakly_canonical(static_root / std::filesystem::path(req.path).relative_path(), error);
      const bool inside =
          std::mismatch(static_root.begin(), static_root.end(), file.begin(), file.end()).first == static_root.end();
      if (error || !inside) {
        send_error(res, 404, "not found: " + req.method + " " + req.path);
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  if (!settings.quiet)
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      // Stream chunks arrive ten times a second: log only their failures.
      if (req.method == "POST" && req.path.rfind("/api/stream/", 0) == 0 && res.status < 400) return;
      if (req.method.empty())  // e.g. the rest of a refused upload, read as a request
        std::fprintf(stderr, "kws-serve: malformed request -> %d\n", res.status);
      else
        std::fprintf(stderr, "kws-serve: %s %s -> %d\n", req.method.c_str(), req.path.c_str(), res.status);
    });

  const int port = settings.port == 0 ? server.bind_to_any_port(settings.host)
                                      : (server.bind_to_port(settings.host, settings.port) ? settings.port : -1);
  if (port < 0) {
    std::fprintf(stderr, "kws-serve: cannot listen on %s:%d (in use, or not an address of this machine)\n",
                 settings.host.c_str(), settings.port);
    return 1;
  }
  std::printf("kws-serve: model %s (%d labels, %d Hz), libkws %s\n", model_file.c_str(), model.num_classes(),
              model_rate, KWS_VERSION_STRING);
  std::printf("kws-serve: listening on http://%s:%d/\n", settings.host.c_str(), port);
  std::fflush(stdout);

  std::atomic<bool> signalled{false};
  std::thread signal_thread([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    signalled = true;
    server.stop();
  });
  std::atomic<bool> stopping{false};
  std::mutex sweep_mutex;
  std::condition_variable sweep_wake;
  std::thread sweeper([&] {  // expire idle streams even when no request comes
    std::unique_lock<std::mutex> lock(sweep_mutex);
    while (!sweep_wake.wait_for(lock, std::chrono::seconds(5), [&] { return stopping.load(); })) sessions.expire();
  });

  const bool ok = server.listen_after_bind();
  {
    std::lock_guard<std::mutex> lock(sweep_mutex);
    stopping = true;
  }
  sweep_wake.notify_all();
  sweeper.join();
  if (!signalled) pthread_kill(signal_thread.native_handle(), SIGTERM);  // listen ended on its own
  signal_thread.join();
  std::fprintf(stderr, "kws-serve: stopped\n");
  return ok ? 0 : 1;
}
