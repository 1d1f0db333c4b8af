// The accepted sample-rate range as message text, so every rejection names the same range.
#pragma once

#include <string>

#include "kws/audio.hpp"
#include "kws/error.hpp"

namespace kws::detail {

inline std::string sample_rate_range() {
  return "[" + std::to_string(kMinSampleRate) + ", " + std::to_string(kMaxSampleRate) + "]";
}

// Throws InvalidArgument "<function>: sample rate <rate> outside [min, max]".
inline void require_sample_rate(const char* function, int rate) {
  if (!valid_sample_rate(rate))
    throw InvalidArgument(std::string(function) + ": sample rate " + std::to_string(rate) + " outside " +
                          sample_rate_range());
}

}  // namespace kws::detail
