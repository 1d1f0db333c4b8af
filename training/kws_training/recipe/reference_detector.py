"""Keyword detection in a recording with a libkws model file, by sliding the model's window
(1 s) over it in PyTorch -- the reference the streaming C++ detector is checked against.

    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.reference_detector \\
        examples/models/commands_en.kws examples/data/yes_no_up_down.wav

prints one line per detection: start time, keyword, peak probability. A keyword is detected where
its probability exceeds its threshold (the model file's ``thresholds``, else --threshold) in at
least ``--min-windows`` consecutive windows; windows of one keyword closer than the window length
merge into one detection.
"""
import argparse
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from .audio import SAMPLE_RATE, read_audio

BACKGROUND_LABELS = ("_silence_", "_unknown_")


@dataclass
class Detection:
    label: str
    start: float  # seconds, start of the first window over threshold
    end: float  # seconds, end of the last window over threshold
    score: float


def windows(audio: np.ndarray, window: int = SAMPLE_RATE, hop: int = 1600) -> np.ndarray:
    """[n, window] frames of ``audio`` every ``hop`` samples (zero-padded to at least one)."""
    if audio.size < window:
        audio = np.pad(audio, (0, window - audio.size))
    count = 1 + (audio.size - window) // hop
    index = np.arange(window)[None, :] + hop * np.arange(count)[:, None]
    return audio[index].astype(np.float32)


def window_probabilities(model, model_file, audio: np.ndarray, hop: int = 1600,
                         batch: int = 200) -> np.ndarray:
    """Softmax probabilities [n_windows, classes] of each window of ``audio``."""
    import torch

    from ..features import feature_extractor

    window = (model_file.input_frames - 1) * model_file.feature_config["hop_length"]
    frames = windows(audio, window, hop)
    extract = feature_extractor(model_file.feature_config)
    out = []
    with torch.no_grad():
        for start in range(0, len(frames), batch):
            features = extract(torch.from_numpy(frames[start:start + batch])[:, None, :])
            out.append(torch.softmax(model(features), dim=1).numpy())
    return np.concatenate(out)


def detect(model, model_file, audio: np.ndarray, threshold: float = 0.7, min_windows: int = 2,
           hop: int = 1600) -> List[Detection]:
    probabilities = window_probabilities(model, model_file, audio, hop)
    thresholds: Dict[str, float] = dict(model_file.thresholds or {})
    window_seconds = (model_file.input_frames - 1) * model_file.feature_config["hop_length"] / SAMPLE_RATE
    detections: List[Detection] = []
    best = probabilities.argmax(1)
    run_label, run_start, run_peak, run_length = None, 0, 0.0, 0
    for index in range(len(probabilities) + 1):
        label = None
        if index < len(probabilities):
            label = model_file.labels[best[index]]
            if label in BACKGROUND_LABELS or \
                    probabilities[index, best[index]] < thresholds.get(label, threshold):
                label = None
        if label == run_label and label is not None:
            run_length += 1
            run_peak = max(run_peak, float(probabilities[index, best[index]]))
            continue
        if run_label is not None and run_length >= min_windows:
            start = run_start * hop / SAMPLE_RATE
            end = (index - 1) * hop / SAMPLE_RATE + window_seconds
            previous = detections[-1] if detections else None
            if previous and previous.label == run_label and start < previous.end - window_seconds / 2:
                previous.end, previous.score = end, max(previous.score, run_peak)
            else:
                detections.append(Detection(run_label, start, end, run_peak))
        run_label, run_start, run_length = label, index, 1
        run_peak = float(probabilities[index, best[index]]) if label is not None else 0.0
    return detections


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws_training.recipe.reference_detector",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="libkws model file (.kws)")
    parser.add_argument("audio", nargs="+", help="recordings (any format sox reads)")
    parser.add_argument("--threshold", type=float, default=0.7,
                        help="probability threshold for labels without one in the model file")
    parser.add_argument("--min-windows", type=int, default=2)
    parser.add_argument("--hop-ms", type=float, default=100.0)
    args = parser.parse_args(argv)
    import torch

    from ..bcresnet import load_model_file

    torch.set_num_threads(1)
    model, model_file = load_model_file(args.model)
    for path in args.audio:
        audio = read_audio(path, model_file.feature_config["sample_rate"])
        found = detect(model, model_file, audio, args.threshold, args.min_windows,
                       int(args.hop_ms * SAMPLE_RATE / 1000))
        print(f"{path}: {' '.join(d.label for d in found) or '(nothing)'}")
        for d in found:
            print(f"  {d.start:6.2f}-{d.end:5.2f} s  {d.label:<12} {d.score:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
