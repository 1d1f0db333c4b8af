"""The toolchain against the runtime it makes models for: libkws (through the kws binding) equals
the torchaudio front end and the PyTorch network, and the evaluation's detector settings default
to the library's own."""
import numpy as np
import pytest

import kws
from conftest import REPO_ROOT

MODEL = REPO_ROOT / "tests" / "model" / "golden" / "bcresnet_tau1.kws"


@pytest.fixture(scope="module")
def model():
    try:
        kws.version()
    except OSError as error:
        pytest.skip(f"libkws not built: {error}")
    return kws.Model(MODEL)


def noise(seconds, rate=16000, seed=0, amplitude=0.3):
    return (np.random.default_rng(seed).uniform(-amplitude, amplitude, int(seconds * rate))
            .astype(np.float32))


def test_features_match_the_torchaudio_reference(model):
    torch = pytest.importorskip("torch")
    from kws_training.features import compute_features
    clip = noise(1.0, seed=3)
    ours = model.features(clip, 16000)
    assert ours.shape == (40, 101)
    theirs = compute_features(torch.from_numpy(clip), model.feature_config).numpy()
    assert np.max(np.abs(ours - theirs)) < 2e-3
    assert model.features(noise(1.0, rate=8000), 8000).shape == (40, 101)


def test_classify_matches_pytorch_on_the_golden_model(model):
    torch = pytest.importorskip("torch")
    from kws_training.bcresnet import load_model_file
    from kws_training.features import compute_features
    network, _ = load_model_file(str(MODEL))
    clip = noise(1.0, seed=4)
    with torch.no_grad():
        features = compute_features(torch.from_numpy(clip), model.feature_config)
        logits = network(features.reshape(1, 1, *features.shape))[0]
    expected = torch.softmax(logits, 0).numpy()
    got = np.array([model.classify(clip, 16000).scores[label] for label in model.labels])
    assert np.max(np.abs(got - expected)) < 1e-4


def test_detector_defaults_come_from_the_library(model):
    """runtime.Detector leaves unset options to kws_detector_params_init, and the evaluation's
    DetectorSettings (the kws.evaluation flags' defaults) agree with it."""
    import dataclasses


    from kws_training.evaluation.detect import DetectorSettings
    defaults = kws.detector_defaults()
    assert defaults["min_consecutive"] >= 1 and 0 < defaults["stride_seconds"] < 1
    settings = dataclasses.asdict(DetectorSettings())
    for name, value in defaults.items():
        if name in settings:
            assert np.float32(settings[name]) == np.float32(value), name
    detector = kws.Detector(model)  # all defaults: nothing set from Python
    assert detector.sample_rate == model.sample_rate
