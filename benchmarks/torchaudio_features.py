#!/usr/bin/python3
"""Peer benchmark: torchaudio feature extraction of a 1 s, 16 kHz clip on one thread.

    /usr/bin/python3 benchmarks/torchaudio_features.py --iterations 200 [--warmup 20]

Prints one JSON object per line (median wall time per clip, in ms):

    {"impl": "torchaudio", "name": "log_mel_1s", "ms": ...}   MelSpectrogram + log(x + 1e-6)
    {"impl": "torchaudio", "name": "mfcc_1s", "ms": ...}      the same + DCT-II (40 coefficients)

Both use kws_training.features.feature_extractor with the BC-ResNet recipe: the torchaudio transforms are
built once, outside the timed loop, as a streaming front end would. Needs Debian's
python3-torch and python3-torchaudio.
"""
import argparse
import json
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path(__file__).resolve().parents[1] / d) for d in ("bindings/python", "training")]

import torch  # noqa: E402

from peer_timing import median_ms  # noqa: E402  (beside this script)

from kws_training.features import feature_extractor, make_feature_config  # noqa: E402




def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)

    clip = 0.1 * torch.randn(1, 16000, generator=torch.Generator().manual_seed(0))
    cases = {"log_mel_1s": make_feature_config(), "mfcc_1s": make_feature_config(kind="mfcc")}
    for name, config in cases.items():
        ms = median_ms(feature_extractor(config), clip, args.iterations, args.warmup)
        print(json.dumps({"impl": "torchaudio", "name": name, "ms": round(ms, 4)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
