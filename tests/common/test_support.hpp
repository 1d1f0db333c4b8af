// Helpers shared by the test executables: where fixtures and shared data live, and comparisons.
#pragma once

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace kws::test {

inline std::filesystem::path source_dir() { return KWS_TEST_SOURCE_DIR; }

// ../shared/data beside the repository, or $KWS_SHARED_DATA; empty when absent.
inline std::filesystem::path shared_data_dir() {
  const char* override_dir = std::getenv("KWS_SHARED_DATA");
  std::filesystem::path dir = override_dir ? override_dir : KWS_SHARED_DATA_DIR;
  return std::filesystem::is_directory(dir) ? dir : std::filesystem::path();
}

inline float max_abs_difference(const float* a, const float* b, std::size_t count) {
  float worst = 0.0f;
  for (std::size_t i = 0; i < count; ++i) {
    const float d = std::fabs(a[i] - b[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

inline std::vector<float> random_signal(std::size_t count, unsigned seed, float amplitude = 0.5f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-amplitude, amplitude);
  std::vector<float> out(count);
  for (float& x : out) x = dist(rng);
  return out;
}

}  // namespace kws::test
