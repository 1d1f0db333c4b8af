"""BC-ResNet for keyword spotting (Kim et al., "Broadcasted Residual Learning for Efficient
Keyword Spotting", Interspeech 2021, arXiv 2106.04140), in PyTorch.

The module tree deliberately reproduces the attribute names of the public reference
implementation (Qualcomm-AI-research/bcresnet, ``bcresnet.py`` + ``subspectralnorm.py``), so that
state_dicts trained with it load here unchanged and the tensor names in a libkws model file are
the reference names. Shape walk-through for the 40-mel, 101-frame recipe (b = int(8 * tau)):

    input                      [N, 1, 40, T]
    cnn_head (5x5, stride 2,1) [N, 2b, 20, T]
    stage 0 (2 blocks)         [N, b, 20, T]       temporal dilation 1
    stage 1 (2 blocks)         [N, 1.5b, 10, T]    frequency stride 2 in block 0, dilation 2
    stage 2 (4 blocks)         [N, 2b, 5, T]       frequency stride 2 in block 0, dilation 4
    stage 3 (4 blocks)         [N, 2.5b, 5, T]     dilation 8
    classifier                 [N, num_classes]    5x5 depthwise collapses the 5 frequency rows

Every stage's first block changes the channel count, so it is a "transition" block (1x1 conv in
front, no identity shortcut); the other blocks keep the channel count and add the identity.
"""
import torch
import torch.nn.functional as F
from torch import nn

from .architecture import (BLOCKS_PER_STAGE, FREQUENCY_STRIDED_STAGES, SUB_BANDS,
                           SUPPORTED_TAUS, base_channels, check_tau, stage_channels)

__all__ = ["SUPPORTED_TAUS", "SubSpectralNorm", "FrequencyAveragePool", "ConvBNReLU", "BCResBlock",
           "BCResNets", "bcresnet", "count_parameters", "model_from_tensors", "load_model_file"]

#: Dropout2d probability inside the temporal branch (inactive in eval mode).
DROPOUT = 0.1


class SubSpectralNorm(nn.Module):
    """Batch norm with separate statistics and affine parameters per (channel, sub-band).

    The frequency axis (dim 2) is cut into ``sub_bands`` equal bands. Channel c, band g is
    normalised by entry ``c * sub_bands + g`` of the inner BatchNorm2d ``ssnorm`` (the reference
    reshapes [N, C, H, W] to [N, C * sub_bands, H / sub_bands, W]).
    """

    def __init__(self, channels: int, sub_bands: int = SUB_BANDS):
        super().__init__()
        self.sub_bands = sub_bands
        self.ssnorm = nn.BatchNorm2d(channels * sub_bands)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = x.shape
        if not torch.jit.is_tracing() and height % self.sub_bands != 0:
            raise ValueError(f"SubSpectralNorm: frequency size {height} is not divisible by "
                             f"{self.sub_bands} sub-bands")
        x = x.reshape(batch, channels * self.sub_bands, height // self.sub_bands, width)
        x = self.ssnorm(x)
        return x.reshape(batch, channels, height, width)


class FrequencyAveragePool(nn.AdaptiveAvgPool2d):
    """AdaptiveAvgPool2d((1, None)): mean over the frequency axis, time kept.

    Computed as ``x.mean(2, keepdim=True)`` because torch 1.13 cannot export adaptive pooling
    with a non-constant output size to ONNX (the time axis is dynamic); the result is the same.
    """

    def __init__(self):
        super().__init__((1, None))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=2, keepdim=True)


class ConvBNReLU(nn.Module):
    """Conv2d (no bias) + normalisation + optional activation, held in ``self.block``.

    The name follows the reference even though the normalisation may be SubSpectralNorm and the
    activation SiLU or absent; ``block.0`` is always the conv and ``block.1`` the norm.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, subspectral_norm: bool = False,
                 activation: str = "relu"):
        super().__init__()
        layers = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                      bias=False),
            SubSpectralNorm(out_channels) if subspectral_norm else nn.BatchNorm2d(out_channels),
        ]
        if activation == "relu":
            layers.append(nn.ReLU(inplace=True))
        elif activation == "silu":
            layers.append(nn.SiLU(inplace=True))
        elif activation is not None:
            raise ValueError(f"unknown activation {activation!r}")
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class BCResBlock(nn.Module):
    """Broadcasted residual block (paper Fig. 2).

    y = ReLU(shortcut + f2(x) + broadcast(f1(avgpool_freq(f2(x)))))

    f2 (2D, frequency-wise): [1x1 conv + BN + ReLU if in != out] -> 3x1 depthwise conv
    (frequency stride) -> SubSpectralNorm. f1 (1D, temporal): 1x3 depthwise conv dilated by
    2**stage_index + BN + SiLU -> 1x1 conv -> Dropout2d. The shortcut is the block input for
    non-transition blocks and absent for transition blocks.
    """

    def __init__(self, in_channels: int, out_channels: int, stage_index: int,
                 frequency_stride: int = 1):
        super().__init__()
        self.transition_block = in_channels != out_channels
        layers = []
        if self.transition_block:
            layers.append(ConvBNReLU(in_channels, out_channels, 1))
        layers.append(ConvBNReLU(out_channels, out_channels, (3, 1), stride=(frequency_stride, 1),
                                 padding=(1, 0), groups=out_channels, subspectral_norm=True,
                                 activation=None))
        self.f2 = nn.Sequential(*layers)
        self.avg_gpool = FrequencyAveragePool()
        dilation = 2 ** stage_index
        self.f1 = nn.Sequential(
            ConvBNReLU(out_channels, out_channels, (1, 3), padding=(0, dilation),
                       dilation=(1, dilation), groups=out_channels, activation="silu"),
            nn.Conv2d(out_channels, out_channels, 1, bias=False),
            nn.Dropout2d(DROPOUT),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frequency_features = self.f2(x)
        temporal_features = self.f1(self.avg_gpool(frequency_features))
        out = frequency_features + temporal_features  # broadcast over the frequency axis
        if not self.transition_block:
            out = out + x
        return F.relu(out)


class BCResNets(nn.Module):
    """BC-ResNet with ``base_c`` base channels (the reference constructor: base_c = int(8*tau)).

    Input: log-mel features [batch, 1, n_mels=40, frames]; output: logits [batch, num_classes].
    Use :func:`bcresnet` to build from tau.
    """

    def __init__(self, base_c: int, num_classes: int = 12):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be positive, got {num_classes}")
        self.base_c = base_c
        self.num_classes = num_classes
        self.n = list(BLOCKS_PER_STAGE)
        self.c = stage_channels(base_c / 8)
        head, last = self.c[0], self.c[-2]
        self.cnn_head = nn.Sequential(
            nn.Conv2d(1, head, 5, stride=(2, 1), padding=2, bias=False),
            nn.BatchNorm2d(head),
            nn.ReLU(inplace=True),
        )
        self.BCBlocks = nn.ModuleList(
            self._stage(stage_index, num_blocks)
            for stage_index, num_blocks in enumerate(BLOCKS_PER_STAGE))
        self.classifier = nn.Sequential(
            nn.Conv2d(last, last, 5, padding=(0, 2), groups=last, bias=False),
            nn.Conv2d(last, self.c[-1], 1, bias=False),
            nn.BatchNorm2d(self.c[-1]),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Conv2d(self.c[-1], num_classes, 1),
        )

    def _stage(self, stage_index: int, num_blocks: int) -> nn.ModuleList:
        in_channels, out_channels = self.c[stage_index], self.c[stage_index + 1]
        first_stride = 2 if stage_index in FREQUENCY_STRIDED_STAGES else 1
        return nn.ModuleList(
            BCResBlock(in_channels if j == 0 else out_channels, out_channels, stage_index,
                       first_stride if j == 0 else 1)
            for j in range(num_blocks))

    @property
    def tau(self) -> float:
        """Width multiplier: base_c / 8 (an int when whole, as in SUPPORTED_TAUS)."""
        tau = self.base_c / 8
        return int(tau) if tau.is_integer() else tau

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled embedding the last layer classifies: [batch, channels, 1, 1]."""
        x = self.cnn_head(x)
        for stage in self.BCBlocks:
            for block in stage:
                x = block(x)
        return self.classifier[:-1](x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier[-1](self.embed(x)), 1)

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every frame, [batch, num_classes, frames]: the network without its mean
        over time (the "bcresnet_ctc" architecture of the model file: a CTC acoustic model with
        the same tensors). The last layer is a 1x1 convolution, so forward() is exactly the
        mean over frames of these."""
        x = self.cnn_head(x)
        for stage in self.BCBlocks:
            for block in stage:
                x = block(x)
        return self.classifier[-1](self.classifier[:4](x)).squeeze(2)


def bcresnet(tau: float, num_classes: int = 12) -> BCResNets:
    """Build BC-ResNet-tau (tau in SUPPORTED_TAUS) with ``num_classes`` outputs."""
    return BCResNets(base_channels(check_tau(tau)), num_classes)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (BN running statistics excluded), as papers report."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def model_from_tensors(tau: float, num_classes: int, tensors) -> BCResNets:
    """BC-ResNet-tau in eval mode holding ``tensors`` (name -> array or tensor: a state_dict,
    num_batches_tracked optional). Raises ValueError on missing, unexpected or misshapen tensors."""
    model = bcresnet(tau, num_classes)
    state = {name: torch.as_tensor(value, dtype=torch.float32) if "num_batches" not in name
             else torch.as_tensor(value) for name, value in tensors.items()}
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # shape mismatches
        raise ValueError(f"tensors do not fit BC-ResNet tau={tau} with {num_classes} classes: "
                         f"{error}") from None
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise ValueError(f"tensors do not fit BC-ResNet tau={tau} with {num_classes} classes: "
                         f"missing {missing}, unexpected {result.unexpected_keys}")
    return model.eval()


def load_model_file(path):
    """Read a libkws model file; return (BC-ResNet in eval mode, kws_training.modelfile.ModelFile)."""
    from .modelfile import read_model_file

    model_file = read_model_file(path)
    model = model_from_tensors(model_file.tau, model_file.num_classes, model_file.tensors)
    return model, model_file
