"""BC-ResNet hyper-parameters and tensor layout, in pure Python (no torch).

Shared by the PyTorch model (``kws_training.bcresnet``) and the model-file validator (``kws_training.modelfile``),
so that a libkws file can be checked tensor by tensor without torch. ``tensor_shapes`` lists the
tensors of the eval state_dict (num_batches_tracked dropped) in state_dict order, with the names
of the reference implementation (Qualcomm-AI-research/bcresnet); a unit test keeps it identical
to ``kws_training.bcresnet.BCResNets(...).state_dict()``.
"""
from typing import Dict, List, Tuple

#: Widths of the paper (BC-ResNet-tau); base channel count is int(8 * tau).
SUPPORTED_TAUS = (1, 1.5, 2, 3, 6, 8)
#: Number of BC-ResBlocks per stage.
BLOCKS_PER_STAGE = (2, 2, 4, 4)
#: Stages whose first block halves the frequency axis (stride (2, 1)).
FREQUENCY_STRIDED_STAGES = (1, 2)
#: SubSpectralNorm splits the frequency axis into this many sub-bands (paper Sec. 3.2).
SUB_BANDS = 5
#: Feature rows the network takes: [batch, 1, INPUT_FEATURES, frames]. 40 -> 20 (head) -> 10
#: (stage 1) -> 5 (stage 2) rows, which the 5x5 depthwise classifier conv collapses to 1.
INPUT_FEATURES = 40
#: BatchNorm epsilon (PyTorch default), recorded in model files as "bn_eps".
BN_EPS = 1e-5

Shape = Tuple[int, ...]


def check_tau(tau) -> float:
    """Return tau if it is one of SUPPORTED_TAUS, else raise ValueError."""
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or tau not in SUPPORTED_TAUS:
        supported = ", ".join(str(t) for t in SUPPORTED_TAUS)
        raise ValueError(f"unsupported BC-ResNet width tau={tau!r}; supported: {supported}")
    return tau


def base_channels(tau: float) -> int:
    """Base channel count b of BC-ResNet-tau, as the reference computes it: int(8 * tau)."""
    return int(8 * tau)


def stage_channels(tau: float) -> List[int]:
    """Channel counts [head, stage0, stage1, stage2, stage3, classifier] of BC-ResNet-tau:
    [2b, b, int(1.5b), 2b, int(2.5b), 4b]."""
    b = base_channels(tau)
    return [2 * b, b, int(1.5 * b), 2 * b, int(2.5 * b), 4 * b]


def _batch_norm(prefix: str, channels: int) -> Dict[str, Shape]:
    return {f"{prefix}.{field}": (channels,)
            for field in ("weight", "bias", "running_mean", "running_var")}


def _block_tensors(prefix: str, in_channels: int, out_channels: int) -> Dict[str, Shape]:
    shapes: Dict[str, Shape] = {}
    f2_index = 0
    if in_channels != out_channels:  # transition block: 1x1 conv + BN + ReLU first
        shapes[f"{prefix}.f2.0.block.0.weight"] = (out_channels, in_channels, 1, 1)
        shapes.update(_batch_norm(f"{prefix}.f2.0.block.1", out_channels))
        f2_index = 1
    shapes[f"{prefix}.f2.{f2_index}.block.0.weight"] = (out_channels, 1, 3, 1)
    shapes.update(_batch_norm(f"{prefix}.f2.{f2_index}.block.1.ssnorm", out_channels * SUB_BANDS))
    shapes[f"{prefix}.f1.0.block.0.weight"] = (out_channels, 1, 1, 3)
    shapes.update(_batch_norm(f"{prefix}.f1.0.block.1", out_channels))
    shapes[f"{prefix}.f1.1.weight"] = (out_channels, out_channels, 1, 1)
    return shapes


def tensor_shapes(tau: float, num_classes: int) -> Dict[str, Shape]:
    """Name -> shape of every tensor of BC-ResNet-tau, in PyTorch state_dict order."""
    channels = stage_channels(check_tau(tau))
    shapes: Dict[str, Shape] = {"cnn_head.0.weight": (channels[0], 1, 5, 5)}
    shapes.update(_batch_norm("cnn_head.1", channels[0]))
    for stage, num_blocks in enumerate(BLOCKS_PER_STAGE):
        for block in range(num_blocks):
            in_channels = channels[stage] if block == 0 else channels[stage + 1]
            shapes.update(_block_tensors(f"BCBlocks.{stage}.{block}", in_channels,
                                         channels[stage + 1]))
    last, wide = channels[-2], channels[-1]
    shapes["classifier.0.weight"] = (last, 1, 5, 5)
    shapes["classifier.1.weight"] = (wide, last, 1, 1)
    shapes.update(_batch_norm("classifier.2", wide))
    shapes["classifier.5.weight"] = (num_classes, wide, 1, 1)
    shapes["classifier.5.bias"] = (num_classes,)
    return shapes


def infer_tau_and_classes(shapes: Dict[str, Shape]) -> Tuple[float, int]:
    """Best guess of (tau, num_classes) from a state_dict's shapes, for error messages.
    Returns tau as base_channels / 8; raises KeyError when the landmark tensors are absent."""
    tau = shapes["cnn_head.0.weight"][0] / 2 / 8
    return (int(tau) if tau.is_integer() else tau), shapes["classifier.5.bias"][0]
