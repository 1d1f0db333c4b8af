// Streaming sample-rate conversion over libsoxr, for the Detector: float in, float out, any
// chunking. soxr removes its own filter delay, so output sample k sits at input time
// k / to_rate, and the output does not depend on how the input was chunked.
#pragma once

#include <cstddef>

namespace kws::detail {

class StreamResampler {
 public:
  StreamResampler(int from_rate, int to_rate);
  ~StreamResampler();
  StreamResampler(const StreamResampler&) = delete;
  StreamResampler& operator=(const StreamResampler&) = delete;

  // Consumes all of `in` (count may be 0) and writes up to `capacity` samples to `out`; returns
  // how many were written. Call again with count 0 until it returns 0 to drain. `end_of_input`
  // flushes the filter tail.
  std::size_t process(const float* in, std::size_t count, std::size_t* consumed, float* out,
                      std::size_t capacity);
  std::size_t flush(float* out, std::size_t capacity);
  void reset();

 private:
  void* soxr_ = nullptr;
  int from_rate_, to_rate_;
};

}  // namespace kws::detail
