// kws-spot: keyword events, with their times, in a long recording or a live audio stream.
//
//   kws-spot [--model M] [--threshold T] [--sensitivity S] [--stride-ms N] [--window-ms N]
//            [--refractory-ms N] [--json] [--no-progress] FILE
//   arecord -q -f S16_LE -r 16000 -c 1 | kws-spot [options] [--rate HZ] [--format s16|f32] -
//   kws-spot --model phonemes.kws --keywords "hey jarvis,computer" [--threshold T] FILE|-
//   kws-spot --model phonemes.kws --phonemes "k @ m p j u: t# 3" FILE|-
//   kws-spot --model phonemes.kws --transcribe FILE
//
// With a classifier model the keywords are its labels (kws::Detector). With a CTC phoneme model
// (kws::Spotter) they are given on the command line: --keywords as words (phonemised with
// libespeak-ng), --phonemes as the model's tokens; --transcribe prints what the model hears.
// Without --model, --keywords/--phonemes/--transcribe use examples/models/phonemes_en.kws.
//
// A FILE is read whole (any format and rate) and pushed through a kws::Detector in 100 ms chunks,
// with a progress bar on stderr when stderr is a terminal. "-" reads raw little-endian mono PCM
// from stdin (s16 or f32, at --rate Hz, default 16000) and pushes every read as it arrives, so
// events appear while the audio is still coming; stdout is flushed after each event.
//
// Output, one line per event: "START-END s  LABEL  SCORE", where [START, END) is the analysis
// window the keyword fired in. --json prints {"label", "score", "start_s", "end_s"} per line.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "example_support.hpp"
#include "kws/audio.hpp"
#include "kws/detector.hpp"
#include "kws/error.hpp"
#include "kws/spotter.hpp"
#include "kws/transcribe.hpp"

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

int usage() {
  std::fprintf(stderr,
               "usage: kws-spot [options] FILE     keyword events in an audio file (any format, any rate)\n"
               "       kws-spot [options] -        ... in raw mono PCM from stdin, e.g.\n"
               "         arecord -q -f S16_LE -r 16000 -c 1 | kws-spot -\n"
               "options:\n"
               "  --model M          model file (default: $KWS_MODEL, else %s)\n"
               "  --rate HZ          sample rate of stdin PCM (default 16000)\n"
               "  --format s16|f32   sample format of stdin PCM, little-endian (default s16)\n"
               "  --threshold T      detection threshold for every keyword, 0..1 (default: the model's,\n"
               "                     else 0.5; for --keywords the score's, default 0.5)\n"
               "  --sensitivity S    0..1, 0.5 = thresholds as they are, higher = more detections\n"
               "  --stride-ms N      evaluate the model every N ms (default 100)\n"
               "  --window-ms N      analysis window (default: the model's, 1000 in the recipe)\n"
               "  --refractory-ms N  no new event for N ms after one (default 500)\n"
               "  --keywords LIST    a CTC phoneme model's keywords as words, comma-separated\n"
               "                     (e.g. \"hey jarvis,computer\"); needs libkws with libespeak-ng\n"
               "  --phonemes LIST    ... or as the model's tokens, e.g. \"k @ m p j u: t# 3,h eI\"\n"
               "  --boost B          per-token boost of every keyword, -10..10 (default 0)\n"
               "  --transcribe       print the phonemes a CTC model hears in FILE, and exit\n"
               "  --json             one JSON object per event and line\n"
               "  --no-progress      no progress bar on stderr\n",
               KWS_DEFAULT_MODEL);
  return 2;
}

struct Output {
  bool json = false;
  int sample_rate = 16000;
  bool progress_visible = false;  // a progress bar is on stderr's current line
  int events = 0;

  void event(const kws::Detection& detection) {
    if (progress_visible) {
      std::fputs("\r\033[K", stderr);  // clear the bar; it is redrawn after the next chunk
      progress_visible = false;
    }
    const double start_s = double(detection.start_sample) / sample_rate;
    const double end_s = double(detection.end_sample) / sample_rate;
    if (json) {
      nlohmann::ordered_json line;
      line["label"] = *detection.label;
      line["score"] = kws_example::rounded(detection.score);
      line["start_s"] = kws_example::rounded(start_s);
      line["end_s"] = kws_example::rounded(end_s);
      std::printf("%s\n", kws_example::json_line(line).c_str());
    } else {
      std::printf("%8.2f-%8.2f s  %-12s %.3f\n", start_s, end_s, detection.label->c_str(), detection.score);
    }
    std::fflush(stdout);
    ++events;
  }

  void progress(std::int64_t done, std::int64_t total) {
    const int width = 40;
    const double fraction = total > 0 ? double(done) / double(total) : 1.0;
    const int filled = int(fraction * width + 0.5);
    std::fprintf(stderr, "\r[%s%s] %3d%% %.1f/%.1f s", std::string(std::size_t(filled), '#').c_str(),
                 std::string(std::size_t(width - filled), '.').c_str(), int(fraction * 100.0 + 0.5),
                 double(done) / sample_rate, double(total) / sample_rate);
    std::fflush(stderr);
    progress_visible = true;
  }
};

// Reads raw PCM from stdin and pushes each read into the detector (or spotter) as it arrives.
template <class Stream>
void spot_stdin(Stream& detector, bool f32, Output& out) {
  const std::size_t sample_bytes = f32 ? 4 : 2;
  std::vector<unsigned char> bytes(4096 + 4);  // small reads: ~128 ms of 16 kHz s16 at most
  std::vector<std::int16_t> s16(bytes.size() / 2);
  std::vector<float> f(bytes.size() / 4);
  std::size_t held = 0;  // bytes of an incomplete sample kept from the previous read
  auto on_event = [&](const kws::Detection& d) { out.event(d); };
  while (!g_interrupted) {
    const ssize_t got = ::read(STDIN_FILENO, bytes.data() + held, bytes.size() - 4);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw kws::FileError(kws::ErrorCode::io, std::string("stdin: read failed: ") + std::strerror(errno));
    }
    if (got == 0) break;
    const std::size_t available = held + std::size_t(got);
    const std::size_t count = available / sample_bytes;
    // Little-endian PCM as arecord and sox write it; memcpy keeps the loads aligned.
    if (f32) {
      std::memcpy(f.data(), bytes.data(), count * 4);
      detector.push(f.data(), count, on_event);
    } else {
      std::memcpy(s16.data(), bytes.data(), count * 2);
      detector.push(s16.data(), count, on_event);
    }
    held = available - count * sample_bytes;
    std::memmove(bytes.data(), bytes.data() + count * sample_bytes, held);
  }
  if (held != 0)
    std::fprintf(stderr, "kws-spot: stdin ended inside a sample (%zu stray byte(s) ignored)\n", held);
}

template <class Stream>
void spot_file(Stream& detector, const kws::Audio& audio, bool show_progress, Output& out) {
  const std::size_t chunk = std::size_t(audio.sample_rate) / 10;  // 100 ms
  const std::size_t total = audio.samples.size();
  auto on_event = [&](const kws::Detection& d) { out.event(d); };
  int shown_percent = -1;
  for (std::size_t at = 0; at < total && !g_interrupted; at += chunk) {
    const std::size_t count = std::min(chunk, total - at);
    detector.push(audio.samples.data() + at, count, on_event);
    const int percent = int(100.0 * double(at + count) / double(total));
    if (show_progress && (percent != shown_percent || !out.progress_visible)) {
      out.progress(std::int64_t(at + count), std::int64_t(total));
      shown_percent = percent;
    }
  }
}

// "a,b , c" -> {"a", "b", "c"}: comma-separated, surrounding spaces dropped, empty items skipped.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(begin, end - begin);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) items.push_back(item);
    begin = end + 1;
  }
  return items;
}

// Feeds `input` (a file or "-") through `stream`, finishes it and prints the summary.
template <class Stream>
void run(Stream& stream, const std::optional<kws::Audio>& audio, bool f32, bool show_progress, Output& out) {
  auto on_event = [&](const kws::Detection& d) { out.event(d); };
  if (!audio) {
    spot_stdin(stream, f32, out);
  } else {
    spot_file(stream, *audio, show_progress, out);
  }
  stream.finish(on_event);
  if (out.progress_visible) std::fputs("\r\033[K", stderr);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_arg, input, format = "s16";
  long rate = 16000;
  std::optional<double> threshold, sensitivity, stride_ms, window_ms, refractory_ms, boost;
  bool json = false, no_progress = false, transcribe = false;
  std::vector<std::string> text_keywords, phoneme_keywords;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    auto number = [&](std::optional<double>& into, double low, double high) {
      double value = 0.0;
      if (!kws_example::parse_double(argv[++i], value) || value < low || value > high) {
        std::fprintf(stderr, "kws-spot: %s needs a number in [%g, %g], not '%s'\n", arg.c_str(), low, high, argv[i]);
        return false;
      }
      into = value;
      return true;
    };
    if (arg == "--model" && has_value) model_arg = argv[++i];
    else if (arg == "--rate" && has_value) {
      if (!kws_example::parse_int(argv[++i], rate) || !kws::valid_sample_rate(rate)) {
        std::fprintf(stderr, "kws-spot: --rate needs a sample rate in Hz (%d..%d), not '%s'\n", kws::kMinSampleRate,
                     kws::kMaxSampleRate, argv[i]);
        return 2;
      }
    } else if (arg == "--format" && has_value) {
      format = argv[++i];
      if (format != "s16" && format != "f32") {
        std::fprintf(stderr, "kws-spot: --format is s16 or f32, not '%s'\n", format.c_str());
        return 2;
      }
    } else if (arg == "--threshold" && has_value) { if (!number(threshold, 0.0, 1.0)) return 2; }
    else if (arg == "--sensitivity" && has_value) { if (!number(sensitivity, 0.0, 1.0)) return 2; }
    else if (arg == "--stride-ms" && has_value) { if (!number(stride_ms, 1.0, 60000.0)) return 2; }
    else if (arg == "--window-ms" && has_value) { if (!number(window_ms, 10.0, 60000.0)) return 2; }
    else if (arg == "--refractory-ms" && has_value) { if (!number(refractory_ms, 0.0, 3600000.0)) return 2; }
    else if (arg == "--boost" && has_value) { if (!number(boost, -10.0, 10.0)) return 2; }
    else if (arg == "--keywords" && has_value) text_keywords = split_list(argv[++i]);
    else if (arg == "--phonemes" && has_value) phoneme_keywords = split_list(argv[++i]);
    else if (arg == "--transcribe") transcribe = true;
    else if (arg == "--json") json = true;
    else if (arg == "--no-progress") no_progress = true;
    else if (arg == "-h" || arg == "--help") return usage(), 0;
    else if ((arg.size() > 1 && arg[0] == '-') || !input.empty()) {
      std::fprintf(stderr, "kws-spot: unexpected argument or missing value: %s\n", arg.c_str());
      return usage();
    } else input = arg;
  }
  if (input.empty()) return usage();
  const bool from_stdin = input == "-";

  const bool open_vocabulary = transcribe || !text_keywords.empty() || !phoneme_keywords.empty();
  const char* env_model = std::getenv("KWS_MODEL");
  if (open_vocabulary && model_arg.empty() && !(env_model && *env_model)) {
    model_arg = KWS_DEFAULT_CTC_MODEL;
    if (::access(model_arg.c_str(), R_OK) != 0) {
      std::fprintf(stderr,
                   "kws-spot: the trained phoneme model %s is not in this checkout; pass --model PATH, e.g.\n"
                   "  --model tests/model/golden/ctc/phonemes_tau1.kws   (random weights: exercises the pipeline only)\n",
                   model_arg.c_str());
      return 1;
    }
  }
  const std::optional<kws::Model> model = kws_example::load_model("kws-spot", model_arg);
  if (!model) return 1;
  if (model->is_ctc() && !open_vocabulary) {
    std::fprintf(stderr, "kws-spot: %s is a CTC phoneme model: give --keywords, --phonemes or --transcribe\n",
                 model_arg.c_str());
    return 2;
  }
  if (transcribe && from_stdin) {
    std::fprintf(stderr, "kws-spot: --transcribe reads a FILE, not stdin\n");
    return 2;
  }

  // Ctrl-C ends a live stream cleanly: the detector is finished and the summary printed.
  struct sigaction action {};
  action.sa_handler = [](int) { g_interrupted = 1; };
  sigaction(SIGINT, &action, nullptr);  // no SA_RESTART: a blocked read() returns EINTR

  Output out;
  out.json = json;
  try {
    std::optional<kws::Audio> audio;
    if (!from_stdin) {
      audio = kws::read_audio(input);  // at the file's own rate; the Detector resamples
      out.sample_rate = audio->sample_rate;
    } else {
      out.sample_rate = int(rate);
    }

    const bool show_progress = !no_progress && ::isatty(STDERR_FILENO);
    if (transcribe) {
      const kws::Transcript transcript =
          kws::transcribe(*model, audio->samples.data(), audio->samples.size(), audio->sample_rate);
      std::printf("%s\n", transcript.phonemes.c_str());
      return 0;
    }
    if (open_vocabulary) {
      std::vector<kws::Keyword> keywords;
      for (const std::string& text : text_keywords) keywords.push_back({text, "", "", std::nullopt, 0.0f});
      for (const std::string& tokens : phoneme_keywords) keywords.push_back({"", tokens, "", std::nullopt, 0.0f});
      for (kws::Keyword& keyword : keywords) keyword.boost = float(boost.value_or(0.0));
      kws::SpotterOptions options;
      options.sample_rate = out.sample_rate;
      if (refractory_ms) options.refractory_seconds = *refractory_ms / 1000.0;
      if (threshold) options.default_threshold = float(*threshold);
      kws::Spotter spotter(*model, keywords, options);
      for (const kws::SpotterKeyword& keyword : spotter.keywords()) {
        std::string tokens;
        for (const std::string& token : keyword.tokens) tokens += (tokens.empty() ? "" : " ") + token;
        std::fprintf(stderr, "kws-spot: keyword \"%s\" = /%s/ (threshold %.2f)\n", keyword.name.c_str(),
                     tokens.c_str(), keyword.threshold);
      }
      run(spotter, audio, format == "f32", show_progress, out);
      std::fprintf(stderr, "kws-spot: %d event(s) in %.2f s of audio (%lld frames scored)%s\n", out.events,
                   double(spotter.samples_pushed()) / out.sample_rate, (long long)spotter.frames_scored(),
                   g_interrupted ? ", interrupted" : "");
      return 0;
    }

    kws::DetectorOptions options;
    options.sample_rate = out.sample_rate;
    if (window_ms) options.window_seconds = *window_ms / 1000.0;
    if (stride_ms) options.stride_seconds = *stride_ms / 1000.0;
    if (refractory_ms) options.refractory_seconds = *refractory_ms / 1000.0;
    if (sensitivity) options.sensitivity = *sensitivity;
    if (threshold)
      for (const std::string& label : model->labels())
        if (label.empty() || label[0] != '_') options.thresholds[label] = float(*threshold);
    kws::Detector detector(*model, options);
    run(detector, audio, format == "f32", show_progress, out);
    std::fprintf(stderr, "kws-spot: %d event(s) in %.2f s of audio (%lld evaluations)%s\n", out.events,
                 double(detector.samples_pushed()) / out.sample_rate, (long long)detector.evaluations(),
                 g_interrupted ? ", interrupted" : "");
  } catch (const std::exception& error) {
    if (out.progress_visible) std::fputs("\n", stderr);
    std::fprintf(stderr, "kws-spot: %s\n", error.what());
    return 1;
  }
  return 0;
}
