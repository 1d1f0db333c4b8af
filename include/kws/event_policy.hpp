// The firing rule of the streaming detector on its own: smoothed posteriors in, events out.
//
// A label fires when its score has been at or above its threshold for `min_consecutive`
// evaluations in a row, it is armed (its score dropped below its threshold since it last fired:
// a spoken word stays in the window for longer than the refractory period and must fire once),
// and no event is within the refractory period. Of the labels ready to fire, the highest-scoring
// wins. Thresholds: per label the option's, else the model file's, else default_threshold, raised
// to 2 * sensitivity; labels starting with '_' never fire when ignore_underscore_labels is set.
//
// Detector runs one over its own evaluations. Tools that sweep thresholds (a DET curve) record
// the detector's evaluations once (Detector::set_evaluation_callback) and run one EventPolicy per
// setting over them: the sweep is libkws's rule, not a copy of it.
#pragma once

#include <cstdint>
#include <vector>

#include "kws/detector.hpp"
#include "kws/model.hpp"

namespace kws {

class EventPolicy {
 public:
  // Reads the firing options of `options` (thresholds, default_threshold, sensitivity,
  // ignore_underscore_labels, min_consecutive, refractory_seconds); the others are the
  // detector's. Throws InvalidArgument for out-of-range values or thresholds naming unknown labels.
  EventPolicy(const Model& model, const DetectorOptions& options);

  // One evaluation: `scores` holds num_classes() smoothed posteriors; `frame` counts the feature
  // frames of the stream when it ran (non-decreasing; the refractory period is measured on it).
  // Returns the label index that fires, or -1. Allocates nothing.
  int update(const float* scores, std::int64_t frame);

  // Forgets the stream: every label armed, no refractory period running.
  void reset();

  int num_classes() const { return int(thresholds_.size()); }
  // Effective threshold per label (after sensitivity); infinity for labels that never fire.
  const std::vector<float>& thresholds() const { return thresholds_; }
  int min_consecutive() const { return min_consecutive_; }
  int refractory_frames() const { return refractory_frames_; }

 private:
  std::vector<float> thresholds_;
  std::vector<int> consecutive_;  // evaluations in a row at or above threshold, per label
  std::vector<char> armed_;       // a label re-arms once its score drops below its threshold
  int min_consecutive_ = 1;
  int refractory_frames_ = 0;
  std::int64_t quiet_until_frame_ = 0;
};

}  // namespace kws
