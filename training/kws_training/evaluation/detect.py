"""Running libkws's streaming detector over a stream, and the threshold sweep.

The DET sweep needs the detector's events at many thresholds. Re-running kws.Detector for each
(`method="rerun"`) costs one full pass of the network per threshold. `method="replay"` (default)
runs the detector once, records every evaluation's smoothed posteriors through its evaluation
callback (kws_detector_params.evaluation_callback), and runs libkws's own firing rule
(kws.EventPolicy: thresholds, min_consecutive, arming, refractory) over them for each setting.
Nothing of the detector is re-implemented here: the frame clock and the window's sample span come
with each evaluation, and the events are the policy's. The replay at the run's own setting is
checked against the detector's events all the same.
"""
import time
from dataclasses import asdict, dataclass
from typing import List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..recipe.progress import Progress


@dataclass
class DetectorSettings:
    stride_seconds: float = 0.1
    window_seconds: float = 0.0
    smoothing_seconds: float = 0.3
    sensitivity: float = 0.5
    refractory_seconds: float = 0.5
    min_consecutive: int = 3
    default_threshold: float = 0.5
    backend: str = "default"

    def kwargs(self) -> dict:
        return asdict(self)

    def firing(self) -> dict:
        """The settings the event policy reads (the others shape the posteriors)."""
        return dict(sensitivity=self.sensitivity, refractory_seconds=self.refractory_seconds,
                    min_consecutive=self.min_consecutive, default_threshold=self.default_threshold)


@dataclass(frozen=True)
class Fired:
    """An event as the detector reports it (samples at the stream's rate)."""
    label_index: int
    label: str
    score: float
    start_sample: int
    end_sample: int


@dataclass
class Trace:
    """Every evaluation of one detector run: smoothed posteriors, the stream's feature frame count
    at it (the policy's clock) and the window's audio [start, end) at the stream's rate."""
    scores: np.ndarray  # [E, C] float32
    frames: np.ndarray  # [E] int64
    start: np.ndarray   # [E] int64
    end: np.ndarray     # [E] int64


def event_policy(model, settings: DetectorSettings, thresholds: Optional[Mapping[str, float]] = None):
    """libkws's firing rule at these settings and thresholds (kws.EventPolicy)."""
    from kws.runtime import EventPolicy
    return EventPolicy(model, thresholds=thresholds or None, **settings.firing())


def effective_thresholds(model, settings: DetectorSettings,
                         thresholds: Optional[Mapping[str, float]] = None) -> np.ndarray:
    """Per label, what the detector compares the smoothed posterior with (libkws's rule: the
    threshold given, else the model file's, else default_threshold, ^ (2 sensitivity)); inf for
    labels that never fire."""
    with event_policy(model, settings, thresholds) as policy:
        return policy.thresholds


def run_detector(model, pcm: np.ndarray, sample_rate: int, settings: DetectorSettings,
                 thresholds: Optional[Mapping[str, float]] = None, record: bool = True,
                 show_progress: bool = False, label: str = "detector") -> Tuple[List[Fired], Optional[Trace], float]:
    """Runs kws.Detector over the whole stream (int16 or float). Returns its events, every
    evaluation's posteriors (when `record`; else None) and the wall time of the pushes and finish
    (the recording included)."""
    from kws.runtime import Detector
    scores, frames, starts, ends = [], [], [], []

    def on_evaluation(e) -> None:
        scores.append(e.scores)
        frames.append(e.frame)
        starts.append(e.start_sample)
        ends.append(e.end_sample)

    detector = Detector(model, sample_rate=sample_rate, thresholds=thresholds,
                        on_evaluation=on_evaluation if record else None, **settings.kwargs())
    chunk = max(1, int(sample_rate))
    events: List[Fired] = []
    progress = Progress(len(pcm) / sample_rate, label, unit=" s", enabled=show_progress)
    started = time.perf_counter()

    def collect(detections):
        for d in detections:
            events.append(Fired(d.label_index, d.label, d.score, d.start_sample, d.end_sample))

    for begin in range(0, len(pcm), chunk):
        collect(detector.push(pcm[begin:begin + chunk]))
        if begin % (chunk * 100) == 0:
            progress.set(begin / sample_rate)
    collect(detector.finish())
    wall = time.perf_counter() - started
    progress.close()
    detector.close()
    trace = None
    if record:
        trace = Trace(np.array(scores, dtype=np.float32).reshape(len(scores), len(model.labels)),
                      np.array(frames, dtype=np.int64), np.array(starts, dtype=np.int64),
                      np.array(ends, dtype=np.int64))
    return events, trace, wall


def replay(trace: Trace, model, settings: DetectorSettings,
           rows: Sequence[Optional[Mapping[str, float]]]) -> List[List[Fired]]:
    """The events a detector with `settings` and each row of per-label thresholds would give on
    the recorded posteriors: libkws's event policy run over the trace, once per row."""
    out: List[List[Fired]] = []
    labels = model.labels
    for row in rows:
        with event_policy(model, settings, row) as policy:
            fired = policy.run(trace.scores, trace.frames)
        events = []
        for e in np.flatnonzero(fired >= 0):
            k = int(fired[e])
            events.append(Fired(k, labels[k], float(trace.scores[e, k]), int(trace.start[e]), int(trace.end[e])))
        out.append(events)
    return out


def same_events(a: Sequence[Fired], b: Sequence[Fired]) -> bool:
    return [(e.label_index, e.start_sample, e.end_sample, np.float32(e.score)) for e in a] == \
           [(e.label_index, e.start_sample, e.end_sample, np.float32(e.score)) for e in b]


def default_sweep() -> np.ndarray:
    """Thresholds for the DET curve: 0.02..0.98 in steps of 0.02, and towards 1 on a log scale
    (1 - 10^-1.3 .. 1 - 10^-4), where trained models' false alarms live."""
    values = np.concatenate([np.linspace(0.02, 0.98, 49), 1.0 - np.logspace(-1.3, -4.0, 20)])
    return np.unique(np.round(values, 6))
