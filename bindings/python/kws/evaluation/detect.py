"""Running libkws's streaming detector over a stream, and the threshold sweep.

The DET sweep needs the detector's events at many thresholds. Re-running kws.Detector for each
(`method="rerun"`) is exact and costs one full pass per threshold. `method="replay"` (default)
runs the true detector once and records its smoothed posteriors after every evaluation (pushing
one stride of audio at a time, so each push holds at most one evaluation); the thresholds only
enter the detector's last step (per-label threshold, min_consecutive evaluations in a row, the
best-scoring label, refractory), so that step is replayed in numpy on the recorded posteriors for
all thresholds at once. The replay is checked against the true detector's own events at the run's
thresholds (and the test suite checks it against re-runs at other thresholds); if they differ, the
sweep falls back to re-running.
"""
import ctypes
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .progress import Progress


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
    """Smoothed posteriors after each evaluation, the frame count at it, the frames it used, and
    the samples pushed when it ran."""
    scores: np.ndarray     # [E, C] float32
    frames: np.ndarray     # [E] int64
    count: np.ndarray      # [E] int64
    pushed: np.ndarray     # [E] int64
    complete: bool = True  # False when an evaluation's posteriors could not be observed


@dataclass
class Geometry:
    hop: int
    offset: int        # sample of frame 0's start position (0 with centred frames)
    window: int        # frames
    stride: int        # frames
    refractory: int    # frames
    center: bool
    n_fft: int


def _lround(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def geometry(model, settings: DetectorSettings) -> Geometry:
    """The detector's frame arithmetic (src/detector.cpp)."""
    config = model.feature_config
    hop, rate = int(config["hop_length"]), int(config["sample_rate"])
    frames_for = lambda seconds: _lround(seconds * rate / hop)
    window = max(1, frames_for(settings.window_seconds)) if settings.window_seconds > 0 else model.input_frames
    return Geometry(hop=hop, offset=0 if config["center"] else int(config["n_fft"]) // 2,
                    window=window, stride=max(1, frames_for(settings.stride_seconds)),
                    refractory=frames_for(settings.refractory_seconds),
                    center=bool(config["center"]), n_fft=int(config["n_fft"]))


def effective_thresholds(model, settings: DetectorSettings,
                         thresholds: Optional[Mapping[str, float]] = None) -> np.ndarray:
    """Per label, what the detector compares the smoothed posterior with: the threshold (given,
    else the model file's, else default_threshold) ^ (2 sensitivity), in float32; inf for labels
    starting with '_'."""
    out = np.zeros(len(model.labels), dtype=np.float32)
    for k, label in enumerate(model.labels):
        if label.startswith("_"):
            out[k] = np.inf
            continue
        base = np.float32(settings.default_threshold)
        if label in model.thresholds:
            base = np.float32(model.thresholds[label])
        if thresholds and label in thresholds:
            base = np.float32(thresholds[label])
        out[k] = np.float32(math.pow(float(base), 2.0 * settings.sensitivity))
    return out


def _scores_now(detector) -> np.ndarray:
    from .. import _native
    pointer = ctypes.POINTER(ctypes.c_float)()
    count = ctypes.c_size_t()
    status = _native.library().kws_detector_scores(detector.handle, ctypes.byref(pointer),
                                                   ctypes.byref(count))
    if status != 0:
        raise RuntimeError("kws_detector_scores failed")
    return np.ctypeslib.as_array(pointer, shape=(count.value,)).copy()


def run_detector(model, pcm: np.ndarray, sample_rate: int, settings: DetectorSettings,
                 thresholds: Optional[Mapping[str, float]] = None, record: bool = True,
                 show_progress: bool = False, label: str = "detector") -> Tuple[List[Fired], Optional[Trace], float]:
    """Runs kws.Detector over the whole stream (int16 or float). Returns its events, the posterior
    trace (when `record` and the stream is at the model's rate; else None) and the wall time of
    the pushes and finish (the trace bookkeeping included)."""
    from ..runtime import Detector
    geo = geometry(model, settings)
    record = record and sample_rate == model.sample_rate
    detector = Detector(model, sample_rate=sample_rate, thresholds=thresholds, **settings.kwargs())
    chunk = geo.stride * geo.hop if record else max(1, sample_rate)
    events: List[Fired] = []
    rows, frames, counts, pushed = [], [], [], []
    previous = np.zeros(len(model.labels), dtype=np.float32)
    progress = Progress(len(pcm) / sample_rate, label, unit=" s", enabled=show_progress)
    started = time.perf_counter()

    def collect(detections):
        for d in detections:
            events.append(Fired(d.label_index, d.label, d.score, d.start_sample, d.end_sample))

    for begin in range(0, len(pcm), chunk):
        collect(detector.push(pcm[begin:begin + chunk]))
        if record:
            scores = _scores_now(detector)
            if not np.array_equal(scores, previous):
                k = len(rows)
                rows.append(scores)
                frames.append(geo.window + k * geo.stride)
                counts.append(geo.window)
                pushed.append(min(begin + chunk, len(pcm)))
                previous = scores
        if begin % (chunk * 100) == 0:
            progress.set(begin / sample_rate)
    collect(detector.finish())
    complete = True
    if record:
        # finish(): the frames that need the end padding, then one last evaluation of what is left.
        n = len(pcm)
        total_frames = 1 + n // geo.hop if geo.center else max(0, (n - geo.n_fft) // geo.hop + 1)
        evaluations = []  # (frames, count) of the evaluations finish() runs
        k = len(rows)
        last = frames[-1] if frames else 0
        while geo.window + k * geo.stride <= total_frames:
            last = geo.window + k * geo.stride
            evaluations.append((last, geo.window))
            k += 1
        if total_frames > last:
            evaluations.append((total_frames, min(total_frames, geo.window)))
        scores = _scores_now(detector)
        changed = not np.array_equal(scores, previous)
        if evaluations:
            if len(evaluations) > 1 or not changed:
                complete = False
            if changed:
                rows.append(scores)
                frames.append(evaluations[-1][0])
                counts.append(evaluations[-1][1])
                pushed.append(n)
    wall = time.perf_counter() - started
    progress.close()
    detector.close()
    trace = None
    if record:
        trace = Trace(np.array(rows, dtype=np.float32).reshape(len(rows), len(model.labels)),
                      np.array(frames, dtype=np.int64), np.array(counts, dtype=np.int64),
                      np.array(pushed, dtype=np.int64), complete)
    return events, trace, wall


def replay(trace: Trace, labels: Sequence[str], effective: np.ndarray, geo: Geometry,
           min_consecutive: int) -> List[List[Fired]]:
    """The detector's event logic (src/detector.cpp, Detector::Impl::evaluate) on recorded
    posteriors, for T threshold vectors at once: effective is [T, C] (after sensitivity). Returns
    T event lists."""
    effective = np.atleast_2d(np.asarray(effective, dtype=np.float32))
    rows, classes = effective.shape
    consecutive = np.zeros((rows, classes), dtype=np.int64)
    armed = np.ones((rows, classes), dtype=bool)
    quiet_until = np.zeros(rows, dtype=np.int64)
    out: List[List[Fired]] = [[] for _ in range(rows)]
    all_rows = np.arange(rows)
    for e in range(len(trace.frames)):
        scores = trace.scores[e]
        above = scores[None, :] >= effective
        consecutive = np.where(above, consecutive + 1, 0)
        armed |= ~above
        ready = (consecutive >= min_consecutive) & armed
        if not ready.any():
            continue
        best = np.argmax(np.where(ready, scores[None, :], -np.inf), axis=1)
        frames = int(trace.frames[e])
        fire = ready[all_rows, best] & (frames >= quiet_until)
        if not fire.any():
            continue
        first = frames - int(trace.count[e])
        half = geo.n_fft // 2 if geo.center else 0
        start = max(0, first * geo.hop - half)
        end = max(start, min((frames - 1) * geo.hop - half + geo.n_fft, int(trace.pushed[e])))
        for t in np.nonzero(fire)[0]:
            k = int(best[t])
            out[t].append(Fired(k, labels[k], float(scores[k]), start, end))
        quiet_until[fire] = frames + geo.refractory
        consecutive[fire] = 0
        armed[np.nonzero(fire)[0], best[fire]] = False
    return out


def same_events(a: Sequence[Fired], b: Sequence[Fired]) -> bool:
    return [(e.label_index, e.start_sample, e.end_sample, np.float32(e.score)) for e in a] == \
           [(e.label_index, e.start_sample, e.end_sample, np.float32(e.score)) for e in b]


def default_sweep() -> np.ndarray:
    """Thresholds for the DET curve: 0.02..0.98 in steps of 0.02, and towards 1 on a log scale
    (1 - 10^-1.3 .. 1 - 10^-4), where trained models' false alarms live."""
    values = np.concatenate([np.linspace(0.02, 0.98, 49), 1.0 - np.logspace(-1.3, -4.0, 20)])
    return np.unique(np.round(values, 6))
