#!/usr/bin/env python3
"""kws-classify in Python: the best label and top-k scores of each audio file.

    PYTHONPATH=bindings/python python3 bindings/python/examples/classify.py FILE... \\
        [--model M] [--top K] [--json]

--json prints one object per file: {"file", "label", "score", "scores": {label: probability}}.
The default model is the bundled examples/models/commands_en.kws (or $KWS_MODEL).
"""
import argparse
import json
import os
import pathlib
import sys

import kws

DEFAULT_MODEL = pathlib.Path(__file__).resolve().parents[3] / "examples" / "models" / "commands_en.kws"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--model", default=os.environ.get("KWS_MODEL", str(DEFAULT_MODEL)))
    parser.add_argument("--top", type=int, default=3, metavar="K")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    args = parser.parse_args(argv)
    try:
        model = kws.Model(args.model)
    except kws.KwsError as error:
        print(f"kws-classify: {error}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.files:
        try:
            audio = kws.read_audio(path)
            result = model.classify(audio.samples, audio.sample_rate)
        except kws.KwsError as error:
            print(f"kws-classify: {error}", file=sys.stderr)
            failed += 1
            continue
        if args.json:
            print(json.dumps({"file": path, "label": result.label, "score": result.score,
                              "scores": result.scores}), flush=True)
            continue
        top = sorted(result.scores.items(), key=lambda item: -item[1])[:args.top]
        print(f"{path}: {result.label} ({result.score:.3f})  " +
              "  ".join(f"{label} {score:.3f}" for label, score in top))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
