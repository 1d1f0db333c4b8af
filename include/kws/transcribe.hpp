// Greedy CTC decoding of a whole clip with a CTC acoustic model (Model::is_ctc()): the most
// probable token of every frame, repeats collapsed, blanks dropped. A small phoneme recogniser:
// it shows what the acoustic model hears, and which tokens a keyword would need to match.
//
// The per-frame posteriors are those of kws::Spotter (the same windows), so for a clip spotted
// and transcribed the two see the same frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kws/engine.hpp"
#include "kws/model.hpp"

namespace kws {

struct Transcript {
  std::vector<int> tokens;  // label indices, never the blank
  std::string phonemes;     // their labels, separated by single spaces
};

struct TranscribeOptions {
  int window_frames = 0;  // as SpotterOptions
  Backend backend = fastest_backend();
};

// samples: mono PCM, float in [-1, 1], at sample_rate Hz (resampled to the model's). Throws
// InvalidArgument for a classifier model, an empty clip or a rate outside the accepted range.
Transcript transcribe(const Model& model, const float* samples, std::size_t count, int sample_rate,
                      const TranscribeOptions& options = {});

}  // namespace kws
