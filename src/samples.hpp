// What every sample entering libkws goes through: one rule for files, buffers and streams.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kws/limits.h"

namespace kws::detail {

// NaN and +-Inf samples count as silence: one NaN would make every posterior of the windows it
// falls in NaN (and the "best" label arbitrary), and a resampler would spread it to its
// neighbours. Applied before resampling and where samples enter the feature frames.
inline float finite_or_zero(float sample) { return std::isfinite(sample) ? sample : 0.0f; }

// Whether no sample needs finite_or_zero (the common case, where no copy is made).
inline bool all_finite(const float* samples, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(samples[i])) return false;
  return true;
}

// The most samples one call takes (kws/limits.h says why): more is refused with InvalidArgument.
// Where size_t is 32 bits (WebAssembly, 32-bit ARM) 2^60 does not fit (casting it gave 0, which
// refused every push): there the cap is the largest count whose float buffer has a byte size.
constexpr std::size_t kMaxSampleCount =
    KWS_MAX_SAMPLE_COUNT <= std::size_t(PTRDIFF_MAX) / sizeof(float) ? std::size_t(KWS_MAX_SAMPLE_COUNT)
                                                                     : std::size_t(PTRDIFF_MAX) / sizeof(float);
static_assert(kMaxSampleCount > 0 && kMaxSampleCount <= std::size_t(PTRDIFF_MAX) / sizeof(float),
              "byte sizes of the largest count fit");

}  // namespace kws::detail
