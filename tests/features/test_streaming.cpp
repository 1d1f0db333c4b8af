// The streaming extractor must emit exactly the batch extractor's frames, bit for bit, however
// the audio is chunked.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "kws/error.hpp"
#include "kws/features.hpp"
#include "test_support.hpp"

namespace {

std::vector<kws::FeatureConfig> streaming_configs() {
  std::vector<kws::FeatureConfig> configs(6);
  configs[1].center = false;
  configs[2].pad_mode = kws::PadMode::constant;
  configs[3].kind = kws::FeatureKind::mfcc;
  configs[3].n_mfcc = 13;
  configs[4].log = kws::LogMode::decibel;
  configs[4].n_fft = 256;
  configs[4].win_length = 256;
  configs[4].hop_length = 256;  // no overlap: every sample belongs to exactly one frame
  configs[5].sample_rate = 8000;
  configs[5].n_fft = 200;  // not a power of two
  configs[5].win_length = 160;
  configs[5].hop_length = 80;
  configs[5].n_mels = 23;
  configs[5].f_max = 3900.0f;
  return configs;
}

// Batch result [bins][frames] -> frame-major, the streaming layout.
std::vector<float> frame_major(const kws::FeatureMatrix& m) {
  std::vector<float> out(m.values.size());
  for (std::size_t r = 0; r < m.rows; ++r)
    for (std::size_t c = 0; c < m.cols; ++c) out[c * m.rows + r] = m(r, c);
  return out;
}

std::vector<float> stream_in_chunks(kws::StreamingFeatureExtractor& stream, const std::vector<float>& signal,
                                    std::mt19937& rng, std::size_t max_chunk) {
  std::vector<float> frames;
  std::uniform_int_distribution<std::size_t> chunk(0, max_chunk);  // zero-length pushes included
  for (std::size_t at = 0; at < signal.size();) {
    const std::size_t n = std::min(chunk(rng), signal.size() - at);
    stream.push(signal.data() + at, n, frames);
    at += n;
  }
  stream.finish(frames);
  return frames;
}

}  // namespace

TEST_CASE("streaming frames are bit-identical to batch frames for any chunking") {
  // 7.3 s of noise with a silent gap and a loud burst.
  std::vector<float> signal = kws::test::random_signal(116800, 7);
  std::fill(signal.begin() + 20000, signal.begin() + 30000, 0.0f);
  for (std::size_t i = 50000; i < 52000; ++i) signal[i] *= 2.0f;

  std::mt19937 rng(42);
  for (const auto& config : streaming_configs()) {
    CAPTURE(config.describe());
    kws::FeatureExtractor batch(config);
    const std::vector<float> expected = frame_major(batch.compute(signal));
    kws::StreamingFeatureExtractor stream(config);
    for (std::size_t max_chunk : {std::size_t(1), std::size_t(7), std::size_t(160), std::size_t(4096),
                                  std::size_t(160000)}) {
      CAPTURE(max_chunk);
      stream.reset();
      const std::vector<float> frames = stream_in_chunks(stream, signal, rng, max_chunk);
      REQUIRE(frames.size() == expected.size());
      CHECK(std::memcmp(frames.data(), expected.data(), frames.size() * sizeof(float)) == 0);
      CHECK(stream.frames_emitted() * std::size_t(config.bins()) == expected.size());
    }
    // One push of everything (a "minutes long" chunk relative to the buffer).
    stream.reset();
    std::vector<float> frames;
    stream.push(signal.data(), signal.size(), frames);
    stream.finish(frames);
    CHECK(std::memcmp(frames.data(), expected.data(), frames.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("streaming emits each frame as soon as its last sample arrives (center = false)") {
  kws::FeatureConfig config;
  config.center = false;
  kws::StreamingFeatureExtractor stream(config);
  const std::vector<float> signal = kws::test::random_signal(2000, 3);
  std::vector<float> frames;
  for (std::size_t i = 0; i < signal.size(); ++i) {
    stream.push(&signal[i], 1, frames);
    const std::size_t have = i + 1;
    const std::size_t expected = have < 512 ? 0 : 1 + (have - 512) / 160;
    REQUIRE(stream.frames_emitted() == expected);
  }
  stream.finish(frames);  // no end padding without center: nothing more
  CHECK(stream.frames_emitted() == 1 + (2000 - 512) / 160);
}

TEST_CASE("center = true - start frames need n_fft / 2 + 1 samples and end frames come from finish()") {
  kws::FeatureConfig config;  // reflect
  kws::StreamingFeatureExtractor stream(config);
  const std::vector<float> signal = kws::test::random_signal(1000, 5);
  std::vector<float> frames;
  stream.push(signal.data(), 256, frames);
  CHECK(stream.frames_emitted() == 0);  // reflection source x[1..256] incomplete
  stream.push(signal.data() + 256, 1, frames);
  CHECK(stream.frames_emitted() == 1);  // frame 0 covers padded [0, 512) = x[-256, 256)
  stream.push(signal.data() + 257, signal.size() - 257, frames);
  const std::size_t before_finish = stream.frames_emitted();
  stream.finish(frames);
  CHECK(stream.frames_emitted() == config.frame_count(signal.size()));
  CHECK(stream.frames_emitted() > before_finish);
}

TEST_CASE("streaming refuses what cannot stream and misuse") {
  kws::FeatureConfig with_top_db;
  with_top_db.log = kws::LogMode::decibel;
  with_top_db.top_db = 80.0f;
  CHECK_THROWS_AS(kws::StreamingFeatureExtractor{with_top_db}, kws::InvalidArgument);

  kws::StreamingFeatureExtractor stream{kws::FeatureConfig{}};
  std::vector<float> frames;
  const float samples[100] = {};
  stream.push(samples, 100, frames);
  CHECK_THROWS_AS(stream.finish(frames), kws::InvalidArgument);  // 100 samples cannot reflect-pad 256
  stream.reset();
  stream.push(samples, 0, frames);
  CHECK_THROWS_AS(stream.push(nullptr, 10, frames), kws::InvalidArgument);
  stream.push(nullptr, 0, frames);  // an empty push is fine, even without a buffer

  kws::FeatureConfig constant;
  constant.pad_mode = kws::PadMode::constant;
  kws::StreamingFeatureExtractor padded(constant);
  padded.push(samples, 100, frames);
  padded.finish(frames);
  CHECK(padded.frames_emitted() == 1);
  CHECK_THROWS_AS(padded.push(samples, 1, frames), kws::InvalidArgument);  // after finish
  padded.reset();
  padded.push(samples, 100, frames);  // usable again
}
