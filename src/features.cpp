#include "kws/features.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include <complex>

#include <kissfft.hh>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "mel.hpp"
#include "sample_rate.hpp"
#include "samples.hpp"

namespace kws {

namespace {

const char* name_of(Window w) { return w == Window::hann ? "hann" : "hamming"; }
const char* name_of(PadMode p) { return p == PadMode::reflect ? "reflect" : "constant"; }
const char* name_of(MelScale s) { return s == MelScale::htk ? "htk" : "slaney"; }
const char* name_of(MelNorm n) { return n == MelNorm::none ? "none" : "slaney"; }

void require(bool condition, const std::string& message) {
  if (!condition) throw InvalidArgument("feature config: " + message);
}

}  // namespace

void FeatureConfig::validate() const {
  require(valid_sample_rate(sample_rate),
          "sample_rate must be in " + detail::sample_rate_range() + ", got " + std::to_string(sample_rate));
  require(n_fft >= 16 && n_fft <= 65536 && n_fft % 2 == 0,
          "n_fft must be even and in [16, 65536], got " + std::to_string(n_fft));
  require(win_length >= 1 && win_length <= n_fft,
          "win_length must be in [1, n_fft], got " + std::to_string(win_length));
  require(hop_length >= 1 && hop_length <= n_fft,
          "hop_length must be in [1, n_fft], got " + std::to_string(hop_length));
  require(power == 1.0f || power == 2.0f, "power must be 1 or 2");
  require(n_mels >= 1 && n_mels <= 1024, "n_mels must be in [1, 1024], got " + std::to_string(n_mels));
  require(std::isfinite(f_min) && f_min >= 0.0f, "f_min must be >= 0");
  require(std::isfinite(f_max) && f_max >= 0.0f, "f_max must be >= 0 (0 means sample_rate / 2)");
  require(effective_f_max() <= float(sample_rate / 2), "f_max must not exceed sample_rate / 2");
  require(f_min < effective_f_max(), "f_min must be below f_max");
  require(!(log == LogMode::natural) || (std::isfinite(log_offset) && log_offset > 0.0f),
          "log_offset must be > 0");
  require(!top_db || (std::isfinite(*top_db) && *top_db >= 0.0f), "top_db must be >= 0");
  require(!top_db || log == LogMode::decibel, "top_db applies to decibel output only");
  require(kind == FeatureKind::log_mel || (n_mfcc >= 1 && n_mfcc <= n_mels),
          "n_mfcc must be in [1, n_mels], got " + std::to_string(n_mfcc));
}

std::size_t FeatureConfig::frame_count(std::size_t samples) const {
  const std::size_t padded = center ? samples + std::size_t(n_fft / 2) * 2 : samples;
  if (padded < std::size_t(n_fft)) return 0;
  if (center && pad_mode == PadMode::reflect && samples <= std::size_t(n_fft / 2)) return 0;
  return 1 + (padded - std::size_t(n_fft)) / std::size_t(hop_length);
}

std::string FeatureConfig::describe() const {
  std::ostringstream out;
  out << (kind == FeatureKind::mfcc ? "mfcc(" + std::to_string(n_mfcc) + ") of " : std::string())
      << n_mels << " mels (" << name_of(mel_scale) << ", norm " << name_of(mel_norm) << ", "
      << f_min << "-" << effective_f_max() << " Hz), " << sample_rate << " Hz, n_fft " << n_fft
      << ", win " << win_length << " " << name_of(window) << ", hop " << hop_length << ", "
      << (center ? std::string("center ") + name_of(pad_mode) : std::string("no center")) << ", power "
      << power << ", ";
  if (log == LogMode::natural)
    out << "log(x + " << log_offset << ")";
  else
    out << "dB" << (top_db ? ", top_db " + std::to_string(*top_db) : std::string());
  return out.str();
}

namespace detail {

// One frame of n_fft samples -> log-mel (or MFCC): window, real FFT, |X|^power, mel, log, DCT.
// Everything runs in double and rounds once at the end (see mel.hpp for why).
class FrameKernel {
 public:
  explicit FrameKernel(const FeatureConfig& config)
      : config_(config),
        window_(make_window(config.window, config.win_length)),
        window_offset_(std::size_t(config.n_fft - config.win_length) / 2),
        filterbank_(make_mel_filterbank(config)),
        fft_(std::size_t(config.n_fft / 2), false),
        fft_input_(std::size_t(config.n_fft), 0.0),
        spectrum_(std::size_t(config.n_fft / 2)),
        power_(std::size_t(config.n_fft / 2 + 1)),
        mel_(std::size_t(config.n_mels)) {
    if (config.kind == FeatureKind::mfcc) dct_ = make_dct_matrix(config.n_mfcc, config.n_mels);
  }

  // frame: n_fft samples of the (padded) signal; log_mel: n_mels outputs before any top_db.
  void log_mel(const float* frame, float* log_mel) {
    // torch.stft pads the win_length window with zeros to n_fft, centred.
    double* input = fft_input_.data() + window_offset_;
    const float* samples = frame + window_offset_;
    for (std::size_t n = 0; n < window_.size(); ++n) input[n] = double(samples[n]) * window_[n];
    // n_fft real samples through an n_fft / 2 complex FFT; bin 0 packs DC (real) and Nyquist (imag).
    fft_.transform_real(fft_input_.data(), spectrum_.data());
    const std::size_t half = spectrum_.size();
    power_[0] = spectrum_[0].real() * spectrum_[0].real();
    power_[half] = spectrum_[0].imag() * spectrum_[0].imag();
    for (std::size_t k = 1; k < half; ++k) power_[k] = std::norm(spectrum_[k]);
    if (config_.power == 1.0f)
      for (double& p : power_) p = std::sqrt(p);
    filterbank_.apply(power_.data(), mel_.data());
    const int mels = config_.n_mels;
    if (config_.log == LogMode::natural) {
      const double offset = config_.log_offset;
      for (int m = 0; m < mels; ++m) log_mel[m] = float(std::log(mel_[std::size_t(m)] + offset));
    } else {
      // AmplitudeToDB("power"): 10 * log10(clamp(x, min=1e-10)); the reference is 1.0.
      for (int m = 0; m < mels; ++m)
        log_mel[m] = float(10.0 * std::log10(std::max(mel_[std::size_t(m)], 1e-10)));
    }
  }

  // out[k] = sum_m dct[k][m] * log_mel[m], k < n_mfcc
  void dct(const float* log_mel, float* out) const {
    const int mels = config_.n_mels;
    for (int k = 0; k < config_.n_mfcc; ++k) {
      const double* row = dct_.data() + std::size_t(k) * std::size_t(mels);
      double sum = 0.0;
      for (int m = 0; m < mels; ++m) sum += row[m] * log_mel[m];
      out[k] = float(sum);
    }
  }

 private:
  FeatureConfig config_;
  std::vector<double> window_;
  std::size_t window_offset_;
  MelFilterbank filterbank_;
  std::vector<double> dct_;
  kissfft<double> fft_;
  std::vector<double> fft_input_;  // zeros outside the window stay zero
  std::vector<std::complex<double>> spectrum_;
  std::vector<double> power_;
  std::vector<double> mel_;
};

// Framing over an unbounded stream with a fixed buffer: samples are appended at end_, frames
// are cut at begin_, and the consumed prefix is dropped by compacting when the buffer fills.
class FrameStream {
 public:
  enum class Output {
    features,  // config.bins() values per frame (the streaming extractor)
    log_mel,   // n_mels values before DCT (the batch extractor applies top_db, then the DCT)
  };

  FrameStream(const FeatureConfig& config, Output output)
      : config_(config), output_(output), kernel_(config) {
    const std::size_t n_fft = std::size_t(config.n_fft);
    pad_ = config.center ? n_fft / 2 : 0;
    // Room for many hops per compaction, and always for the start padding plus its source.
    buffer_.resize(n_fft + std::max<std::size_t>(n_fft, std::size_t(config.hop_length) * 32) + 1);
    log_mel_.resize(std::size_t(config.n_mels));
    if (config.kind == FeatureKind::mfcc) mfcc_.resize(std::size_t(config.n_mfcc));
    reset();
  }

  const FeatureConfig& config() const { return config_; }
  std::size_t frames_emitted() const { return frames_emitted_; }

  void reset() {
    begin_ = 0;
    received_ = 0;
    frames_emitted_ = 0;
    ended_ = false;
    // The start padding is written in place: zeros now, or the reflection once its source
    // samples (x[1 .. pad]) have arrived.
    std::fill(buffer_.begin(), buffer_.begin() + std::ptrdiff_t(pad_), 0.0f);
    end_ = pad_;
    started_ = !(config_.center && config_.pad_mode == PadMode::reflect);
  }

  std::size_t feed(const float* samples, std::size_t count) {
    if (ended_) throw InvalidArgument("push after finish(): call reset() to start a new stream");
    if (end_ == buffer_.size()) compact();
    const std::size_t taken = std::min(count, buffer_.size() - end_);
    for (std::size_t i = 0; i < taken; ++i) buffer_[end_ + i] = finite_or_zero(samples[i]);
    end_ += taken;
    received_ += taken;
    if (!started_ && received_ > pad_) {
      // torch's reflect padding: padded[j] = x[pad - j] for j < pad.
      for (std::size_t j = 0; j < pad_; ++j) buffer_[j] = buffer_[2 * pad_ - j];
      started_ = true;
    }
    return taken;
  }

  const float* next_frame() {
    if (!started_ || end_ - begin_ < std::size_t(config_.n_fft)) return nullptr;
    kernel_.log_mel(buffer_.data() + begin_, log_mel_.data());
    const float* out = log_mel_.data();
    if (output_ == Output::features && config_.kind == FeatureKind::mfcc) {
      kernel_.dct(log_mel_.data(), mfcc_.data());
      out = mfcc_.data();
    }
    begin_ += std::size_t(config_.hop_length);
    ++frames_emitted_;
    return out;
  }

  void end_of_stream() {
    if (ended_) return;
    ended_ = true;
    if (!config_.center) {
      if (received_ < std::size_t(config_.n_fft))
        throw InvalidArgument("center=false needs at least n_fft = " + std::to_string(config_.n_fft) +
                              " samples, got " + std::to_string(received_));
      return;
    }
    if (!started_)
      throw InvalidArgument("reflect padding needs more than n_fft / 2 = " + std::to_string(pad_) +
                            " samples, got " + std::to_string(received_) +
                            " (use pad_mode constant for shorter signals)");
    if (buffer_.size() - end_ < pad_) compact();
    if (config_.pad_mode == PadMode::reflect) {
      // padded[len + i] = x[len - 2 - i]
      for (std::size_t i = 0; i < pad_; ++i) buffer_[end_ + i] = buffer_[end_ - 2 - i];
    } else {
      std::fill(buffer_.begin() + std::ptrdiff_t(end_), buffer_.begin() + std::ptrdiff_t(end_ + pad_), 0.0f);
    }
    end_ += pad_;
  }

  void dct(const float* log_mel, float* out) const { kernel_.dct(log_mel, out); }

 private:
  void compact() {
    // Keep the next frame's samples, and for reflect the last pad + 1 samples that the end
    // padding mirrors.
    std::size_t keep_from = begin_;
    if (config_.center && config_.pad_mode == PadMode::reflect)
      keep_from = std::min(keep_from, end_ - (pad_ + 1));
    std::memmove(buffer_.data(), buffer_.data() + keep_from, (end_ - keep_from) * sizeof(float));
    begin_ -= keep_from;
    end_ -= keep_from;
  }

  FeatureConfig config_;
  Output output_;
  FrameKernel kernel_;
  std::vector<float> buffer_;
  std::vector<float> log_mel_;
  std::vector<float> mfcc_;
  std::size_t pad_ = 0;
  std::size_t begin_ = 0;     // start of the next frame in buffer_
  std::size_t end_ = 0;       // one past the last sample in buffer_
  std::size_t received_ = 0;  // samples pushed since reset
  std::size_t frames_emitted_ = 0;
  bool started_ = false;      // start padding complete
  bool ended_ = false;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// FeatureExtractor

FeatureExtractor::FeatureExtractor(const FeatureConfig& config) {
  config.validate();
  stream_ = std::make_unique<detail::FrameStream>(config, detail::FrameStream::Output::log_mel);
}
FeatureExtractor::~FeatureExtractor() = default;
FeatureExtractor::FeatureExtractor(FeatureExtractor&&) noexcept = default;
FeatureExtractor& FeatureExtractor::operator=(FeatureExtractor&&) noexcept = default;

const FeatureConfig& FeatureExtractor::config() const { return stream_->config(); }

FeatureMatrix FeatureExtractor::compute(const float* samples, std::size_t count) {
  FeatureMatrix out;
  compute(samples, count, out);
  return out;
}

FeatureMatrix FeatureExtractor::compute(const float* samples, std::size_t count, int sample_rate) {
  if (count == 0) throw InvalidArgument("FeatureExtractor::compute: empty clip");
  detail::require_sample_rate("FeatureExtractor::compute", sample_rate);
  const int rate = stream_->config().sample_rate;
  if (sample_rate == rate) return compute(samples, count);
  const std::vector<float> audio = resample(samples, count, sample_rate, rate);  // cleans NaN/Inf
  if (audio.empty()) throw InvalidArgument("FeatureExtractor::compute: empty clip after resampling");
  return compute(audio);
}

void FeatureExtractor::compute(const float* samples, std::size_t count, FeatureMatrix& out) {
  if (count > 0 && samples == nullptr) throw InvalidArgument("samples is null");
  if (count > detail::kMaxSampleCount) throw InvalidArgument("FeatureExtractor::compute: impossible sample count");
  const FeatureConfig& config = stream_->config();
  const std::size_t mels = std::size_t(config.n_mels);
  stream_->reset();
  frames_.clear();
  frames_.reserve(config.frame_count(count) * mels);
  auto collect = [&] {
    while (const float* frame = stream_->next_frame()) frames_.insert(frames_.end(), frame, frame + mels);
  };
  for (std::size_t done = 0; done < count;) {
    done += stream_->feed(samples + done, count - done);
    collect();
  }
  stream_->end_of_stream();
  collect();

  const std::size_t frames = frames_.size() / mels;
  if (config.top_db && frames > 0) {
    // AmplitudeToDB clamps against the maximum over the whole spectrogram.
    const float floor = *std::max_element(frames_.begin(), frames_.end()) - *config.top_db;
    for (float& value : frames_) value = std::max(value, floor);
  }
  const std::size_t bins = std::size_t(config.bins());
  out.rows = bins;
  out.cols = frames;
  out.values.resize(bins * frames);
  float coefficients[1024];
  for (std::size_t t = 0; t < frames; ++t) {
    const float* frame = frames_.data() + t * mels;
    if (config.kind == FeatureKind::mfcc) {
      stream_->dct(frame, coefficients);
      frame = coefficients;
    }
    for (std::size_t b = 0; b < bins; ++b) out.values[b * frames + t] = frame[b];
  }
}

// ---------------------------------------------------------------------------------------------
// StreamingFeatureExtractor

StreamingFeatureExtractor::StreamingFeatureExtractor(const FeatureConfig& config) {
  config.validate();
  if (config.top_db)
    throw InvalidArgument(
        "feature config: top_db clamps against the maximum of the whole clip and cannot stream; "
        "unset it for streaming");
  stream_ = std::make_unique<detail::FrameStream>(config, detail::FrameStream::Output::features);
}
StreamingFeatureExtractor::~StreamingFeatureExtractor() = default;
StreamingFeatureExtractor::StreamingFeatureExtractor(StreamingFeatureExtractor&&) noexcept = default;
StreamingFeatureExtractor& StreamingFeatureExtractor::operator=(StreamingFeatureExtractor&&) noexcept = default;

const FeatureConfig& StreamingFeatureExtractor::config() const { return stream_->config(); }
std::size_t StreamingFeatureExtractor::feed(const float* samples, std::size_t count) {
  if (samples == nullptr && count > 0) throw InvalidArgument("samples is null");
  return stream_->feed(samples, count);
}
const float* StreamingFeatureExtractor::next_frame() { return stream_->next_frame(); }
void StreamingFeatureExtractor::end_of_stream() { stream_->end_of_stream(); }
void StreamingFeatureExtractor::reset() { stream_->reset(); }
std::size_t StreamingFeatureExtractor::frames_emitted() const { return stream_->frames_emitted(); }

std::size_t StreamingFeatureExtractor::push(const float* samples, std::size_t count, std::vector<float>& frames) {
  const std::size_t before = frames_emitted();
  const int bins = this->bins();
  push(samples, count, [&](const float* frame) { frames.insert(frames.end(), frame, frame + bins); });
  return frames_emitted() - before;
}

std::size_t StreamingFeatureExtractor::finish(std::vector<float>& frames) {
  const std::size_t before = frames_emitted();
  const int bins = this->bins();
  finish([&](const float* frame) { frames.insert(frames.end(), frame, frame + bins); });
  return frames_emitted() - before;
}

}  // namespace kws
