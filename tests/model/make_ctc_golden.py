#!/usr/bin/python3
"""Regenerates tests/model/golden/ctc/: the CTC acoustic model ("bcresnet_ctc") reference data
for libkws's per-frame engine, its spotter and its phonemizer.

Run from the repository root with Debian's Python (python3-torch 1.13, python3-numpy) and the
espeak-ng program (setup.sh installs both); no shared data is needed:

    /usr/bin/python3 tests/model/make_ctc_golden.py

Everything comes from fixed seeds, so a rerun reproduces the same files. Written:

* phonemes_tau1.kws, phonemes_tau2.kws: random-weight BC-ResNets (make_golden.randomize, seeds
  CTC_SEED + 0 and + 1) exported as architecture "bcresnet_ctc", input_frames 301 (3 s). Labels:
  "_blank_", then every token kws_training.recipe.phonetics.phonemes() gives for the recipe's
  common words and for PHRASES, sorted: an espeak-ng en-us mnemonic inventory, so text keywords
  resolve against it. Not trained: for shapes, parity and streaming tests, not accuracy.
* inputs.npy [3, 1, 40, 157] (standard normal) and inputs_short.npy [1, 1, 40, 9].
* frame_logits_tau{1,2}.npy [3, K, 157] and frame_logits_short_tau{1,2}.npy [1, K, 9]: PyTorch
  eval-mode BCResNets.frame_logits on one thread.
* phonemes.json: PHRASES and their tokens by kws_training.recipe.phonetics.phonemes(), the rule
  the C++ phonemizer is tested against.
* index.json: what every file holds.
"""
import json
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bindings" / "python"), str(ROOT / "training"), str(ROOT / "tests" / "model")]

from kws_training import architecture  # noqa: E402
from kws_training.bcresnet import bcresnet, count_parameters  # noqa: E402
from kws_training.export import export  # noqa: E402
from kws_training.modelfile import BLANK_LABEL, CTC_ARCHITECTURE, format_tau  # noqa: E402
from kws_training.recipe.phonetics import phonemes  # noqa: E402
from kws_training.recipe.wordlists import COMMON_WORDS  # noqa: E402
from make_golden import randomize, save  # noqa: E402

import make_golden  # noqa: E402

GOLDEN = ROOT / "tests" / "model" / "golden" / "ctc"
TAUS = (1, 2)
CTC_SEED = 20261202
INPUT_SEED = 20261203
INPUT_FRAMES = 301
FRAMES = 157
SHORT_FRAMES = 9
BATCH = 3
#: Keywords and phrases the phonemizer test compares (words, names, digits, punctuation, hyphens,
#: apostrophes, capitals, several spaces; "real" has espeak-ng's syllable break ";").
PHRASES = [
    "computer", "alexa", "hey jarvis", "hey computer", "ok google", "hey siri", "jarvis",
    "marvin", "sheila", "hello world", "good morning", "turn on the lights", "stop", "go",
    "yes", "no", "up", "down", "left", "right", "on", "off", "zero", "one", "two", "three",
    "seven", "eight", "nine", "happy", "house", "bird", "visual", "learn", "follow", "forward",
    "backward", "wow", "tree", "dog", "cat", "bed", "the quick brown fox", "it's", "don't stop",
    "o'clock", "well-known", "Hello, World!", "HEY   JARVIS", "42", "mister smith", "schedule",
    "weather", "thank you", "good night", "real", "really real",
]


def inventory():
    """The sorted token set of the common words and the phrases."""
    tokens = set()
    for sequence in phonemes(list(COMMON_WORDS) + PHRASES):
        tokens.update(sequence)
    return sorted(tokens)


def main() -> None:
    torch.set_num_threads(1)
    assert torch.__version__.startswith("1.13"), f"expected torch 1.13, got {torch.__version__}"
    make_golden.GOLDEN = GOLDEN  # save() writes here
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stale in [*GOLDEN.glob("*.npy"), *GOLDEN.glob("*.kws")]:
        stale.unlink()

    labels = [BLANK_LABEL] + inventory()
    generator = torch.Generator().manual_seed(INPUT_SEED)
    inputs = torch.randn(BATCH, 1, architecture.INPUT_FEATURES, FRAMES, generator=generator)
    short = torch.randn(1, 1, architecture.INPUT_FEATURES, SHORT_FRAMES, generator=generator)
    index = {
        "generator": "tests/model/make_ctc_golden.py",
        "torch": torch.__version__,
        "labels": labels,
        "input_frames": INPUT_FRAMES,
        "inputs": {**save("inputs.npy", inputs), "source": "standard_normal", "seed": INPUT_SEED},
        "inputs_short": save("inputs_short.npy", short),
        "models": [],
    }
    for offset, tau in enumerate(TAUS):
        name = format_tau(tau)
        model = bcresnet(tau, len(labels))
        randomize(model, CTC_SEED + offset)
        model.eval()
        path = GOLDEN / f"phonemes_tau{name}.kws"
        export(model, tau, labels, path, input_frames=INPUT_FRAMES, architecture=CTC_ARCHITECTURE,
               description=f"random weights for libkws CTC tests (seed {CTC_SEED + offset}); "
                           f"not a trained model")
        with torch.no_grad():
            logits, logits_short = model.frame_logits(inputs), model.frame_logits(short)
            assert torch.allclose(logits.mean(2), model(inputs), atol=1e-5)
        index["models"].append({
            "tau": name, "model": path.name, "seed": CTC_SEED + offset,
            "parameters": count_parameters(model),
            "max_abs_logit": round(float(logits.abs().max()), 3),
            "frame_logits": save(f"frame_logits_tau{name}.npy", logits),
            "frame_logits_short": save(f"frame_logits_short_tau{name}.npy", logits_short)})
    phrases = [{"text": text, "tokens": list(tokens)} for text, tokens in zip(PHRASES, phonemes(PHRASES))]
    (GOLDEN / "phonemes.json").write_text(json.dumps(
        {"generator": "tests/model/make_ctc_golden.py", "voice": "en-us",
         "rule": "kws_training.recipe.phonetics.phonemes", "phrases": phrases}, indent=1) + "\n")
    (GOLDEN / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    total = sum(f.stat().st_size for f in GOLDEN.iterdir())
    print(f"{len(labels)} labels; wrote {len(list(GOLDEN.iterdir()))} files, {total / 1e6:.2f} MB, to {GOLDEN}")


if __name__ == "__main__":
    main()
