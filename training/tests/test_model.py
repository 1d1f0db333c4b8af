"""Tests of the Python model pipeline: BC-ResNet, model file, features, exporter, ONNX.

Run: cd training && /usr/bin/python3 -m pytest -q tests
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchaudio

from conftest import GOLDEN_DIR, PYTHON_DIR, REPO_ROOT, TRAINING_DIR
from kws_training import architecture, features
from kws_training.bcresnet import bcresnet, count_parameters, load_model_file
from kws_training.export import export, main as export_main
from kws_training.modelfile import (ALIGNMENT, ModelFileError, build_metadata, read_model_file,
                           write_model_file)

LABELS = ["_silence_", "_unknown_", "down", "go", "left", "no", "off", "on", "right", "stop",
          "up", "yes"]
#: Parameter counts of the paper (Kim et al. 2021, Table 2), 12 classes.
PAPER_PARAMETERS = {1: 9.2e3, 8: 321e3}

torch.set_num_threads(1)


def random_model(tau=1, num_classes=12, seed=0):
    """BC-ResNet in eval mode with random weights and random BatchNorm statistics."""
    torch.manual_seed(seed)
    model = bcresnet(tau, num_classes)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0.0, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.3)
    return model.eval()


def forward(model, inputs):
    with torch.no_grad():
        return model(torch.as_tensor(inputs)).numpy()


# --- architecture -------------------------------------------------------------------------------

def test_parameter_counts_match_paper(capsys):
    counts = {tau: count_parameters(bcresnet(tau, 12)) for tau in architecture.SUPPORTED_TAUS}
    with capsys.disabled():
        print("\nBC-ResNet parameters (12 classes)\n  tau  base_c  parameters")
        for tau, count in counts.items():
            print(f"  {tau:<4} {architecture.base_channels(tau):>6}  {count:>10,}")
    for tau, paper in PAPER_PARAMETERS.items():
        assert round(counts[tau], -2) == paper or round(counts[tau], -3) == paper, (tau, counts)
    assert list(counts.values()) == sorted(counts.values())


@pytest.mark.parametrize("tau", architecture.SUPPORTED_TAUS)
def test_tensor_layout_matches_state_dict(tau):
    state = bcresnet(tau, 7).state_dict()
    expected = architecture.tensor_shapes(tau, 7)
    actual = {name: tuple(value.shape) for name, value in state.items()
              if not name.endswith("num_batches_tracked")}
    assert list(actual.items()) == list(expected.items())


@pytest.mark.parametrize("frames", [101, 73, 1])
def test_forward_shapes(frames):
    model = random_model(1.5)
    assert forward(model, torch.randn(3, 1, 40, frames)).shape == (3, 12)


def test_unsupported_tau_is_rejected():
    with pytest.raises(ValueError, match="unsupported BC-ResNet width tau=4"):
        bcresnet(4)


# --- model file ---------------------------------------------------------------------------------

@pytest.mark.parametrize("tau", [1, 1.5])
def test_export_read_roundtrip(tmp_path, tau):
    model = random_model(tau)
    path = tmp_path / "model.kws"
    export(model, tau, LABELS, path, thresholds={"yes": 0.8}, description="test")

    model_file = read_model_file(path)
    state = {k: v.numpy() for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    assert list(model_file.tensors) == list(state)
    for name, value in state.items():
        assert model_file.tensors[name].dtype == np.float32
        assert np.array_equal(model_file.tensors[name], value), name
    assert model_file.tau == tau and model_file.metadata["tau"] == str(tau)
    assert model_file.labels == LABELS and model_file.num_classes == 12
    assert model_file.feature_config == features.FEATURE_CONFIG_DEFAULTS
    assert model_file.input_frames == 101 and model_file.metadata["bn_eps"] == "1e-05"
    assert model_file.thresholds == {"yes": 0.8} and model_file.description == "test"
    assert all(isinstance(v, str) for v in model_file.metadata.values())

    loaded, _ = load_model_file(path)
    inputs = torch.randn(2, 1, 40, 101)
    assert np.array_equal(forward(loaded, inputs), forward(model, inputs))


def test_file_layout_is_aligned_safetensors(tmp_path):
    path = tmp_path / "model.kws"
    export(random_model(), 1, LABELS, path)
    blob = path.read_bytes()
    header_length = int.from_bytes(blob[:8], "little")
    assert (8 + header_length) % ALIGNMENT == 0
    header_text = blob[8:8 + header_length].decode("utf-8")
    assert header_text.startswith("{") and header_text.rstrip(" ").endswith("}")
    header = json.loads(header_text)
    assert next(iter(header)) == "__metadata__"
    metadata = header.pop("__metadata__")
    assert {"format": "libkws", "format_version": "1", "architecture": "bcresnet"}.items() \
        <= metadata.items()
    assert json.loads(metadata["labels"]) == LABELS
    assert set(json.loads(metadata["feature_config"])) == set(features.FEATURE_CONFIG_DEFAULTS)
    end = 0
    for name, entry in header.items():  # packed in header order, aligned begins
        begin, stop = entry["data_offsets"]
        assert entry["dtype"] == "F32" and begin % ALIGNMENT == 0 and begin >= end
        assert begin - end < ALIGNMENT and stop - begin == 4 * int(np.prod(entry["shape"]))
        end = stop
    assert len(blob) == 8 + header_length + end


def test_odd_sized_tensor_gets_aligned_gap(tmp_path):
    path = tmp_path / "odd.kws"
    labels = [f"word{i}" for i in range(11)]  # classifier bias: 11 floats = 44 bytes
    export(random_model(1, 11), 1, labels, path)
    model_file = read_model_file(path)
    assert model_file.num_classes == 11 and model_file.tensors["classifier.5.bias"].shape == (11,)


def _rewrite_header(path, edit):
    """Apply edit(header dict) to the file's JSON header and write it back, re-padded."""
    blob = path.read_bytes()
    length = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + length])
    edit(header)
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + blob[8 + length:])


CORRUPTIONS = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:-4]), "truncated"),
    "huge header length": (lambda p: p.write_bytes((10 ** 12).to_bytes(8, "little")
                                                   + p.read_bytes()[8:]), "header length"),
    "not json": (lambda p: p.write_bytes((8).to_bytes(8, "little") + b"not json"
                                         + p.read_bytes()[16:]), "not UTF-8 JSON"),
    "wrong format": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(format="other")), "unsupported format"),
    "label count": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(labels='["a","b"]')), "2 labels"),
    "non-string metadata": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(num_classes=12)), "must all be strings"),
    "bad feature_config": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(feature_config='{"n_fft":512}')), "missing keys"),
    "wrong dtype": (lambda p: _rewrite_header(
        p, lambda h: h["cnn_head.0.weight"].update(dtype="F16")), "only F32"),
    "misaligned": (lambda p: _rewrite_header(
        p, lambda h: h["cnn_head.1.weight"].update(data_offsets=[1604, 1668])), "aligned"),
    "renamed tensor": (lambda p: _rewrite_header(
        p, lambda h: h.update(bias=h.pop("classifier.5.bias"))), "missing tensors"),
    "wrong tau": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(tau="2")), "tau=2"),
    "window beyond a minute": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(input_frames="100000")), "limit of 6001 frames"),
    "threshold above 1": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(thresholds='{"yes": 2.0}')), r"in \[0, 1\]"),
    "negative threshold": (lambda p: _rewrite_header(
        p, lambda h: h["__metadata__"].update(thresholds='{"yes": -1}')), r"in \[0, 1\]"),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_reader_rejects_corrupt_files(tmp_path, corruption):
    path = tmp_path / "model.kws"
    export(random_model(), 1, LABELS, path)
    corrupt, message = CORRUPTIONS[corruption]
    corrupt(path)
    with pytest.raises(ModelFileError, match=message):
        read_model_file(path)


def test_writer_rejects_non_finite_values(tmp_path):
    tensors = {k: v.numpy() for k, v in random_model().state_dict().items()
               if not k.endswith("num_batches_tracked")}
    tensors["classifier.5.bias"] = np.full(12, np.nan, dtype=np.float32)
    with pytest.raises(ModelFileError, match="non-finite"):
        write_model_file(tmp_path / "nan.kws", tensors, build_metadata(1, LABELS))


# --- exporter -----------------------------------------------------------------------------------

@pytest.mark.parametrize("tau, labels, message", [
    (2, LABELS, r"tau=2 with 12 classes.*looks like tau=1 with 12 classes"),
    (4, LABELS, "unsupported BC-ResNet width tau=4"),
    (1, LABELS[:10], r"tau=1 with 10 classes.*looks like tau=1 with 12 classes"),
    (1, LABELS[:11] + ["up"], r"duplicate labels \['up'\]"),
    (1, [], "labels must be non-empty"),
    (1, "yes,no", "sequence of strings"),
])
def test_exporter_rejects_bad_arguments(tmp_path, tau, labels, message):
    state_dict = random_model(1).state_dict()
    with pytest.raises(ValueError, match=message):
        export(state_dict, tau, labels, tmp_path / "model.kws")
    assert not (tmp_path / "model.kws").exists()


def test_exporter_rejects_module_of_other_width(tmp_path):
    with pytest.raises(ValueError, match=r"model is BC-ResNet tau=1\.5"):
        export(random_model(1.5), 1, LABELS, tmp_path / "model.kws")


def test_exporter_rejects_bad_feature_config(tmp_path):
    with pytest.raises(ValueError, match="window must be one of"):
        export(random_model(), 1, LABELS, tmp_path / "m.kws",
               feature_config={**features.FEATURE_CONFIG_DEFAULTS, "window": "kaiser"})
    with pytest.raises(ValueError, match="40 feature rows"):
        export(random_model(), 1, LABELS, tmp_path / "m.kws",
               feature_config={**features.FEATURE_CONFIG_DEFAULTS, "n_mels": 64})


def _tensors():
    return {k: v.numpy() for k, v in random_model().state_dict().items()
            if not k.endswith("num_batches_tracked")}


# Feature records at the edges of the rules (40 mel rows, so every one fits the tau-1 network).
FEATURE_EDGES = [
    {}, {"sample_rate": 8000}, {"sample_rate": 1000, "f_max": 0.0}, {"sample_rate": 768000},
    {"sample_rate": 999}, {"sample_rate": 768001}, {"sample_rate": 500},
    {"n_fft": 511}, {"n_fft": 16, "win_length": 16, "hop_length": 16}, {"n_fft": 14, "win_length": 14, "hop_length": 7},
    {"n_fft": 400, "win_length": 400}, {"hop_length": 512}, {"hop_length": 1024}, {"win_length": 600},
    {"log": "decibel", "top_db": 80.0}, {"top_db": 80.0}, {"log": "decibel", "top_db": -1.0},
    {"log_offset": 0.0}, {"log": "decibel", "log_offset": 0.0},
    {"sample_rate": 16001, "f_max": 8000.0}, {"sample_rate": 16001, "f_max": 8000.5},
    {"f_min": 8000.0}, {"f_min": -1.0}, {"f_max": -5.0}, {"f_min": 100.0, "f_max": 7000.0},
    {"kind": "mfcc", "n_mfcc": 40}, {"kind": "mfcc", "n_mels": 64, "n_mfcc": 40}, {"kind": "mfcc", "n_mels": 30, "n_mfcc": 40},
]


@pytest.mark.parametrize("edit", FEATURE_EDGES, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()) or "default")
def test_python_feature_rules_agree_with_libkws(tmp_path, monkeypatch, edit):
    """kws_training.features and libkws's loader accept and refuse the same feature records."""
    pytest.importorskip("kws.runtime")
    from kws_training import modelfile
    config = {**features.FEATURE_CONFIG_DEFAULTS, **edit}
    try:
        features.validate_feature_config(config)
        python_accepts = True
    except ValueError:
        python_accepts = False
    # What libkws says, with Python's own feature check out of the way.
    monkeypatch.setattr(modelfile, "validate_feature_config", lambda c: dict(c))
    monkeypatch.setattr(features, "validate_feature_config", lambda c: dict(c))
    path = tmp_path / "m.kws"
    try:
        write_model_file(path, _tensors(), modelfile.build_metadata(1, LABELS, feature_config=config))
        libkws_accepts = True
    except ModelFileError as error:
        if "cannot check the model file with libkws" in str(error):
            pytest.skip(str(error))
        assert "libkws refuses" in str(error)
        libkws_accepts = False
    assert python_accepts == libkws_accepts, (edit, python_accepts, libkws_accepts)
    assert path.exists() == libkws_accepts  # a refused file is never written


def test_writer_has_libkws_check_what_it_writes(tmp_path, monkeypatch):
    from kws_training import modelfile
    path = tmp_path / "m.kws"
    export(random_model(), 1, LABELS, path)
    before = path.read_bytes()
    monkeypatch.setattr(modelfile, "validate_feature_config", lambda c: dict(c))
    monkeypatch.setattr(features, "validate_feature_config", lambda c: dict(c))
    bad = modelfile.build_metadata(1, LABELS, feature_config={**features.FEATURE_CONFIG_DEFAULTS, "n_fft": 511})
    with pytest.raises(ModelFileError, match="libkws refuses.*n_fft"):
        write_model_file(path, _tensors(), bad)
    assert path.read_bytes() == before  # the existing file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["m.kws"]  # and no partial file is left


@pytest.mark.parametrize("wrapper", ["state_dict", "model"])
def test_reference_style_checkpoint_converts(tmp_path, wrapper):
    """A checkpoint as the reference repo's users save it: DataParallel 'module.' prefix, nested
    in a dict with training state, converted through the command line."""
    model = random_model(1)
    checkpoint = {wrapper: {f"module.{k}": v for k, v in model.state_dict().items()},
                  "epoch": 200, "optimizer": {"lr": 0.0}}
    torch.save(checkpoint, tmp_path / "ckpt.pt")
    out = tmp_path / "model.kws"
    assert export_main(["--checkpoint", str(tmp_path / "ckpt.pt"), "--tau", "1",
                        "--labels", ",".join(LABELS), "--out", str(out)]) == 0
    loaded, model_file = load_model_file(out)
    assert model_file.labels == LABELS
    inputs = torch.randn(2, 1, 40, 101)
    assert np.array_equal(forward(loaded, inputs), forward(model, inputs))


def test_command_line_reports_errors(tmp_path, capsys):
    torch.save(random_model(1).state_dict(), tmp_path / "ckpt.pt")
    status = export_main(["--checkpoint", str(tmp_path / "ckpt.pt"), "--tau", "3",
                          "--labels", ",".join(LABELS), "--out", str(tmp_path / "m.kws")])
    assert status == 1
    assert "looks like tau=1" in capsys.readouterr().err


# --- ONNX ---------------------------------------------------------------------------------------

def _onnx_runtime_in_node():
    """Path of benchmarks/onnx_parity.mjs when node and benchmarks/node_modules can run it."""
    script = REPO_ROOT / "benchmarks" / "onnx_parity.mjs"
    installed = (REPO_ROOT / "benchmarks" / "node_modules" / "onnxruntime-node").is_dir()
    return script if shutil.which("node") and installed else None


def test_onnx_matches_torch(tmp_path):
    has_python_ort = importlib.util.find_spec("onnxruntime") is not None
    node_script = None if has_python_ort else _onnx_runtime_in_node()
    if not has_python_ort and node_script is None:
        pytest.skip("no ONNX runtime: onnxruntime is not importable in Python and "
                    "benchmarks/node_modules has no onnxruntime-node "
                    "(npm install --ignore-scripts in benchmarks/)")
    model = random_model(1.5)
    onnx_path = tmp_path / "model.onnx"
    export(model, 1.5, LABELS, tmp_path / "model.kws", onnx_path=onnx_path)
    inputs = torch.randn(3, 1, 40, 77).numpy()  # batch and frames differ from the export's
    expected = forward(model, inputs)
    if has_python_ort:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(onnx_path))
        assert [i.name for i in session.get_inputs()] == ["logmel"]
        actual = session.run(["logits"], {"logmel": inputs})[0]
        np.testing.assert_allclose(actual, expected, atol=1e-4)
    else:
        np.save(tmp_path / "inputs.npy", inputs)
        np.save(tmp_path / "logits.npy", expected)
        result = subprocess.run(["node", str(node_script), "--onnx", str(onnx_path), "--inputs",
                                 str(tmp_path / "inputs.npy"), "--logits",
                                 str(tmp_path / "logits.npy"), "--atol", "1e-4"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


# --- features -----------------------------------------------------------------------------------

def test_default_features_are_the_reference_log_mel():
    waveform = torch.rand(2, 1, 16000) - 0.5
    reference = torchaudio.transforms.MelSpectrogram(
        sample_rate=16000, n_fft=512, win_length=480, hop_length=160, n_mels=40)
    expected = (reference(waveform) + 1e-6).log()
    assert torch.equal(features.compute_features(waveform), expected)
    assert expected.shape == (2, 1, 40, features.num_frames(16000))


def test_mfcc_features_equal_torchaudio_mfcc():
    waveform = torch.rand(1, 12345) - 0.5
    config = features.make_feature_config(kind="mfcc", n_mfcc=13, log="decibel", top_db=80.0)
    expected = torchaudio.transforms.MFCC(
        sample_rate=16000, n_mfcc=13,
        melkwargs=dict(n_fft=512, win_length=480, hop_length=160, n_mels=40))(waveform)
    torch.testing.assert_close(features.compute_features(waveform, config), expected)


@pytest.mark.parametrize("overrides, message", [
    ({"n_fft": 512.0}, "n_fft must be a positive int"),
    ({"center": 1}, "center must be a bool"),
    ({"power": 3.0}, "power must be one of"),
    ({"win_length": 1024}, "exceeds n_fft"),
    ({"f_min": 9000.0}, "f_min < f_max"),
    ({"top_db": -1.0}, "top_db must be null"),
])
def test_feature_config_validation(overrides, message):
    with pytest.raises(ValueError, match=message):
        features.make_feature_config(**overrides)
    with pytest.raises(ValueError, match="unknown keys"):
        features.validate_feature_config({**features.FEATURE_CONFIG_DEFAULTS, "dither": 0.0})


def test_importing_kws_does_not_import_torch():
    code = ("import sys, kws, kws_training, kws_training.modelfile, kws_training.features, "
            "kws_training.architecture, kws_training.recipe, kws_training.evaluation; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PYTHON_DIR), str(TRAINING_DIR)]))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT, env=env)


# --- golden data (committed under tests/model/golden) --------------------------------------------

def _golden_index():
    index_path = GOLDEN_DIR / "index.json"
    if not index_path.is_file():
        pytest.skip(f"no golden data at {GOLDEN_DIR} (run tests/model/make_golden.py)")
    return json.loads(index_path.read_text())


def test_golden_logits_reproduce():
    index = _golden_index()
    inputs = np.load(GOLDEN_DIR / index["inputs"]["file"])
    inputs_odd = np.load(GOLDEN_DIR / index["inputs_odd"]["file"])
    assert [entry["tau"] for entry in index["models"]] == ["1", "1.5", "2", "3", "6", "8"]
    for entry in index["models"]:
        model, model_file = load_model_file(GOLDEN_DIR / entry["model"])
        assert model_file.labels == index["labels"] == LABELS
        scale = max(1.0, entry["max_abs_logit"])
        for logits_key, batch in (("logits", inputs), ("logits_odd", inputs_odd)):
            expected = np.load(GOLDEN_DIR / entry[logits_key]["file"])
            np.testing.assert_allclose(forward(model, batch), expected, atol=1e-5 * scale,
                                       rtol=0, err_msg=f"tau {entry['tau']} {logits_key}")


def test_golden_speech_inputs_match_features(make_golden):
    """Rows 2-3 of inputs.npy are kws_training.features log-mels of real clips (needs ../shared/data)."""
    index = _golden_index()
    data_dir = make_golden.find_shared_data()
    if data_dir is None:
        pytest.skip("../shared/data is absent: cannot recompute the speech rows of inputs.npy")
    speech, sources = make_golden.speech_features(data_dir)
    rows = index["inputs"]["rows"]
    assert sources == [row["clip"] for row in rows if row["source"] == "log_mel"]
    golden = np.load(GOLDEN_DIR / index["inputs"]["file"])[-len(sources):]
    np.testing.assert_allclose(speech.numpy(), golden, atol=1e-4)


# --- an independent forward pass, the way the C++ engine computes it --------------------------

def _folded_forward(tensors, inputs, eps=architecture.BN_EPS):
    """BC-ResNet from the model-file tensors alone, as MODEL_FORMAT.md describes it: BN folded
    into conv weights, SubSpectralNorm as a per-(channel, sub-band) scale/shift with BN entry
    c * 5 + g. Uses only torch.nn.functional, no kws_training.bcresnet modules."""
    F = torch.nn.functional
    t = {name: torch.from_numpy(value) for name, value in tensors.items()}

    def fold(prefix):
        scale = t[f"{prefix}.weight"] / torch.sqrt(t[f"{prefix}.running_var"] + eps)
        return scale, t[f"{prefix}.bias"] - t[f"{prefix}.running_mean"] * scale

    def conv_bn(conv, bn, x, groups=1, **kwargs):
        scale, shift = fold(bn)
        weight = t[f"{conv}.weight"] * scale.view(-1, 1, 1, 1)
        return F.conv2d(x, weight, shift, groups=groups, **kwargs)

    def subspectral_norm(prefix, x):
        scale, shift = fold(f"{prefix}.ssnorm")
        channels, rows = x.shape[1], x.shape[2]
        per_row = [v.view(channels, architecture.SUB_BANDS)
                   .repeat_interleave(rows // architecture.SUB_BANDS, dim=1).view(channels, rows, 1)
                   for v in (scale, shift)]
        return x * per_row[0] + per_row[1]

    x = F.relu(conv_bn("cnn_head.0", "cnn_head.1", inputs, stride=(2, 1), padding=2))
    for stage, num_blocks in enumerate(architecture.BLOCKS_PER_STAGE):
        for block in range(num_blocks):
            p = f"BCBlocks.{stage}.{block}"
            transition = f"{p}.f2.1.block.0.weight" in t
            z = F.relu(conv_bn(f"{p}.f2.0.block.0", f"{p}.f2.0.block.1", x)) if transition else x
            f2 = f"{p}.f2.{int(transition)}.block"
            stride = 2 if block == 0 and stage in architecture.FREQUENCY_STRIDED_STAGES else 1
            z = F.conv2d(z, t[f"{f2}.0.weight"], stride=(stride, 1), padding=(1, 0),
                         groups=z.shape[1])
            z = subspectral_norm(f"{f2}.1", z)
            dilation = 2 ** stage
            a = F.silu(conv_bn(f"{p}.f1.0.block.0", f"{p}.f1.0.block.1", z.mean(2, keepdim=True),
                               groups=z.shape[1], padding=(0, dilation), dilation=(1, dilation)))
            y = z + F.conv2d(a, t[f"{p}.f1.1.weight"])
            x = F.relu(y if transition else y + x)
    x = F.conv2d(x, t["classifier.0.weight"], padding=(0, 2), groups=x.shape[1])
    x = F.relu(conv_bn("classifier.1", "classifier.2", x)).mean((2, 3), keepdim=True)
    return F.conv2d(x, t["classifier.5.weight"], t["classifier.5.bias"]).flatten(1)


@pytest.mark.parametrize("tau", architecture.SUPPORTED_TAUS)
def test_folded_forward_from_file_matches_model(tmp_path, tau):
    model = random_model(tau)
    export(model, tau, LABELS, tmp_path / "model.kws")
    model_file = read_model_file(tmp_path / "model.kws")
    for frames in (101, 73):
        inputs = torch.randn(2, 1, 40, frames)
        expected = forward(model, inputs)
        with torch.no_grad():
            actual = _folded_forward(model_file.tensors, inputs).numpy()
        np.testing.assert_allclose(actual, expected, rtol=0,
                                   atol=1e-5 * max(1.0, np.abs(expected).max()))
