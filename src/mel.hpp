// Front-end building blocks that depend only on the config: windows, the mel filterbank and the
// DCT matrix. Each follows torchaudio 0.13's formula, evaluated and kept in double: the per-frame
// path runs in double too, because float32 rounding of the windowed samples alone moves bands
// ~90 dB below a frame's peak by more than the 1e-4 parity tolerance.
#pragma once

#include <cstddef>
#include <vector>

#include "kws/features.hpp"

namespace kws::detail {

// win_length coefficients of a periodic window (torch.hann_window / torch.hamming_window).
std::vector<double> make_window(Window window, int win_length);

double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

// Triangular mel filters over the n_fft / 2 + 1 FFT bins, stored sparsely: filter m has
// weights[offsets[m] .. offsets[m + 1]) applying to bins first_bin[m], first_bin[m] + 1, ...
// (torchaudio.functional.melscale_fbanks with the same arguments, without the zeros).
struct MelFilterbank {
  std::vector<int> first_bin;
  std::vector<std::size_t> offsets;
  std::vector<double> weights;

  int mel_count() const { return int(first_bin.size()); }
  // mel[m] = sum_k filter_m[k] * spectrum[k]
  void apply(const double* spectrum, double* mel) const;
};
MelFilterbank make_mel_filterbank(const FeatureConfig& config);

// Row-major [n_mfcc][n_mels] orthonormal DCT-II (torchaudio.functional.create_dct(norm="ortho"),
// transposed).
std::vector<double> make_dct_matrix(int n_mfcc, int n_mels);

}  // namespace kws::detail
