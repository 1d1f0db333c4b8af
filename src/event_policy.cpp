// EventPolicy: thresholds, min_consecutive, arming and refractory over smoothed posteriors.
#include "kws/event_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "detector_options.hpp"
#include "kws/error.hpp"
#include "model/architecture.hpp"

namespace kws {

EventPolicy::EventPolicy(const Model& model, const DetectorOptions& options) {
  detail::require_model_kind(model, false, "EventPolicy");
  detail::check_range(options.sensitivity, 0.0, 1.0, "sensitivity");
  detail::check_range(options.refractory_seconds, 0.0, 3600.0, "refractory_seconds");
  detail::check_range(options.default_threshold, 0.0, 1.0, "default_threshold");
  if (options.min_consecutive < 1 || options.min_consecutive > 1000)
    throw InvalidArgument("DetectorOptions.min_consecutive must be in [1, 1000]");
  const auto& labels = model.labels();
  for (const auto& [label, value] : options.thresholds) {
    if (std::find(labels.begin(), labels.end(), label) == labels.end())
      throw InvalidArgument("DetectorOptions.thresholds names \"" + label + "\", which is not a label of the model");
    if (!(value >= 0.0f && value <= 1.0f))
      throw InvalidArgument("DetectorOptions.thresholds[\"" + label + "\"] must be in [0, 1]");
  }
  min_consecutive_ = options.min_consecutive;
  refractory_frames_ = detail::frames_for(options.refractory_seconds, model.feature_config());
  thresholds_.assign(labels.size(), 0.0f);
  for (std::size_t k = 0; k < labels.size(); ++k) {
    const std::string& label = labels[k];
    if (options.ignore_underscore_labels && !label.empty() && label[0] == '_') {
      thresholds_[k] = std::numeric_limits<float>::infinity();
      continue;
    }
    float base = options.default_threshold;
    if (auto it = model.thresholds().find(label); it != model.thresholds().end()) base = it->second;
    if (auto it = options.thresholds.find(label); it != options.thresholds.end()) base = it->second;
    thresholds_[k] = float(std::pow(double(base), 2.0 * options.sensitivity));
  }
  consecutive_.assign(labels.size(), 0);
  armed_.assign(labels.size(), 1);
}

void EventPolicy::reset() {
  std::fill(consecutive_.begin(), consecutive_.end(), 0);
  std::fill(armed_.begin(), armed_.end(), 1);
  quiet_until_frame_ = 0;
}

int EventPolicy::update(const float* scores, std::int64_t frame) {
  int best = -1;
  const std::size_t classes = thresholds_.size();
  for (std::size_t k = 0; k < classes; ++k) {
    const bool above = scores[k] >= thresholds_[k];
    consecutive_[k] = above ? consecutive_[k] + 1 : 0;
    if (!above) armed_[k] = 1;
    if (armed_[k] && consecutive_[k] >= min_consecutive_ && (best < 0 || scores[k] > scores[std::size_t(best)]))
      best = int(k);
  }
  if (best < 0 || frame < quiet_until_frame_) return -1;
  quiet_until_frame_ = frame + refractory_frames_;
  std::fill(consecutive_.begin(), consecutive_.end(), 0);
  armed_[std::size_t(best)] = 0;
  return best;
}

}  // namespace kws
