"""Waveform augmentation (numpy, 16 kHz): placement with time shift, speed/pitch perturbation,
room reverb, microphone-like filtering, gain, and background noise at a random SNR (real noise
recordings, coloured noise, babble of other speech). Deterministic given the numpy Generator.

The paper's recipe (Kim et al. 2021, after the reference implementation) is time shift of
+-100 ms and background noise mixed with probability 0.8; the rest widens the synthetic voices
toward real microphones and rooms.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

SAMPLE_RATE = 16000


@dataclass
class AugmentConfig:
    time_shift_ms: float = 100.0
    noise_probability: float = 0.8
    snr_db: tuple = (-3.0, 25.0)
    speed_probability: float = 0.5
    speed_range: tuple = (0.88, 1.12)
    reverb_probability: float = 0.3
    rt60_range: tuple = (0.15, 0.9)
    filter_probability: float = 0.3
    gain_db: tuple = (-24.0, 0.0)
    #: Share of the noise draws per kind: real recordings, coloured, babble.
    #: Probability, per side, of a neighbouring word partly inside the window (before or after
    #: the clip, 30-250 ms away), as in running speech; 0 disables.
    context_probability: float = 0.0
    #: Probability of a voice change of a synthetic clip before placement (voice_change: spectral
    #: warp, tilt, telephone codec), which widens TTS voices toward real ones; 0 disables.
    voice_probability: float = 0.0
    warp_range: tuple = (0.86, 1.16)
    noise_kinds: dict = field(default_factory=lambda: {"real": 0.5, "coloured": 0.25,
                                                       "babble": 0.25})


def place(clip: np.ndarray, length: int, shift: int, rng: np.random.Generator) -> np.ndarray:
    """``clip`` in a window of ``length`` samples: centred and moved by ``shift`` samples (zeros
    fill the gap) when it fits, else a random ``length``-long crop."""
    if clip.size > length:
        start = int(rng.integers(0, clip.size - length + 1))
        return clip[start:start + length].copy()
    out = np.zeros(length, np.float32)
    begin = (length - clip.size) // 2 + shift
    src_begin, dst_begin = max(0, -begin), max(0, begin)
    count = min(clip.size - src_begin, length - dst_begin)
    if count > 0:
        out[dst_begin:dst_begin + count] = clip[src_begin:src_begin + count]
    return out


def change_speed(clip: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster (pitch moves with it), by linear interpolation."""
    if clip.size < 2 or factor == 1.0:
        return clip
    new_size = max(2, int(round(clip.size / factor)))
    positions = np.linspace(0, clip.size - 1, new_size)
    return np.interp(positions, np.arange(clip.size), clip).astype(np.float32)


def fit_length(clip: np.ndarray, max_samples: int) -> np.ndarray:
    """Speed ``clip`` up just enough to fit in ``max_samples`` (for slow renders of a keyword,
    which a crop would cut)."""
    if clip.size <= max_samples:
        return clip
    return change_speed(clip, clip.size / max_samples)[:max_samples]


def spectral_warp(clip: np.ndarray, factor: float) -> np.ndarray:
    """Another vocal tract at the same tempo: every frequency (formants and pitch) times
    ``factor``, the duration kept, by resampling (change_speed) and then a phase vocoder
    (torchaudio.functional.phase_vocoder) that stretches the clip back to its length."""
    import torch
    import torchaudio.functional as AF

    if clip.size < 1024 or factor == 1.0:
        return clip
    shifted = torch.from_numpy(change_speed(clip, factor))
    n_fft, hop = 512, 128
    window = torch.hann_window(n_fft)
    spectrum = torch.stft(shifted, n_fft, hop, window=window, return_complex=True)
    advance = torch.linspace(0, np.pi * hop, spectrum.shape[0])[:, None]
    stretched = AF.phase_vocoder(spectrum, 1.0 / factor, advance)
    out = torch.istft(stretched, n_fft, hop, window=window, length=clip.size).numpy()
    return (out * (rms(clip) / rms(out))).astype(np.float32)


def spectral_tilt(clip: np.ndarray, coefficient: float) -> np.ndarray:
    """A first-order tilt y[n] = x[n] - c x[n-1] (c > 0 brightens, c < 0 darkens), level kept."""
    from scipy.signal import lfilter

    out = lfilter([1.0, -coefficient], [1.0], clip).astype(np.float32)
    return out * (rms(clip) / rms(out))


def telephone(clip: np.ndarray) -> np.ndarray:
    """A narrow-band codec's artefacts: 8 kHz band limit and 8-bit mu-law (G.711)."""
    from scipy.signal import resample_poly

    narrow = resample_poly(clip, 1, 2)
    peak = float(np.abs(narrow).max()) + 1e-9
    x = narrow / peak
    mu = 255.0
    coded = np.round(np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) * 127) / 127
    decoded = np.sign(coded) * np.expm1(np.abs(coded) * np.log1p(mu)) / mu * peak
    return resample_poly(decoded, 2, 1)[:clip.size].astype(np.float32)


def voice_change(clip: np.ndarray, rng: np.random.Generator, warp_range=(0.86, 1.16)) -> np.ndarray:
    """Another voice and channel for ``clip``: a spectral warp, then a tilt (p 0.5) and a
    telephone codec (p 0.15)."""
    clip = spectral_warp(clip, float(rng.uniform(*warp_range)))
    if rng.random() < 0.5:
        clip = spectral_tilt(clip, float(rng.uniform(-0.7, 0.7)))
    if rng.random() < 0.15:
        clip = telephone(clip)
    return clip


def coloured_noise(length: int, rng: np.random.Generator, exponent: Optional[float] = None) -> np.ndarray:
    """Noise with power spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown), unit RMS."""
    if exponent is None:
        exponent = float(rng.uniform(0.0, 2.0))
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.fft.rfftfreq(length)
    frequencies[0] = frequencies[1]
    spectrum *= frequencies ** (-exponent / 2.0)
    noise = np.fft.irfft(spectrum, length)
    return (noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)).astype(np.float32)


def room_impulse_response(rng: np.random.Generator, rt60: float) -> np.ndarray:
    """A small synthetic room: direct path, a few early reflections, exponentially decaying
    diffuse tail with the given RT60 (seconds)."""
    length = int(min(rt60, 1.0) * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    tail = rng.standard_normal(length) * np.exp(-6.9 * t / rt60)
    tail[: int(0.003 * SAMPLE_RATE)] = 0.0
    response = tail * float(rng.uniform(0.1, 0.4))
    response[0] = 1.0
    for _ in range(int(rng.integers(2, 6))):
        delay = int(rng.uniform(0.002, 0.03) * SAMPLE_RATE)
        if delay < length:
            response[delay] += float(rng.uniform(-0.6, 0.6))
    return (response / np.sqrt(np.sum(response ** 2))).astype(np.float32)


def reverberate(clip: np.ndarray, response: np.ndarray) -> np.ndarray:
    from scipy.signal import fftconvolve

    return fftconvolve(clip, response)[: clip.size].astype(np.float32)


def microphone_filter(clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random band limit: high-pass 50-400 Hz and/or low-pass 2.5-7.5 kHz (2nd order)."""
    from scipy.signal import butter, sosfilt

    kind = rng.integers(0, 3)
    if kind in (0, 2):
        sos = butter(2, float(rng.uniform(50, 400)), "highpass", fs=SAMPLE_RATE, output="sos")
        clip = sosfilt(sos, clip)
    if kind in (1, 2):
        sos = butter(2, float(rng.uniform(2500, 7500)), "lowpass", fs=SAMPLE_RATE, output="sos")
        clip = sosfilt(sos, clip)
    return np.asarray(clip, np.float32)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-9)


class Augmenter:
    """Turns a clip into a 1 s training example.

    ``noises``: long float32 recordings (real background noise); ``babble``: float32 speech clips
    without any keyword, summed 3-6 at a time into babble noise.
    """

    def __init__(self, config: AugmentConfig, noises: Sequence[np.ndarray] = (),
                 babble: Sequence[np.ndarray] = (), length: int = SAMPLE_RATE,
                 bank_seed: int = 1234):
        self.config, self.length = config, length
        self.noises: List[np.ndarray] = [n for n in noises if n.size >= length]
        self.babble: List[np.ndarray] = list(babble)
        #: Clips used as neighbouring words (context_probability); default: the babble clips.
        self.neighbours: List[np.ndarray] = list(babble)
        self.bank_seed = bank_seed
        self._rooms = None
        self._filters = None

    def _room_bank(self):
        """64 room responses, as spectra of the FFT size used for the convolution (drawing a new
        room per example costs more than the rest of the augmentation together)."""
        if self._rooms is None:
            bank_rng = np.random.default_rng(self.bank_seed)
            responses = [room_impulse_response(bank_rng, float(bank_rng.uniform(*self.config.rt60_range)))
                         for _ in range(64)]
            self._fft_size = 1 << int(np.ceil(np.log2(self.length + max(r.size for r in responses))))
            self._rooms = [np.fft.rfft(r, self._fft_size) for r in responses]
        return self._rooms

    def reverb(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        rooms = self._room_bank()
        spectrum = np.fft.rfft(x, self._fft_size) * rooms[int(rng.integers(0, len(rooms)))]
        return np.fft.irfft(spectrum, self._fft_size)[: x.size].astype(np.float32)

    def band_limit(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One of 32 precomputed microphone_filter band limits."""
        from scipy.signal import butter, sosfilt

        if self._filters is None:
            bank_rng = np.random.default_rng(self.bank_seed + 1)
            self._filters = []
            for _ in range(32):
                kind, sections = bank_rng.integers(0, 3), []
                if kind in (0, 2):
                    sections.append(butter(2, float(bank_rng.uniform(50, 400)), "highpass",
                                           fs=SAMPLE_RATE, output="sos"))
                if kind in (1, 2):
                    sections.append(butter(2, float(bank_rng.uniform(2500, 7500)), "lowpass",
                                           fs=SAMPLE_RATE, output="sos"))
                self._filters.append(np.concatenate(sections))
        return sosfilt(self._filters[int(rng.integers(0, len(self._filters)))], x).astype(np.float32)

    def noise(self, rng: np.random.Generator) -> np.ndarray:
        """A unit-RMS noise window of the configured kind mix."""
        kinds = {k: w for k, w in self.config.noise_kinds.items()
                 if (k != "real" or self.noises) and (k != "babble" or self.babble)}
        names, weights = list(kinds), np.array(list(kinds.values()), float)
        kind = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        if kind == "real":
            source = self.noises[int(rng.integers(0, len(self.noises)))]
            start = int(rng.integers(0, source.size - self.length + 1))
            window = source[start:start + self.length].astype(np.float32)
        elif kind == "coloured":
            window = coloured_noise(self.length, rng)
        else:
            window = np.zeros(self.length, np.float32)
            for _ in range(int(rng.integers(3, 7))):
                clip = self.babble[int(rng.integers(0, len(self.babble)))]
                shift = int(rng.integers(-self.length // 2, self.length // 2))
                window += place(clip, self.length, shift, rng) * float(rng.uniform(0.3, 1.0))
        return window / rms(window)

    def silence(self, rng: np.random.Generator) -> np.ndarray:
        """A _silence_ example: background noise (or near-digital silence) at a random level."""
        if rng.random() < 0.1:
            window = rng.standard_normal(self.length).astype(np.float32) * 1e-4
        else:
            window = self.noise(rng) * float(10 ** (rng.uniform(-60, -10) / 20))
        return np.clip(window, -1, 1).astype(np.float32)

    def add_context(self, x: np.ndarray, begin: int, size: int,
                    rng: np.random.Generator) -> np.ndarray:
        """Neighbouring words before and/or after the clip at [begin, begin + size): only the
        part of each neighbour that falls inside the window is kept."""
        peak = float(np.abs(x).max()) + 1e-9
        for side in (-1, 1):
            if rng.random() >= self.config.context_probability:
                continue
            other = self.neighbours[int(rng.integers(0, len(self.neighbours)))]
            other = other * (peak * float(rng.uniform(0.4, 1.2)) / (np.abs(other).max() + 1e-9))
            gap = int(rng.uniform(0.03, 0.25) * SAMPLE_RATE)
            start = begin - gap - other.size if side < 0 else begin + size + gap
            lo, hi = max(0, start), min(self.length, start + other.size)
            if hi > lo:
                x = x.copy()
                x[lo:hi] += other[lo - start:hi - start]
        return x

    def __call__(self, clip: np.ndarray, rng: np.random.Generator, train: bool = True,
                 synthetic: bool = False) -> np.ndarray:
        """1 s example from ``clip`` (float32). Without ``train``: placement only (centred).
        Voice changes (voice_probability) apply to ``synthetic`` clips, positives and negatives
        alike: real voices need no widening."""
        cfg = self.config
        if not train:
            return place(clip, self.length, 0, rng)
        if synthetic and cfg.voice_probability > 0 and rng.random() < cfg.voice_probability:
            clip = voice_change(clip, rng, cfg.warp_range)
        if rng.random() < cfg.speed_probability:
            clip = change_speed(clip, float(rng.uniform(*cfg.speed_range)))
        max_shift = int(cfg.time_shift_ms * SAMPLE_RATE / 1000)
        shift = int(rng.integers(-max_shift, max_shift + 1))
        x = place(clip, self.length, shift, rng)
        if cfg.context_probability > 0 and self.neighbours and clip.size < self.length:
            x = self.add_context(x, (self.length - clip.size) // 2 + shift, clip.size, rng)
        if rng.random() < cfg.reverb_probability:
            x = self.reverb(x, rng)
        if rng.random() < cfg.filter_probability:
            x = self.band_limit(x, rng)
        level = float(10 ** (rng.uniform(*cfg.gain_db) / 20))
        x = x * (level * 0.9 / (np.abs(x).max() + 1e-9))
        if rng.random() < cfg.noise_probability:
            snr = float(rng.uniform(*cfg.snr_db))
            x = x + self.noise(rng) * (rms(x) / 10 ** (snr / 20))
        return np.clip(x, -1.0, 1.0).astype(np.float32)
