"""Read and write libkws model files (format "libkws", format_version "1" for classifiers, "2" for
the CTC acoustic model "bcresnet_ctc"). Needs only numpy.

Layout (the safetensors layout; the specification is src/model/MODEL_FORMAT.md, beside the C++ loader):

    [8 bytes]  N, little-endian uint64
    [N bytes]  UTF-8 JSON header, padded with trailing spaces so that 8 + N is a multiple of 8
    [rest]     data section: raw little-endian float32 tensors, row-major, in header order,
               each starting at an 8-byte aligned offset (zero bytes fill any gap)

Header: {"__metadata__": {str: str}, "<tensor name>": {"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}, ...}, offsets relative to the start of the data section.
"""
import json
import math
import os
import pathlib
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from .architecture import BN_EPS, INPUT_FEATURES, check_tau, tensor_shapes
from .features import FEATURE_CONFIG_DEFAULTS, feature_size, validate_feature_config

FORMAT_NAME = "libkws"
ARCHITECTURE = "bcresnet"
#: The CTC acoustic model: BC-ResNet's tensors, logits per frame, labels[0] the blank.
CTC_ARCHITECTURE = "bcresnet_ctc"
#: The version each architecture is written with: classifiers stay at "1" so that every libkws
#: reads them; a CTC model needs a reader of version "2" (which also reads classifiers).
FORMAT_VERSIONS = {ARCHITECTURE: "1", CTC_ARCHITECTURE: "2"}
FORMAT_VERSION = FORMAT_VERSIONS[ARCHITECTURE]
#: The CTC blank, labels[0] of a CTC model (C++ detail::kBlankLabel).
BLANK_LABEL = "_blank_"
#: The phonemizer of the recipe's CTC models: espeak-ng's ASCII mnemonics of American English,
#: stress removed (kws_training.recipe.phonetics.phonemes).
DEFAULT_PHONEMIZER = {"engine": "espeak-ng", "voice": "en-us", "notation": "mnemonic"}
PHONEMIZER_KEYS = ("engine", "voice", "notation")
#: Frames of the 1 s analysis window of the BC-ResNet recipe (16000 samples, hop 160, centred).
DEFAULT_INPUT_FRAMES = 101
#: Begin offsets of tensors and of the data section are multiples of this.
ALIGNMENT = 8
#: Refuse headers larger than this (a corrupt length field must not trigger a huge read).
MAX_HEADER_BYTES = 16 << 20  # the C++ loader's kMaxHeaderBytes (src/model/model_file.cpp; tests/bindings checks)
#: The longest analysis window a file may declare (60 s of 10 ms frames; C++ kMaxInputFrames).
MAX_INPUT_FRAMES = 6001
#: The largest magnitude a tensor value may have (C++ kMaxWeightMagnitude): trained values stay far
#: below it, and one near FLT_MAX overflows the first convolution into NaN posteriors.
MAX_WEIGHT_MAGNITUDE = 1e6

REQUIRED_METADATA = ("format", "format_version", "architecture", "tau", "num_classes", "labels",
                     "feature_config", "input_frames", "bn_eps")
OPTIONAL_METADATA = ("thresholds", "description")
#: Required for (only) the CTC architecture.
CTC_METADATA = ("phonemizer",)

PathLike = Union[str, pathlib.Path]


class ModelFileError(ValueError):
    """A libkws model file (or the data to write one) is malformed."""


@dataclass
class ModelFile:
    """Contents of a libkws model file: raw string metadata, its parsed values, and tensors."""

    metadata: Dict[str, str]
    tensors: Dict[str, np.ndarray]
    tau: float
    num_classes: int
    labels: List[str]
    feature_config: Dict[str, Any]
    input_frames: int
    bn_eps: float
    thresholds: Optional[Dict[str, float]] = None
    description: Optional[str] = None
    architecture: str = ARCHITECTURE
    #: A CTC model's phonemizer (engine, voice, notation); None for a classifier.
    phonemizer: Optional[Dict[str, str]] = None


def format_tau(tau: float) -> str:
    """String form of tau for the metadata: "1", "1.5", "8" (no trailing ".0")."""
    check_tau(tau)
    return str(int(tau)) if float(tau).is_integer() else repr(float(tau))


def _compact_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build_metadata(tau: float, labels: Sequence[str],
                   feature_config: Optional[Mapping[str, Any]] = None,
                   input_frames: int = DEFAULT_INPUT_FRAMES,
                   thresholds: Optional[Mapping[str, float]] = None,
                   description: Optional[str] = None, architecture: str = ARCHITECTURE,
                   phonemizer: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The "__metadata__" object of a BC-ResNet model file (validated; all values strings).
    ``architecture`` is ARCHITECTURE (a classifier) or CTC_ARCHITECTURE (labels[0] must be
    BLANK_LABEL; ``phonemizer`` defaults to DEFAULT_PHONEMIZER)."""
    if architecture not in FORMAT_VERSIONS:
        raise ModelFileError(f"unsupported architecture {architecture!r} "
                             f"(expected one of {sorted(FORMAT_VERSIONS)})")
    config = FEATURE_CONFIG_DEFAULTS if feature_config is None else feature_config
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSIONS[architecture],
        "architecture": architecture,
        "tau": format_tau(tau),
        "num_classes": str(len(labels)),
        "labels": _compact_json(list(labels)),
        "feature_config": _compact_json(_checked(validate_feature_config, config)),
        "input_frames": str(input_frames),
        "bn_eps": str(BN_EPS),
    }
    if thresholds is not None:
        metadata["thresholds"] = _compact_json(
            {label: float(value) for label, value in thresholds.items()})
    if description is not None:
        metadata["description"] = description
    if architecture == CTC_ARCHITECTURE:
        metadata["phonemizer"] = _compact_json(dict(DEFAULT_PHONEMIZER if phonemizer is None
                                                    else phonemizer))
    elif phonemizer is not None:
        raise ModelFileError("a phonemizer is only for the CTC architecture")
    parse_metadata(metadata)
    return metadata


def _checked(function, *args):
    """Call function, turning its ValueError into ModelFileError."""
    try:
        return function(*args)
    except ModelFileError:
        raise
    except ValueError as error:
        raise ModelFileError(str(error)) from None


def _parse_int(metadata: Mapping[str, str], key: str) -> int:
    text = metadata[key]
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ModelFileError(f"metadata {key} must be a positive decimal integer, got {text!r}")
    return int(text)


def _parse_json(metadata: Mapping[str, str], key: str):
    try:
        return json.loads(metadata[key])
    except json.JSONDecodeError as error:
        raise ModelFileError(f"metadata {key} is not valid JSON: {error}") from None


def _parse_labels(metadata: Mapping[str, str], num_classes: int) -> List[str]:
    labels = _parse_json(metadata, "labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise ModelFileError("metadata labels must be a JSON list of non-empty strings")
    if len(labels) != num_classes:
        raise ModelFileError(f"metadata has {len(labels)} labels but num_classes is {num_classes}")
    duplicates = sorted({x for x in labels if labels.count(x) > 1})
    if duplicates:
        raise ModelFileError(f"duplicate labels {duplicates}")
    return labels


def _parse_thresholds(metadata: Mapping[str, str], labels: List[str]) -> Dict[str, float]:
    thresholds = _parse_json(metadata, "thresholds")
    if not isinstance(thresholds, dict):
        raise ModelFileError("metadata thresholds must be a JSON object label -> number")
    for label, value in thresholds.items():
        if label not in labels:
            raise ModelFileError(f"threshold for unknown label {label!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ModelFileError(f"threshold of {label!r} must be a number in [0, 1], got {value!r}")
    return {label: float(value) for label, value in thresholds.items()}


def _parse_input_frames(metadata: Mapping[str, str]) -> int:
    frames = _parse_int(metadata, "input_frames")
    if frames > MAX_INPUT_FRAMES:
        raise ModelFileError(f"metadata input_frames {frames} exceeds the limit of "
                             f"{MAX_INPUT_FRAMES} frames (60 s)")
    return frames


def _parse_ctc(metadata: Mapping[str, str], labels: List[str]) -> Dict[str, str]:
    """The CTC rules: labels[0] is the blank, tokens have no whitespace; the phonemizer."""
    if len(labels) < 2 or labels[0] != BLANK_LABEL:
        raise ModelFileError(f"a CTC model's first label must be the blank {BLANK_LABEL!r}, "
                             f"followed by at least one token")
    spaced = [token for token in labels[1:] if any(ch.isspace() for ch in token)]
    if spaced:
        raise ModelFileError(f"CTC tokens {spaced} contain whitespace (tokens are separated by "
                             f"spaces in keywords)")
    if "phonemizer" not in metadata:
        raise ModelFileError("__metadata__ lacks required keys ['phonemizer']")
    phonemizer = _parse_json(metadata, "phonemizer")
    if not isinstance(phonemizer, dict):
        raise ModelFileError("metadata phonemizer must be a JSON object")
    for key in PHONEMIZER_KEYS:
        if not isinstance(phonemizer.get(key), str) or not phonemizer[key]:
            raise ModelFileError(f"metadata phonemizer needs a non-empty string {key!r}")
    return {key: phonemizer[key] for key in PHONEMIZER_KEYS}


def parse_metadata(metadata: Mapping[str, str]) -> Dict[str, Any]:
    """Validate a "__metadata__" object and return its parsed values (tau, num_classes, labels,
    feature_config, input_frames, bn_eps, thresholds, description, architecture, phonemizer).
    Unknown keys are ignored so
    that later minor additions stay readable."""
    if not isinstance(metadata, Mapping):
        raise ModelFileError("__metadata__ must be a JSON object")
    not_strings = [k for k, v in metadata.items() if not isinstance(v, str)]
    if not_strings:
        raise ModelFileError(f"__metadata__ values must all be strings; not: {not_strings}")
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ModelFileError(f"__metadata__ lacks required keys {missing}")
    if metadata["format"] != FORMAT_NAME:
        raise ModelFileError(f"unsupported format {metadata['format']!r} (expected {FORMAT_NAME!r})")
    version, architecture = metadata["format_version"], metadata["architecture"]
    if version not in set(FORMAT_VERSIONS.values()):
        raise ModelFileError(f"unsupported format_version {version!r} "
                             f"(expected one of {sorted(set(FORMAT_VERSIONS.values()))})")
    if architecture not in FORMAT_VERSIONS:
        raise ModelFileError(f"unsupported architecture {architecture!r} "
                             f"(expected one of {sorted(FORMAT_VERSIONS)})")
    if int(version) < int(FORMAT_VERSIONS[architecture]):
        raise ModelFileError(f"architecture {architecture!r} needs format_version "
                             f"{FORMAT_VERSIONS[architecture]!r}, got {version!r}")
    ctc = architecture == CTC_ARCHITECTURE

    try:
        tau_number = float(metadata["tau"])
    except ValueError:
        raise ModelFileError(f"metadata tau {metadata['tau']!r} is not a number") from None
    tau = _checked(check_tau, int(tau_number) if tau_number.is_integer() else tau_number)
    num_classes = _parse_int(metadata, "num_classes")
    labels = _parse_labels(metadata, num_classes)
    feature_config = _parse_json(metadata, "feature_config")
    feature_config = _checked(validate_feature_config, feature_config)
    if feature_size(feature_config) != INPUT_FEATURES:
        raise ModelFileError(f"BC-ResNet takes {INPUT_FEATURES} feature rows, but feature_config "
                             f"gives {feature_size(feature_config)}")
    try:
        bn_eps = float(metadata["bn_eps"])
    except ValueError:
        bn_eps = float("nan")
    if not (math.isfinite(bn_eps) and bn_eps > 0):
        raise ModelFileError(f"metadata bn_eps must be a positive number, "
                             f"got {metadata['bn_eps']!r}")
    phonemizer = _parse_ctc(metadata, labels) if ctc else None
    if ctc and "thresholds" in metadata:
        raise ModelFileError("metadata thresholds is for classifiers; a CTC model's keywords bring "
                             "their own")
    return {
        "architecture": architecture,
        "phonemizer": phonemizer,
        "tau": tau,
        "num_classes": num_classes,
        "labels": labels,
        "feature_config": feature_config,
        "input_frames": _parse_input_frames(metadata),
        "bn_eps": bn_eps,
        "thresholds": _parse_thresholds(metadata, labels) if "thresholds" in metadata else None,
        "description": metadata.get("description"),
    }


def _check_tensors_match_architecture(shapes: Mapping[str, tuple], tau: float,
                                      num_classes: int) -> None:
    expected = tensor_shapes(tau, num_classes)
    missing = [name for name in expected if name not in shapes]
    unexpected = [name for name in shapes if name not in expected]
    wrong = [f"{name} {list(shapes[name])} (expected {list(shape)})"
             for name, shape in expected.items() if name in shapes and tuple(shapes[name]) != shape]
    problems = []
    if missing:
        problems.append(f"missing tensors {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    if unexpected:
        problems.append(f"unexpected tensors {unexpected[:5]}"
                        f"{' ...' if len(unexpected) > 5 else ''}")
    if wrong:
        problems.append(f"wrong shapes: {', '.join(wrong[:5])}{' ...' if len(wrong) > 5 else ''}")
    if problems:
        raise ModelFileError(f"tensors do not match BC-ResNet tau={tau} with {num_classes} "
                             f"classes: " + "; ".join(problems))


def _align(offset: int) -> int:
    return -(-offset // ALIGNMENT) * ALIGNMENT


def write_model_file(path: PathLike, tensors: Mapping[str, np.ndarray],
                     metadata: Mapping[str, str]) -> None:
    """Write ``tensors`` (name -> array, converted to float32, written in the given order) and
    ``metadata`` (see build_metadata) as a libkws model file. Validates everything first, last of
    all by loading the file image with libkws itself (kws_model_load_memory): a file the loader
    would refuse is never written (ModelFileError with libkws's message), and an existing file at
    ``path`` is replaced only by a complete, loadable one."""
    parsed = parse_metadata(metadata)
    arrays = {}
    for name, array in tensors.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ModelFileError(f"invalid tensor name {name!r}")
        array = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
        _check_values(name, array)
        arrays[name] = array
    _check_tensors_match_architecture({n: a.shape for n, a in arrays.items()}, parsed["tau"],
                                      parsed["num_classes"])

    header: Dict[str, Any] = {"__metadata__": dict(metadata)}
    chunks = []
    offset = 0
    for name, array in arrays.items():
        begin = _align(offset)
        chunks.append(b"\0" * (begin - offset))
        chunks.append(array.tobytes())
        offset = begin + array.nbytes
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [begin, offset]}
    header_bytes = _compact_json(header).encode("utf-8")
    header_bytes += b" " * (_align(8 + len(header_bytes)) - 8 - len(header_bytes))
    blob = b"".join([len(header_bytes).to_bytes(8, "little"), header_bytes, *chunks])
    _check_with_libkws(blob)
    path = pathlib.Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(blob)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _check_with_libkws(blob: bytes) -> None:
    """The loader is the specification's one implementation: what it refuses is not a model file."""
    from kws import runtime
    try:
        runtime.Model.from_bytes(blob).close()
    except runtime.KwsError as error:
        raise ModelFileError(f"libkws refuses the model file this would write: {error}") from None
    except OSError as error:  # the library itself was not found
        raise ModelFileError(f"cannot check the model file with libkws ({error}); build libkws or set "
                             f"KWS_LIBRARY") from None


def _read_header(blob: bytes) -> Dict[str, Any]:
    if len(blob) < 8:
        raise ModelFileError(f"file too short ({len(blob)} bytes) for the 8-byte header length")
    header_length = int.from_bytes(blob[:8], "little")
    if header_length > min(len(blob) - 8, MAX_HEADER_BYTES):
        raise ModelFileError(f"header length {header_length} exceeds the file "
                             f"({len(blob)} bytes) or the {MAX_HEADER_BYTES}-byte limit")
    if (8 + header_length) % ALIGNMENT:
        raise ModelFileError(f"data section starts at {8 + header_length}, not a multiple of "
                             f"{ALIGNMENT} (header must be padded with spaces)")
    try:
        header = json.loads(blob[8:8 + header_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"header is not UTF-8 JSON: {error}") from None
    if not isinstance(header, dict):
        raise ModelFileError("header must be a JSON object")
    if "__metadata__" not in header:
        raise ModelFileError("header has no __metadata__ (not a libkws model file)")
    return header


def _read_tensor(name: str, entry, data: memoryview) -> np.ndarray:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ModelFileError(f"tensor {name}: entry must have exactly dtype, shape, data_offsets")
    if entry["dtype"] != "F32":
        raise ModelFileError(f"tensor {name}: dtype {entry['dtype']!r} unsupported (only F32)")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ModelFileError(f"tensor {name}: shape must be a list of non-negative ints")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(
            isinstance(o, int) and not isinstance(o, bool) for o in offsets):
        raise ModelFileError(f"tensor {name}: data_offsets must be [begin, end] ints")
    begin, end = offsets
    count = math.prod(shape)
    if end > len(data):
        raise ModelFileError(f"tensor {name}: data_offsets {offsets} extend past the "
                             f"{len(data)}-byte data section (file truncated?)")
    if not 0 <= begin <= end or end - begin != 4 * count:
        raise ModelFileError(f"tensor {name}: data_offsets {offsets} do not hold {count} floats "
                             f"inside the {len(data)}-byte data section")
    if begin % ALIGNMENT:
        raise ModelFileError(f"tensor {name}: begin offset {begin} not {ALIGNMENT}-byte aligned")
    array = np.frombuffer(data, dtype="<f4", count=count, offset=begin).reshape(shape)
    _check_values(name, array)
    return array.astype(np.float32)  # native-endian, writable copy


def _check_values(name: str, array: np.ndarray) -> None:
    """The loader's value rules: finite, within MAX_WEIGHT_MAGNITUDE, variances not negative."""
    if not np.isfinite(array).all():
        raise ModelFileError(f"tensor {name} has non-finite values")
    if array.size and float(np.abs(array).max()) > MAX_WEIGHT_MAGNITUDE:
        raise ModelFileError(f"tensor {name} has values beyond +-{MAX_WEIGHT_MAGNITUDE:g}")
    if name.endswith(".running_var") and array.size and float(array.min()) < 0:
        raise ModelFileError(f"tensor {name} has a negative variance")


def read_model_file(path: PathLike) -> ModelFile:
    """Read and fully validate a libkws model file (header, metadata, offsets, tensor names and
    shapes against the BC-ResNet architecture). Raises ModelFileError on any problem."""
    blob = pathlib.Path(path).read_bytes()
    header = _read_header(blob)
    metadata = header.pop("__metadata__")
    parsed = parse_metadata(metadata)
    data = memoryview(blob)[8 + int.from_bytes(blob[:8], "little"):]
    tensors = {name: _read_tensor(name, entry, data) for name, entry in header.items()}

    spans = sorted(tuple(entry["data_offsets"]) for entry in header.values())
    for (_, previous_end), (begin, _) in zip(spans, spans[1:]):
        if begin < previous_end:
            raise ModelFileError("tensor data ranges overlap")
    data_end = spans[-1][1] if spans else 0
    if data_end != len(data):
        raise ModelFileError(f"data section is {len(data)} bytes but tensors end at {data_end} "
                             f"(truncated or trailing bytes)")
    _check_tensors_match_architecture({n: a.shape for n, a in tensors.items()}, parsed["tau"],
                                      parsed["num_classes"])
    return ModelFile(metadata=dict(metadata), tensors=tensors, **parsed)
