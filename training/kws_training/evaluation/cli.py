"""Command line: build-stream, run, calibrate (python -m kws_training.evaluation COMMAND --help)."""
import argparse
import json
import pathlib
import sys
import time
from typing import List, Optional

import numpy as np

from . import detect, evaluate, sources, stream
from .detect import DetectorSettings


def _duration(text: str) -> float:
    """Seconds from "90", "90s", "30m", "1h", "1.5h"."""
    text = text.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(text[-1:], None)
    value = float(text[:-1]) if scale else float(text)
    seconds = value * (scale or 1.0)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("duration must be positive")
    return seconds


def _pair(text: str):
    parts = [float(x) for x in text.replace(":", ",").split(",")]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise argparse.ArgumentTypeError("expected LOW,HIGH (dB)")
    return tuple(sorted(parts))


def _sweep(text: str) -> np.ndarray:
    """"0.1,0.5,0.9" or "start:stop:count"."""
    if ":" in text:
        start, stop, count = text.split(":")
        return np.linspace(float(start), float(stop), int(count))
    return np.array(sorted(float(x) for x in text.split(",")))


def _detector_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("detector (kws.Detector options)")
    defaults = DetectorSettings()
    group.add_argument("--stride", type=float, default=defaults.stride_seconds, help="evaluation cadence, s (default %(default)s)")
    group.add_argument("--window", type=float, default=defaults.window_seconds, help="analysis window, s; 0 = the model's (default)")
    group.add_argument("--smoothing", type=float, default=defaults.smoothing_seconds, help="posterior averaging span, s (default %(default)s)")
    group.add_argument("--sensitivity", type=float, default=defaults.sensitivity, help="0..1; effective threshold = threshold^(2 sensitivity) (default %(default)s)")
    group.add_argument("--refractory", type=float, default=defaults.refractory_seconds, help="no event for this long after one, s (default %(default)s)")
    group.add_argument("--min-consecutive", type=int, default=defaults.min_consecutive, help="evaluations in a row above threshold (default %(default)s)")
    group.add_argument("--default-threshold", type=float, default=defaults.default_threshold, help="for labels without a threshold in the model or --thresholds (default %(default)s)")
    group.add_argument("--backend", default=defaults.backend, choices=("default", "reference", "eigen", "onednn"))


def _settings(args) -> DetectorSettings:
    return DetectorSettings(stride_seconds=args.stride, window_seconds=args.window,
                            smoothing_seconds=args.smoothing, sensitivity=args.sensitivity,
                            refractory_seconds=args.refractory, min_consecutive=args.min_consecutive,
                            default_threshold=args.default_threshold, backend=args.backend)


def _load_stream(args):
    pcm, rate = stream.read_wav(pathlib.Path(args.stream))
    truth_path = pathlib.Path(args.truth) if args.truth else stream.truth_paths(pathlib.Path(args.stream))[0]
    if not truth_path.exists():
        raise SystemExit(f"ground truth {truth_path} not found (give --truth FILE.json or FILE.csv)")
    truth = stream.load_truth(truth_path)
    if truth.get("sample_rate") not in (None, rate) or truth.get("num_samples") not in (None, len(pcm)):
        raise SystemExit(f"{truth_path} does not describe {args.stream} (rate/length differ)")
    return pcm, rate, truth, truth_path


# ---- build-stream --------------------------------------------------------------------------------

def cmd_build_stream(args) -> int:
    keywords = args.keywords.split(",") if args.keywords else None
    try:
        source = sources.open_source(args.source, keywords, variants=args.variants)
        if args.keyword_speakers:
            source = sources.filter_keyword_speakers(source, *sources.parse_speakers(args.keyword_speakers))
        if args.speakers:
            source = sources.filter_speakers(source, *sources.parse_speakers(args.speakers),
                                             keywords_too=not args.keyword_speakers)
        if args.other_speech:
            source = sources.add_other_speech(source, args.other_speech.split(","))
        noise = sources.open_noise(args.noise, source)
    except sources.SourceError as error:
        print(f"build-stream: {error}", file=sys.stderr)
        return 2
    config = stream.StreamConfig(duration_s=args.duration, keywords_per_minute=args.keywords_per_minute,
                                 speech_per_minute=args.speech_per_minute,
                                 sentences_per_minute=args.sentences_per_minute, snr_db=args.snr,
                                 min_gap_s=args.min_gap, sample_rate=args.sample_rate, seed=args.seed,
                                 noise_level_dbfs=args.noise_level, pad_s=args.pad)
    started = time.perf_counter()
    try:
        pcm, truth = stream.build_stream(source, noise, config, show_progress=not args.quiet)
    except ValueError as error:
        print(f"build-stream: {error}", file=sys.stderr)
        return 2
    finally:
        source.close()
    json_path, csv_path = stream.write_stream(pathlib.Path(args.out), pcm, truth)
    counts = ", ".join(f"{k} {v}" for k, v in truth["keyword_counts"].items())
    speech = sum(1 for o in truth["occurrences"] if o["kind"] == "speech")
    speech_s = sum(o["end_s"] - o["start_s"] for o in truth["occurrences"] if o["kind"] == "speech")
    print(f"{args.out}: {truth['duration_s'] / 60:.1f} min at {truth['sample_rate']} Hz, "
          f"{sum(truth['keyword_counts'].values())} keywords ({counts}), {speech} other utterances "
          f"({speech_s / 60:.1f} min of other speech), "
          f"{source.description} over {noise.description}, SNR {config.snr_db[0]:g}-{config.snr_db[1]:g} dB, "
          f"seed {config.seed} ({time.perf_counter() - started:.1f} s)")
    print(f"ground truth: {json_path}, {csv_path}")
    return 0


# ---- run -----------------------------------------------------------------------------------------

def cmd_run(args) -> int:
    pcm, rate, truth, truth_path = _load_stream(args)
    settings = _settings(args)
    evaluation = evaluate.Evaluation(args.model, pcm, rate, truth, settings, args.tolerance,
                                     show_progress=not args.quiet)
    thresholds = evaluate.load_thresholds(args.thresholds)
    if args.threshold is not None:
        thresholds = evaluation.uniform(args.threshold)
    unknown = sorted(set(thresholds) - set(evaluation.model.labels))
    if unknown:
        raise SystemExit(f"--thresholds names labels the model lacks: {unknown}")
    out = pathlib.Path(args.out) if args.out else \
        pathlib.Path(args.stream).with_name(f"{pathlib.Path(args.stream).stem}_{pathlib.Path(args.model).stem}")
    out.mkdir(parents=True, exist_ok=True)

    model_info = evaluate.model_info(evaluation.model_path, evaluation.model)
    gt_labels = sorted({o["label"] for o in truth["occurrences"] if o.get("kind", "keyword") == "keyword"})
    not_in_model = [label for label in gt_labels if label not in evaluation.keywords]
    if not_in_model:
        print(f"warning: the stream's keywords {not_in_model} are not labels of the model; they "
              f"are not scored (events during them count as substitutions)", file=sys.stderr)

    fired, wall = evaluation.detect(thresholds, record=args.det_method == "replay")
    result, metrics = evaluation.score(fired)
    audio_hours = evaluation.duration_s / 3600.0

    det_rows, det_method, det_wall = [], None, 0.0
    if args.det_method != "none":
        det_method = evaluation.resolve_method(args.det_method)
        if det_method != args.det_method:
            print("warning: the posterior replay did not reproduce the detector's events; "
                  "re-running the detector for each threshold instead", file=sys.stderr)
        values = args.sweep if args.sweep is not None else detect.default_sweep()
        started = time.perf_counter()
        det_rows = evaluation.sweep(values, det_method)
        det_wall = time.perf_counter() - started
        evaluate.write_det_csv(out / "det.csv", det_rows)

    effective = detect.effective_thresholds(evaluation.model, settings, thresholds)
    used = {label: float(effective[k]) for k, label in enumerate(evaluation.model.labels)
            if not label.startswith("_")}
    report = {
        "model": model_info,
        "stream": {"wav": str(args.stream), "truth": str(truth_path), "duration_s": evaluation.duration_s,
                   "sample_rate": rate, "seed": truth.get("seed"), "config": truth.get("config"),
                   "source": truth.get("source"), "noise": truth.get("noise"),
                   "keywords_not_in_model": not_in_model},
        "detector": dict(settings.kwargs(), thresholds_given=thresholds,
                         effective_thresholds=used, thresholds_file=args.thresholds),
        "matching": {"tolerance_s": args.tolerance, "rule": evaluate_rule()},
        "overall": metrics["overall"], "per_keyword": metrics["per_keyword"],
        "det": {"method": det_method, "replay_verified": evaluation.replay_verified,
                "thresholds": sorted({r["threshold"] for r in det_rows}),
                "curves": _curves(det_rows), "csv": "det.csv" if det_rows else None,
                "operating_points": evaluate.operating_points(det_rows, args.operating_points),
                "png": "det.png" if det_rows else None},
        "timing": {"audio_s": evaluation.duration_s, "detector_wall_s": wall,
                   "detector_wall_s_per_audio_hour": wall / audio_hours if audio_hours else None,
                   "realtime_factor": wall / evaluation.duration_s if evaluation.duration_s else None,
                   "det_wall_s": det_wall},
        "libkws": _libkws_info(),
        "events": result.events,
    }
    report["summary"] = evaluate.summary_line(model_info, truth, metrics["overall"], evaluation.duration_s)
    if det_rows:
        try:
            evaluate.plot_det(out / "det.png", det_rows, report["summary"],
                              (metrics["overall"]["fa_per_hour"], metrics["overall"]["miss_rate"])
                              if metrics["overall"]["miss_rate"] is not None else None)
        except ImportError:
            report["det"]["png"] = None
            print("warning: matplotlib is not installed (apt-get install python3-matplotlib): "
                  "no det.png", file=sys.stderr)
    evaluate.write_events_csv(out / "events.csv", result.events)
    (out / "report.json").write_text(json.dumps(report, indent=1, default=_json_default) + "\n")

    print(evaluate.table(metrics))
    print(f"detector: {wall:.1f} s for {evaluation.duration_s / 60:.1f} min of audio "
          f"({wall / audio_hours:.0f} s per hour of audio); DET ({det_method}, "
          f"{len(report['det']['thresholds'])} thresholds): {det_wall:.1f} s")
    for point in report["det"]["operating_points"]:  # every label's are in report.json
        if point["label"] != "all":
            continue
        if point["miss_rate"] is None:
            print(f"DET: no threshold of the sweep reaches {point['target_fa_per_hour']:g} FA/h")
            continue
        print(f"DET: {100 * point['miss_rate']:.1f}% miss at <= "
              f"{point['target_fa_per_hour']:g} FA/h (threshold {point['threshold']:g}, "
              f"{point['false_alarms']} false alarms, {point['hits']}/{point['occurrences']} hits; "
              "threshold picked on this stream)")
    print(f"wrote {out}/report.json, events.csv" + (", det.csv, det.png" if det_rows else ""))
    print(report["summary"])
    return 0


def _rates(text: str) -> tuple:
    rates = tuple(float(x) for x in text.split(",") if x.strip())
    if not rates or any(r < 0 for r in rates):
        raise argparse.ArgumentTypeError(f"{text!r}: expected non-negative FA/h values, e.g. 1,0.1")
    return rates


def evaluate_rule() -> str:
    from . import scoring
    return " ".join(scoring.__doc__.split("\n\n")[1].split())


def _curves(rows) -> dict:
    curves = {}
    for r in rows:
        curves.setdefault(r["label"], []).append(
            {k: r[k] for k in ("threshold", "miss_rate", "fa_per_hour", "hits", "false_alarms", "occurrences")})
    return curves


def _libkws_info() -> dict:
    from kws import runtime
    return {"version": runtime.version(), "build_info": runtime.build_info()}


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value)}")


# ---- calibrate -----------------------------------------------------------------------------------

def cmd_calibrate(args) -> int:
    pcm, rate, truth, truth_path = _load_stream(args)
    settings = _settings(args)
    if settings.sensitivity <= 0:
        raise SystemExit("--sensitivity 0 makes every threshold 1; calibrate at a sensitivity > 0")
    evaluation = evaluate.Evaluation(args.model, pcm, rate, truth, settings, args.tolerance,
                                     show_progress=not args.quiet)
    started = time.perf_counter()
    evaluation.detect(None, record=True, label="calibration pass")
    calibration = evaluate.calibrate(evaluation, args.target_fa_per_hour, args.scope,
                                     args.sweep if args.sweep is not None else None)
    thresholds = calibration["thresholds"]
    # What the true detector achieves at the chosen thresholds on this stream.
    fired, _ = evaluation.detect(thresholds, record=False, label="check")
    _, metrics = evaluation.score(fired)
    elapsed = time.perf_counter() - started
    out = pathlib.Path(args.out_thresholds) if args.out_thresholds else \
        pathlib.Path(args.model).with_suffix(".thresholds.json")
    document = {
        "thresholds": thresholds,
        "target_fa_per_hour": args.target_fa_per_hour, "scope": args.scope,
        "budget_fa_per_hour_per_keyword": calibration["budget_fa_per_hour_per_keyword"],
        "detector": settings.kwargs(), "tolerance_s": args.tolerance,
        "model": str(args.model), "calibration_stream": str(args.stream),
        "calibration_seed": truth.get("seed"),
        "calibration_source": (truth.get("source") or {}).get("description"),
        "method": calibration["method"], "rounds": calibration["rounds"],
        "achieved_on_calibration_stream": {"overall": metrics["overall"],
                                           "per_keyword": metrics["per_keyword"]},
        "note": "thresholds are the values before sensitivity (what kws.Detector(thresholds=...) "
                "and the model file's metadata take); calibrated at the sensitivity in 'detector'",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1, default=_json_default) + "\n")
    if args.out_model:
        from .. import modelfile
        model_file = modelfile.read_model_file(args.model)
        metadata = dict(model_file.metadata)
        metadata["thresholds"] = json.dumps({k: float(v) for k, v in thresholds.items()},
                                            separators=(",", ":"))
        modelfile.write_model_file(args.out_model, model_file.tensors, metadata)
    print(evaluate.table(metrics))
    print("thresholds: " + ", ".join(f"{k} {v:.4g}" for k, v in thresholds.items()))
    never = [k for k, v in thresholds.items() if v >= 1.0]
    if never:
        print(f"warning: {never} could not meet the budget on the grid and were set to 1.0 "
              f"(they practically never fire)", file=sys.stderr)
    overall = metrics["overall"]
    miss = f"{100 * overall['miss_rate']:.1f}%" if overall["miss_rate"] is not None else "-"
    print(f"calibrated for {args.target_fa_per_hour:g} FA/h ({args.scope}) on {args.stream} "
          f"(seed {truth.get('seed')}): {miss} miss at {overall['fa_per_hour']:.2f} FA/h on that stream "
          f"({elapsed:.1f} s); wrote {out}" + (f" and {args.out_model}" if args.out_model else ""))
    return 0


# ---- tune ----------------------------------------------------------------------------------------

def _numbers(kind):
    def parse(text: str) -> tuple:
        try:
            values = tuple(kind(x) for x in text.split(",") if x.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated numbers")
        if not values or any(v < 0 for v in values):
            raise argparse.ArgumentTypeError(f"{text!r}: expected non-negative numbers")
        return values
    return parse


def tune_detector(model_path, pcm, rate, truth, base: DetectorSettings, smoothing, min_consecutive,
                  refractory, target_fa_per_hour: float, tolerance: float = 1.0,
                  show_progress: bool = False, values: Optional[np.ndarray] = None) -> List[dict]:
    """The DET of every combination of the detector's firing settings on one stream: one
    recorded detector pass per smoothing span, the others replayed on its posteriors. Per
    combination: the lowest miss rate of the uniform-threshold sweep within the target false-alarm
    rate (picked on this stream: use a calibration stream, not the test stream), sorted best
    first. ``values``: the thresholds swept (default: the DET grid from 0.5 up, where a few
    false alarms an hour live; low thresholds fire thousands of times and cost the most)."""
    import dataclasses
    if values is None:
        grid = detect.default_sweep()
        values = grid[grid >= 0.5]
    rows = []
    for smooth in smoothing:
        settings = dataclasses.replace(base, smoothing_seconds=float(smooth))
        recorded = evaluate.Evaluation(model_path, pcm, rate, truth, settings, tolerance,
                                       show_progress=show_progress)
        recorded.detect(None, record=True, label=f"smoothing {smooth:g} s")
        if not recorded.replay_verified:
            raise RuntimeError("the posterior replay did not reproduce the detector")
        for count in min_consecutive:
            for quiet in refractory:
                evaluation = recorded.with_firing(count, quiet)
                sweep = evaluation.sweep(values, "replay")
                point = next(p for p in evaluate.operating_points(sweep, (target_fa_per_hour,))
                             if p["label"] == "all")
                rows.append({"smoothing_seconds": float(smooth), "min_consecutive": int(count),
                             "refractory_seconds": float(quiet), **point})
    return sorted(rows, key=lambda r: (r["miss_rate"] is None, r["miss_rate"] or 0.0))


def cmd_tune(args) -> int:
    pcm, rate, truth, _ = _load_stream(args)
    started = time.perf_counter()
    rows = tune_detector(args.model, pcm, rate, truth, _settings(args), args.smoothing_values,
                         args.min_consecutive_values, args.refractory_values,
                         args.target_fa_per_hour, args.tolerance, show_progress=not args.quiet,
                         values=args.sweep)
    print(f"{'smoothing s':>12}{'min_consecutive':>16}{'refractory s':>13}{'miss %':>8}"
          f"{'FA/h':>7}{'threshold':>10}")
    for r in rows:
        miss = f"{100 * r['miss_rate']:.1f}" if r["miss_rate"] is not None else "-"
        fa = f"{r['fa_per_hour']:.2f}" if r["fa_per_hour"] is not None else "-"
        threshold = f"{r['threshold']:.4g}" if r["threshold"] is not None else "-"
        print(f"{r['smoothing_seconds']:>12g}{r['min_consecutive']:>16}{r['refractory_seconds']:>13g}"
              f"{miss:>8}{fa:>7}{threshold:>10}")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps({"stream": str(args.stream), "model": str(args.model),
                                                      "target_fa_per_hour": args.target_fa_per_hour,
                                                      "rows": rows}, indent=1, default=_json_default) + "\n")
    print(f"best at <= {args.target_fa_per_hour:g} FA/h on {args.stream} (uniform threshold, picked "
          f"on this stream): smoothing {rows[0]['smoothing_seconds']:g} s, min_consecutive "
          f"{rows[0]['min_consecutive']}, refractory {rows[0]['refractory_seconds']:g} s "
          f"({time.perf_counter() - started:.0f} s)")
    return 0


# ---- parser --------------------------------------------------------------------------------------

# ---- spot ----------------------------------------------------------------------------------------

def _stream_at(path: str):
    pcm, rate = stream.read_wav(pathlib.Path(path))
    truth = stream.load_truth(stream.truth_paths(pathlib.Path(path))[0])
    return pcm, rate, truth


def cmd_spot(args) -> int:
    from . import spot

    keywords = [k.strip() for k in args.keywords.split(",") if k.strip()]
    options = {"refractory_seconds": args.refractory, "backend": args.backend}
    report: dict = {"model": str(args.model), "keywords": keywords, "libkws": _libkws_info(),
                    "rule": evaluate_rule(), "candidate_threshold": spot.CANDIDATE_THRESHOLD}
    threshold = args.threshold
    if args.calibration_stream:
        pcm, rate, truth = _stream_at(args.calibration_stream)
        calibration = spot.evaluate_stream(args.model, pcm, rate, truth, keywords, args.tolerance, **options)
        threshold = spot.calibrated_threshold(calibration["rows"], args.target_fa_per_hour)
        report["calibration"] = {"stream": args.calibration_stream, "target_fa_per_hour": args.target_fa_per_hour,
                                 "threshold": threshold}
        if threshold is None:
            raise SystemExit(f"no threshold keeps {args.calibration_stream} within {args.target_fa_per_hour} FA/h")
    pcm, rate, truth = _stream_at(args.stream)
    test = spot.evaluate_stream(args.model, pcm, rate, truth, keywords, args.tolerance, **options)
    rows = test["rows"]
    report["stream"] = {"path": args.stream, "duration_s": test["duration_s"],
                        "occurrences": sum(1 for o in truth["occurrences"]
                                           if o.get("kind", "keyword") == "keyword" and o["label"] in keywords)}
    report["cost_ms_per_audio_second"] = round(test["cost_ms_per_audio_second"], 4)
    report["det"] = {"operating_points": evaluate.operating_points(rows, args.operating_points)}
    line = f"{pathlib.Path(args.model).name} {','.join(keywords)}:"
    if threshold is not None:
        swept = min((r for r in rows if r["label"] == "all" and r["threshold"] >= threshold),
                    key=lambda r: r["threshold"], default=None)
        real = spot.verify(args.model, pcm, rate, truth, keywords, threshold, args.tolerance, **options)
        report["at_threshold"] = {"threshold": threshold, "run": real,
                                  "swept": {k: swept[k] for k in ("miss_rate", "fa_per_hour")} if swept else None}
        line += f" threshold {threshold:.3f}: miss {100 * real['miss_rate']:.1f} % at {real['fa_per_hour']:.2f} FA/h;"
    points = {p["target_fa_per_hour"]: p for p in report["det"]["operating_points"] if p["label"] == "all"}
    line += " DET: " + ", ".join(
        f"miss {100 * p['miss_rate']:.1f} % at {t:g} FA/h" if p["miss_rate"] is not None else f"none within {t:g} FA/h"
        for t, p in points.items())
    line += f" ({report['stream']['occurrences']} keywords, {test['duration_s'] / 3600:.1f} h; " \
            f"{report['cost_ms_per_audio_second']:.2f} ms per audio second)"
    report["summary"] = line
    if args.out:
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(report, indent=1, default=_json_default) + "\n")
        evaluate.write_det_csv(out / "det.csv", rows)
    print(line)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m kws_training.evaluation",
                                  description="Evaluate libkws's streaming keyword detector on long audio.")
    commands = top.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build-stream", help="build a long test stream and its ground truth",
                                description="Keyword clips and non-keyword speech inserted at random "
                                "times into background noise at random SNRs; deterministic from "
                                "--seed. Writes OUT (16-bit WAV), OUT.json and OUT.csv (ground truth).")
    build.add_argument("--out", required=True, help="the WAV to write (ground truth beside it)")
    build.add_argument("--source", default="auto", help="auto (gsc if ../shared/data is present, else "
                       "synthetic), gsc (gsc_v2_test_a keywords, its _unknown_ as other speech), "
                       "computer or alexa (wake-word recordings), synthetic (espeak-ng), or a folder "
                       "with one subfolder per label (_unknown_ = other speech)")
    build.add_argument("--keywords", help="comma-separated keyword labels to use (default: all the "
                       "source's; with a folder, the other word folders become other speech)")
    build.add_argument("--speakers", help="SALT:LOW:HIGH: only speakers whose sha1(SALT + speaker) "
                       "fraction is in [LOW, HIGH) (Speech Commands speaker = the hash before _nohash_; "
                       "other files: the name before the first '_'). kws:0:0.3 = the speakers "
                       "kws_training.recipe validates commands_en on; use disjoint ranges for calibration "
                       "and test streams")
    build.add_argument("--keyword-speakers", help="SALT:LOW:HIGH for the keyword clips alone (then "
                       "--speakers filters only the other speech); kws:0:1 keeps every recording")
    build.add_argument("--noise", default="auto", help="auto (shared noise recordings, else "
                       "coloured), shared, coloured, or a noise file or folder")
    build.add_argument("--duration", type=_duration, default=600.0, help="e.g. 600, 60m, 1h (default 10 min)")
    build.add_argument("--keywords-per-minute", type=float, default=10.0)
    build.add_argument("--speech-per-minute", type=float, default=5.0, help="non-keyword words per minute")
    build.add_argument("--other-speech", help="comma-separated other speech from ../shared/data added "
                       "to the source: " + ", ".join(f"{k} ({v[2]})" for k, v in sources.OTHER_SPEECH.items())
                       + "; NAME:SALT:LOW:HIGH keeps those speakers (as --speakers, which does not apply to these)")
    build.add_argument("--sentences-per-minute", type=float, default=0.0,
                       help="long utterances (--other-speech librispeech) per minute, each placed whole")
    build.add_argument("--snr", type=_pair, default=(5.0, 20.0), help="SNR range in dB, LOW,HIGH (default 5,20)")
    build.add_argument("--min-gap", type=float, default=2.0, help="seconds of background between items (default 2)")
    build.add_argument("--sample-rate", type=int, default=16000)
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--noise-level", type=float, default=-40.0, help="background RMS, dBFS (default -40)")
    build.add_argument("--pad", type=float, default=0.1, help="audio kept around each clip's speech, s")
    build.add_argument("--variants", type=int, default=6, help="synthetic source: voices per keyword")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=cmd_build_stream)

    run = commands.add_parser("run", help="run a model's detector over a stream and score it",
                              description="Runs kws.Detector over STREAM, matches its events with the "
                              "ground truth (" + evaluate_rule() + ") and writes report.json, events.csv, "
                              "det.csv and det.png into --out.")
    run.add_argument("--model", required=True)
    run.add_argument("--stream", required=True, help="WAV from build-stream")
    run.add_argument("--truth", help="ground truth (default: the stream's .json)")
    run.add_argument("--out", help="output folder (default: STREAM_MODEL beside the stream)")
    run.add_argument("--thresholds", help="JSON of per-label thresholds (from calibrate, or {label: value})")
    run.add_argument("--threshold", type=float, help="one threshold for every keyword (overrides --thresholds)")
    run.add_argument("--tolerance", type=float, default=1.0, help="s after a keyword's end an event may still match it (default 1)")
    run.add_argument("--det-method", choices=("replay", "rerun", "none"), default="replay",
                     help="DET sweep: replay the event logic on the detector's recorded posteriors "
                     "(default; checked against the detector), rerun the detector per threshold, or none")
    run.add_argument("--sweep", type=_sweep, help="DET thresholds: a,b,c or start:stop:count")
    run.add_argument("--operating-points", type=_rates, default=(1.0, 0.1),
                     help="FA/h targets: the DET's lowest miss rate within each (default 1,0.1)")
    run.add_argument("--name", help=argparse.SUPPRESS)
    run.add_argument("--quiet", action="store_true")
    _detector_flags(run)
    run.set_defaults(func=cmd_run)

    cal = commands.add_parser("calibrate", help="pick per-keyword thresholds for a target false-alarm rate",
                              description="Chooses per-keyword thresholds on a CALIBRATION stream so "
                              "that false alarms stay within --target-fa-per-hour. Build the calibration "
                              "stream with a different --seed (better: different clips or noise) than the "
                              "test stream, or the test figures are optimistic. Writes a thresholds JSON "
                              "for `run --thresholds` / kws.Detector(thresholds=...) and, with "
                              "--out-model, a copy of the model with them in its metadata.")
    cal.add_argument("--model", required=True)
    cal.add_argument("--stream", required=True, help="calibration WAV from build-stream (not the test stream)")
    cal.add_argument("--truth")
    cal.add_argument("--target-fa-per-hour", type=float, required=True)
    cal.add_argument("--scope", choices=("total", "keyword"), default="total",
                     help="total: the target is for all keywords together, split evenly (default); "
                     "keyword: each keyword may have the target rate")
    cal.add_argument("--out-thresholds", help="thresholds JSON to write (default MODEL.thresholds.json)")
    cal.add_argument("--out-model", help="also write a copy of the model with these thresholds")
    cal.add_argument("--tolerance", type=float, default=1.0)
    cal.add_argument("--sweep", type=_sweep, help="candidate thresholds (default: the DET grid)")
    cal.add_argument("--quiet", action="store_true")
    _detector_flags(cal)
    cal.set_defaults(func=cmd_calibrate)

    tune = commands.add_parser("tune", help="compare the detector's firing settings on a stream",
                               description="For every combination of --smoothing-values, "
                               "--min-consecutive-values and --refractory-values: the lowest miss "
                               "rate of the DET (one threshold for all keywords) within "
                               "--target-fa-per-hour. One detector pass per smoothing span; the "
                               "rest is replayed. Tune on a calibration stream, report on another.")
    tune.add_argument("--model", required=True)
    tune.add_argument("--stream", required=True)
    tune.add_argument("--truth")
    tune.add_argument("--target-fa-per-hour", type=float, default=1.0)
    tune.add_argument("--smoothing-values", type=_numbers(float), default=(0.1, 0.3, 0.5, 1.0))
    tune.add_argument("--min-consecutive-values", type=_numbers(int), default=(1, 2, 3))
    tune.add_argument("--refractory-values", type=_numbers(float), default=(0.3, 0.5, 1.0))
    tune.add_argument("--tolerance", type=float, default=1.0)
    tune.add_argument("--sweep", type=_sweep, help="thresholds: a,b,c or start:stop:count (default: "
                      "the DET grid from 0.5 up)")
    tune.add_argument("--out", help="also write the rows as JSON")
    tune.add_argument("--quiet", action="store_true")
    _detector_flags(tune)
    tune.set_defaults(func=cmd_tune)

    spot = commands.add_parser("spot", help="score open-vocabulary keywords (kws.Spotter, CTC model) on a stream",
                               description="Runs kws.Spotter with KEYWORDS given as text over STREAM and "
                               "scores its events (" + evaluate_rule() + "). The DET comes from one pass "
                               "at a low threshold (evaluation.spot); --calibration-stream picks the "
                               "threshold for --target-fa-per-hour on another stream (the honest figure), "
                               "re-run for real on STREAM.")
    spot.add_argument("--model", required=True, help="a CTC phoneme model (bcresnet_ctc)")
    spot.add_argument("--keywords", required=True, help='comma-separated text, e.g. "computer,hey jarvis"')
    spot.add_argument("--stream", required=True)
    spot.add_argument("--calibration-stream", help="choose the threshold on this stream")
    spot.add_argument("--target-fa-per-hour", type=float, default=0.5)
    spot.add_argument("--threshold", type=float, help="score at this threshold too (without a calibration stream)")
    spot.add_argument("--operating-points", type=_rates, default=(1.0, 0.5))
    spot.add_argument("--refractory", type=float, default=0.5)
    spot.add_argument("--backend", default="default")
    spot.add_argument("--tolerance", type=float, default=1.0)
    spot.add_argument("--out", help="write report.json and det.csv here")
    spot.set_defaults(func=cmd_spot)
    return top


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)
