"""kws_training.evaluation: stream building (deterministic, ground truth = what was inserted), the matching
rule and metrics on hand-made events, the posterior replay against the true detector, and a
small end-to-end run/calibrate with the (random-weight) test model."""
import csv
import json
import math
import pathlib
import wave

import numpy as np
import pytest

from kws import _native
from kws_training.evaluation import cli, detect, evaluate, scoring, sources, stream

REPO = pathlib.Path(__file__).resolve().parents[2]
MODEL = REPO / "tests" / "model" / "golden" / "bcresnet_tau1.kws"
RATE = 16000


def library_or_skip():
    try:
        return _native.library()
    except _native.LibraryNotFound as error:
        pytest.skip(f"libkws.so not built: {error}")


def make_tone_source(folder: pathlib.Path) -> pathlib.Path:
    """A Speech-Commands-like folder of synthetic 'words': tones in 1 s of silence at known
    positions, so the speech extent of every clip is known exactly."""
    root = folder / "words"
    rng = np.random.default_rng(0)
    for label, freq in (("alpha", 440.0), ("beta", 660.0), ("_unknown_", 300.0), ("_silence_", 0.0)):
        (root / label).mkdir(parents=True)
        for i in range(3):
            clip = np.zeros(RATE)
            if freq:
                begin, length = 3200 + 800 * i, 4800 + 1600 * i  # 10 ms multiples
                t = np.arange(length) / RATE
                clip[begin:begin + length] = 0.5 * np.sin(2 * np.pi * freq * t)
            clip += 1e-4 * rng.standard_normal(RATE)
            stream.write_wav(root / label / f"spk{i}_nohash_0.wav",
                             np.round(clip * 32767).astype(np.int16), RATE)
    return root


def build(tmp_path, name, **overrides):
    library_or_skip()
    root = make_tone_source(tmp_path) if not (tmp_path / "words").exists() else tmp_path / "words"
    config = dict(duration_s=40.0, keywords_per_minute=12, speech_per_minute=6, snr_db=(10.0, 10.0),
                  min_gap_s=1.0, seed=5)
    config.update(overrides)
    source = sources.folder_source(root)
    noise = sources.NoiseSource("coloured", "coloured noise", [], [])
    pcm, truth = stream.build_stream(source, noise, stream.StreamConfig(**config), show_progress=False)
    wav = tmp_path / f"{name}.wav"
    stream.write_stream(wav, pcm, truth)
    return wav, pcm, truth


# ---- stream building ---------------------------------------------------------------------------

def test_stream_is_deterministic(tmp_path):
    wav_a, _, truth_a = build(tmp_path, "a")
    wav_b, _, truth_b = build(tmp_path, "b")
    wav_c, _, _ = build(tmp_path, "c", seed=6)
    assert wav_a.read_bytes() == wav_b.read_bytes()
    assert wav_a.with_suffix(".csv").read_bytes() == wav_b.with_suffix(".csv").read_bytes()
    assert truth_a["occurrences"] == truth_b["occurrences"]
    assert wav_a.read_bytes() != wav_c.read_bytes()


def test_ground_truth_matches_inserted_audio(tmp_path):
    wav, pcm, truth = build(tmp_path, "s", snr_db=(10.0, 10.0))
    with wave.open(str(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        assert w.getnframes() == len(pcm) == truth["num_samples"] == 40 * RATE
    occurrences = truth["occurrences"]
    keywords = [o for o in occurrences if o["kind"] == "keyword"]
    speech = [o for o in occurrences if o["kind"] == "speech"]
    assert len(keywords) == 8 and len(speech) == 4
    assert {o["label"] for o in keywords} == {"alpha", "beta"} and {o["label"] for o in speech} == {"_unknown_"}
    assert truth["keyword_counts"] == {"alpha": 4, "beta": 4}
    x = pcm.astype(np.float64) / 32767.0
    noise_power = np.mean(x[:RATE // 2] ** 2)
    previous_end = 0
    for o in occurrences:
        start, end = o["start_sample"], o["end_sample"]
        assert o["start_s"] == pytest.approx(start / RATE) and o["end_s"] == pytest.approx(end / RATE)
        # The tone (the clip's speech) spans exactly [start, end): 4800 + 1600 i samples, and the
        # inserted span is the tone plus 0.1 s of the clip each side.
        index = int(o["source"].split("spk")[1][0])
        assert end - start == 4800 + 1600 * index
        assert start - o["clip_start_sample"] == 1600 and o["clip_end_sample"] - end == 1600
        assert o["clip_start_sample"] - previous_end >= RATE  # min gap
        previous_end = o["clip_end_sample"]
        # Energy: the stated SNR over the background (estimated here from the mix: speech + noise
        # inside, noise from the second of background on each side).
        inside = np.mean(x[start:end] ** 2)
        around = np.concatenate([x[o["clip_start_sample"] - RATE:o["clip_start_sample"]],
                                 x[o["clip_end_sample"]:o["clip_end_sample"] + RATE]])
        local_noise = np.mean(around ** 2)
        assert 10 * np.log10(inside / local_noise - 1) == pytest.approx(o["snr_db"], abs=1.5)
        # Silence (noise only) just outside the inserted span.
        before = x[o["clip_start_sample"] - 800:o["clip_start_sample"]]
        assert np.mean(before ** 2) < 2 * noise_power
        # The tone's frequency is there (alpha 440 Hz, beta 660 Hz, unknown 300 Hz).
        spectrum = np.abs(np.fft.rfft(x[start:end]))
        peak_hz = np.argmax(spectrum) * RATE / (end - start)
        expected = {"alpha": 440.0, "beta": 660.0, "_unknown_": 300.0}[o["label"]]
        assert abs(peak_hz - expected) < 10.0
    assert truth["occurrences"][-1]["clip_end_sample"] <= len(pcm) - RATE
    rows = list(csv.DictReader(open(wav.with_suffix(".csv"))))
    assert [r["label"] for r in rows] == [o["label"] for o in occurrences]
    assert [int(r["start_sample"]) for r in rows] == [o["start_sample"] for o in occurrences]
    loaded = stream.load_truth(wav.with_suffix(".json"))
    assert loaded["occurrences"] == occurrences and loaded["wav"] == wav.name


def test_stream_too_full_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="do not fit"):
        build(tmp_path, "full", keywords_per_minute=60, min_gap_s=1.0)


def test_active_region():
    x = np.zeros(RATE)
    x[4000:9000] = 0.3 * np.sin(np.arange(5000) * 0.3)
    assert sources.active_region(x, RATE) == (4000, 9120)  # to the 10 ms frame holding the end


# ---- matching and metrics ----------------------------------------------------------------------

def occ(label, start, end, kind="keyword"):
    return {"label": label, "kind": kind, "start_s": start, "end_s": end}


TRUTH = [occ("yes", 10.0, 10.5), occ("no", 20.0, 20.4), occ("yes", 30.0, 30.6),
         occ("_unknown_", 40.0, 40.5, "speech"), occ("up", 50.0, 50.5)]


def test_matching_hits_misses_and_false_alarms():
    events = [
        scoring.Event("yes", 10.7),   # hit, latency 0.2
        scoring.Event("yes", 11.2),   # second event for the same utterance: duplicate FA
        scoring.Event("no", 21.5),    # 1.1 s after the end: outside the 1 s tolerance -> FA
        scoring.Event("yes", 29.9),   # before the word starts: FA (background)
        scoring.Event("yes", 30.3),   # hit, latency -0.3 (fired before the end)
        scoring.Event("go", 40.2),    # during non-keyword speech: FA (speech)
        scoring.Event("down", 50.6),  # during "up": substitution; "up" is missed
    ]
    keywords = ["yes", "no", "up", "down", "go"]
    result = scoring.match(events, TRUTH, keywords, duration_s=1800.0, tolerance_s=1.0)
    statuses = [(e["label"], e["status"], e["fa_kind"]) for e in result.events]
    assert statuses == [("yes", "hit", None), ("yes", "false_alarm", "duplicate"),
                        ("no", "false_alarm", "background"), ("yes", "false_alarm", "background"),
                        ("yes", "hit", None), ("go", "false_alarm", "speech"),
                        ("down", "false_alarm", "substitution")]
    m = scoring.metrics(result)
    overall = m["overall"]
    assert (overall["occurrences"], overall["hits"], overall["misses"]) == (4, 2, 2)
    assert overall["miss_rate"] == pytest.approx(0.5)
    assert overall["false_alarms"] == 5 and overall["fa_per_hour"] == pytest.approx(10.0)
    assert overall["false_alarm_kinds"] == {"duplicate": 1, "substitution": 1, "speech": 1, "background": 2}
    assert overall["latency"]["mean_s"] == pytest.approx(-0.05)
    assert overall["latency"]["median_s"] == pytest.approx(-0.05)
    assert overall["latency"]["p90_s"] == pytest.approx(0.15)
    yes = m["per_keyword"]["yes"]
    assert (yes["occurrences"], yes["hits"], yes["false_alarms"]) == (2, 2, 2)
    assert yes["miss_rate"] == 0.0 and yes["fa_per_hour"] == pytest.approx(4.0)
    assert m["per_keyword"]["no"]["miss_rate"] == 1.0 and m["per_keyword"]["no"]["false_alarms"] == 1
    assert m["per_keyword"]["up"]["miss_rate"] == 1.0
    go = m["per_keyword"]["go"]
    assert go["occurrences"] == 0 and go["miss_rate"] is None and go["false_alarms"] == 1
    assert m["per_keyword"]["no"]["latency"]["median_s"] is None


def test_matching_tolerance_edges_and_order():
    truth = [occ("yes", 10.0, 10.5), occ("yes", 11.0, 11.4)]
    # Exactly at the start and exactly at end + tolerance both match; each event takes the
    # earliest-starting unmatched occurrence.
    events = [scoring.Event("yes", 11.2), scoring.Event("yes", 10.0)]
    result = scoring.match(events, truth, ["yes"], 3600.0, tolerance_s=1.0)
    assert [e["status"] for e in result.events] == ["hit", "hit"]
    assert [e["occurrence"]["start_s"] for e in result.events] == [10.0, 11.0]
    assert result.occurrences[0]["latency_s"] == pytest.approx(-0.5)
    assert result.occurrences[1]["latency_s"] == pytest.approx(-0.2)
    edge = scoring.match([scoring.Event("yes", 11.5)], [occ("yes", 10.0, 10.5)], ["yes"], 3600.0, 1.0)
    assert edge.events[0]["status"] == "hit"
    late = scoring.match([scoring.Event("yes", 11.5001)], [occ("yes", 10.0, 10.5)], ["yes"], 3600.0, 1.0)
    assert late.events[0]["status"] == "false_alarm"
    tight = scoring.match([scoring.Event("yes", 10.8)], [occ("yes", 10.0, 10.5)], ["yes"], 3600.0, 0.2)
    assert tight.events[0]["status"] == "false_alarm"
    # Wrong label never matches; the occurrence is missed.
    wrong = scoring.metrics(scoring.match([scoring.Event("no", 10.4)], [occ("yes", 10.0, 10.5)],
                                          ["yes", "no"], 3600.0, 1.0))
    assert wrong["overall"]["misses"] == 1 and wrong["per_keyword"]["no"]["false_alarm_kinds"]["substitution"] == 1


def test_operating_points_pick_the_lowest_miss_within_each_rate():
    rows = [{"label": label, "threshold": t, "miss_rate": m, "fa_per_hour": fa, "hits": 10 - int(10 * m),
             "false_alarms": int(fa * 10), "occurrences": 10}
            for label in ("all", "yes")
            for t, m, fa in ((0.2, 0.0, 5.0), (0.5, 0.2, 1.0), (0.6, 0.2, 0.5), (0.8, 0.5, 0.1), (0.9, 0.9, 0.0))]
    points = {(p["label"], p["target_fa_per_hour"]): p for p in evaluate.operating_points(rows, (1.0, 0.1, 0.01))}
    assert points[("all", 1.0)]["threshold"] == 0.5 and points[("all", 1.0)]["miss_rate"] == 0.2
    assert points[("all", 0.1)]["threshold"] == 0.8 and points[("yes", 0.1)]["miss_rate"] == 0.5
    assert points[("all", 0.01)]["threshold"] == 0.9
    assert evaluate.operating_points(rows[:1], (1.0,))[0]["miss_rate"] is None  # 5 FA/h only


def test_summary_line():
    overall = {"miss_rate": 0.032, "fa_per_hour": 0.5, "latency": {"median_s": 0.42}}
    truth = {"seed": 1, "config": {"snr_db": [5.0, 20.0]},
             "source": {"description": "gsc_v2_test_a keywords"}, "noise": {"description": "real noise"}}
    line = evaluate.summary_line({"name": "commands_en", "tau": 1.0}, truth, overall, 3600.0)
    assert line == ("commands_en (tau 1): 3.2% miss at 0.5 FA/h, median latency 0.42 s, on 60 min "
                    "of gsc_v2_test_a keywords at 5-20 dB SNR over real noise (seed 1)")


# ---- the detector, the replay, end to end ----------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_stream(tmp_path_factory):
    """~60 s of espeak-ng keywords over coloured noise (the fallback that needs no shared data)."""
    library_or_skip()
    if not sources.espeak_available():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): no synthetic stream")
    folder = tmp_path_factory.mktemp("synthetic")
    wav = folder / "stream.wav"
    assert cli.main(["build-stream", "--out", str(wav), "--source", "synthetic", "--noise", "coloured",
                     "--duration", "60", "--seed", "7", "--variants", "3", "--quiet"]) == 0
    return wav


def test_replay_reproduces_the_detector(synthetic_stream):
    from kws.runtime import Model
    pcm, rate = stream.read_wav(synthetic_stream)
    model = Model(MODEL)
    for settings in (detect.DetectorSettings(),
                     detect.DetectorSettings(min_consecutive=3, refractory_seconds=0.5,
                                             smoothing_seconds=0.5, sensitivity=0.7, stride_seconds=0.08)):
        fired, trace, _ = detect.run_detector(model, pcm, rate, settings)
        assert len(trace.frames) > 500 and np.all(np.diff(trace.frames) >= 0)
        keywords = evaluate.keywords_of(model)
        rows = [None] + [{k: v for k in keywords} for v in (0.3, 0.55)] + \
               [{k: (0.4 if i % 2 else 0.6) for i, k in enumerate(keywords)}]
        replayed = detect.replay(trace, model, settings, rows)
        assert detect.same_events(replayed[0], fired)
        for row, events in zip(rows[1:], replayed[1:]):
            rerun, _, _ = detect.run_detector(model, pcm, rate, settings, row, record=False)
            assert detect.same_events(events, rerun), row
        assert any(len(events) > 0 for events in replayed)


def test_run_end_to_end(synthetic_stream, tmp_path):
    out = tmp_path / "report"
    assert cli.main(["run", "--model", str(MODEL), "--stream", str(synthetic_stream), "--out", str(out),
                     "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    for key in ("model", "stream", "detector", "matching", "overall", "per_keyword", "det", "timing",
                "summary", "events"):
        assert key in report
    assert report["model"]["tau"] == 1.0 and report["stream"]["seed"] == 7
    assert report["det"]["method"] == "replay" and report["det"]["replay_verified"] is True
    assert set(report["per_keyword"]) == {"down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"}
    overall = report["overall"]
    assert overall["occurrences"] == 10
    assert overall["hits"] + overall["misses"] == 10
    assert overall["false_alarms"] + overall["hits"] == len(report["events"])
    assert report["summary"].startswith("bcresnet_tau1 (tau 1): ")
    assert "espeak-ng keywords at 5-20 dB SNR over coloured noise (seed 7)" in report["summary"]
    assert (out / "det.png").stat().st_size > 10000 and (out / "events.csv").exists()
    rows = list(csv.DictReader(open(out / "det.csv")))
    curve = sorted((float(r["threshold"]), float(r["miss_rate"]), float(r["fa_per_hour"]), int(r["hits"]),
                    int(r["false_alarms"])) for r in rows if r["label"] == "all")
    assert len(curve) == len(report["det"]["thresholds"]) > 20
    # The DET curve goes the right way: from the lowest to the highest threshold false alarms fall
    # and misses rise. (Event counts need not fall at every step: a label re-arms when its score
    # drops below the threshold, which a higher threshold makes more frequent.)
    events = [hits + fas for _, _, _, hits, fas in curve]
    assert events[0] >= max(events[len(events) // 2:])
    assert curve[0][2] >= curve[-1][2] and curve[0][1] <= curve[-1][1]
    assert curve[0][2] > 0 and curve[-1][2] == 0 and curve[-1][1] == 1.0
    # Operating points: the lowest miss within each FA/h target, read off the same curve.
    for point in report["det"]["operating_points"]:
        if point["label"] != "all":
            continue
        within = [c for c in curve if c[2] <= point["target_fa_per_hour"] + 1e-9]
        assert point["miss_rate"] == pytest.approx(min(c[1] for c in within), abs=1e-6)
        assert point["fa_per_hour"] <= point["target_fa_per_hour"] + 1e-9
    assert {p["target_fa_per_hour"] for p in report["det"]["operating_points"]} == {1.0, 0.1}
    # One uniform --threshold re-runs the detector at that value and agrees with the DET row.
    out2 = tmp_path / "uniform"
    assert cli.main(["run", "--model", str(MODEL), "--stream", str(synthetic_stream), "--out", str(out2),
                     "--threshold", "0.5", "--det-method", "none", "--quiet"]) == 0
    uniform = json.loads((out2 / "report.json").read_text())
    row = [r for r in rows if r["label"] == "all" and float(r["threshold"]) == 0.5][0]
    assert uniform["overall"]["false_alarms"] == int(row["false_alarms"])
    assert uniform["overall"]["hits"] == int(row["hits"])


def test_calibrate_end_to_end(synthetic_stream, tmp_path):
    from kws_training import modelfile
    from kws.runtime import Model
    thresholds = tmp_path / "thresholds.json"
    calibrated = tmp_path / "calibrated.kws"
    assert cli.main(["calibrate", "--model", str(MODEL), "--stream", str(synthetic_stream),
                     "--target-fa-per-hour", "600", "--out-thresholds", str(thresholds),
                     "--out-model", str(calibrated), "--quiet"]) == 0
    document = json.loads(thresholds.read_text())
    chosen = document["thresholds"]
    assert set(chosen) == set(evaluate.keywords_of(Model(MODEL)))
    achieved = document["achieved_on_calibration_stream"]
    for label, metrics in achieved["per_keyword"].items():
        assert metrics["fa_per_hour"] <= document["budget_fa_per_hour_per_keyword"] + 1e-9, label
    assert achieved["overall"]["fa_per_hour"] <= 600 + 1e-9
    assert modelfile.read_model_file(calibrated).thresholds == pytest.approx(chosen)
    assert Model(calibrated).thresholds == pytest.approx(chosen)
    # run --thresholds gives the same numbers as the calibrated model file.
    reports = []
    for args in (["--thresholds", str(thresholds), "--model", str(MODEL)], ["--model", str(calibrated)]):
        out = tmp_path / f"run{len(reports)}"
        assert cli.main(["run", "--stream", str(synthetic_stream), "--out", str(out), "--det-method",
                         "none", "--quiet"] + args) == 0
        reports.append(json.loads((out / "report.json").read_text()))
    assert reports[0]["overall"] == reports[1]["overall"] == achieved["overall"]


# ---- real recordings -----------------------------------------------------------------------------

def test_shared_data_stream(tmp_path):
    library_or_skip()
    data = sources.find_shared_data("gsc_v2_test_a")
    if data is None or sources.find_shared_data("noise") is None:
        pytest.skip("../shared/data (gsc_v2_test_a, noise) not found: the real-recording stream is "
                    "not tested here")
    wav = tmp_path / "gsc.wav"
    assert cli.main(["build-stream", "--out", str(wav), "--source", "gsc", "--noise", "shared",
                     "--duration", "45", "--seed", "1", "--quiet"]) == 0
    truth = json.loads(wav.with_suffix(".json").read_text())
    assert truth["noise"]["kind"] == "files" and truth["source"]["name"] == "gsc_v2_test_a"
    assert all(o["source"].startswith("gsc_v2_test_a/") for o in truth["occurrences"])
    assert all(5.0 <= o["snr_db"] <= 20.0 for o in truth["occurrences"])
    assert sum(truth["keyword_counts"].values()) == 8


def test_speaker_split(tmp_path):
    root = make_tone_source(tmp_path)
    assert sources.speaker_id("yes/0a7c2a8d_nohash_1.flac") == "0a7c2a8d"
    assert sources.speaker_id("backward_0a7c2a8d_nohash_1.flac") == "0a7c2a8d"
    fractions = {f"spk{i}": sources.speaker_fraction(f"spk{i}", "kws") for i in range(3)}
    cut = sorted(fractions.values())[1]
    low = sources.filter_speakers(sources.folder_source(root), "kws", 0.0, cut)
    high = sources.filter_speakers(sources.folder_source(root), "kws", cut, 1.0)
    speakers = lambda source: {sources.speaker_id(c.path) for clips in source.keywords.values() for c in clips}
    assert speakers(low) == {s for s, f in fractions.items() if f < cut}
    assert speakers(high) == {s for s, f in fractions.items() if f >= cut}
    assert not speakers(low) & speakers(high)
    assert all(low_ := [c for c in low.speech if fractions[sources.speaker_id(c.path)] < cut]) and \
        len(low_) == len(low.speech)


def test_other_firing_settings_replay_like_the_detector(synthetic_stream):
    """`tune` replays min_consecutive and refractory on posteriors recorded under other ones:
    the replay must give what the true detector gives with those settings."""
    pcm, rate = stream.read_wav(synthetic_stream)
    truth = stream.load_truth(synthetic_stream.with_suffix(".json"))
    recorded = evaluate.Evaluation(MODEL, pcm, rate, truth, detect.DetectorSettings())
    recorded.detect({k: 0.3 for k in evaluate.keywords_of(recorded.model)}, record=True)
    thresholds = {k: 0.3 for k in recorded.keywords}
    compared = 0
    for count, quiet in ((2, 0.3), (3, 1.5), (1, 0.0)):
        variant = recorded.with_firing(count, quiet)
        replayed = variant.events_at([thresholds], "replay")[0]
        rerun, _, _ = detect.run_detector(recorded.model, pcm, rate, variant.settings, thresholds,
                                          record=False)
        assert detect.same_events(replayed, rerun), (count, quiet)
        compared += len(rerun)
    assert compared > 0


def test_tune_ranks_every_combination(synthetic_stream, tmp_path, capsys):
    out = tmp_path / "tune.json"
    assert cli.main(["tune", "--model", str(MODEL), "--stream", str(synthetic_stream), "--quiet",
                     "--smoothing-values", "0.1,0.3", "--min-consecutive-values", "1,2",
                     "--refractory-values", "0.5,1", "--target-fa-per-hour", "1000", "--sweep", "0.05:0.5:10",
                     "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 8
    assert {(r["smoothing_seconds"], r["min_consecutive"], r["refractory_seconds"]) for r in rows} == \
        {(s, c, q) for s in (0.1, 0.3) for c in (1, 2) for q in (0.5, 1.0)}
    misses = [r["miss_rate"] for r in rows if r["miss_rate"] is not None]
    assert misses and misses == sorted(misses)
    assert "best at <= 1000 FA/h" in capsys.readouterr().out


def test_keyword_speakers_filter_only_the_keywords(tmp_path):
    """--keyword-speakers keeps keyword clips of its range; --speakers then filters only the other
    speech (a text-only wake word's test stream uses every recording of the word)."""
    root = make_tone_source(tmp_path)
    fractions = {f"spk{i}": sources.speaker_fraction(f"spk{i}", "kws") for i in range(3)}
    cut = sorted(fractions.values())[1]
    source = sources.filter_keyword_speakers(sources.folder_source(root), "kws", 0.0, 1.0)
    keyword_count = sum(len(c) for c in source.keywords.values())
    source = sources.filter_speakers(source, "kws", 0.0, cut, keywords_too=False)
    assert sum(len(c) for c in source.keywords.values()) == keyword_count
    assert source.speech and all(fractions[sources.speaker_id(c.path)] < cut for c in source.speech)
    with pytest.raises(sources.SourceError, match="no clips"):
        sources.filter_keyword_speakers(sources.folder_source(root), "kws", 0.999999, 1.0)
