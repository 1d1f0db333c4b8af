// Audio files in and out, and sample-rate conversion.
//
// Reading goes through libsndfile (WAV 8/16/24/32-bit PCM and float, FLAC, OGG/Vorbis, and the
// rest libsndfile knows), mixes down to mono and, when asked, resamples with libsoxr at high
// quality. Samples are float in [-1, 1) (PCM scaled by 1 / 2^(bits-1), as torchaudio.load).
// Every malformed input raises kws::FileError with a message naming the file and the problem.
// A libkws built without libsndfile or libsoxr (KWS_WITH_SNDFILE / KWS_WITH_SOXR off, as the
// WebAssembly build) raises kws::Error(unsupported_format) naming the missing library wherever it
// would be needed: reading or writing a file, or resampling between two different rates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kws/limits.h"

namespace kws {

// The sample rates libkws accepts everywhere (kws/limits.h says why the floor).
inline constexpr int kMinSampleRate = KWS_MIN_SAMPLE_RATE;
inline constexpr int kMaxSampleRate = KWS_MAX_SAMPLE_RATE;
constexpr bool valid_sample_rate(int rate) { return rate >= kMinSampleRate && rate <= kMaxSampleRate; }

struct AudioInfo {
  int sample_rate = 0;
  int channels = 0;
  std::int64_t frames = 0;  // per channel
  std::string format;       // e.g. "WAV (Microsoft) / Signed 16 bit PCM"
};

struct Audio {
  std::vector<float> samples;  // mono
  int sample_rate = 0;
  // The file as it was (its own rate, channels, format), so that a caller need not open it
  // twice: a pipe or FIFO can be read only once.
  AudioInfo source;

  double duration_seconds() const { return sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0; }
};

struct AudioReadOptions {
  // Resample to this rate when > 0 and different from the file's rate.
  int target_sample_rate = 0;
  // Refuse files longer than this (bounded memory for untrusted input); 0 = no limit.
  double max_seconds = 4.0 * 3600.0;
  // Refuse files that decode to more samples than this (frames x channels, before resampling;
  // 0 = no limit): seconds alone do not bound memory, as 15 min at 768 kHz is 2.7 GB of floats
  // from a 2 MB FLAC of silence. Checked against the header first, then while decoding (a header
  // may lie).
  std::size_t max_samples = 0;
};

// What a file claims to hold, without decoding it.
AudioInfo probe_audio(const std::string& path);
Audio read_audio(const std::string& path, const AudioReadOptions& options = {});
// The same from an in-memory file image (e.g. an HTTP upload); `data` is not retained.
Audio read_audio(const void* data, std::size_t size, const AudioReadOptions& options = {});

enum class WavEncoding { pcm16, float32 };
// Writes mono samples as WAV; pcm16 clips to [-1, 1).
void write_wav(const std::string& path, const float* samples, std::size_t count, int sample_rate,
               WavEncoding encoding = WavEncoding::pcm16);

// Converts a whole signal between sample rates (libsoxr, high quality, linear phase). NaN and Inf
// samples count as 0, as everywhere in libkws.
std::vector<float> resample(const float* samples, std::size_t count, int from_rate, int to_rate);

}  // namespace kws
