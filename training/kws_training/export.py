"""Convert a trained BC-ResNet (module, state_dict or checkpoint) to a libkws model file, and
optionally to ONNX.

    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.export --checkpoint CKPT.pt --tau 1 \\
        --labels _silence_,_unknown_,down,go,left,no,off,on,right,stop,up,yes \\
        --out model.kws [--onnx model.onnx] [--feature-config features.json]

Checkpoints of the reference repository (Qualcomm-AI-research/bcresnet) load as they are:
a bare state_dict, or one wrapped in a dict under "state_dict" or "model", with or without the
"module." prefix that (Distributed)DataParallel adds.
"""
import argparse
import json
import sys
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np
import torch
from torch import nn

from .architecture import INPUT_FEATURES, check_tau, infer_tau_and_classes, tensor_shapes
from .bcresnet import BCResNets, model_from_tensors
from .features import make_feature_config
from .modelfile import (ARCHITECTURE, CTC_ARCHITECTURE, DEFAULT_INPUT_FRAMES, ModelFileError,
                        build_metadata, read_model_file, write_model_file)

#: Names of the ONNX graph's input and output.
ONNX_INPUT_NAME = "logmel"
ONNX_OUTPUT_NAME = "logits"
ONNX_OPSET = 13
#: Keys under which training scripts commonly nest the state_dict in a checkpoint dict.
CHECKPOINT_WRAPPER_KEYS = ("state_dict", "model")
DATA_PARALLEL_PREFIX = "module."


def unwrap_state_dict(checkpoint) -> Dict[str, torch.Tensor]:
    """The state_dict inside ``checkpoint``: a module, a state_dict, or a dict wrapping either
    under "state_dict"/"model" (nesting allowed); strips a "module." prefix from every key."""
    while True:
        if isinstance(checkpoint, nn.Module):
            checkpoint = checkpoint.state_dict()
        if not isinstance(checkpoint, Mapping):
            raise ValueError(f"checkpoint is a {type(checkpoint).__name__}, not a module or a "
                             f"state_dict")
        wrapped = [key for key in CHECKPOINT_WRAPPER_KEYS if key in checkpoint
                   and not isinstance(checkpoint[key], torch.Tensor)]
        if not wrapped:
            break
        checkpoint = checkpoint[wrapped[0]]
    if not checkpoint or not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ValueError("checkpoint holds no state_dict (expected a mapping of name -> tensor, "
                         f"possibly under one of {list(CHECKPOINT_WRAPPER_KEYS)})")
    if all(key.startswith(DATA_PARALLEL_PREFIX) for key in checkpoint):
        checkpoint = {key[len(DATA_PARALLEL_PREFIX):]: value for key, value in checkpoint.items()}
    return dict(checkpoint)


def check_labels(labels: Sequence[str]) -> list:
    """Labels as a list of distinct, non-empty strings; raises ValueError otherwise."""
    if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
        raise ValueError("labels must be a sequence of strings")
    labels = list(labels)
    if not labels or not all(label.strip() for label in labels):
        raise ValueError(f"labels must be non-empty strings, got {labels}")
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ValueError(f"duplicate labels {duplicates}")
    return labels


def _check_state_dict_shapes(state_dict: Mapping[str, torch.Tensor], tau: float,
                             num_classes: int) -> None:
    """Raise a ValueError that says what tau / class count the checkpoint seems to have when its
    tensors do not match BC-ResNet-tau with num_classes outputs."""
    shapes = {name: tuple(value.shape) for name, value in state_dict.items()
              if not name.endswith("num_batches_tracked")}
    expected = tensor_shapes(tau, num_classes)
    if shapes == expected:
        return
    try:
        found_tau, found_classes = infer_tau_and_classes(shapes)
        hint = f"; the checkpoint looks like tau={found_tau} with {found_classes} classes"
    except (KeyError, IndexError):
        hint = "; it does not look like a BC-ResNet state_dict at all"
    missing = [name for name in expected if name not in shapes]
    unexpected = [name for name in shapes if name not in expected]
    raise ValueError(
        f"state_dict does not match BC-ResNet tau={tau} with {num_classes} classes "
        f"({len(missing)} missing, {len(unexpected)} unexpected, "
        f"{sum(shapes[n] != s for n, s in expected.items() if n in shapes)} misshapen tensors)"
        f"{hint}. Check --tau and the number of --labels.")


class _FrameLogits(nn.Module):
    """BCResNets.frame_logits as a module's forward, for the ONNX export of a CTC model."""

    def __init__(self, model: BCResNets):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.frame_logits(x)


def export_onnx(model: BCResNets, path, input_frames: int = DEFAULT_INPUT_FRAMES,
                architecture: str = ARCHITECTURE) -> None:
    """Export ``model`` (eval) to ONNX: input "logmel" [batch, 1, 40, frames] and output
    "logits" [batch, num_classes] (a CTC model: [batch, num_classes, frames]), with batch and
    frames dynamic."""
    example = torch.zeros(1, 1, INPUT_FEATURES, input_frames)
    ctc = architecture == CTC_ARCHITECTURE
    output_axes = {0: "batch", 2: "frames"} if ctc else {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            (_FrameLogits(model) if ctc else model).eval(), example, str(path),
            input_names=[ONNX_INPUT_NAME], output_names=[ONNX_OUTPUT_NAME],
            opset_version=ONNX_OPSET, do_constant_folding=True,
            dynamic_axes={ONNX_INPUT_NAME: {0: "batch", 3: "frames"},
                          ONNX_OUTPUT_NAME: output_axes})


def export(model_or_state_dict, tau: float, labels: Sequence[str], path,
           feature_config: Optional[Mapping[str, Any]] = None, onnx_path=None,
           input_frames: int = DEFAULT_INPUT_FRAMES,
           thresholds: Optional[Mapping[str, float]] = None,
           description: Optional[str] = None, architecture: str = ARCHITECTURE,
           phonemizer: Optional[Mapping[str, str]] = None) -> BCResNets:
    """Write ``model_or_state_dict`` (a BCResNets, a state_dict or a checkpoint, see
    unwrap_state_dict) as a libkws model file at ``path`` (and ONNX at ``onnx_path`` if given).
    ``architecture`` CTC_ARCHITECTURE writes a CTC acoustic model (format_version "2"): the same
    tensors, read per frame (BCResNets.frame_logits); labels[0] must be "_blank_", the others
    the phonemizer's tokens (modelfile.DEFAULT_PHONEMIZER when None).

    Raises ValueError (ModelFileError for metadata problems) on an unsupported tau, bad labels,
    a feature_config that is not valid, or tensors that do not match tau / len(labels).
    Returns the model in eval mode, as written.
    """
    check_tau(tau)
    labels = check_labels(labels)
    if isinstance(model_or_state_dict, BCResNets) and model_or_state_dict.tau != tau:
        raise ValueError(f"model is BC-ResNet tau={model_or_state_dict.tau}, but tau={tau} "
                         f"was requested")
    state_dict = unwrap_state_dict(model_or_state_dict)
    _check_state_dict_shapes(state_dict, tau, len(labels))
    metadata = build_metadata(tau, labels, feature_config, input_frames, thresholds, description,
                              architecture, phonemizer)

    model = model_from_tensors(tau, len(labels), state_dict)
    tensors = {name: value.detach().cpu().numpy().astype(np.float32)
               for name, value in model.state_dict().items()
               if not name.endswith("num_batches_tracked")}
    write_model_file(path, tensors, metadata)
    written = read_model_file(path)
    if not all(np.array_equal(written.tensors[n], a) for n, a in tensors.items()):
        raise RuntimeError(f"{path}: reading the model file back gave different tensor values")
    if onnx_path is not None:
        export_onnx(model, onnx_path, input_frames, architecture)
    return model


def _parse_tau(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() else value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws_training.export",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="torch checkpoint (.pt/.pth)")
    parser.add_argument("--tau", required=True, type=_parse_tau, help="width: 1, 1.5, 2, 3, 6, 8")
    parser.add_argument("--labels", required=True,
                        help="comma-separated class labels in the model's output order")
    parser.add_argument("--out", required=True, help="libkws model file to write")
    parser.add_argument("--onnx", help="also write this ONNX file")
    parser.add_argument("--feature-config",
                        help="JSON file with feature_config keys overriding the BC-ResNet recipe")
    parser.add_argument("--input-frames", type=int, default=DEFAULT_INPUT_FRAMES,
                        help="frames of the analysis window the model was trained on")
    parser.add_argument("--description", help="free text stored in the metadata")
    parser.add_argument("--architecture", default=ARCHITECTURE,
                        choices=[ARCHITECTURE, CTC_ARCHITECTURE],
                        help="bcresnet (a classifier, the default) or bcresnet_ctc (a CTC "
                             "acoustic model over phonemes; labels start with _blank_)")
    args = parser.parse_args(argv)

    try:
        feature_config = None
        if args.feature_config:
            with open(args.feature_config, encoding="utf-8") as stream:
                feature_config = make_feature_config(**json.load(stream))
        checkpoint = torch.load(args.checkpoint, map_location="cpu")
        export(checkpoint, args.tau, args.labels.split(","), args.out, feature_config,
               args.onnx, args.input_frames, description=args.description,
               architecture=args.architecture)
    except (ValueError, ModelFileError, OSError) as error:
        print(f"kws_training.export: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}" + (f" and {args.onnx}" if args.onnx else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
