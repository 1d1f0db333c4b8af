"""Hard negatives mined from real speech: the windows of other people's speech that a trained
model already takes for its keyword, fed back into training as _unknown_.

The real negative pools are mostly easy (a random second of a LibriSpeech sentence is rarely
close to "alexa"); the false alarms a detector makes in a room come from the rare seconds that
are. Scoring every second of those pools with the model and keeping the highest-scoring ones
puts those seconds in every epoch instead of by chance. Only training speakers are mined (the
pools of ``wakeword_real_negatives``), never the speakers of a calibration or test stream.
"""
from typing import List, Sequence

import numpy as np

from .audio import SAMPLE_RATE

#: Sliding-window hop over long utterances (the detector evaluates every 100 ms too).
HOP = SAMPLE_RATE // 10
#: A window is one model input.
WINDOW = SAMPLE_RATE
#: Two mined windows of one utterance start at least this far apart (one false alarm, one example).
MIN_SPACING = SAMPLE_RATE
#: Windows scored per forward pass.
BATCH = 256


def _windows(clip: np.ndarray):
    """Start offsets of the 1 s windows of ``clip`` (one, zero-padded, for a clip up to 1 s)."""
    if clip.size <= WINDOW:
        return [0]
    return list(range(0, clip.size - WINDOW + 1, HOP))


def _window(clip: np.ndarray, start: int) -> np.ndarray:
    piece = clip[start:start + WINDOW].astype(np.float32) / 32768.0
    if piece.size < WINDOW:  # centred, as the training clips are
        pad = WINDOW - piece.size
        piece = np.pad(piece, (pad // 2, pad - pad // 2))
    return piece


def keyword_scores(model, batcher, clips: Sequence[np.ndarray], keyword: int, progress=None):
    """Per clip, the (start, keyword probability) of every 1 s window."""
    import torch

    index = [(c, s) for c, clip in enumerate(clips) for s in _windows(clip)]
    scores = np.zeros(len(index), np.float32)
    with torch.no_grad():
        for begin in range(0, len(index), BATCH):
            chunk = index[begin:begin + BATCH]
            waveforms = np.stack([_window(clips[c], s) for c, s in chunk])
            logits = torch.flatten(model(batcher(waveforms)), 1)
            scores[begin:begin + len(chunk)] = torch.softmax(logits, 1)[:, keyword].numpy()
            if progress is not None:
                progress.update()
    per_clip: List[List] = [[] for _ in clips]
    for (c, s), score in zip(index, scores):
        per_clip[c].append((s, float(score)))
    return per_clip, len(index)


def strongest_windows(per_clip, count: int, floor: float):
    """The ``count`` highest-scoring windows above ``floor`` as (clip, start, score), at most one
    per MIN_SPACING of a clip (the peak of each false alarm)."""
    candidates = []
    for c, windows in enumerate(per_clip):
        taken: List[int] = []
        for start, score in sorted(windows, key=lambda w: -w[1]):
            if score < floor:
                break
            if all(abs(start - t) >= MIN_SPACING for t in taken):
                taken.append(start)
                candidates.append((score, c, start))
    candidates.sort(key=lambda t: -t[0])
    return [(c, start, score) for score, c, start in candidates[:count]]


def mine(model_path, examples, keyword: int, count: int, floor: float = 0.05, quiet: bool = False):
    """The hard negatives among ``examples`` (real _unknown_ speech) for the model file at
    ``model_path``: new examples of 1 s (source "mined_<source>"), and a summary."""
    from ..bcresnet import load_model_file
    from .train import FeatureBatcher

    model, model_file = load_model_file(model_path)
    return mine_with(model.eval(), FeatureBatcher(model_file.feature_config), examples, keyword,
                     count, floor, quiet)


def mine_with(model, batcher, examples, keyword: int, count: int, floor: float = 0.05,
              quiet: bool = True):
    """mine() with a model (features -> logits) and a batcher (waveforms -> features) given."""
    from .dataset import Example
    from .progress import Progress

    clips = [e.audio for e in examples]
    windows = sum(len(_windows(c)) for c in clips)
    bar = Progress((windows + BATCH - 1) // BATCH, "mining hard negatives", enabled=not quiet)
    per_clip, scored = keyword_scores(model, batcher, clips, keyword, bar)
    bar.close()
    chosen = strongest_windows(per_clip, count, floor)
    mined = []
    for c, start, _ in chosen:
        source = examples[c]
        mined.append(Example(source.audio[start:start + WINDOW].copy(), source.label,
                             f"mined_{source.source}", source.group))
    scores = [s for _, _, s in chosen]
    summary = {"windows_scored": scored, "mined": len(mined), "floor": floor,
               "score_min": round(min(scores), 4) if scores else None,
               "score_median": round(float(np.median(scores)), 4) if scores else None,
               "by_source": {name: sum(1 for e in mined if e.source == name)
                             for name in sorted({e.source for e in mined})}}
    return mined, summary
