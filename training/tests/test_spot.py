"""Tests of the open-vocabulary evaluation (evaluation.spot, `evaluation spot`): the sweep over one
low-threshold pass, the calibrated threshold, and the command end to end with a CTC model.

Run: cd training && /usr/bin/python3 -m pytest -q tests
"""
import json
import pathlib

import numpy as np

from kws_training.evaluation import cli, scoring, spot
from test_evaluation import build, library_or_skip

REPO = pathlib.Path(__file__).resolve().parents[2]
CTC_MODEL = REPO / "tests" / "model" / "golden" / "ctc" / "phonemes_tau1.kws"


def test_the_sweep_keeps_the_candidates_that_reach_each_threshold():
    occurrences = [{"label": "computer", "start_s": 10.0, "end_s": 11.0, "kind": "keyword"},
                   {"label": "computer", "start_s": 30.0, "end_s": 31.0, "kind": "keyword"}]
    candidates = [scoring.Event("computer", 10.8, 0.9, 10.2), scoring.Event("computer", 30.9, 0.4, 30.3),
                  scoring.Event("computer", 50.0, 0.6, 49.5)]  # the last is a false alarm
    rows = {r["threshold"]: r for r in spot.sweep(candidates, occurrences, ["computer"], 3600.0, 1.0,
                                                   spot.default_thresholds(candidates)) if r["label"] == "all"}
    assert sorted(rows) == [spot.CANDIDATE_THRESHOLD, 0.4, 0.6, 0.9]
    assert (rows[0.4]["hits"], rows[0.4]["false_alarms"]) == (2, 1)
    assert (rows[0.6]["hits"], rows[0.6]["false_alarms"]) == (1, 1)
    assert (rows[0.9]["hits"], rows[0.9]["false_alarms"]) == (1, 0)
    assert spot.calibrated_threshold(list(rows.values()), 0.5) == 0.9
    assert spot.calibrated_threshold(list(rows.values()), 1.0) == spot.CANDIDATE_THRESHOLD
    assert spot.calibrated_threshold([dict(r, fa_per_hour=5.0) for r in rows.values()], 1.0) is None


def test_spot_end_to_end_with_a_ctc_model(tmp_path, capsys):
    """The random-weight CTC model on a tone stream: the command calibrates on one stream, scores
    another, and its real run at the threshold agrees with the sweep's row."""
    library_or_skip()
    calibration, _, _ = build(tmp_path, "calibration", seed=8)
    test, _, truth = build(tmp_path, "test")
    out = tmp_path / "spot"
    assert cli.main(["spot", "--model", str(CTC_MODEL), "--keywords", "alpha,beta", "--stream", str(test),
                     "--calibration-stream", str(calibration), "--target-fa-per-hour", "100",
                     "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["keywords"] == ["alpha", "beta"] and report["summary"] in capsys.readouterr().out
    assert report["stream"]["occurrences"] == sum(o["label"] in ("alpha", "beta") for o in truth["occurrences"]
                                                  if o.get("kind", "keyword") == "keyword")
    at = report["at_threshold"]
    assert at["threshold"] == report["calibration"]["threshold"] >= spot.CANDIDATE_THRESHOLD
    assert abs(at["run"]["miss_rate"] - at["swept"]["miss_rate"]) <= 0.1
    assert report["cost_ms_per_audio_second"] > 0
    rows = [r for r in csv_rows(out / "det.csv") if r["label"] == "all"]
    fa = [float(r["fa_per_hour"]) for r in sorted(rows, key=lambda r: float(r["threshold"]))]
    assert fa == sorted(fa, reverse=True)  # fewer false alarms as the threshold rises


def csv_rows(path):
    import csv

    with open(path) as f:
        return list(csv.DictReader(f))
