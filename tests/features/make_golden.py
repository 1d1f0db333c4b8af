#!/usr/bin/env python3
"""Regenerates tests/features/golden/: torchaudio 0.13 reference features for libkws.

Run from the repository root with Debian's Python (needs python3-torch, python3-torchaudio,
python3-numpy, and ../shared/data for the speech clips):

    /usr/bin/python3 tests/features/make_golden.py

Every (config, signal) pair is computed exactly as a user training with torchaudio would:
MelSpectrogram(...) then log(x + offset), or AmplitudeToDB("power", top_db), then the MFCC DCT
(torchaudio.functional.create_dct, norm="ortho"). Cases torchaudio refuses (reflect padding of a
too-short signal, center=False shorter than n_fft) are recorded as expected errors so libkws is
checked to refuse them too.

Each case also stores the same pipeline evaluated in float64 ("exact"): torchaudio's own float32
rounding (its float32 mel filterbank above all) can move a narrow filter's output by more than the
test tolerance, so the C++ test allows, element by element, the tolerance plus torchaudio's own
deviation from exact arithmetic. Synthetic signals are stored as .npy; speech clips stay in
../shared/data and are referenced by path.
"""
import json
import math
import pathlib
import sys

import numpy as np
import torch
import torchaudio

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
OUT = pathlib.Path(__file__).resolve().parent / "golden"

RECIPE = dict(sample_rate=16000, n_fft=512, win_length=480, hop_length=160, window="hann",
              center=True, pad_mode="reflect", power=2.0, n_mels=40, f_min=0.0, f_max=0.0,
              mel_scale="htk", mel_norm="none", log="natural", log_offset=1e-6, top_db=None,
              kind="log_mel", n_mfcc=40)


def config(**changes):
    merged = dict(RECIPE)
    merged.update(changes)
    return merged


CONFIGS = {
    "recipe": config(),
    "recipe_mfcc": config(kind="mfcc", n_mfcc=40),
    "hamming_64mel_band": config(window="hamming", win_length=400, n_mels=64, f_min=20.0, f_max=7600.0),
    "no_center": config(center=False),
    "constant_pad_magnitude": config(pad_mode="constant", power=1.0),
    "slaney_80mel_nfft400": config(n_fft=400, win_length=400, n_mels=80, mel_scale="slaney", mel_norm="slaney"),
    "db_top80_mfcc13": config(log="decibel", top_db=80.0, kind="mfcc", n_mfcc=13),
    "rate8k_32mel": config(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=32, f_max=3800.0),
    "db_1024_128mel_slaney": config(log="decibel", n_fft=1024, win_length=1024, hop_length=256, n_mels=128,
                                    mel_scale="slaney"),
    "hop_equals_fft_mfcc": config(n_fft=256, win_length=256, hop_length=256, n_mels=24, kind="mfcc", n_mfcc=12,
                                  log_offset=1e-3),
}

SPEECH = {
    "speech_yes": "gsc_v2_test_a/yes",
    "speech_stop": "gsc_v2_test_a/stop",
    "speech_arabic": "arabic_speech_commands/train/zero",
}


def synthetic_signals():
    rng = np.random.default_rng(20261122)
    t = np.arange(16000) / 16000.0
    clipped = np.clip(4.0 * np.sin(2 * math.pi * 300.0 * t[:8000]) + 0.05 * rng.standard_normal(8000), -1, 1)
    return {
        "silence": np.zeros(16000),
        "square_full_scale": np.where(np.sin(2 * math.pi * 440.0 * t) >= 0, 1.0, -1.0),
        "clipped_sine": clipped,
        "noise_odd_length": rng.uniform(-0.5, 0.5, 12345),
        "one_sample": np.array([0.5]),
        "shorter_than_window": 0.3 * rng.standard_normal(300),
    }


def first_clip(folder):
    files = sorted((SHARED / folder).glob("*.flac"))
    if not files:
        sys.exit(f"no .flac in {SHARED / folder}: ../shared/data is needed to regenerate the golden features")
    return files[0]


def features(signal, cfg):
    """torchaudio's float32 pipeline, as users train with it."""
    return _pipeline(signal.float(), cfg)


def exact_features(signal, cfg):
    """The same formulas in float64, filterbank and DCT tables included."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _pipeline(signal.double(), cfg)
    finally:
        torch.set_default_dtype(previous)


def _pipeline(signal, cfg):
    window_fn = torch.hann_window if cfg["window"] == "hann" else torch.hamming_window
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=cfg["sample_rate"], n_fft=cfg["n_fft"], win_length=cfg["win_length"],
        hop_length=cfg["hop_length"], f_min=cfg["f_min"], f_max=cfg["f_max"] or None, n_mels=cfg["n_mels"],
        window_fn=window_fn, wkwargs={"dtype": torch.get_default_dtype()}, power=cfg["power"], center=cfg["center"], pad_mode=cfg["pad_mode"],
        norm=None if cfg["mel_norm"] == "none" else "slaney", mel_scale=cfg["mel_scale"])
    spec = mel(signal)
    if cfg["log"] == "natural":
        spec = torch.log(spec + cfg["log_offset"])
    else:
        spec = torchaudio.transforms.AmplitudeToDB("power", top_db=cfg["top_db"])(spec)
    if cfg["kind"] == "mfcc":
        dct = torchaudio.functional.create_dct(cfg["n_mfcc"], cfg["n_mels"], "ortho")
        spec = torch.matmul(spec.transpose(-1, -2), dct).transpose(-1, -2)
    return spec


def check_against_torchaudio_mfcc():
    """The hand-applied DCT above must be exactly torchaudio.transforms.MFCC."""
    signal = torch.from_numpy(synthetic_signals()["noise_odd_length"]).float()
    cfg = CONFIGS["db_top80_mfcc13"]
    reference = torchaudio.transforms.MFCC(
        sample_rate=16000, n_mfcc=13,
        melkwargs=dict(n_fft=cfg["n_fft"], win_length=cfg["win_length"], hop_length=cfg["hop_length"],
                       n_mels=cfg["n_mels"]))(signal)
    assert torch.allclose(reference, features(signal, cfg), atol=1e-5), "MFCC recipe drifted from torchaudio"


def main():
    torch.set_num_threads(1)
    assert torchaudio.__version__.startswith("0.13"), f"expected torchaudio 0.13, got {torchaudio.__version__}"
    check_against_torchaudio_mfcc()
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob("*.npy"):
        stale.unlink()

    signals = {}
    index = {"torchaudio": torchaudio.__version__, "torch": torch.__version__, "configs": CONFIGS,
             "signals": {}, "cases": []}
    for name, values in synthetic_signals().items():
        values = values.astype(np.float32)
        np.save(OUT / f"signal_{name}.npy", values)
        signals[name] = torch.from_numpy(values)
        index["signals"][name] = {"npy": f"signal_{name}.npy", "samples": len(values)}
    for name, folder in SPEECH.items():
        path = first_clip(folder)
        waveform, rate = torchaudio.load(str(path))  # int16 FLAC scaled by 1/32768, like libsndfile
        assert rate == 16000 and waveform.shape[0] == 1
        signals[name] = waveform[0]
        index["signals"][name] = {"shared": str(path.relative_to(SHARED)), "samples": waveform.shape[1]}

    for config_name, cfg in CONFIGS.items():
        for signal_name, signal in signals.items():
            case = {"config": config_name, "signal": signal_name}
            try:
                out = np.ascontiguousarray(features(signal, cfg).numpy(), dtype=np.float32)
            except RuntimeError as error:
                case["error"] = str(error).splitlines()[0]
            else:
                exact = np.ascontiguousarray(exact_features(signal, cfg).numpy(), dtype=np.float32)
                case["npy"] = f"{config_name}__{signal_name}.npy"
                case["exact_npy"] = f"{config_name}__{signal_name}__exact.npy"
                case["shape"] = list(out.shape)
                case["torchaudio_max_deviation_from_exact"] = float(np.abs(out - exact).max())
                np.save(OUT / case["npy"], out)
                np.save(OUT / case["exact_npy"], exact)
            index["cases"].append(case)

    (OUT / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    ok = sum("npy" in c for c in index["cases"])
    print(f"{ok} feature cases and {len(index['cases']) - ok} expected errors written to {OUT}")


if __name__ == "__main__":
    main()
