// kws-classify: which keyword does each audio file hold?
//
//   kws-classify [--model M] [--top K] [--json] FILE...
//
// Each file (WAV, FLAC, OGG, ...; any sample rate, mixed to mono and resampled to the model's
// rate) is classified as a whole clip by kws::Classifier: a clip shorter than the model's window
// is zero-padded, a longer one is scanned and the window most likely to hold a keyword reported.
// Prints the best label and the top K posteriors (default 3); --json prints one object per file
// and line: {"file", "label", "score", "scores": {label: probability, ...}, "window_start_s",
// "window_end_s"}, with the top K labels in "scores" (all labels unless --top is given).
// A file that cannot be read is reported on stderr, the others are still classified, and the
// exit status is then 1.
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "example_support.hpp"
#include "kws/audio.hpp"
#include "kws/classifier.hpp"
#include "kws/error.hpp"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: kws-classify [--model M] [--top K] [--json] FILE...\n"
               "  Classifies each audio file (any format libsndfile reads, any sample rate) with a\n"
               "  keyword model: best label and the top K scores (default 3).\n"
               "  --model M   model file (default: $KWS_MODEL, else %s)\n"
               "  --top K     how many labels to list (--json: all unless given)\n"
               "  --json      one JSON object per file and line\n",
               KWS_DEFAULT_MODEL);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_arg;
  long top = -1;
  bool json = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--model" && i + 1 < argc) model_arg = argv[++i];
    else if (arg == "--top" && i + 1 < argc) {
      if (!kws_example::parse_int(argv[++i], top) || top < 1) {
        std::fprintf(stderr, "kws-classify: --top needs a positive integer, not '%s'\n", argv[i]);
        return 2;
      }
    } else if (arg == "--json") json = true;
    else if (arg == "-h" || arg == "--help") return usage(), 0;
    else if (arg == "--") { files.insert(files.end(), argv + i + 1, argv + argc); break; }
    else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "kws-classify: unknown option or missing value: %s\n", arg.c_str());
      return usage();
    } else files.push_back(arg);
  }
  if (files.empty()) return usage();

  const std::optional<kws::Model> loaded = kws_example::load_model("kws-classify", model_arg);
  if (!loaded) return 1;
  const kws::Model& model = *loaded;
  const std::vector<std::string>& labels = model.labels();
  const std::size_t shown = top > 0 ? std::min(std::size_t(top), labels.size()) : json ? labels.size() : 3;

  kws::Classifier classifier(model);
  kws::AudioReadOptions read_options;
  read_options.target_sample_rate = model.feature_config().sample_rate;
  int failures = 0;
  for (const std::string& file : files) {
    kws::Classification result;
    int rate = 0;
    try {
      const kws::Audio audio = kws::read_audio(file, read_options);
      if (audio.samples.empty()) throw kws::FileError(kws::ErrorCode::corrupt_data, file + ": no audio samples");
      rate = audio.sample_rate;
      result = classifier.classify(audio.samples, audio.sample_rate);
    } catch (const std::exception& error) {
      // The library's messages start with the file name.
      std::fprintf(stderr, "kws-classify: %s\n", error.what());
      ++failures;
      continue;
    }
    std::vector<int> order(labels.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return result.scores[a] > result.scores[b]; });
    const double start_s = double(result.window_start) / rate, end_s = double(result.window_end) / rate;

    if (json) {
      nlohmann::ordered_json line;
      line["file"] = file;
      line["label"] = labels[result.best];
      line["score"] = kws_example::rounded(result.scores[result.best]);
      nlohmann::ordered_json scores = nlohmann::ordered_json::object();
      for (std::size_t k = 0; k < shown; ++k) scores[labels[order[k]]] = kws_example::rounded(result.scores[order[k]]);
      line["scores"] = scores;
      line["window_start_s"] = kws_example::rounded(start_s);
      line["window_end_s"] = kws_example::rounded(end_s);
      std::printf("%s\n", kws_example::json_line(line).c_str());
    } else {
      std::printf("%s: %s %.3f (window %.2f-%.2f s)\n", file.c_str(), labels[result.best].c_str(),
                  result.scores[result.best], start_s, end_s);
      for (std::size_t k = 0; k < shown; ++k)
        std::printf("  %-12s %.3f\n", labels[order[k]].c_str(), result.scores[order[k]]);
    }
    std::fflush(stdout);
  }
  if (failures > 0) {
    std::fprintf(stderr, "kws-classify: %d of %zu file(s) could not be classified\n", failures, files.size());
    return 1;
  }
  return 0;
}
