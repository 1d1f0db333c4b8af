#!/usr/bin/python3
"""Regenerates tests/model/golden/: BC-ResNet reference outputs for the C++ engine parity tests.

Run from the repository root with Debian's Python (python3-torch 1.13, python3-torchaudio 0.13,
python3-numpy) and ../shared/data beside the repository (for two speech clips):

    /usr/bin/python3 tests/model/make_golden.py

Everything comes from fixed seeds, so a rerun reproduces the same files. Written:

* bcresnet_tau{tau}.kws for every tau in {1, 1.5, 2, 3, 6, 8}: seeded random conv weights, and
  random statistics and affine parameters in every BatchNorm2d (running_mean ~ N(0, 0.5),
  running_var ~ U(0.5, 2), weight ~ U(0.5, 1.5), bias ~ N(0, 0.3)), which includes the inner
  BatchNorm of every SubSpectralNorm, so per-sub-band indexing errors show. 12 labels.
* inputs.npy [4, 1, 40, 101]: rows 0-1 standard normal noise, rows 2-3 log-mel features
  (kws_training.features, BC-ResNet recipe) of the first sorted clip of gsc_v2_test_a/yes and /stop,
  zero-padded to 1 s like the reference training code.
* inputs_odd.npy [1, 1, 40, 73]: standard normal noise with an odd frame count.
* logits_tau{tau}.npy [4, 12], logits_odd_tau{tau}.npy [1, 12]: PyTorch eval-mode float32
  outputs on one thread.
* act_tau1_head.npy and act_tau1_block{stage}_{block}.npy: tau 1 activations of input 0 after
  cnn_head and after each BC-ResBlock ([1, C, H, 101]).
* index.json: what every file holds.
"""
import json
import pathlib
import sys
from typing import Optional

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bindings" / "python"), str(ROOT / "training")]

from kws_training import architecture, features, shared_data  # noqa: E402
from kws_training.bcresnet import bcresnet, count_parameters  # noqa: E402
from kws_training.export import export  # noqa: E402
from kws_training.modelfile import format_tau  # noqa: E402

GOLDEN = ROOT / "tests" / "model" / "golden"
#: Class order of the reference training code (Qualcomm-AI-research/bcresnet utils.label_dict).
LABELS = ["_silence_", "_unknown_", "down", "go", "left", "no", "off", "on", "right", "stop",
          "up", "yes"]
SPEECH_FOLDERS = ["gsc_v2_test_a/yes", "gsc_v2_test_a/stop"]
NOISE_INPUTS = 2
FRAMES = 101
ODD_FRAMES = 73
CLIP_SAMPLES = 16000
INPUT_SEED = 20240101
MODEL_SEED = 20240200  # + index of tau in SUPPORTED_TAUS
ACTIVATION_TAU = 1
#: Conv weight scale: variance WEIGHT_GAIN / (3 fan_in). Slightly above the variance-preserving
#: 3.0 so that logits depend clearly on the input (a frame-padding bug in the head moves tau 1
#: logits by ~3e-2 rather than ~5e-4) while staying finite and moderate for every tau.
WEIGHT_GAIN = 4.0


def find_shared_data() -> Optional[pathlib.Path]:
    """../shared/data holding the speech clips (kws_training.shared_data says where it is looked for);
    None when absent."""
    return shared_data.find(SPEECH_FOLDERS[0])


shared_data_candidates = shared_data.candidates


def speech_features(data_dir: pathlib.Path):
    """[len(SPEECH_FOLDERS), 1, 40, 101] log-mel features and the clips' relative paths."""
    import torchaudio

    rows, sources = [], []
    for folder in SPEECH_FOLDERS:
        clips = sorted((data_dir / folder).glob("*.flac"))
        if not clips:
            sys.exit(f"make_golden: no .flac files in {data_dir / folder}")
        waveform, rate = torchaudio.load(str(clips[0]))
        assert rate == 16000 and waveform.shape == (1, waveform.shape[1]), (rate, waveform.shape)
        waveform = nn.functional.pad(waveform[:, :CLIP_SAMPLES],
                                     (0, max(0, CLIP_SAMPLES - waveform.shape[1])))
        rows.append(features.compute_features(waveform))  # [1, 40, 101]
        sources.append(str(clips[0].relative_to(data_dir)))
    return torch.stack(rows), sources


def randomize(model: nn.Module, seed: int) -> None:
    """Seeded random conv weights ~ U(-b, b) with b = sqrt(WEIGHT_GAIN / fan_in), conv biases
    ~ N(0, 0.1), and BatchNorm statistics as in the module doc."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                bound = (WEIGHT_GAIN / fan_in) ** 0.5
                module.weight.uniform_(-bound, bound, generator=generator)
                if module.bias is not None:
                    module.bias.normal_(0.0, 0.1, generator=generator)
            elif isinstance(module, nn.BatchNorm2d):  # also SubSpectralNorm.ssnorm
                module.running_mean.normal_(0.0, 0.5, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.normal_(0.0, 0.3, generator=generator)


def save(name: str, array) -> dict:
    array = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
    np.save(GOLDEN / name, array)
    return {"file": name, "shape": list(array.shape)}


def dump_activations(model, example) -> list:
    """Save the activations after cnn_head and after every BC-ResBlock for ``example``."""
    targets = [("cnn_head", model.cnn_head, f"act_tau{ACTIVATION_TAU}_head.npy")]
    for stage, blocks in enumerate(model.BCBlocks):
        for index, block in enumerate(blocks):
            targets.append((f"BCBlocks.{stage}.{index}", block,
                            f"act_tau{ACTIVATION_TAU}_block{stage}_{index}.npy"))
    captured = {}
    hooks = [module.register_forward_hook(
        lambda _module, _inputs, output, key=key: captured.__setitem__(key, output.clone()))
        for key, module, _ in targets]
    with torch.no_grad():
        model(example)
    for hook in hooks:
        hook.remove()
    return [{"after": key, **save(file, captured[key])} for key, _, file in targets]


def main() -> None:
    torch.set_num_threads(1)
    assert torch.__version__.startswith("1.13"), f"expected torch 1.13, got {torch.__version__}"
    data_dir = find_shared_data()
    if data_dir is None:
        sys.exit(f"make_golden: speech clips not found; looked for {SPEECH_FOLDERS[0]} under "
                 f"{', '.join(str(c) for c in shared_data_candidates())}. ../shared/data is "
                 f"needed to regenerate the golden files.")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stale in [*GOLDEN.glob("*.npy"), *GOLDEN.glob("*.kws")]:
        stale.unlink()

    generator = torch.Generator().manual_seed(INPUT_SEED)
    noise = torch.randn(NOISE_INPUTS, 1, architecture.INPUT_FEATURES, FRAMES, generator=generator)
    odd = torch.randn(1, 1, architecture.INPUT_FEATURES, ODD_FRAMES, generator=generator)
    speech, speech_sources = speech_features(data_dir)
    inputs = torch.cat([noise, speech])
    index = {
        "generator": "tests/model/make_golden.py",
        "torch": torch.__version__,
        "labels": LABELS,
        "feature_config": features.FEATURE_CONFIG_DEFAULTS,
        "inputs": {**save("inputs.npy", inputs),
                   "rows": [{"source": "standard_normal", "seed": INPUT_SEED}] * NOISE_INPUTS
                   + [{"source": "log_mel", "clip": src, "padded_to_samples": CLIP_SAMPLES}
                      for src in speech_sources]},
        "inputs_odd": {**save("inputs_odd.npy", odd),
                       "rows": [{"source": "standard_normal", "seed": INPUT_SEED}]},
        "models": [],
    }

    for tau_index, tau in enumerate(architecture.SUPPORTED_TAUS):
        name = format_tau(tau)
        model = bcresnet(tau, len(LABELS))
        randomize(model, MODEL_SEED + tau_index)
        model.eval()
        path = GOLDEN / f"bcresnet_tau{name}.kws"
        export(model, tau, LABELS, path,
               description=f"random weights for libkws parity tests (seed "
                           f"{MODEL_SEED + tau_index}); not a trained model")
        with torch.no_grad():
            logits, logits_odd = model(inputs), model(odd)
        entry = {"tau": name, "model": path.name, "seed": MODEL_SEED + tau_index,
                 "parameters": count_parameters(model),
                 "max_abs_logit": round(float(logits.abs().max()), 3),
                 "logits": save(f"logits_tau{name}.npy", logits),
                 "logits_odd": save(f"logits_odd_tau{name}.npy", logits_odd)}
        if tau == ACTIVATION_TAU:
            entry["activations"] = {"input_row": 0, "files": dump_activations(model, inputs[:1])}
        index["models"].append(entry)
        print(f"tau {name}: {entry['parameters']} parameters, "
              f"max |logit| {logits.abs().max().item():.3g}")

    (GOLDEN / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    total = sum(f.stat().st_size for f in GOLDEN.iterdir())
    print(f"wrote {len(list(GOLDEN.iterdir()))} files, {total / 1e6:.2f} MB, to {GOLDEN}")


if __name__ == "__main__":
    main()
