// kws-features: log-mel or MFCC features of an audio file, as libkws computes them for a model.
//
//   kws-features FILE [--mfcc] [--config CONFIG.json] [--npy OUT.npy] [--png OUT.png]
//
// Prints the shape and a summary; --npy writes float32 [bins, frames] for NumPy, --png a heat map
// (low frequencies at the bottom). The file is mixed to mono and resampled to the config's rate.
#include <png.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "kws/features.hpp"
#include "npy.hpp"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: kws-features FILE [--mfcc] [--config CONFIG.json] [--npy OUT.npy] [--png OUT.png]\n"
               "  Computes libkws features (default: the BC-ResNet log-mel recipe) of an audio file.\n");
  return 2;
}

// Viridis, sampled at 9 points and interpolated linearly: perceptually even and colour-blind safe.
void colour(float t, png_byte* rgb) {
  static const float stops[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                    {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  t = std::clamp(t, 0.0f, 1.0f) * 8.0f;
  const int i = std::min(int(t), 7);
  const float f = t - float(i);
  for (int c = 0; c < 3; ++c) rgb[c] = png_byte(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]) + 0.5f);
}

void write_png(const std::string& path, const kws::FeatureMatrix& features, int scale) {
  const auto [low, high] = std::minmax_element(features.values.begin(), features.values.end());
  const float range = *high > *low ? *high - *low : 1.0f;
  const std::size_t width = features.cols * std::size_t(scale), height = features.rows * std::size_t(scale);
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw kws::FileError(kws::ErrorCode::io, path + ": cannot open for writing");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    throw kws::FileError(kws::ErrorCode::io, path + ": PNG encoding failed");
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<png_byte> row(width * 3);
  for (std::size_t y = 0; y < height; ++y) {
    const std::size_t bin = features.rows - 1 - y / std::size_t(scale);  // low bins at the bottom
    for (std::size_t x = 0; x < width; ++x)
      colour((features(bin, x / std::size_t(scale)) - *low) / range, &row[x * 3]);
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(file);
}

}  // namespace

int main(int argc, char** argv) {
  std::string input, npy_path, png_path, config_path;
  bool mfcc = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= argc) return false;
      into = argv[++i];
      return true;
    };
    if (arg == "--mfcc") mfcc = true;
    else if (arg == "--npy") { if (!value(npy_path)) return usage(); }
    else if (arg == "--png") { if (!value(png_path)) return usage(); }
    else if (arg == "--config") { if (!value(config_path)) return usage(); }
    else if (arg == "-h" || arg == "--help") return usage(), 0;
    else if (!arg.empty() && arg[0] == '-') return usage();
    else if (input.empty()) input = arg;
    else return usage();
  }
  if (input.empty()) return usage();

  try {
    kws::FeatureConfig config;
    if (!config_path.empty()) {
      std::ifstream in(config_path);
      if (!in) throw kws::FileError(kws::ErrorCode::io, config_path + ": cannot open");
      std::stringstream text;
      text << in.rdbuf();
      config = kws::FeatureConfig::from_json(text.str());
    }
    if (mfcc) config.kind = kws::FeatureKind::mfcc;

    kws::AudioReadOptions options;
    options.target_sample_rate = config.sample_rate;
    const kws::Audio audio = kws::read_audio(input, options);  // opened once: pipes and FIFOs work
    const kws::AudioInfo& info = audio.source;
    kws::FeatureExtractor extractor(config);
    const auto start = std::chrono::steady_clock::now();
    const kws::FeatureMatrix features = extractor.compute(audio.samples);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    std::printf("%s: %s, %d Hz, %d channel(s), %.2f s\n", input.c_str(), info.format.c_str(), info.sample_rate,
                info.channels, audio.duration_seconds());
    std::printf("config: %s\n", config.describe().c_str());
    if (features.values.empty()) {
      std::printf("%s: 0 frames\n", mfcc ? "mfcc" : "log-mel");
    } else {
      const auto [low, high] = std::minmax_element(features.values.begin(), features.values.end());
      double sum = 0.0;
      for (float v : features.values) sum += v;
      std::printf("%s: %zu x %zu (bins x frames), min %.3f, max %.3f, mean %.3f, computed in %.3f ms\n",
                  mfcc ? "mfcc" : "log-mel", features.rows, features.cols, *low, *high,
                  sum / double(features.values.size()), ms);
    }
    if (!npy_path.empty()) {
      kws_example::save_npy(npy_path, features.values.data(), {features.rows, features.cols});
      std::printf("wrote %s (float32 [%zu, %zu])\n", npy_path.c_str(), features.rows, features.cols);
    }
    if (!png_path.empty() && !features.values.empty()) {
      write_png(png_path, features, 4);
      std::printf("wrote %s (%zu x %zu px heat map)\n", png_path.c_str(), features.cols * 4, features.rows * 4);
    }
  } catch (const kws::Error& error) {
    std::fprintf(stderr, "kws-features: %s\n", error.what());
    return 1;
  }
  return 0;
}
