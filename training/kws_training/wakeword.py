"""A wake word from text, in one command: synthesise it, train it on the speech backbone,
calibrate its threshold on a stream of real other speech, export a libkws model file.

    PYTHONPATH=bindings/python:training python3 -m kws_training.wakeword "hey jarvis" --out hey_jarvis.kws

1. **Synthesis**: renders of the text by every installed TTS engine and voice (espeak-ng, flite,
   festival; recipe.synth), plus renders of close and common words and running sentences.
2. **Training** (recipe.train --task wakeword): BC-ResNet started from the speech backbone, a word
   classifier pre-trained on real voices (examples/models/speech_backbone.kws, made by
   ``recipe.train --task speech_backbone``); the stem and first stages stay as trained, so the
   features are those of real speech; a domain-adversarial head keeps synthetic and real negatives
   apart from the keyword decision. Negatives are synthetic and real speech in proportion
   (recipe.dataset.WAKEWORD_SHARE; real speech from ../shared/data where present).
   A second phase follows (``--hard-negatives N``, 2000 by default; 0 skips it): the trained
   model, run by libkws's detector, scores every second of the real negative speech, and its N
   strongest false alarms at most (recipe.mining) are 12 % of each of ``--hard-negative-epochs``
   more epochs at a fifth of the learning rate (README: this made the threshold transfer from
   the calibration to the test speakers, 11-15 points fewer misses).
3. **Calibration** (evaluation calibrate): the threshold at which the detector raises at most
   ``--target-fa-per-hour`` false alarms on a stream of real other speech (LibriSpeech readers and
   Arabic speakers that neither the backbone nor the wake word trained on), stored in the model.

It prints what each stage took and what it measured. Without ../shared/data it still trains
(synthetic negatives only) and calibrates on synthetic speech, and says that the threshold then
is not for real rooms.
"""
import argparse
import json
import os
import pathlib
import re
import sys
import time
from typing import List, Optional

from .shared_data import REPO_ROOT, find as find_shared_data

DEFAULT_BACKBONE = REPO_ROOT / "examples" / "models" / "speech_backbone.kws"
#: The calibration stream's other speech: speakers below recipe.dataset.WAKEWORD_HELDOUT that
#: the test streams do not use (README, wake-word model cards).
CALIBRATION_SPEECH = "librispeech:kws:0:0.2,arabic:kws:0:0.5"
CALIBRATION_HOURS = 3


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m kws_training.wakeword",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("text", help='the wake word, e.g. "computer" or "hey jarvis"')
    p.add_argument("--out", type=pathlib.Path, required=True, help="the model file to write")
    p.add_argument("--backbone", type=pathlib.Path, default=DEFAULT_BACKBONE)
    p.add_argument("--target-fa-per-hour", type=float, default=0.5,
                   help="false alarms per hour of other speech the threshold allows (default 0.5)")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--freeze-stages", type=int, default=2)
    p.add_argument("--domain-adversarial", type=float, default=0.3)
    p.add_argument("--voice-augmentation", type=float, default=0.5)
    p.add_argument("--keyword-renders", type=int, default=1000)
    p.add_argument("--hard-negatives", type=int, default=2000,
                   help="mine up to this many hard negatives from real speech and train on them "
                        "in a second phase (default 2000; 0: no second phase; needs ../shared/data)")
    p.add_argument("--hard-negative-epochs", type=int, default=4)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--run-dir", type=pathlib.Path,
                   help="work folder (default runs/wakeword-<text>); resumable")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p.parse_args(argv)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "wakeword"


def check_text(text: str) -> str:
    text = " ".join(text.split())
    if not text or len(text) > 64 or text.startswith("_"):
        raise SystemExit(f"wakeword: {text!r}: give 1-64 characters of words (not starting with '_')")
    return text


def main(argv: Optional[List[str]] = None) -> int:
    from .evaluation import cli as evaluation
    from .recipe import train

    args = parse_args(argv)
    text = check_text(args.text)
    if not args.backbone.exists():
        print(f"wakeword: backbone {args.backbone} not found (train one with python3 -m "
              f"kws_training.recipe.train --task speech_backbone)", file=sys.stderr)
        return 2
    from .modelfile import read_model_file
    tau = read_model_file(args.backbone).tau
    run_dir = args.run_dir or REPO_ROOT / "runs" / f"wakeword-{slug(text)}"
    run_dir.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    shared = find_shared_data() is not None
    quiet = ["--quiet"] if args.quiet else []
    stages = {}

    started = time.time()
    train_args_list = (
        ["--task", "wakeword", "--keyword", text, "--tau", str(tau), "--epochs", str(args.epochs),
         "--warmup-epochs", "1", "--lr", str(args.lr), "--backbone", str(args.backbone),
         "--freeze-stages", str(args.freeze_stages), "--domain-adversarial", str(args.domain_adversarial),
         "--voice-augmentation", str(args.voice_augmentation),
         "--keyword-renders", str(args.keyword_renders), "--negatives", "300", "--negative-renders", "8",
         "--threads", str(args.threads), "--seed", str(args.seed), "--run-dir", str(run_dir), "--resume",
         "--description", f"wake word {text!r} from text (kws_training.wakeword): BC-ResNet-{tau} on "
                          f"the speech backbone, {args.epochs} epochs"] + quiet)
    train_args = train.parse_args(train_args_list)
    train.train(train_args)
    stages["synthesis and training"] = time.time() - started
    model_dir = run_dir
    if args.hard_negatives > 0 and shared:
        started = time.time()
        model_dir = run_dir / "hard_negatives"
        first = str(run_dir / "model.kws")
        # The first phase's arguments, later ones overriding: the same data and frozen stages.
        train.train(train.parse_args(
            train_args_list + ["--epochs", str(args.hard_negative_epochs), "--warmup-epochs", "0",
                               "--lr", str(args.lr / 5), "--init", first, "--mine-with", first,
                               "--mined-negatives", str(args.hard_negatives), "--run-dir", str(model_dir),
                               "--description", f"wake word {text!r} from text (kws_training.wakeword): "
                                                f"BC-ResNet-{tau} on the speech backbone, {args.epochs} epochs, "
                                                f"then {args.hard_negative_epochs} with mined hard negatives"]))
        stages["hard negatives"] = time.time() - started

    started = time.time()
    stream = run_dir / "calibration.wav"
    build = ["build-stream", "--out", str(stream), "--source", "synthetic", "--keywords", text,
             "--noise", "auto", "--duration", f"{CALIBRATION_HOURS}h", "--keywords-per-minute", "0.5",
             "--speech-per-minute", "4", "--min-gap", "1.5", "--snr", "5,20", "--seed", str(args.seed + 7)]
    if shared:
        build += ["--other-speech", CALIBRATION_SPEECH, "--sentences-per-minute", "3"]
    if not stream.exists() and evaluation.main(build + quiet) != 0:
        return 2
    thresholds = run_dir / "thresholds.json"
    if evaluation.main(["calibrate", "--model", str(model_dir / "model.kws"), "--stream", str(stream),
                        "--target-fa-per-hour", str(args.target_fa_per_hour),
                        "--out-thresholds", str(thresholds), "--out-model", str(args.out)] + quiet) != 0:
        return 2
    stages["calibration"] = time.time() - started

    calibration = json.loads(thresholds.read_text())
    results = json.loads((model_dir / "eval.json").read_text())
    summary = {
        "text": text, "model": str(args.out), "backbone": str(args.backbone), "tau": tau,
        "threshold": calibration["thresholds"].get(text),
        "calibration": {"stream": str(stream), "real_other_speech": shared,
                        "target_fa_per_hour": args.target_fa_per_hour,
                        "achieved": calibration["achieved_on_calibration_stream"]["overall"]},
        "synthetic_heldout_voices_accuracy": results["validation"]["synth_heldout"]["accuracy"],
        "hard_negatives": (json.loads((model_dir / "data.json").read_text()).get("mined")
                           if model_dir != run_dir else None),
        "seconds": {k: round(v, 1) for k, v in stages.items()}, "cpu_threads": args.threads,
    }
    (run_dir / "wakeword.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"\n[wakeword] {args.out}: {text!r}, BC-ResNet-{tau}, threshold {summary['threshold']:.3f} "
          f"for {args.target_fa_per_hour:g} FA/h ({calibration['achieved_on_calibration_stream']['overall']['fa_per_hour']:.2f} "
          f"FA/h on the {CALIBRATION_HOURS} h calibration stream)")
    print(f"[wakeword] held-out synthetic voices: {100 * summary['synthetic_heldout_voices_accuracy']:.1f} % "
          f"of clips right; " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in stages.items())
          + f" on {args.threads} threads")
    if not shared:
        print("[wakeword] ../shared/data not found: trained on synthetic negatives only and "
              "calibrated on synthetic speech; expect more false alarms in a real room",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
