#!/usr/bin/python3
"""Regenerates tests/model/golden/bundled/: PyTorch logits of the bundled models
(examples/models/*.kws) on the bundled example recordings (examples/data/*.wav), for the C++ test
that libkws (read_audio + FeatureExtractor + Engine) agrees with PyTorch (torchaudio features +
BC-ResNet) end to end on real models.

    PYTHONPATH=bindings/python:training /usr/bin/python3 tests/model/make_bundled_golden.py

Windows of 1 s every 100 ms, features of each window computed on that window alone (as
kws_training.recipe.reference_detector does). Writes <model stem>.npy [windows, classes] and index.json.
"""
import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bindings" / "python"), str(ROOT / "training")]

#: Model -> the example recording it is checked on.
PAIRS = {"commands_en.kws": "yes_no_up_down.wav", "commands_en_large.kws": "stream_commands.wav",
         "computer.kws": "hey_computer.wav", "alexa.kws": "stream_commands.wav",
         "arabic_commands.kws": "yes_no_up_down.wav", "speech_backbone.kws": "yes_no_up_down.wav"}
HOP = 1600


def main() -> int:
    import torch

    from kws_training.bcresnet import load_model_file
    from kws_training.features import compute_features
    from kws_training.recipe.audio import read_audio
    from kws_training.recipe.reference_detector import windows

    torch.set_num_threads(1)
    out_dir = ROOT / "tests" / "model" / "golden" / "bundled"
    out_dir.mkdir(parents=True, exist_ok=True)
    index = []
    for model_name, audio_name in PAIRS.items():
        model_path = ROOT / "examples" / "models" / model_name
        if not model_path.exists():
            print(f"skip {model_name}: not built")
            continue
        model, model_file = load_model_file(model_path)
        frames = windows(read_audio(ROOT / "examples" / "data" / audio_name), 16000, HOP)
        with torch.no_grad():
            features = compute_features(torch.from_numpy(frames)[:, None, :],
                                        model_file.feature_config)
            logits = model(features).numpy().astype(np.float32)
        name = pathlib.Path(model_name).stem + ".npy"
        np.save(out_dir / name, logits)
        index.append({"model": f"examples/models/{model_name}",
                      "audio": f"examples/data/{audio_name}", "hop": HOP, "window": 16000,
                      "logits": name, "shape": list(logits.shape)})
        print(f"{name}: {logits.shape}")
    (out_dir / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
