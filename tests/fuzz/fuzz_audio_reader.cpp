// libFuzzer target: arbitrary bytes as an audio file (WAV, FLAC, OGG, ... through libsndfile),
// read with and without resampling. Must either decode or throw kws::FileError.
#include <cstddef>
#include <cstdint>

#include "kws/audio.hpp"
#include "kws/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kws::AudioReadOptions options;
  options.max_seconds = 30.0;  // what a service reading uploads would set
  for (int rate : {0, 16000}) {
    options.target_sample_rate = rate;
    try {
      kws::Audio audio = kws::read_audio(data, size, options);
      if (audio.sample_rate <= 0) __builtin_trap();
    } catch (const kws::Error&) {
    }
  }
  return 0;
}
