// Log-mel and MFCC front end, numerically matching torchaudio 0.13.
//
// FeatureConfig mirrors torchaudio.transforms.MelSpectrogram / MFCC so a model trained in
// PyTorch sees the same numbers at inference. The defaults are the BC-ResNet recipe:
//   MelSpectrogram(sample_rate=16000, n_fft=512, win_length=480, hop_length=160, n_mels=40)
//   followed by log(x + 1e-6).
//
// Layout: a batch result is [bins][frames] (bins = n_mels or n_mfcc), as torchaudio returns
// it and as BC-ResNet consumes it; the streaming extractor emits one frame (bins values) at a
// time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kws {

enum class Window { hann, hamming };         // periodic, like torch.hann_window / hamming_window
enum class PadMode { reflect, constant };    // padding when center == true (constant pads zeros)
enum class MelScale { htk, slaney };
enum class MelNorm { none, slaney };         // slaney: each filter scaled to unit area
enum class LogMode { natural, decibel };
enum class FeatureKind { log_mel, mfcc };

struct FeatureConfig {
  int sample_rate = 16000;
  int n_fft = 512;        // must be even (real FFT)
  int win_length = 480;   // <= n_fft; the window is zero-padded to n_fft, centred
  int hop_length = 160;
  Window window = Window::hann;
  // center: frame t is centred on sample t * hop_length; the signal is padded by n_fft / 2 on
  // both sides with pad_mode. Otherwise frame t starts at sample t * hop_length.
  bool center = true;
  PadMode pad_mode = PadMode::reflect;
  float power = 2.0f;     // 1 = magnitude, 2 = power spectrum
  int n_mels = 40;
  float f_min = 0.0f;
  float f_max = 0.0f;     // 0 = sample_rate / 2 (integer division, as torchaudio)
  MelScale mel_scale = MelScale::htk;
  MelNorm mel_norm = MelNorm::none;
  // natural: log(mel + log_offset), the BC-ResNet recipe.
  // decibel: 10 * log10(max(mel, 1e-10)) as torchaudio.transforms.AmplitudeToDB("power"), then,
  //          when top_db is set, clamped below at (maximum over the whole clip) - top_db.
  LogMode log = LogMode::natural;
  float log_offset = 1e-6f;
  std::optional<float> top_db;
  // mfcc: DCT-II (orthonormal) of the log-mel, keeping n_mfcc coefficients, as
  // torchaudio.transforms.MFCC (log_mels=true for natural log, false for decibel).
  FeatureKind kind = FeatureKind::log_mel;
  int n_mfcc = 40;

  // Throws InvalidArgument naming the offending field when the config is inconsistent.
  void validate() const;
  // Values per frame: n_mels, or n_mfcc for MFCC.
  int bins() const { return kind == FeatureKind::mfcc ? n_mfcc : n_mels; }
  // Frames a batch extractor produces from `samples` input samples (0 where it would throw).
  std::size_t frame_count(std::size_t samples) const;
  // The upper mel edge actually used (f_max, or sample_rate / 2 when f_max is 0).
  float effective_f_max() const { return f_max > 0.0f ? f_max : float(sample_rate / 2); }
  // A one-line human-readable summary, e.g. for logs and the examples.
  std::string describe() const;

  // The config as the JSON object stored in model files and golden fixtures, with the
  // torchaudio-style keys: sample_rate, n_fft, win_length, hop_length, window, center, pad_mode,
  // power, n_mels, f_min, f_max, mel_scale, mel_norm, log, log_offset, top_db, kind, n_mfcc.
  std::string to_json() const;
  // Parses and validates such an object. Missing keys keep their defaults; unknown keys and
  // wrong types are errors (InvalidArgument), so a typo never silently changes the features.
  static FeatureConfig from_json(const std::string& json);
};

// A dense row-major matrix of features: rows = bins, cols = frames.
struct FeatureMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> values;

  float operator()(std::size_t row, std::size_t col) const { return values[row * cols + col]; }
  float& operator()(std::size_t row, std::size_t col) { return values[row * cols + col]; }
};

namespace detail {
class FrameStream;  // shared framing + per-frame kernel, defined in src/
}

// Computes features of a whole signal at once. One object is used by one thread at a time
// (it owns FFT scratch); create one per thread, they are cheap.
class FeatureExtractor {
 public:
  explicit FeatureExtractor(const FeatureConfig& config);
  ~FeatureExtractor();
  FeatureExtractor(FeatureExtractor&&) noexcept;
  FeatureExtractor& operator=(FeatureExtractor&&) noexcept;

  const FeatureConfig& config() const;

  // samples: mono PCM at config().sample_rate, nominally in [-1, 1].
  // Throws InvalidArgument where torchaudio would refuse too: reflect padding of a signal not
  // longer than n_fft / 2, or center == false with fewer than n_fft samples.
  FeatureMatrix compute(const float* samples, std::size_t count);
  FeatureMatrix compute(const std::vector<float>& samples) { return compute(samples.data(), samples.size()); }
  // Same, reusing `out`'s storage.
  void compute(const float* samples, std::size_t count, FeatureMatrix& out);
  // samples: mono PCM at `sample_rate` Hz, resampled to config().sample_rate first (resample() of
  // audio.hpp; no copy when the rates are equal), as a model expects features of any input.
  // Throws InvalidArgument for an empty clip or a rate outside [kMinSampleRate, kMaxSampleRate],
  // and where compute() does.
  FeatureMatrix compute(const float* samples, std::size_t count, int sample_rate);

 private:
  std::unique_ptr<detail::FrameStream> stream_;
  std::vector<float> frames_;  // frame-major scratch, reused between calls
};

// Computes features incrementally: push audio in chunks of any size and receive each new frame
// exactly once. The frames are bit-identical to FeatureExtractor on the concatenated audio:
//  - center == false: frame t covers samples [t * hop, t * hop + n_fft); frames come out as
//    soon as their last sample arrives.
//  - center == true: the start padding is built from the first n_fft / 2 + 1 samples (reflect)
//    or zeros (constant), so frames line up with torchaudio's center=True framing, and the
//    last frames, which need the end padding, come out of finish().
// top_db needs the maximum over the whole clip, so it cannot stream: the constructor rejects
// a config that sets it. No heap allocation happens in push() or finish().
class StreamingFeatureExtractor {
 public:
  explicit StreamingFeatureExtractor(const FeatureConfig& config);
  ~StreamingFeatureExtractor();
  StreamingFeatureExtractor(StreamingFeatureExtractor&&) noexcept;
  StreamingFeatureExtractor& operator=(StreamingFeatureExtractor&&) noexcept;

  const FeatureConfig& config() const;
  int bins() const { return config().bins(); }

  // Calls on_frame(const float* frame) once per new frame; `frame` holds bins() values and is
  // valid only during the call.
  template <class OnFrame>
  void push(const float* samples, std::size_t count, OnFrame&& on_frame) {
    for (;;) {
      while (const float* frame = next_frame()) on_frame(frame);
      if (count == 0) break;
      const std::size_t taken = feed(samples, count);
      samples += taken;
      count -= taken;
    }
  }
  // Appends new frames, frame-major, to `frames` (reuse the vector to avoid reallocation).
  std::size_t push(const float* samples, std::size_t count, std::vector<float>& frames);

  // Ends the stream: with center == true, emits the frames that cover the end padding. Throws
  // InvalidArgument where the batch extractor would (too little audio for the padding). Call
  // reset() before reusing the extractor.
  template <class OnFrame>
  void finish(OnFrame&& on_frame) {
    end_of_stream();
    while (const float* frame = next_frame()) on_frame(frame);
  }
  std::size_t finish(std::vector<float>& frames);

  // Forgets all audio; the next push starts a new stream at sample 0.
  void reset();
  // Frames emitted since construction or reset().
  std::size_t frames_emitted() const;

 private:
  std::size_t feed(const float* samples, std::size_t count);
  const float* next_frame();
  void end_of_stream();

  std::unique_ptr<detail::FrameStream> stream_;
};

}  // namespace kws
