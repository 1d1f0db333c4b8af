#!/usr/bin/env python3
"""torchaudio's side of `kws-bench features`: the BC-ResNet log-mel recipe and MFCC on a 1 s
clip, single-threaded, median milliseconds. Prints one JSON object per line."""
import argparse
import json
import statistics
import time

import torch
import torchaudio


def median_ms(fn, iterations, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    clip = torch.randn(16000) * 0.1
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=512, win_length=480, hop_length=160, n_mels=40)
    mfcc = torchaudio.transforms.MFCC(sample_rate=16000, n_mfcc=40, log_mels=True,
                                      melkwargs=dict(n_fft=512, win_length=480, hop_length=160, n_mels=40))
    with torch.inference_mode():
        rows = [("log_mel_1s", lambda: torch.log(mel(clip) + 1e-6)), ("mfcc_1s", lambda: mfcc(clip))]
        for name, fn in rows:
            print(json.dumps({"impl": "torchaudio", "name": name, "threads": 1,
                              "ms": round(median_ms(fn, args.iterations, args.warmup), 5)}), flush=True)


if __name__ == "__main__":
    main()
