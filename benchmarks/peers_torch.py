#!/usr/bin/python3
"""Peer benchmark: PyTorch eager and TorchScript inference of a libkws BC-ResNet model file.

    /usr/bin/python3 benchmarks/peers_torch.py --model model.kws --threads 1 --batch 1 \\
        --frames 101 --iterations 200 --warmup 20

Prints one JSON object per line (median wall time of one forward pass, in ms):

    {"impl": "pytorch-eager", "tau": 1, "threads": 1, "batch": 1, "frames": 101, "ms": 0.9}
    {"impl": "torchscript", ..., "variant": "trace+optimize_for_inference"}

TorchScript is torch.jit.trace followed by torch.jit.optimize_for_inference (which freezes);
if that fails or changes the outputs, torch.jit.freeze alone, then the plain trace. "variant"
says which one ran. Needs Debian's python3-torch (run with /usr/bin/python3).
"""
import argparse
import json
import pathlib
import sys
import warnings

sys.path[:0] = [str(pathlib.Path(__file__).resolve().parents[1] / d) for d in ("bindings/python", "training")]

import torch  # noqa: E402

from peer_timing import median_ms  # noqa: E402  (beside this script)

from kws_training.architecture import INPUT_FEATURES  # noqa: E402
from kws_training.bcresnet import load_model_file  # noqa: E402




def torchscript(model, example):
    """(scripted module, variant name): the most optimised TorchScript form that works and
    matches eager outputs."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python values
        expected = model(example)
        traced = torch.jit.trace(model, example)
        candidates = [
            ("trace+optimize_for_inference", lambda: torch.jit.optimize_for_inference(
                torch.jit.freeze(traced.eval()))),
            ("trace+freeze", lambda: torch.jit.freeze(traced.eval())),
        ]
        for variant, build in candidates:
            try:
                module = build()
                if torch.allclose(module(example), expected, rtol=1e-4, atol=1e-4):
                    return module, variant
            except RuntimeError:
                pass
    return traced, "trace"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="libkws model file (.kws)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--frames", type=int, default=101)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--onnx-out", help="also export the model to this ONNX file (for the ONNX Runtime peer)")
    args = parser.parse_args(argv)
    if min(args.threads, args.batch, args.frames, args.iterations) < 1 or args.warmup < 0:
        parser.error("threads, batch, frames and iterations must be >= 1, warmup >= 0")

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model, model_file = load_model_file(args.model)
    example = torch.randn(args.batch, 1, INPUT_FEATURES, args.frames,
                          generator=torch.Generator().manual_seed(0))
    common = {"tau": model_file.tau, "threads": args.threads, "batch": args.batch,
              "frames": args.frames}

    if args.onnx_out:
        from kws_training.export import export_onnx
        export_onnx(model, args.onnx_out, input_frames=args.frames)
    eager_ms = median_ms(model, example, args.iterations, args.warmup)
    print(json.dumps({"impl": "pytorch-eager", **common, "ms": round(eager_ms, 4)}), flush=True)
    scripted, variant = torchscript(model, example)
    script_ms = median_ms(scripted, example, args.iterations, args.warmup)
    print(json.dumps({"impl": "torchscript", **common, "ms": round(script_ms, 4),
                      "variant": variant}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
