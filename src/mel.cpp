#include "mel.hpp"

#include <algorithm>
#include <cmath>

namespace kws::detail {

namespace {
constexpr double kPi = 3.14159265358979323846;

// Slaney's mel scale (librosa / torchaudio mel_scale="slaney"): linear below 1 kHz, logarithmic
// above, meeting at 15 mel.
constexpr double kSlaneyHzPerMel = 200.0 / 3.0;
constexpr double kSlaneyLogStartHz = 1000.0;
constexpr double kSlaneyLogStartMel = kSlaneyLogStartHz / kSlaneyHzPerMel;
const double kSlaneyLogStep = std::log(6.4) / 27.0;
}  // namespace

std::vector<double> make_window(Window window, int win_length) {
  // torch's windows are "periodic": the denominator is N, not N - 1.
  const double alpha = window == Window::hann ? 0.5 : 0.54;
  const double beta = 1.0 - alpha;
  std::vector<double> values(static_cast<std::size_t>(win_length));
  for (int n = 0; n < win_length; ++n)
    values[std::size_t(n)] = alpha - beta * std::cos(2.0 * kPi * n / win_length);
  return values;
}

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyLogStartHz) return hz / kSlaneyHzPerMel;
  return kSlaneyLogStartMel + std::log(hz / kSlaneyLogStartHz) / kSlaneyLogStep;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyLogStartMel) return mel * kSlaneyHzPerMel;
  return kSlaneyLogStartHz * std::exp(kSlaneyLogStep * (mel - kSlaneyLogStartMel));
}

MelFilterbank make_mel_filterbank(const FeatureConfig& config) {
  const int bins = config.n_fft / 2 + 1;
  const int mels = config.n_mels;
  // torchaudio: all_freqs = linspace(0, sample_rate // 2, n_freqs)
  const double nyquist = double(config.sample_rate / 2);
  std::vector<double> bin_hz(static_cast<std::size_t>(bins));
  for (int k = 0; k < bins; ++k) bin_hz[std::size_t(k)] = nyquist * k / (bins - 1);

  // mels + 2 equally spaced points on the mel scale: each filter spans three consecutive ones.
  const double mel_min = hz_to_mel(config.f_min, config.mel_scale);
  const double mel_max = hz_to_mel(config.effective_f_max(), config.mel_scale);
  std::vector<double> edge_hz(std::size_t(mels) + 2);
  for (int i = 0; i < mels + 2; ++i)
    edge_hz[std::size_t(i)] = mel_to_hz(mel_min + (mel_max - mel_min) * i / (mels + 1), config.mel_scale);

  MelFilterbank bank;
  bank.first_bin.reserve(std::size_t(mels));
  bank.offsets.assign(1, 0);
  for (int m = 0; m < mels; ++m) {
    const double lower = edge_hz[std::size_t(m)], centre = edge_hz[std::size_t(m) + 1],
                 upper = edge_hz[std::size_t(m) + 2];
    const double scale = config.mel_norm == MelNorm::slaney ? 2.0 / (upper - lower) : 1.0;
    int first = -1;
    for (int k = 0; k < bins; ++k) {
      const double rising = (bin_hz[std::size_t(k)] - lower) / (centre - lower);
      const double falling = (upper - bin_hz[std::size_t(k)]) / (upper - centre);
      const double weight = std::max(0.0, std::min(rising, falling)) * scale;
      if (weight > 0.0) {
        // A triangle's support is contiguous; resize() would keep any interior zero explicit.
        if (first < 0) first = k;
        bank.weights.resize(bank.offsets.back() + std::size_t(k - first) + 1, 0.0);
        bank.weights.back() = weight;
      }
    }
    // A filter narrower than one bin is all zeros, as in torchaudio (which warns about it).
    bank.first_bin.push_back(first < 0 ? 0 : first);
    bank.offsets.push_back(bank.weights.size());
  }
  return bank;
}

void MelFilterbank::apply(const double* spectrum, double* mel) const {
  const int count = mel_count();
  for (int m = 0; m < count; ++m) {
    const double* weight = weights.data() + offsets[std::size_t(m)];
    const double* bin = spectrum + first_bin[std::size_t(m)];
    const std::size_t width = offsets[std::size_t(m) + 1] - offsets[std::size_t(m)];
    double sum = 0.0;
    for (std::size_t k = 0; k < width; ++k) sum += weight[k] * bin[k];
    mel[m] = sum;
  }
}

std::vector<double> make_dct_matrix(int n_mfcc, int n_mels) {
  std::vector<double> matrix(std::size_t(n_mfcc) * std::size_t(n_mels));
  const double scale = std::sqrt(2.0 / n_mels);
  for (int k = 0; k < n_mfcc; ++k) {
    const double row_scale = k == 0 ? scale / std::sqrt(2.0) : scale;
    for (int n = 0; n < n_mels; ++n)
      matrix[std::size_t(k) * std::size_t(n_mels) + std::size_t(n)] =
          row_scale * std::cos(kPi / n_mels * (n + 0.5) * k);
  }
  return matrix;
}

}  // namespace kws::detail
