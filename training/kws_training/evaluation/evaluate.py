"""`run` and `calibrate`: the detector over a stream, scored; the DET sweep; threshold
calibration for a target false-alarm rate."""
import csv
import json
import math
import pathlib
import time
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import detect, scoring
from .detect import DetectorSettings, Fired


def keywords_of(model) -> List[str]:
    return [label for label in model.labels if not label.startswith("_")]


def to_events(fired: Sequence[Fired], sample_rate: int) -> List[scoring.Event]:
    return [scoring.Event(e.label, e.end_sample / sample_rate, e.score, e.start_sample / sample_rate)
            for e in fired]


def model_info(model_path: pathlib.Path, model) -> dict:
    from .. import modelfile
    info = {"path": str(model_path), "name": pathlib.Path(model_path).stem,
            "labels": list(model.labels), "keywords": keywords_of(model),
            "file_thresholds": dict(model.thresholds)}
    try:
        info["tau"] = modelfile.read_model_file(model_path).tau
    except Exception:  # a model libkws loads but kws_training.modelfile does not parse: report without tau
        info["tau"] = None
    return info


def load_thresholds(path: Optional[pathlib.Path]) -> Dict[str, float]:
    """A thresholds file: {"thresholds": {label: value}, ...} (what calibrate writes) or a flat
    {label: value}."""
    if path is None:
        return {}
    data = json.loads(pathlib.Path(path).read_text())
    data = data.get("thresholds", data)
    if not isinstance(data, dict) or not all(isinstance(v, (int, float)) for v in data.values()):
        raise ValueError(f"{path}: expected {{label: threshold}} or {{\"thresholds\": {{...}}}}")
    return {str(k): float(v) for k, v in data.items()}


class Evaluation:
    """One model, one stream, one set of detector settings."""

    def __init__(self, model_path, pcm: np.ndarray, sample_rate: int, truth: dict,
                 settings: DetectorSettings, tolerance_s: float = 1.0, show_progress: bool = False):
        from kws.runtime import Model
        self.model_path = pathlib.Path(model_path)
        self.model = Model(self.model_path)
        self.pcm, self.sample_rate, self.truth = pcm, int(sample_rate), truth
        self.settings, self.tolerance_s, self.show_progress = settings, tolerance_s, show_progress
        self.keywords = keywords_of(self.model)
        self.duration_s = len(pcm) / self.sample_rate
        self.occurrences = truth["occurrences"]
        self.trace: Optional[detect.Trace] = None
        self.replay_verified: Optional[bool] = None

    def detect(self, thresholds: Optional[Mapping[str, float]] = None, record: bool = True,
               label: str = "detector") -> Tuple[List[Fired], float]:
        fired, trace, wall = detect.run_detector(self.model, self.pcm, self.sample_rate, self.settings,
                                                 thresholds, record=record,
                                                 show_progress=self.show_progress, label=label)
        if trace is not None:
            self.trace = trace
            replayed = detect.replay(trace, self.model, self.settings, [thresholds])
            self.replay_verified = detect.same_events(replayed[0], fired)
        return fired, wall

    def with_firing(self, min_consecutive: int, refractory_seconds: float) -> "Evaluation":
        """This evaluation under other firing settings, sharing its model and recorded posteriors
        (the posteriors do not depend on min_consecutive or refractory, only the replay does)."""
        import copy
        import dataclasses
        other = copy.copy(self)
        other.settings = dataclasses.replace(self.settings, min_consecutive=int(min_consecutive),
                                             refractory_seconds=float(refractory_seconds))
        return other

    def uniform(self, value: float) -> Dict[str, float]:
        return {label: float(value) for label in self.keywords}

    def events_at(self, rows: Sequence[Mapping[str, float]], method: str) -> List[List[Fired]]:
        """Events for several threshold settings (replay, or one true detector run each)."""
        if method == "replay":
            return detect.replay(self.trace, self.model, self.settings, rows)
        out = []
        for i, row in enumerate(rows):
            fired, _ = detect.run_detector(self.model, self.pcm, self.sample_rate, self.settings, row,
                                           record=False, show_progress=self.show_progress,
                                           label=f"re-run {i + 1}/{len(rows)}")
            out.append(fired)
        return out

    def score(self, fired: Sequence[Fired]) -> Tuple[scoring.MatchResult, dict]:
        result = scoring.match(to_events(fired, self.sample_rate), self.occurrences, self.keywords,
                               self.duration_s, self.tolerance_s)
        return result, scoring.metrics(result)

    def counts(self, fired: Sequence[Fired]) -> Dict[str, dict]:
        return scoring.counts_fast(to_events(fired, self.sample_rate), self.occurrences,
                                   self.keywords, self.duration_s, self.tolerance_s)

    def sweep(self, values: Sequence[float], method: str) -> List[dict]:
        """DET rows: every keyword threshold set to each value in turn."""
        rows = []
        for value, fired in zip(values, self.events_at([self.uniform(v) for v in values], method)):
            for label, c in self.counts(fired).items():
                rows.append(dict(threshold=float(value), label=label, **c))
        return rows

    def resolve_method(self, method: str) -> str:
        if method == "replay" and not (self.trace is not None and self.replay_verified):
            return "rerun"
        return method


# ---- calibration ---------------------------------------------------------------------------------

def calibrate(evaluation: Evaluation, target_fa_per_hour: float, scope: str = "total",
              values: Optional[Sequence[float]] = None, rounds: int = 3) -> dict:
    """Per-keyword thresholds: for each keyword, the lowest threshold on the grid at which its own
    false alarms per hour are <= its budget (the target split evenly across keywords with
    scope="total", the target itself with scope="keyword"), the other keywords at their current
    thresholds; starting from the uniform sweep, repeated until nothing changes (at most
    `rounds`). Needs the replayed sweep (or, without it, uses the uniform sweep's per-keyword
    curves only)."""
    values = np.asarray(values if values is not None else detect.default_sweep(), dtype=np.float64)
    values = np.unique(np.append(values, 1.0))
    keywords = evaluation.keywords
    budget = target_fa_per_hour / len(keywords) if scope == "total" else target_fa_per_hour
    method = evaluation.resolve_method("replay")
    sweep_rows = evaluation.sweep(values, method)
    chosen = {}
    for label in keywords:
        ok = [r["threshold"] for r in sweep_rows if r["label"] == label and r["fa_per_hour"] <= budget]
        chosen[label] = min(ok) if ok else 1.0
    iterations = 0
    if method == "replay":
        for iterations in range(1, rounds + 1):
            changed = False
            for label in keywords:
                candidates = [dict(chosen, **{label: float(v)}) for v in values]
                fired_lists = evaluation.events_at(candidates, "replay")
                best = 1.0
                for v, fired in zip(values, fired_lists):
                    c = evaluation.counts(fired)[label]
                    if c["fa_per_hour"] <= budget:
                        best = float(v)
                        break
                if best != chosen[label]:
                    chosen[label], changed = best, True
            if not changed:
                break
    return {"thresholds": chosen, "budget_fa_per_hour_per_keyword": budget, "method": method,
            "rounds": iterations, "grid": [float(v) for v in values]}


def operating_points(rows: Sequence[dict], targets: Sequence[float]) -> List[dict]:
    """For each DET curve (each label and "all") and each target rate, the sweep threshold with
    the lowest miss rate whose false alarms per hour stay at or under the target (ties: the lower
    threshold). The threshold is picked on the stream it is scored on, so this is the curve's
    point, an optimistic bound; `calibrate` on another stream gives an honest threshold."""
    points = []
    for label in sorted({r["label"] for r in rows}, key=lambda name: (name != "all", name)):
        curve = [r for r in rows if r["label"] == label and r["miss_rate"] is not None]
        for target in targets:
            within = [r for r in curve if r["fa_per_hour"] <= target + 1e-9]
            best = min(within, key=lambda r: (r["miss_rate"], r["threshold"])) if within else None
            points.append({"label": label, "target_fa_per_hour": float(target),
                           **({k: best[k] for k in ("threshold", "miss_rate", "fa_per_hour", "hits",
                                                    "false_alarms", "occurrences")} if best else
                              {"threshold": None, "miss_rate": None, "fa_per_hour": None})})
    return points


# ---- outputs -------------------------------------------------------------------------------------

def write_det_csv(path: pathlib.Path, rows: Sequence[dict]) -> None:
    fields = ("label", "threshold", "miss_rate", "fa_per_hour", "occurrences", "hits", "false_alarms")
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in sorted(rows, key=lambda r: (r["label"] != "all", r["label"], r["threshold"])):
            writer.writerow({k: (f"{row[k]:.6g}" if isinstance(row[k], float) else row[k]) for k in fields})


def write_events_csv(path: pathlib.Path, events: Sequence[dict]) -> None:
    fields = ("time_s", "start_s", "label", "score", "status", "fa_kind", "occurrence_start_s",
              "occurrence_end_s")
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(fields)
        for e in events:
            occ = e["occurrence"] or {}
            writer.writerow([f"{e['time_s']:.4f}", f"{e['start_s']:.4f}", e["label"], f"{e['score']:.4f}",
                             e["status"], e["fa_kind"] or "", occ.get("start_s", ""), occ.get("end_s", "")])


def plot_det(path: pathlib.Path, rows: Sequence[dict], title: str,
             operating: Optional[Tuple[float, float]] = None) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 6), dpi=110)
    labels = sorted({r["label"] for r in rows} - {"all"})
    for label in labels + ["all"]:
        points = sorted(((r["fa_per_hour"], 100.0 * r["miss_rate"], r["threshold"])
                         for r in rows if r["label"] == label and not math.isnan(r["miss_rate"])),
                        key=lambda p: p[2])
        if not points:
            continue
        x, y = [p[0] for p in points], [p[1] for p in points]
        if label == "all":
            axes.plot(x, y, color="black", linewidth=2.5, marker="o", markersize=3, label="all keywords")
        else:
            axes.plot(x, y, linewidth=1, alpha=0.8, label=label)
    if operating is not None:
        axes.plot([operating[0]], [100.0 * operating[1]], marker="*", color="red", markersize=14,
                  linestyle="none", label="operating point")
    axes.set_xscale("symlog", linthresh=0.1)
    axes.set_xlim(left=0)
    axes.set_xlabel("false alarms per hour")
    axes.set_ylabel("miss rate (%)")
    axes.set_ylim(0, 100)
    axes.grid(True, which="both", alpha=0.3)
    import textwrap
    axes.set_title("\n".join(textwrap.wrap(title, 90)), fontsize=9)
    axes.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def summary_line(model: dict, truth: dict, overall: dict, duration_s: float) -> str:
    tau = model.get("tau")
    tau_text = f" (tau {tau:g})" if isinstance(tau, (int, float)) else ""
    miss = overall["miss_rate"]
    miss_text = f"{100 * miss:.1f}% miss" if miss is not None else "no keyword occurrences"
    median = overall["latency"]["median_s"]
    latency = f", median latency {median:.2f} s" if median is not None else ""
    config = truth.get("config", {})
    source = truth.get("source", {}).get("description", "keywords")
    snr = config.get("snr_db")
    snr_text = f" at {snr[0]:g}-{snr[1]:g} dB SNR" if snr else ""
    noise = truth.get("noise", {}).get("description")
    noise_text = f" over {noise}" if noise else ""
    seed = f" (seed {truth['seed']})" if "seed" in truth else ""
    return (f"{model['name']}{tau_text}: {miss_text} at {overall['fa_per_hour']:.2g} FA/h{latency}, "
            f"on {duration_s / 60:.0f} min of {source}{snr_text}{noise_text}{seed}")


def table(metrics: dict) -> str:
    lines = [f"{'keyword':<12}{'occ':>6}{'hits':>6}{'miss %':>8}{'FA':>5}{'FA/h':>8}"
             f"{'lat mean':>10}{'median':>8}{'p90':>7}  FA kinds (dup/sub/speech/bg)"]

    def row(name, m):
        lat = m["latency"]
        fmt = lambda v: f"{v:.2f}" if v is not None else "-"
        miss = f"{100 * m['miss_rate']:.1f}" if m["miss_rate"] is not None else "-"
        kinds = m["false_alarm_kinds"]
        lines.append(f"{name:<12}{m['occurrences']:>6}{m['hits']:>6}{miss:>8}{m['false_alarms']:>5}"
                     f"{m['fa_per_hour']:>8.2f}{fmt(lat['mean_s']):>10}{fmt(lat['median_s']):>8}"
                     f"{fmt(lat['p90_s']):>7}  {kinds['duplicate']}/{kinds['substitution']}/"
                     f"{kinds['speech']}/{kinds['background']}")

    for label, m in metrics["per_keyword"].items():
        row(label, m)
    row("all", metrics["overall"])
    return "\n".join(lines)
