// Shared by the spotter tests: the random-weight CTC test model, a recording, and keywords that
// the model is sure to hear in it (three tokens of its own greedy transcript: that path is the
// best one, so its score is 1).
#pragma once

#include <string>
#include <vector>

#include "kws/audio.hpp"
#include "kws/spotter.hpp"
#include "kws/transcribe.hpp"
#include "test_support.hpp"

namespace kws::test {

inline Model ctc_test_model(const std::string& tau = "1") {
  return Model::load((source_dir() / "model" / "golden" / "ctc" / ("phonemes_tau" + tau + ".kws")).string());
}

// examples/data/hey_computer.wav at `rate` Hz.
inline std::vector<float> ctc_test_audio(int rate = 16000) {
  AudioReadOptions options;
  options.target_sample_rate = rate;
  return read_audio((source_dir().parent_path() / "examples" / "data" / "hey_computer.wav").string(), options).samples;
}

// Keywords of `length` consecutive tokens of the model's transcript, from every `step`-th token.
inline std::vector<Keyword> heard_keywords(const Model& model, const std::vector<float>& audio, std::size_t length,
                                           std::size_t step) {
  const Transcript transcript = transcribe(model, audio.data(), audio.size(), model.feature_config().sample_rate);
  std::vector<Keyword> keywords;
  for (std::size_t i = 0; i + length <= transcript.tokens.size(); i += step) {
    Keyword keyword;
    for (std::size_t j = i; j < i + length; ++j)
      keyword.phonemes += (j > i ? " " : "") + model.labels()[std::size_t(transcript.tokens[j])];
    keyword.threshold = 0.9f;
    keywords.push_back(keyword);
  }
  return keywords;
}

}  // namespace kws::test
