// Checks and conversions of DetectorOptions shared by the Detector and its EventPolicy.
#pragma once

#include <cmath>
#include <string>

#include "kws/error.hpp"
#include "kws/features.hpp"

namespace kws::detail {

inline void check_range(double value, double low, double high, const char* name) {
  if (!(value >= low && value <= high))
    throw InvalidArgument(std::string("DetectorOptions.") + name + " = " + std::to_string(value) + " outside [" +
                          std::to_string(low) + ", " + std::to_string(high) + "]");
}

// A span of stream time in feature frames (rounded half away from zero).
inline int frames_for(double seconds, const FeatureConfig& features) {
  return int(std::lround(seconds * features.sample_rate / features.hop_length));
}

}  // namespace kws::detail
