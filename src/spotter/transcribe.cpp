// transcribe(): whole-clip features through the spotter's FrameLogits, greedy CTC decoding.
#include "kws/transcribe.hpp"

#include <algorithm>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "kws/features.hpp"
#include "model/architecture.hpp"
#include "sample_rate.hpp"
#include "spotter/frame_logits.hpp"

namespace kws {

namespace {
struct Decoder {
  const Model* model;
  Transcript* out;
  int previous = -1;  // the previous frame's best token (the blank is 0)

  static void on_logits(void* context, const float* logits) {
    Decoder& self = *static_cast<Decoder*>(context);
    const int classes = self.model->num_classes();
    const int best = int(std::max_element(logits, logits + classes) - logits);
    if (best != self.previous && best != 0) {
      self.out->tokens.push_back(best);
      if (!self.out->phonemes.empty()) self.out->phonemes += ' ';
      self.out->phonemes += self.model->labels()[std::size_t(best)];
    }
    self.previous = best;
  }
};
}  // namespace

Transcript transcribe(const Model& model, const float* samples, std::size_t count, int sample_rate,
                      const TranscribeOptions& options) {
  detail::require_model_kind(model, true, "transcribe");
  if (samples == nullptr && count > 0) throw InvalidArgument("transcribe: samples is null");
  if (count == 0) throw InvalidArgument("transcribe: empty clip");
  detail::require_sample_rate("transcribe", sample_rate);
  const FeatureConfig& config = model.feature_config();
  const FeatureMatrix features = FeatureExtractor(config).compute(samples, count, sample_rate);
  detail::FrameLogits stream(model, options.backend, options.window_frames);
  Transcript transcript;
  Decoder decoder{&model, &transcript};
  std::vector<float> frame(features.rows);
  for (std::size_t t = 0; t < features.cols; ++t) {
    for (std::size_t b = 0; b < features.rows; ++b) frame[b] = features.values[b * features.cols + t];
    stream.push(frame.data(), &Decoder::on_logits, &decoder);
  }
  stream.finish(&Decoder::on_logits, &decoder);
  return transcript;
}

}  // namespace kws
