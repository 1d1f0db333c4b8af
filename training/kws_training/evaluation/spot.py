"""Open-vocabulary keyword search (kws.Spotter over a CTC phoneme model) scored on a long stream:
keywords given as text, never trained on, against the stream's ground truth.

One spotter pass at a low threshold records every candidate event with its peak score; the events
at a higher threshold are then the candidates whose peak reaches it (a sweep without re-running the
network). That is exact except where a low candidate's refractory period hid a later, higher peak,
so the chosen operating point is re-run for real and both counts are reported.
"""
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import scoring

#: The sweep's floor: candidates below it are not recorded.
CANDIDATE_THRESHOLD = 0.05


def run_spotter(model, pcm: np.ndarray, sample_rate: int, keywords: Sequence[str], threshold: float,
                **options) -> Tuple[List[scoring.Event], float]:
    """kws.Spotter over the whole stream at ``threshold``: its events and the wall time."""
    from kws.runtime import Spotter

    events: List[scoring.Event] = []
    chunk = max(1, int(sample_rate))
    started = time.perf_counter()
    with Spotter(model, list(keywords), sample_rate=sample_rate, default_threshold=threshold,
                 **options) as spotter:
        for begin in range(0, len(pcm), chunk):
            events += scoring.events_from_detections(spotter.push(pcm[begin:begin + chunk]))
        events += scoring.events_from_detections(spotter.finish())
    return events, time.perf_counter() - started


def sweep(candidates: Sequence[scoring.Event], occurrences, keywords: Sequence[str], duration_s: float,
          tolerance_s: float, thresholds: Sequence[float]) -> List[dict]:
    """DET rows (per keyword and "all"): the candidates at or above each threshold, scored."""
    rows = []
    for value in thresholds:
        kept = [e for e in candidates if e.score >= value]
        for label, counts in scoring.counts_fast(kept, occurrences, keywords, duration_s, tolerance_s).items():
            rows.append(dict(threshold=float(value), label=label, **counts))
    return rows


def default_thresholds(candidates: Sequence[scoring.Event]) -> np.ndarray:
    """Every distinct candidate score (each one changes the events), and the floor."""
    return np.unique(np.array([CANDIDATE_THRESHOLD] + [e.score for e in candidates], np.float64))


def calibrated_threshold(rows: Sequence[dict], target_fa_per_hour: float) -> Optional[float]:
    """The lowest swept threshold whose false alarms per hour (all keywords) stay within the
    target; None when none does."""
    ok = [r["threshold"] for r in rows if r["label"] == "all" and r["fa_per_hour"] <= target_fa_per_hour + 1e-9]
    return min(ok) if ok else None


def evaluate_stream(model_path, pcm: np.ndarray, sample_rate: int, truth: dict, keywords: Sequence[str],
                    tolerance_s: float = 1.0, **options) -> Dict[str, object]:
    """Candidates, the DET rows and the cost of one spotter pass over a stream."""
    from kws.runtime import Model

    with Model(model_path) as model:
        candidates, wall = run_spotter(model, pcm, sample_rate, keywords, CANDIDATE_THRESHOLD, **options)
    duration = len(pcm) / sample_rate
    rows = sweep(candidates, truth["occurrences"], keywords, duration, tolerance_s, default_thresholds(candidates))
    return {"candidates": candidates, "rows": rows, "duration_s": duration, "wall_s": wall,
            "cost_ms_per_audio_second": 1000.0 * wall / duration}


def verify(model_path, pcm: np.ndarray, sample_rate: int, truth: dict, keywords: Sequence[str],
           threshold: float, tolerance_s: float = 1.0, **options) -> dict:
    """The counts of a real spotter run at ``threshold`` (what the sweep's row approximates)."""
    from kws.runtime import Model

    with Model(model_path) as model:
        events, _ = run_spotter(model, pcm, sample_rate, keywords, threshold, **options)
    return scoring.counts_fast(events, truth["occurrences"], keywords, len(pcm) / sample_rate, tolerance_s)["all"]
