"""Hard negatives mined from real speech: the windows of other people's speech that a trained
model already takes for its keyword, fed back into training as _unknown_.

The real negative pools are mostly easy (a random second of a LibriSpeech sentence is rarely
close to "alexa"); the false alarms a detector makes in a room come from the rare seconds that
are. Scoring every second of those pools with the model and keeping the highest-scoring ones
puts those seconds in every epoch instead of by chance. Only training speakers are mined (the
pools of ``wakeword_real_negatives``), never the speakers of a calibration or test stream.

The scores come from libkws itself (``DetectorScorer``): the streaming detector a user deploys,
features computed once per utterance and the C++ engine, so a window is mined when the shipped
runtime would score it high, and 140,000 windows take about a minute instead of the ten that
per-window PyTorch features and forwards took.
"""
from typing import Callable, List, Sequence, Tuple

import numpy as np

from .audio import SAMPLE_RATE

#: Sliding-window hop over long utterances (the detector evaluates every 100 ms too).
HOP = SAMPLE_RATE // 10
#: A window is one model input.
WINDOW = SAMPLE_RATE
#: Two mined windows of one utterance start at least this far apart (one false alarm, one example).
MIN_SPACING = SAMPLE_RATE

#: clip (int16 at SAMPLE_RATE) -> [(window start sample, keyword probability)], one per window.
Scorer = Callable[[np.ndarray], List[Tuple[int, float]]]


class DetectorScorer:
    """Every window of a clip scored by libkws: a clip up to one window long is classified once
    (zero-padded, as kws_classify does); a longer one is streamed through a Detector that
    evaluates every HOP with no smoothing, so each score is that window's own posterior.

    A window's start is the sample its first feature frame is centred on: the 1 s clip whose
    features are exactly that window's frames, which is the second mined."""

    def __init__(self, model_path, keyword: int):
        from kws.runtime import Classifier, Detector, Model

        from ..modelfile import read_model_file

        model_file = read_model_file(model_path)
        config = model_file.feature_config
        if config["sample_rate"] != SAMPLE_RATE or not config["center"]:
            raise ValueError(f"{model_path}: mining needs a centred {SAMPLE_RATE} Hz model")
        self.hop, self.frames = config["hop_length"], model_file.input_frames
        self.model = Model(model_path)
        self.keyword = keyword
        self.classifier = Classifier(self.model)
        self._windows: List[Tuple[int, float]] = []
        self.detector = Detector(self.model, stride_seconds=HOP / SAMPLE_RATE, smoothing_seconds=0.0,
                                 on_evaluation=self._record)

    def _record(self, evaluation) -> None:
        first_frame = evaluation.frame - self.frames
        if first_frame >= 0:  # a whole window (the stream's tail may give a shorter one)
            self._windows.append((first_frame * self.hop, float(evaluation.scores[self.keyword])))

    def __call__(self, clip: np.ndarray) -> List[Tuple[int, float]]:
        if clip.size <= WINDOW:
            return [(0, self.classifier.classify(clip, SAMPLE_RATE).scores[self.model.labels[self.keyword]])]
        self._windows = []
        self.detector.reset()
        self.detector.push(clip)
        self.detector.finish()
        return [(start, score) for start, score in self._windows if start + WINDOW <= clip.size]

    def close(self) -> None:
        self.detector.close()
        self.classifier.close()
        self.model.close()


def keyword_scores(score: Scorer, clips: Sequence[np.ndarray], progress=None):
    """Per clip, the (start, keyword probability) of every window, and how many were scored."""
    per_clip: List[List[Tuple[int, float]]] = []
    for clip in clips:
        per_clip.append(score(clip))
        if progress is not None:
            progress.update(clip.size / SAMPLE_RATE)
    return per_clip, sum(len(w) for w in per_clip)


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
    ``model_path``, scored by libkws (DetectorScorer): new examples of 1 s (source
    "mined_<source>"), and a summary."""
    scorer = DetectorScorer(model_path, keyword)
    try:
        return mine_with(scorer, examples, count, floor, quiet)
    finally:
        scorer.close()


def mine_with(score: Scorer, examples, count: int, floor: float = 0.05, quiet: bool = True):
    """mine() with the scorer given."""
    import time

    from .dataset import Example
    from .progress import Progress

    clips = [e.audio for e in examples]
    started = time.perf_counter()
    bar = Progress(sum(c.size for c in clips) / SAMPLE_RATE, "mining hard negatives", unit=" s",
                   enabled=not quiet)
    per_clip, scored = keyword_scores(score, clips, bar)
    bar.close()
    chosen = strongest_windows(per_clip, count, floor)
    mined = []
    for c, start, _ in chosen:
        source = examples[c]
        mined.append(Example(source.audio[start:start + WINDOW].copy(), source.label,
                             f"mined_{source.source}", source.group))
    scores = [s for _, _, s in chosen]
    summary = {"windows_scored": scored, "mined": len(mined), "floor": floor,
               "seconds": round(time.perf_counter() - started, 1),
               "score_min": round(min(scores), 4) if scores else None,
               "score_median": round(float(np.median(scores)), 4) if scores else None,
               "by_source": {name: sum(1 for e in mined if e.source == name)
                             for name in sorted({e.source for e in mined})}}
    return mined, summary
