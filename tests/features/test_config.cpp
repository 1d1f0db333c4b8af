#include <doctest/doctest.h>

#include <cmath>

#include "kws/error.hpp"
#include "kws/features.hpp"
#include "mel.hpp"

TEST_CASE("the default config is the BC-ResNet recipe") {
  const kws::FeatureConfig config;
  CHECK(config.sample_rate == 16000);
  CHECK(config.n_fft == 512);
  CHECK(config.win_length == 480);
  CHECK(config.hop_length == 160);
  CHECK(config.n_mels == 40);
  CHECK(config.log == kws::LogMode::natural);
  CHECK(config.log_offset == doctest::Approx(1e-6));
  CHECK(config.frame_count(16000) == 101);
  config.validate();
}

TEST_CASE("invalid configs are refused naming the field") {
  auto refuses = [](auto change, const char* field) {
    kws::FeatureConfig config;
    change(config);
    CAPTURE(field);
    try {
      config.validate();
      FAIL("accepted");
    } catch (const kws::InvalidArgument& error) {
      CHECK(std::string(error.what()).find(field) != std::string::npos);
    }
  };
  refuses([](auto& c) { c.n_fft = 511; }, "n_fft");
  refuses([](auto& c) { c.n_fft = 0; }, "n_fft");
  refuses([](auto& c) { c.win_length = 1024; }, "win_length");
  refuses([](auto& c) { c.hop_length = 0; }, "hop_length");
  refuses([](auto& c) { c.sample_rate = -16000; }, "sample_rate");
  refuses([](auto& c) { c.power = 3.0f; }, "power");
  refuses([](auto& c) { c.n_mels = 0; }, "n_mels");
  refuses([](auto& c) { c.f_max = 9000.0f; }, "f_max");
  refuses([](auto& c) { c.f_min = 8000.0f; }, "f_min");
  refuses([](auto& c) { c.f_min = NAN; }, "f_min");
  refuses([](auto& c) { c.log_offset = 0.0f; }, "log_offset");
  refuses([](auto& c) { c.top_db = 80.0f; }, "top_db");  // natural log
  refuses([](auto& c) { c.kind = kws::FeatureKind::mfcc; c.n_mfcc = 41; }, "n_mfcc");
  CHECK_THROWS_AS(kws::FeatureExtractor(kws::FeatureConfig{16000, 500, 600}), kws::InvalidArgument);
}

TEST_CASE("JSON round trip and strict parsing") {
  kws::FeatureConfig config;
  config.window = kws::Window::hamming;
  config.mel_scale = kws::MelScale::slaney;
  config.log = kws::LogMode::decibel;
  config.top_db = 80.0f;
  config.kind = kws::FeatureKind::mfcc;
  config.n_mfcc = 13;
  const auto back = kws::FeatureConfig::from_json(config.to_json());
  CHECK(back.to_json() == config.to_json());
  CHECK(back.top_db.value() == 80.0f);
  CHECK(kws::FeatureConfig::from_json("{}").to_json() == kws::FeatureConfig{}.to_json());
  CHECK_THROWS_AS(kws::FeatureConfig::from_json("{\"n_ftt\": 512}"), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::FeatureConfig::from_json("{\"window\": \"blackman\"}"), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::FeatureConfig::from_json("{\"n_fft\": \"512\"}"), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::FeatureConfig::from_json("{\"n_fft\": 1e30}"), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::FeatureConfig::from_json("[1, 2]"), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::FeatureConfig::from_json("{\"n_fft\": 512"), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::FeatureConfig::from_json("{\"n_fft\": 513}"), kws::InvalidArgument);
}

TEST_CASE("mel scales invert and the filterbank has torchaudio's shape") {
  for (auto scale : {kws::MelScale::htk, kws::MelScale::slaney})
    for (double hz : {0.0, 300.0, 999.0, 1000.0, 4000.0, 8000.0})
      CHECK(kws::detail::mel_to_hz(kws::detail::hz_to_mel(hz, scale), scale) == doctest::Approx(hz).epsilon(1e-9));
  CHECK(kws::detail::hz_to_mel(1000.0, kws::MelScale::htk) == doctest::Approx(999.98553));
  CHECK(kws::detail::hz_to_mel(1000.0, kws::MelScale::slaney) == doctest::Approx(15.0));

  const kws::FeatureConfig config;
  const auto bank = kws::detail::make_mel_filterbank(config);
  REQUIRE(bank.mel_count() == 40);
  for (int m = 1; m < 40; ++m) CHECK(bank.first_bin[std::size_t(m)] >= bank.first_bin[std::size_t(m) - 1]);
  for (float w : bank.weights) CHECK((w > 0.0f && w <= 1.0f));

  const auto window = kws::detail::make_window(kws::Window::hann, 4);
  CHECK(window[0] == 0.0f);
  CHECK(window[2] == 1.0f);  // periodic: the peak is at N / 2
  const auto dct = kws::detail::make_dct_matrix(2, 4);
  CHECK(dct[0] == doctest::Approx(0.5));  // sqrt(2/4) / sqrt(2)
}
