// kws-bench: libkws against its peers, measured in one run and printed as a table of ratios.
//
//   kws-bench [features|engine|detector] [--json] [--iterations N] [--no-peers]
//   kws-bench forward --tau T [--iterations N]
//
// features: log-mel and MFCC of a 1 s clip, libkws vs torchaudio (1 thread).
// engine: one BC-ResNet forward pass (batch 1, 101 frames) of the golden models of every width,
//         each available libkws backend (reference, eigen, onednn) vs PyTorch eager / TorchScript
//         (benchmarks/peers_torch.py) and ONNX Runtime; then batches of 16 and 64 on 1 and 2
//         threads (tau 1 and 8, eigen and onednn) vs ONNX Runtime's batched run, in ms per item.
//         libkws rows also print arena_kib (Engine::arena_bytes(): activations + scratchpad) and
//         weights_kib (the model's tensors).
// detector: the streaming Detector's cost per second of audio (10 ms chunks, 100 ms stride, 1 s
//         window) at 16 and 44.1 kHz, as milliseconds per audio second and % of one core, for
//         tau 1 and 8 on each backend, with the front end alone for comparison; and the
//         open-vocabulary Spotter (CTC phoneme models of tau 1 and 2, three keywords, 16 kHz).
// forward: N forward passes of the golden model of width T on the default backend, timing
//         nothing: for instruction counts under callgrind (benchmarks/instruction_counts.sh).
// ratio = the peer's time / this row's time, so > 1 means faster than the peer. Peers run as subprocesses
// (benchmarks/*.py with /usr/bin/python3, benchmarks/*.mjs with node); a missing peer is reported, not fatal.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <unistd.h>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kws/detector.hpp"
#include "kws/spotter.hpp"
#include "kws/engine.hpp"
#include "kws/features.hpp"

namespace {

// Floats per vector register the kernels were compiled for (kws::compiled_isa()).
int vector_floats() {
  const char* isa = kws::compiled_isa();
  if (std::strstr(isa, "avx512f") != nullptr) return 16;
  return std::strstr(isa, "avx2") != nullptr ? 8 : 4;  // SSE2 or NEON: 4
}

struct Options {
  std::string tau = "1";  // forward
  bool json = false;
  bool peers = true;
  int iterations = 300;
};

struct Row {
  std::string name, impl;
  int threads = 1;
  double ms = 0.0;
  double ratio = 0.0;   // reference time / ms
  double gflops = 0.0;  // achieved, where the work is known (engine rows)
  double arena_kib = 0.0;    // engine rows: Engine::arena_bytes() (activations + scratchpad)
  double weights_kib = 0.0;  // engine rows: the model's float32 tensors
  int batch = 1;             // engine rows: items per run(); ms is then per item
};

// Sets each row's ratio against the row of the same name, batch and threads whose impl is
// `reference`.
void set_ratios(std::vector<Row>& rows, const std::string& reference) {
  for (Row& row : rows) {
    const auto peer = std::find_if(rows.begin(), rows.end(), [&](const Row& r) {
      return r.name == row.name && r.batch == row.batch && r.threads == row.threads && r.impl == reference;
    });
    row.ratio = peer != rows.end() && row.ms > 0 ? peer->ms / row.ms : 0.0;
  }
}

// Single-core fp32 FMA peak at the clock /proc/cpuinfo reports (0 when unknown): 2 FMA ports x
// the vector width the kernels were compiled for (16 floats with AVX-512, else 8) x 2 flops per
// cycle. Parts with one AVX-512 FMA port peak at half that.
double fma_peak_gflops() {
  FILE* info = std::fopen("/proc/cpuinfo", "r");
  if (!info) return 0.0;
  char line[512];
  double mhz = 0.0;
  while (std::fgets(line, sizeof line, info))
    if (std::strncmp(line, "cpu MHz", 7) == 0) {
      if (const char* colon = std::strchr(line, ':')) mhz = std::atof(colon + 1);
      break;
    }
  std::fclose(info);
  return mhz * 1e-3 * 2.0 * double(vector_floats()) * 2.0;
}

double median_ms(const std::function<void()>& run, int iterations) {
  for (int i = 0; i < std::max(3, iterations / 10); ++i) run();  // warm caches and allocations
  std::vector<double> times;
  times.reserve(std::size_t(iterations));
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + long(times.size() / 2), times.end());
  return times[times.size() / 2];
}

// Runs a peer script and returns the JSON objects it printed, one per line.
std::vector<nlohmann::json> run_peer(const std::string& command) {
  std::vector<nlohmann::json> rows;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe) return rows;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe)) {
    try {
      rows.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      // not a result line
    }
  }
  pclose(pipe);
  return rows;
}

std::vector<Row> bench_features(const Options& options) {
  std::vector<float> clip(16000);
  unsigned state = 12345;
  for (float& x : clip) {  // deterministic noise, like the peers' random clip
    state = state * 1664525u + 1013904223u;
    x = 0.1f * (float(state >> 8) / float(1 << 24) - 0.5f);
  }
  std::vector<Row> rows;
  for (auto kind : {kws::FeatureKind::log_mel, kws::FeatureKind::mfcc}) {
    kws::FeatureConfig config;
    config.kind = kind;
    kws::FeatureExtractor batch(config);
    kws::FeatureMatrix out;
    const std::string name = kind == kws::FeatureKind::mfcc ? "mfcc_1s" : "log_mel_1s";
    rows.push_back({name, "libkws", 1, median_ms([&] { batch.compute(clip.data(), clip.size(), out); }, options.iterations)});
    kws::StreamingFeatureExtractor stream(config);
    float sink = 0.0f;
    rows.push_back({name, "libkws-streaming", 1, median_ms([&] {
                      stream.reset();
                      for (std::size_t at = 0; at < clip.size(); at += 160)  // 10 ms chunks
                        stream.push(clip.data() + at, 160, [&](const float* frame) { sink += frame[0]; });
                    }, options.iterations)});
  }
  if (options.peers) {
    const std::string command = std::string(KWS_PYTHON) + " " + KWS_BENCHMARK_DIR +
                                "/torchaudio_features.py --iterations " + std::to_string(options.iterations);
    const auto peers = run_peer(command);
    if (peers.empty()) std::fprintf(stderr, "kws-bench: torchaudio peer unavailable (%s)\n", command.c_str());
    for (const auto& peer : peers)
      rows.push_back({peer.value("name", ""), peer.value("impl", ""), peer.value("threads", 1), peer.value("ms", 0.0)});
  }
  set_ratios(rows, "torchaudio");
  return rows;
}

// Batches a server runs (tau 1 and 8 only; ms per item), with 1 and 2 threads, against ONNX
// Runtime's batched run of the same batch and threads.
constexpr int kServerBatches[] = {16, 64};

// Timed runs of a batch: as many items as `iterations` single runs, at least 10 runs.
int batch_iterations(const Options& options, int batch) { return std::max(10, options.iterations / batch); }

std::vector<Row> bench_engine(const Options& options) {
  std::vector<Row> rows;
  std::vector<float> input(40 * 101);
  unsigned state = 777;
  for (float& x : input) {
    state = state * 1664525u + 1013904223u;
    x = float(state >> 8) / float(1 << 24) * 4.0f - 2.0f;
  }
  for (const char* tau : {"1", "1.5", "2", "3", "6", "8"}) {
    const std::string name = std::string("bcresnet_tau") + tau;
    const std::string path = std::string(KWS_MODEL_DIR) + "/" + name + ".kws";
    const kws::Model model = kws::Model::load(path);
    std::vector<float> logits(std::size_t(model.num_classes()));
    std::size_t weight_bytes = 0;
    for (const std::string& tensor : model.tensor_names()) weight_bytes += model.tensor(tensor).size() * sizeof(float);
    for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn}) {
      if (!kws::backend_available(backend)) continue;
      kws::EngineOptions engine_options;
      engine_options.backend = backend;
      kws::Engine engine(model, engine_options);
      const double ms = median_ms([&] { engine.run(input.data(), 1, 101, logits.data()); }, options.iterations);
      rows.push_back({name, std::string("libkws-") + kws::backend_name(engine.backend()), 1, ms, 0.0,
                      2.0 * double(engine.multiply_adds(101)) / (ms * 1e6), double(engine.arena_bytes()) / 1024.0,
                      double(weight_bytes) / 1024.0});
    }
    const bool batched = std::strcmp(tau, "1") == 0 || std::strcmp(tau, "8") == 0;  // server batches
    if (batched)
      for (int batch : kServerBatches)
        for (int threads : {1, 2})
          for (kws::Backend backend : {kws::Backend::eigen, kws::Backend::onednn}) {
            if (!kws::backend_available(backend)) continue;
            kws::EngineOptions engine_options;
            engine_options.backend = backend;
            engine_options.max_batch = batch;
            engine_options.threads = threads;
            kws::Engine engine(model, engine_options);
            std::vector<float> items(input.size() * std::size_t(batch)), batch_logits(logits.size() * std::size_t(batch));
            for (std::size_t i = 0; i < items.size(); ++i) items[i] = input[i % input.size()];
            const double ms = median_ms([&] { engine.run(items.data(), batch, 101, batch_logits.data()); },
                                        batch_iterations(options, batch)) / batch;
            Row row{name, std::string("libkws-") + kws::backend_name(engine.backend()), threads, ms};
            row.batch = batch;
            row.gflops = 2.0 * double(engine.multiply_adds(101)) / (ms * 1e6);
            row.arena_kib = double(engine.arena_bytes()) / 1024.0;
            row.weights_kib = double(weight_bytes) / 1024.0;
            rows.push_back(row);
          }
    if (options.peers) {
      // PyTorch eager and TorchScript; the same script exports the ONNX file ONNX Runtime runs.
      const std::string onnx = "/tmp/kws-bench-" + std::to_string(::getpid()) + "-" + name + ".onnx";
      const std::string iterations = " --iterations " + std::to_string(options.iterations);
      const std::string torch = std::string(KWS_PYTHON) + " " + KWS_BENCHMARK_DIR + "/peers_torch.py --model " +
                                path + " --threads 1 --batch 1 --frames 101 --onnx-out " + onnx + iterations;
      auto ort = [&](int batch, int threads, int count) {
        return "node " + std::string(KWS_BENCHMARK_DIR) + "/peers_onnxruntime.mjs --onnx " + onnx + " --threads " +
               std::to_string(threads) + " --batch " + std::to_string(batch) + " --frames 101 --iterations " +
               std::to_string(count);
      };
      std::vector<std::string> commands{torch, ort(1, 1, options.iterations)};
      if (batched)
        for (int batch : kServerBatches)
          for (int threads : {1, 2}) commands.push_back(ort(batch, threads, batch_iterations(options, batch)));
      for (const std::string& command : commands) {
        const auto peers = run_peer(command);
        if (peers.empty()) std::fprintf(stderr, "kws-bench: peer unavailable (%s)\n", command.c_str());
        for (const auto& peer : peers) {
          Row row{name, peer.value("impl", ""), peer.value("threads", 1), peer.value("ms", 0.0)};
          row.batch = peer.value("batch", 1);
          row.ms /= row.batch;  // per item, as the libkws rows
          rows.push_back(row);
        }
      }
      std::remove(onnx.c_str());
    }
  }
  set_ratios(rows, "onnxruntime");
  return rows;
}

void print(const std::vector<Row>& rows, const Options& options, const char* reference, bool engine) {
  if (options.json) {
    for (const Row& row : rows) {
      nlohmann::json out = {{"impl", row.impl}, {"threads", row.threads}, {"ms", row.ms}};
      if (engine) {
        out["model"] = "bcresnet";
        out["tau"] = std::stod(row.name.substr(row.name.find("tau") + 3));
        out["batch"] = row.batch;
        out["ratio_vs_onnxruntime"] = row.ratio;
        if (row.gflops > 0) out["gflops"] = row.gflops;
        if (row.arena_kib > 0) out["arena_kib"] = row.arena_kib;
        if (row.weights_kib > 0) out["weights_kib"] = row.weights_kib;
      } else {
        out["name"] = row.name;
        out["ratio"] = row.ratio;
      }
      std::printf("%s\n", out.dump().c_str());
    }
    return;
  }
  if (engine) {
    const double peak = fma_peak_gflops();
    const std::string peak_column = "% of " + std::string(vector_floats() == 16 ? "AVX-512" : "AVX2") +
                                    " FMA peak (" + std::to_string(int(peak)) + " GFLOP/s)";
    std::printf("%-18s %-18s %5s %7s %10s %12s %9s %11s %9s   %s\n", "model", "impl", "batch", "threads",
                "ms/item", "x vs ORT", "arena_kib", "weights_kib", "GFLOP/s", peak > 0 ? peak_column.c_str() : "");
    for (const Row& row : rows) {
      std::printf("%-18s %-18s %5d %7d %10.4f %11s ", row.name.c_str(), row.impl.c_str(), row.batch, row.threads,
                  row.ms, row.ratio > 0 ? (std::to_string(row.ratio).substr(0, 5) + "x").c_str() : "-");
      if (row.arena_kib > 0)
        std::printf("%9.1f %11.1f ", row.arena_kib, row.weights_kib);
      else
        std::printf("%9s %11s ", "-", "-");
      if (row.gflops > 0)
        std::printf("%9.2f   %.1f%%\n", row.gflops, peak > 0 ? 100.0 * row.gflops / peak : 0.0);
      else
        std::printf("%9s\n", "-");
    }
    return;
  }
  std::printf("%-18s %-18s %7s %10s   %s\n", "name", "impl", "threads", "ms", std::string("x vs ").append(reference).c_str());
  for (const Row& row : rows)
    std::printf("%-18s %-18s %7d %10.4f   %s\n", row.name.c_str(), row.impl.c_str(), row.threads, row.ms,
                row.ratio > 0 ? (std::to_string(row.ratio).substr(0, 5) + "x").c_str() : "-");
}

struct DetectorRow {
  std::string model, impl;
  int sample_rate = 0;
  double audio_seconds = 0.0, ms_per_audio_second = 0.0;
  std::int64_t evaluations = 0;
};

// Pushes `seconds` of noise in 10 ms chunks after a 2 s warm-up; returns ms per second of audio.
template <class Push>
double time_stream(int rate, double seconds, Push&& push) {
  std::vector<float> audio(std::size_t(rate * (seconds + 2.0)));
  unsigned state = 1;
  for (float& x : audio) x = 0.1f * (float((state = state * 1664525u + 1013904223u) >> 9) / 8388608.0f - 1.0f);
  const std::size_t chunk = std::size_t(rate / 100), warm_up = std::size_t(rate) * 2;
  for (std::size_t at = 0; at < warm_up; at += chunk) push(audio.data() + at, chunk);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t at = warm_up; at + chunk <= audio.size(); at += chunk) push(audio.data() + at, chunk);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return ms / seconds;
}

std::vector<DetectorRow> bench_detector(const Options& options) {
  std::vector<DetectorRow> rows;
  const double seconds = std::max(10.0, options.iterations / 5.0);  // 300 iterations: 60 s of audio
  {  // the streaming front end alone, at the model's rate
    const kws::Model model = kws::Model::load(std::string(KWS_MODEL_DIR) + "/bcresnet_tau1.kws");
    kws::StreamingFeatureExtractor features(model.feature_config());
    DetectorRow row{"front end only", "libkws", model.feature_config().sample_rate, seconds, 0.0, 0};
    row.ms_per_audio_second = time_stream(row.sample_rate, seconds, [&](const float* x, std::size_t n) {
      features.push(x, n, [](const float*) {});
    });
    rows.push_back(row);
  }
  for (int rate : {16000, 44100}) {
    for (const char* tau : {"1", "8"}) {
      for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn}) {
        if (!kws::backend_available(backend)) continue;
        if (backend == kws::Backend::reference && std::string(tau) == "8") continue;  // minutes, and not a contender
        kws::Model m = kws::Model::load(std::string(KWS_MODEL_DIR) + "/bcresnet_tau" + tau + ".kws");
        kws::DetectorOptions detector_options;
        detector_options.sample_rate = rate;
        detector_options.backend = backend;
        kws::Detector detector(m, detector_options);
        DetectorRow r{std::string("bcresnet tau ") + tau, kws::backend_name(backend), rate, seconds, 0.0, 0};
        r.ms_per_audio_second = time_stream(rate, seconds, [&](const float* x, std::size_t n) {
          detector.push(x, n, [](const kws::Detection&) {});
        });
        r.evaluations = detector.evaluations();
        rows.push_back(r);
      }
    }
  }
  // The open-vocabulary spotter on the random-weight CTC phoneme models (tests/model/golden/ctc):
  // the network on 301-frame windows every 185 frames, then the search of three keywords.
  for (const char* tau : {"1", "2"}) {
    for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn}) {
      if (!kws::backend_available(backend)) continue;
      const kws::Model m = kws::Model::load(std::string(KWS_MODEL_DIR) + "/ctc/phonemes_tau" + tau + ".kws");
      std::vector<kws::Keyword> keywords(3);
      keywords[0].phonemes = "k @ m p j u: t# 3";
      keywords[1].phonemes = "h eI dZ A@ v I s";
      keywords[2].phonemes = "a# l E k s @";
      kws::SpotterOptions spotter_options;
      spotter_options.backend = backend;
      kws::Spotter spotter(m, keywords, spotter_options);
      DetectorRow r{std::string("spotter ctc tau ") + tau, kws::backend_name(backend), 16000, seconds, 0.0, 0};
      r.ms_per_audio_second = time_stream(16000, seconds, [&](const float* x, std::size_t n) {
        spotter.push(x, n, [](const kws::Detection&) {});
      });
      r.evaluations = spotter.frames_scored();
      rows.push_back(r);
    }
  }
  return rows;
}

void print_detector(const std::vector<DetectorRow>& rows, const Options& options) {
  for (const DetectorRow& row : rows) {
    if (options.json) {
      nlohmann::json out = {{"suite", "detector"}, {"model", row.model}, {"impl", row.impl},
                            {"sample_rate", row.sample_rate}, {"audio_seconds", row.audio_seconds},
                            {"ms_per_audio_second", row.ms_per_audio_second},
                            {"core_percent", row.ms_per_audio_second / 10.0}};
      std::printf("%s\n", out.dump().c_str());
    }
  }
  if (options.json) return;
  std::printf("%-16s %-10s %8s %16s %12s\n", "model", "impl", "rate", "ms / audio s", "% of 1 core");
  for (const DetectorRow& row : rows)
    std::printf("%-16s %-10s %8d %16.3f %11.3f%%\n", row.model.c_str(), row.impl.c_str(), row.sample_rate,
                row.ms_per_audio_second, row.ms_per_audio_second / 10.0);
}

int usage() {
  std::fprintf(stderr,
               "usage: kws-bench [features|engine|detector] [--json] [--iterations N] [--no-peers]\n"
               "       kws-bench forward --tau T [--iterations N]\n");
  return 2;
}

// N forward passes, for counting instructions: the work of one pass is the difference between
// two counts divided by the difference in N (construction and loading cancel out).
int forward(const Options& options) {
  const kws::Model model = kws::Model::load(std::string(KWS_MODEL_DIR) + "/bcresnet_tau" + options.tau + ".kws");
  kws::Engine engine(model);
  std::vector<float> input(std::size_t(model.feature_config().bins()) * 101, 0.5f), logits(std::size_t(model.num_classes()));
  for (int i = 0; i < options.iterations; ++i) engine.run(input.data(), 1, 101, logits.data());
  std::printf("%d forward passes of tau %s on %s (%s): logit 0 = %g\n", options.iterations, options.tau.c_str(),
              kws::backend_name(engine.backend()), kws::compiled_isa(), double(logits[0]));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string suite = "features";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") options.json = true;
    else if (arg == "--no-peers") options.peers = false;
    else if (arg == "--iterations" && i + 1 < argc) options.iterations = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--tau" && i + 1 < argc) options.tau = argv[++i];
    else if (arg == "features" || arg == "engine" || arg == "detector" || arg == "forward") suite = arg;
    else return usage();
  }
  if (suite == "forward") return forward(options);
  if (suite == "engine") print(bench_engine(options), options, "onnxruntime", true);
  else if (suite == "detector") print_detector(bench_detector(options), options);
  else print(bench_features(options), options, "torchaudio", false);
  return 0;
}
