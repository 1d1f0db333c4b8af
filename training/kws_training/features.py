"""Feature front end of a libkws model: the ``feature_config`` record and its torchaudio reference.

A libkws model file stores, under the metadata key "feature_config", exactly the keys of
:data:`FEATURE_CONFIG_DEFAULTS`. This module

* validates and normalises such a record (pure Python, no torch needed), and
* computes the features with torchaudio exactly as a user training the model would
  (:func:`compute_features`, :func:`feature_extractor`); torch and torchaudio are imported
  only when those are called, so that ``kws_training.modelfile`` can validate files without torch.

The defaults are the BC-ResNet recipe: MelSpectrogram(16 kHz, n_fft 512, win 480, hop 160,
40 HTK mels, power 2, centred with reflect padding) followed by log(x + 1e-6).
"""
import math
from typing import Any, Dict, Mapping, Optional

#: The BC-ResNet recipe, in the canonical key order of the model file.
FEATURE_CONFIG_DEFAULTS: Dict[str, Any] = {
    "sample_rate": 16000,
    "n_fft": 512,
    "win_length": 480,
    "hop_length": 160,
    "window": "hann",
    "center": True,
    "pad_mode": "reflect",
    "power": 2.0,
    "n_mels": 40,
    "f_min": 0.0,
    "f_max": 0.0,
    "mel_scale": "htk",
    "mel_norm": "none",
    "log": "natural",
    "log_offset": 1e-6,
    "top_db": None,
    "kind": "log_mel",
    "n_mfcc": 40,
}

#: Sample rates libkws accepts (KWS_MIN_SAMPLE_RATE, KWS_MAX_SAMPLE_RATE of include/kws/limits.h;
#: tests/bindings checks them).
SAMPLE_RATE_RANGE = (1000, 768000)

_POSITIVE_INTS = ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "n_mfcc")
_CHOICES = {
    "window": ("hann", "hamming"),
    "pad_mode": ("reflect", "constant"),
    "power": (1.0, 2.0),
    "mel_scale": ("htk", "slaney"),
    "mel_norm": ("none", "slaney"),
    "log": ("natural", "decibel"),
    "kind": ("log_mel", "mfcc"),
}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_feature_config(config: Mapping[str, Any]) -> Dict[str, Any]:
    """Check a feature_config record and return it normalised (canonical key order, floats as
    float). Raises ValueError naming every problem found."""
    if not isinstance(config, Mapping):
        raise ValueError(f"feature_config must be a mapping, got {type(config).__name__}")
    problems = []
    missing = [key for key in FEATURE_CONFIG_DEFAULTS if key not in config]
    unknown = [key for key in config if key not in FEATURE_CONFIG_DEFAULTS]
    if missing:
        problems.append(f"missing keys {missing}")
    if unknown:
        problems.append(f"unknown keys {unknown}")
    if problems:
        raise ValueError("invalid feature_config: " + "; ".join(problems))

    normalised = {}
    for key in FEATURE_CONFIG_DEFAULTS:
        value = config[key]
        if key in _POSITIVE_INTS:
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                problems.append(f"{key} must be a positive int, got {value!r}")
        elif key == "center":
            if not isinstance(value, bool):
                problems.append(f"center must be a bool, got {value!r}")
        elif key == "top_db":
            if value is not None:
                if not _is_number(value) or value < 0:
                    problems.append(f"top_db must be null or a non-negative number, got {value!r}")
                else:
                    value = float(value)
        elif key in ("f_min", "f_max", "log_offset"):
            if not _is_number(value):
                problems.append(f"{key} must be a finite number, got {value!r}")
            else:
                value = float(value)
        if key in _CHOICES and value not in _CHOICES[key]:
            problems.append(f"{key} must be one of {list(_CHOICES[key])}, got {value!r}")
        if key == "power" and _is_number(value):
            value = float(value)
        normalised[key] = value
    if problems:
        raise ValueError("invalid feature_config: " + "; ".join(problems))

    # Ranges and cross-field constraints: those of libkws's FeatureConfig::validate (src/features.cpp),
    # which the model loader applies; test_model.py checks that both accept and refuse the same
    # records, and write_model_file has libkws check every file it writes.
    cfg = normalised
    if not SAMPLE_RATE_RANGE[0] <= cfg["sample_rate"] <= SAMPLE_RATE_RANGE[1]:
        problems.append(f"sample_rate must be in {list(SAMPLE_RATE_RANGE)}, got {cfg['sample_rate']}")
    if not (16 <= cfg["n_fft"] <= 65536 and cfg["n_fft"] % 2 == 0):
        problems.append(f"n_fft must be even and in [16, 65536], got {cfg['n_fft']}")
    if cfg["win_length"] > cfg["n_fft"]:
        problems.append(f"win_length {cfg['win_length']} exceeds n_fft {cfg['n_fft']}")
    if cfg["hop_length"] > cfg["n_fft"]:
        problems.append(f"hop_length {cfg['hop_length']} exceeds n_fft {cfg['n_fft']}")
    if cfg["n_mels"] > 1024:
        problems.append(f"n_mels must be in [1, 1024], got {cfg['n_mels']}")
    if cfg["top_db"] is not None and cfg["log"] != "decibel":
        problems.append("top_db applies to decibel output only (log = \"decibel\")")
    nyquist = float(cfg["sample_rate"] // 2)
    f_max = cfg["f_max"] or nyquist
    if not (cfg["f_max"] >= 0.0 and 0.0 <= cfg["f_min"] < f_max <= nyquist):
        problems.append(f"need 0 <= f_min < f_max <= sample_rate // 2 (f_max 0 meaning "
                        f"sample_rate // 2), got f_min {cfg['f_min']}, f_max {cfg['f_max']}")
    if cfg["kind"] == "mfcc" and cfg["n_mfcc"] > cfg["n_mels"]:
        problems.append(f"n_mfcc {cfg['n_mfcc']} exceeds n_mels {cfg['n_mels']}")
    if cfg["log"] == "natural" and cfg["log_offset"] <= 0:
        problems.append(f"log_offset must be > 0 for natural log, got {cfg['log_offset']}")
    if problems:
        raise ValueError("invalid feature_config: " + "; ".join(problems))
    return normalised


def make_feature_config(**overrides) -> Dict[str, Any]:
    """The default recipe with ``overrides`` applied, validated."""
    config = dict(FEATURE_CONFIG_DEFAULTS)
    config.update(overrides)
    return validate_feature_config(config)


def feature_size(config: Optional[Mapping[str, Any]] = None) -> int:
    """Number of feature rows per frame: n_mels for log_mel, n_mfcc for mfcc."""
    cfg = validate_feature_config(config if config is not None else FEATURE_CONFIG_DEFAULTS)
    return cfg["n_mfcc"] if cfg["kind"] == "mfcc" else cfg["n_mels"]


def feature_extractor(config: Optional[Mapping[str, Any]] = None):
    """A function waveform -> features per ``config`` (default: the BC-ResNet recipe), with the
    torchaudio transforms (window, mel filterbank, DCT) built once. See compute_features."""
    import torch
    import torchaudio

    cfg = validate_feature_config(config if config is not None else FEATURE_CONFIG_DEFAULTS)
    mel_spectrogram = torchaudio.transforms.MelSpectrogram(
        sample_rate=cfg["sample_rate"],
        n_fft=cfg["n_fft"],
        win_length=cfg["win_length"],
        hop_length=cfg["hop_length"],
        f_min=cfg["f_min"],
        f_max=cfg["f_max"] or None,  # None: torchaudio uses sample_rate // 2
        n_mels=cfg["n_mels"],
        window_fn=torch.hann_window if cfg["window"] == "hann" else torch.hamming_window,
        power=cfg["power"],
        center=cfg["center"],
        pad_mode=cfg["pad_mode"],
        norm=None if cfg["mel_norm"] == "none" else "slaney",
        mel_scale=cfg["mel_scale"],
    )
    # AmplitudeToDB("power"): 10*log10(max(x, 1e-10)), then clamp to max - top_db.
    to_decibel = torchaudio.transforms.AmplitudeToDB("power", top_db=cfg["top_db"])
    # Same as torchaudio.transforms.MFCC: DCT-II (ortho) over the mel axis.
    dct = torchaudio.functional.create_dct(cfg["n_mfcc"], cfg["n_mels"], "ortho")

    def extract(waveform):
        features = mel_spectrogram(torch.as_tensor(waveform, dtype=torch.float32))
        if cfg["log"] == "natural":
            features = (features + cfg["log_offset"]).log()
        else:
            features = to_decibel(features)
        if cfg["kind"] == "mfcc":
            features = torch.matmul(features.transpose(-1, -2), dct).transpose(-1, -2)
        return features

    return extract


def compute_features(waveform, config: Optional[Mapping[str, Any]] = None):
    """Features of ``waveform`` ([..., samples] float tensor or array, in [-1, 1]) per ``config``
    (default: the BC-ResNet recipe), as a float32 torch tensor [..., n_features, frames].

    Pass [batch, 1, samples] to get the model input [batch, 1, n_features, frames]. With
    log == "decibel" and top_db set, torchaudio clamps relative to the maximum over the last
    three dims of the spectrogram, i.e. per clip for [samples] or [batch, 1, samples] input.
    """
    return feature_extractor(config)(waveform)


def num_frames(num_samples: int, config: Optional[Mapping[str, Any]] = None) -> int:
    """Frames produced for ``num_samples`` samples (torch.stft framing): 1 + n // hop when
    centred, else 1 + (n - n_fft) // hop."""
    cfg = validate_feature_config(config if config is not None else FEATURE_CONFIG_DEFAULTS)
    if cfg["center"]:
        return 1 + num_samples // cfg["hop_length"]
    return 1 + (num_samples - cfg["n_fft"]) // cfg["hop_length"]
