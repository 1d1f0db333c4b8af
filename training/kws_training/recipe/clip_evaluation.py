"""Clip-level evaluation of a wake-word model on real recordings (until the streaming evaluation
tool lands): a clip counts as detected when the keyword's probability in any 1 s window (hop
200 ms) reaches the threshold.

* positives: ../shared/data/wakewords/<word>, all clips and the 30 % validation split (the part a
  model trained with ``--real-positives`` never saw);
* calibration negatives: the 2714 real clips of ../shared/data/gsc_v2_test_a (other words,
  never trained on by the wake-word models); the threshold is the lowest that keeps their false
  accepts at or below ``TARGET_FALSE_ACCEPT``;
* held-out negatives: the recordings of the other wake words in ../shared/data/wakewords (real
  speech, 1.3-5.7 s; "alexa" for "computer" and the reverse)
  and 1 s windows of the two real noise recordings.

    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.clip_evaluation MODEL.kws [--word computer]
"""
import argparse
import json
import sys
from typing import Dict, List

import numpy as np

from .audio import read_audio
from .progress import Progress
from .dataset import DataMissing, require_shared, shared_data_dir, wakeword_real_split
from .reference_detector import window_probabilities

TARGET_FALSE_ACCEPT = 0.01
HOP = 3200


def clip_scores(model, model_file, paths, label: str, name: str) -> np.ndarray:
    """Max probability of ``label`` over the windows of each file."""
    index = model_file.labels.index(label)
    bar = Progress(len(paths), name)
    scores = []
    for path in paths:
        audio = read_audio(path)
        scores.append(float(window_probabilities(model, model_file, audio, HOP)[:, index].max()))
        bar.update()
    bar.close()
    return np.array(scores)


def noise_window_scores(model, model_file, label: str) -> np.ndarray:
    root = shared_data_dir()
    if root is None or not (root / "noise").is_dir():
        return np.zeros(0)
    index = model_file.labels.index(label)
    scores = []
    for path in sorted((root / "noise").glob("*.flac")):
        audio = read_audio(path)
        probabilities = window_probabilities(model, model_file, audio, 16000)
        scores.extend(probabilities[:, index].tolist())
    return np.array(scores)


def rates(positive: np.ndarray, negative: np.ndarray, threshold: float) -> Dict[str, float]:
    return {"miss_rate": float(np.mean(positive < threshold)) if positive.size else float("nan"),
            "false_accept_rate": float(np.mean(negative >= threshold)) if negative.size else float("nan")}


def wakeword_report(model, task_or_none, args) -> Dict:
    """Scores and rates of the wake-word model (see the module docstring); {} without the data."""
    word = getattr(args, "keyword", "computer")
    try:
        split = wakeword_real_split(word)
        gsc = sorted(require_shared("gsc_v2_test_a").glob("*/*.flac"))
        others = sorted(p for folder in require_shared("wakewords").iterdir()
                        if folder.is_dir() and folder.name != word for p in folder.glob("*.flac"))
    except DataMissing as error:
        print(f"[evaluate] skipped: {error}", file=sys.stderr)
        return {}
    model_file = args.model_file if hasattr(args, "model_file") else None
    if model_file is None:
        from ..modelfile import read_model_file

        model_file = read_model_file(args.run_dir / "model.kws")
    model.eval()
    positives_val = clip_scores(model, model_file, split["validation"], word, "positives (val)")
    positives_train = clip_scores(model, model_file, split["training"], word, "positives (rest)")
    calibration = clip_scores(model, model_file, gsc, word, "gsc_v2_test_a")
    held_out = np.concatenate([clip_scores(model, model_file, others, word, "other wake words"),
                               noise_window_scores(model, model_file, word)])
    candidates = np.unique(np.concatenate([calibration, [1.0]]))
    threshold = float(min(t for t in candidates if np.mean(calibration >= t) <= TARGET_FALSE_ACCEPT))
    threshold = min(max(threshold, 0.05), 0.999)
    positives_all = np.concatenate([positives_val, positives_train])
    report = {
        "threshold": threshold,
        "calibration_false_accept_rate": float(np.mean(calibration >= threshold)),
        "counts": {"positives_val": int(positives_val.size), "positives_all": int(positives_all.size),
                   "calibration_negatives": int(calibration.size),
                   "held_out_negatives": int(held_out.size)},
        "at_threshold": {"val": rates(positives_val, held_out, threshold),
                         "all": rates(positives_all, held_out, threshold)},
        "fixed_thresholds": {str(t): {"val": rates(positives_val, held_out, t),
                                      "all": rates(positives_all, held_out, t)}
                             for t in (0.5, 0.7, 0.9)},
    }
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws_training.recipe.clip_evaluation",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--word", default="computer")
    args = parser.parse_args(argv)
    import torch

    from ..bcresnet import load_model_file

    torch.set_num_threads(1)
    model, model_file = load_model_file(args.model)
    args.keyword, args.model_file = args.word, model_file
    report = wakeword_report(model, None, args)
    print(json.dumps(report, indent=1))
    return 0 if report else 2


if __name__ == "__main__":
    sys.exit(main())
