// The accepted sample-rate range as message text, so every rejection names the same range.
#pragma once

#include <string>

#include "kws/audio.hpp"

namespace kws::detail {

inline std::string sample_rate_range() {
  return "[" + std::to_string(kMinSampleRate) + ", " + std::to_string(kMaxSampleRate) + "]";
}

}  // namespace kws::detail
