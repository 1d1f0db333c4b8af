"""Scoring detector events against a stream's ground truth.

Matching rule (in event-time order): an event of label L at time t (its end_s: the end of the
analysis window, i.e. when it fired) is a *hit* if some not-yet-matched occurrence of L has
start_s <= t <= end_s + tolerance; it takes the earliest-starting such occurrence. Any other event
is a *false alarm*, classified as `duplicate` (inside the window of an occurrence of L that an
earlier event already matched: two events for one utterance), `substitution` (inside the window
of another keyword's occurrence), `speech` (inside the window of non-keyword speech) or
`background`. An occurrence no event matched is a *miss*.

Metrics: miss rate = misses / occurrences; false alarms per hour = false alarms / stream hours;
latency of a hit = t - occurrence end_s (negative: it fired before the word ended), summarised by
mean, median and 90th percentile.
"""
import bisect
import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

FA_KINDS = ("duplicate", "substitution", "speech", "background")


@dataclass(frozen=True)
class Event:
    label: str
    time_s: float            # when it fired: end of the analysis window
    score: float = 0.0
    start_s: float = 0.0     # start of the analysis window


@dataclass
class MatchResult:
    events: List[dict]       # event fields + status ("hit" / "false_alarm"), fa_kind, occurrence
    occurrences: List[dict]  # the keyword occurrences scored, + "detected", "latency_s", "event"
    keywords: List[str]
    duration_s: float
    tolerance_s: float


def events_from_detections(detections: Iterable) -> List[Event]:
    return [Event(d.label, d.end_s, d.score, d.start_s) for d in detections]


def match(events: Sequence[Event], occurrences: Sequence[dict], keywords: Sequence[str],
          duration_s: float, tolerance_s: float = 1.0) -> MatchResult:
    """Apply the matching rule. `keywords`: the labels scored (the model's keywords);
    occurrences of other labels (and non-keyword speech) only classify false alarms."""
    keyword_set = set(keywords)
    scored = [dict(o, detected=False, latency_s=None, event=None)
              for o in sorted(occurrences, key=lambda o: (o["start_s"], o["end_s"]))
              if o.get("kind", "keyword") == "keyword" and o["label"] in keyword_set]
    by_label: Dict[str, List[dict]] = {}
    for occurrence in scored:
        by_label.setdefault(occurrence["label"], []).append(occurrence)
    starts = {label: [o["start_s"] for o in items] for label, items in by_label.items()}
    longest = max([o["end_s"] - o["start_s"] for o in occurrences] + [0.0])
    # All occurrences (any label, any kind) for classifying false alarms.
    everything = sorted(occurrences, key=lambda o: o["start_s"])
    all_starts = [o["start_s"] for o in everything]

    def window_hits(items: List[dict], item_starts: List[float], t: float) -> List[dict]:
        """Items with start <= t <= end + tolerance, earliest start first."""
        hi = bisect.bisect_right(item_starts, t)
        lo = bisect.bisect_left(item_starts, t - longest - tolerance_s)
        return [o for o in items[lo:hi] if o["end_s"] + tolerance_s >= t]

    results = []
    order = sorted(range(len(events)), key=lambda i: (events[i].time_s, i))
    for i in order:
        event = events[i]
        record = {"label": event.label, "time_s": event.time_s, "start_s": event.start_s,
                  "score": event.score, "status": "false_alarm", "fa_kind": None, "occurrence": None}
        candidates = window_hits(by_label.get(event.label, []), starts.get(event.label, []), event.time_s)
        free = [o for o in candidates if not o["detected"]]
        if free:
            occurrence = free[0]
            occurrence["detected"] = True
            occurrence["latency_s"] = event.time_s - occurrence["end_s"]
            occurrence["event"] = len(results)
            record["status"] = "hit"
            record["occurrence"] = {"label": occurrence["label"], "start_s": occurrence["start_s"],
                                    "end_s": occurrence["end_s"]}
        elif candidates:
            record["fa_kind"] = "duplicate"
        else:
            around = window_hits(everything, all_starts, event.time_s)
            if any(o.get("kind", "keyword") == "keyword" for o in around):
                record["fa_kind"] = "substitution"
            elif around:
                record["fa_kind"] = "speech"
            else:
                record["fa_kind"] = "background"
        results.append(record)
    return MatchResult(results, scored, list(keywords), duration_s, tolerance_s)


def _latency_stats(values: List[float]) -> dict:
    if not values:
        return {"mean_s": None, "median_s": None, "p90_s": None}
    array = np.asarray(values, dtype=np.float64)
    return {"mean_s": float(array.mean()), "median_s": float(np.median(array)),
            "p90_s": float(np.percentile(array, 90))}


def _rates(occurrences: List[dict], false_alarms: List[dict], hours: float) -> dict:
    hits = sum(1 for o in occurrences if o["detected"])
    count = len(occurrences)
    kinds = {kind: sum(1 for e in false_alarms if e["fa_kind"] == kind) for kind in FA_KINDS}
    return {
        "occurrences": count, "hits": hits, "misses": count - hits,
        "miss_rate": (count - hits) / count if count else None,
        "false_alarms": len(false_alarms),
        "fa_per_hour": len(false_alarms) / hours if hours > 0 else None,
        "false_alarm_kinds": kinds,
        "latency": _latency_stats([o["latency_s"] for o in occurrences if o["detected"]]),
    }


def metrics(result: MatchResult) -> dict:
    """{"overall": {...}, "per_keyword": {label: {...}}} (see the module docstring)."""
    hours = result.duration_s / 3600.0
    false_alarms = [e for e in result.events if e["status"] == "false_alarm"]
    per_keyword = {}
    for label in result.keywords:
        per_keyword[label] = _rates([o for o in result.occurrences if o["label"] == label],
                                    [e for e in false_alarms if e["label"] == label], hours)
    return {"overall": _rates(result.occurrences, false_alarms, hours), "per_keyword": per_keyword}


def counts_fast(events: Sequence[Event], occurrences: Sequence[dict], keywords: Sequence[str],
                duration_s: float, tolerance_s: float) -> Dict[str, dict]:
    """Per-keyword and overall {occurrences, hits, false_alarms, miss_rate, fa_per_hour} (the
    DET sweep's needs; the same rule as match())."""
    result = match(events, occurrences, keywords, duration_s, tolerance_s)
    hours = duration_s / 3600.0
    out = {}
    for label in list(keywords) + ["all"]:
        occ = [o for o in result.occurrences if label == "all" or o["label"] == label]
        fas = sum(1 for e in result.events if e["status"] == "false_alarm"
                  and (label == "all" or e["label"] == label))
        hits = sum(1 for o in occ if o["detected"])
        out[label] = {"occurrences": len(occ), "hits": hits, "false_alarms": fas,
                      "miss_rate": (len(occ) - hits) / len(occ) if occ else math.nan,
                      "fa_per_hour": fas / hours if hours > 0 else math.nan}
    return out
