// Audio files: formats libsndfile decodes, downmix, resampling, and every kind of bad input.
#include <doctest/doctest.h>

#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("kws_audio_test_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::vector<float> sine(std::size_t count, double hz, int rate, float amplitude = 0.5f) {
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = amplitude * float(std::sin(2 * M_PI * hz * double(i) / rate));
  return out;
}

// Writes interleaved frames in any libsndfile format (the test's own encoder, independent of kws).
void write_with_sndfile(const std::string& path, int format, int channels, int rate, const std::vector<float>& interleaved) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE_MESSAGE(file != nullptr, sf_strerror(nullptr));
  sf_writef_float(file, interleaved.data(), sf_count_t(interleaved.size() / std::size_t(channels)));
  sf_close(file);
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// Expects a FileError whose message names the source, for both the path and the memory reader.
void expect_rejected(const std::string& path) {
  CAPTURE(path);
  try {
    kws::read_audio(path);
    FAIL("accepted");
  } catch (const kws::FileError& error) {
    CHECK(std::string(error.what()).find(path) != std::string::npos);
  }
  const std::vector<char> bytes = read_bytes(path);
  CHECK_THROWS_AS(kws::read_audio(bytes.data(), bytes.size()), kws::FileError);
}

std::vector<char> wav_header(std::uint16_t format, std::uint16_t channels, std::uint32_t rate, std::uint16_t bits,
                             std::uint32_t data_bytes) {
  std::vector<char> h(44);
  auto put32 = [&](std::size_t at, std::uint32_t v) { for (int i = 0; i < 4; ++i) h[at + std::size_t(i)] = char(v >> (8 * i)); };
  auto put16 = [&](std::size_t at, std::uint16_t v) { h[at] = char(v); h[at + 1] = char(v >> 8); };
  std::memcpy(h.data(), "RIFF", 4);
  put32(4, 36 + data_bytes);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put32(16, 16);
  put16(20, format);
  put16(22, channels);
  put32(24, rate);
  put32(28, rate * channels * bits / 8);
  put16(32, std::uint16_t(channels * bits / 8));
  put16(34, bits);
  std::memcpy(h.data() + 36, "data", 4);
  put32(40, data_bytes);
  return h;
}

}  // namespace

TEST_CASE("WAV round trip in 16-bit and float") {
  TempDir dir;
  const auto signal = sine(16000, 440.0, 16000);
  kws::write_wav(dir.file("a.wav"), signal.data(), signal.size(), 16000);
  auto audio = kws::read_audio(dir.file("a.wav"));
  CHECK(audio.sample_rate == 16000);
  REQUIRE(audio.samples.size() == signal.size());
  CHECK(kws::test::max_abs_difference(audio.samples.data(), signal.data(), signal.size()) <= 1.0f / 32768);
  CHECK(audio.duration_seconds() == doctest::Approx(1.0));

  kws::write_wav(dir.file("f.wav"), signal.data(), signal.size(), 16000, kws::WavEncoding::float32);
  audio = kws::read_audio(dir.file("f.wav"));
  CHECK(std::memcmp(audio.samples.data(), signal.data(), signal.size() * sizeof(float)) == 0);

  const auto info = kws::probe_audio(dir.file("a.wav"));
  CHECK(info.channels == 1);
  CHECK(info.frames == 16000);
  CHECK(info.format.find("WAV") != std::string::npos);
}

TEST_CASE("every PCM width and float and FLAC and OGG decode - stereo mixes down to mono") {
  TempDir dir;
  const auto left = sine(8000, 300.0, 16000, 0.5f), right = sine(8000, 300.0, 16000, 0.25f);
  std::vector<float> stereo(16000);
  for (std::size_t i = 0; i < 8000; ++i) {
    stereo[2 * i] = left[i];
    stereo[2 * i + 1] = right[i];
  }
  struct Case { const char* name; int format; float tolerance; };
  const Case cases[] = {
      {"u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 1.0f / 64},
      {"s16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1.0f / 16384},
      {"s24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 1e-6f},
      {"s32.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, 1e-6f},
      {"f32.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1e-7f},
      {"s16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1.0f / 16384},
      {"vorbis.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 0.05f},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    write_with_sndfile(dir.file(c.name), c.format, 2, 16000, stereo);
    const auto audio = kws::read_audio(dir.file(c.name));
    CHECK(audio.sample_rate == 16000);
    REQUIRE(audio.samples.size() == 8000);
    std::vector<float> mono(8000);
    for (std::size_t i = 0; i < 8000; ++i) mono[i] = 0.5f * (left[i] + right[i]);
    CHECK(kws::test::max_abs_difference(audio.samples.data(), mono.data(), 8000) <= c.tolerance);
  }
}

TEST_CASE("resampling to the model rate keeps length and pitch") {
  TempDir dir;
  const auto signal = sine(44100, 1000.0, 44100);
  write_with_sndfile(dir.file("cd.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, signal);
  kws::AudioReadOptions options;
  options.target_sample_rate = 16000;
  const auto audio = kws::read_audio(dir.file("cd.wav"), options);
  CHECK(audio.sample_rate == 16000);
  CHECK(std::abs(long(audio.samples.size()) - 16000) <= 1);
  // Correlate with a 1 kHz reference at 16 kHz, away from the edges.
  const auto expected = sine(16000, 1000.0, 16000);
  double best = 0.0;
  for (int lag = -20; lag <= 20; ++lag) {
    double dot = 0.0, norm = 0.0;
    for (std::size_t i = 1000; i < 15000; ++i) {
      dot += double(audio.samples[i]) * expected[std::size_t(long(i) + lag)];
      norm += double(expected[std::size_t(long(i) + lag)]) * expected[std::size_t(long(i) + lag)];
    }
    best = std::max(best, dot / norm);
  }
  CHECK(best > 0.99);
  CHECK(kws::resample(signal.data(), 0, 44100, 16000).empty());
  CHECK_THROWS_AS(kws::resample(signal.data(), signal.size(), 0, 16000), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::resample(signal.data(), signal.size(), 44100, -1), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::resample(signal.data(), signal.size(), 2, 16000), kws::InvalidArgument);
  const std::size_t upsampled = kws::resample(signal.data(), 100, kws::kMinSampleRate, 16000).size();
  CHECK(upsampled >= 1590);
  CHECK(upsampled <= 1610);
  CHECK_THROWS_AS(kws::resample(nullptr, 10, 44100, 16000), kws::InvalidArgument);
}

TEST_CASE("bad audio input gets a clear FileError and never a crash") {
  TempDir dir;
  const auto signal = sine(4000, 440.0, 16000);
  kws::write_wav(dir.file("good.wav"), signal.data(), signal.size(), 16000);
  const std::vector<char> good = read_bytes(dir.file("good.wav"));

  write_bytes(dir.file("empty.wav"), {});
  expect_rejected(dir.file("empty.wav"));

  write_bytes(dir.file("truncated_header.wav"), std::vector<char>(good.begin(), good.begin() + 20));
  expect_rejected(dir.file("truncated_header.wav"));

  std::vector<char> magic = good;
  std::memcpy(magic.data(), "RIFX", 4);
  std::memcpy(magic.data() + 8, "WAVX", 4);
  write_bytes(dir.file("wrong_magic.wav"), magic);
  expect_rejected(dir.file("wrong_magic.wav"));

  write_bytes(dir.file("noise.bin"), std::vector<char>(4096, '\x5a'));
  expect_rejected(dir.file("noise.bin"));

  // Crafted headers, each followed by 8000 bytes of zeros.
  auto reject_header = [&](const std::string& name, std::vector<char> header) {
    header.resize(44 + 8000);
    write_bytes(dir.file(name), header);
    expect_rejected(dir.file(name));
  };
  reject_header("zero_channels.wav", wav_header(1, 0, 16000, 16, 8000));
  reject_header("zero_rate.wav", wav_header(1, 1, 0, 16, 8000));
  // Below kMinSampleRate: taken up to 16 kHz, each of these samples would become 16000.
  reject_header("one_hertz.wav", wav_header(1, 1, 1, 16, 8000));
  reject_header("below_floor.wav", wav_header(1, 1, kws::kMinSampleRate - 1, 16, 8000));
  reject_header("unknown_codec.wav", wav_header(0x1234, 1, 16000, 16, 8000));
  reject_header("absurd_channels.wav", wav_header(1, 60000, 16000, 16, 8000));

  CHECK_THROWS_AS(kws::read_audio(dir.file("does_not_exist.wav")), kws::FileError);
  try {
    kws::read_audio(dir.file("does_not_exist.wav"));
  } catch (const kws::FileError& error) {
    CHECK(std::string(error.what()).find("does_not_exist.wav") != std::string::npos);
  }
  CHECK_THROWS_AS(kws::read_audio(nullptr, 0), kws::FileError);
  CHECK_THROWS_AS(kws::read_audio(nullptr, 10), kws::InvalidArgument);
}

TEST_CASE("absurd sizes - a header claiming gigabytes costs nothing and a truncated body keeps its audio") {
  TempDir dir;
  // 4 GB of data claimed, 2000 bytes present.
  auto liar = wav_header(1, 1, 16000, 16, 0xFFFFFFF0u);
  const auto body = sine(1000, 440.0, 16000);
  for (float s : body) {
    const auto v = std::int16_t(s * 32767);
    liar.push_back(char(v & 0xff));
    liar.push_back(char(v >> 8));
  }
  write_bytes(dir.file("liar.wav"), liar);
  const auto audio = kws::read_audio(dir.file("liar.wav"));
  CHECK(audio.samples.size() == 1000);

  // A well-formed file cut in the middle of its data: what is there is returned.
  const auto signal = sine(16000, 440.0, 16000);
  kws::write_wav(dir.file("full.wav"), signal.data(), signal.size(), 16000);
  auto bytes = read_bytes(dir.file("full.wav"));
  bytes.resize(44 + 2 * 5000 + 1);  // odd: half a sample at the end
  write_bytes(dir.file("cut.wav"), bytes);
  const auto cut = kws::read_audio(dir.file("cut.wav"));
  CHECK(cut.samples.size() == 5000);
  CHECK(kws::test::max_abs_difference(cut.samples.data(), signal.data(), 5000) <= 1.0f / 16384);

  // Duration limit for untrusted input.
  kws::AudioReadOptions strict;
  strict.max_seconds = 0.5;
  CHECK_THROWS_AS(kws::read_audio(dir.file("full.wav"), strict), kws::FileError);
  strict.max_seconds = 0;
  strict.target_sample_rate = -5;
  CHECK_THROWS_AS(kws::read_audio(dir.file("full.wav"), strict), kws::InvalidArgument);
}

TEST_CASE("write_wav refuses bad arguments") {
  TempDir dir;
  const float one = 0.0f;
  CHECK_THROWS_AS(kws::write_wav(dir.file("x.wav"), &one, 1, 0), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::write_wav(dir.file("x.wav"), nullptr, 1, 16000), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::write_wav((dir.path / "no/such/dir/x.wav").string(), &one, 1, 16000), kws::FileError);
}
