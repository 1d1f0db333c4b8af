"""Tests of the wake-word-from-text pieces: the backbone start (recipe.train.load_backbone,
frozen stages), the domain-adversarial gradient reversal, the wake word's epoch shares, the
speech backbone's held-out speakers, and the one command (kws_training.wakeword) end to end on a
tiny budget.

Run: cd training && /usr/bin/python3 -m pytest -q tests
"""
import json
import pathlib
import shutil

import numpy as np
import pytest

from conftest import REPO_ROOT
from kws_training import wakeword
from kws_training.recipe import dataset, train

MODELS = REPO_ROOT / "examples" / "models"


def test_backbone_starts_every_layer_but_the_last(tmp_path):
    import torch

    from kws_training.bcresnet import bcresnet
    from kws_training.export import export

    torch.manual_seed(0)
    backbone = bcresnet(1, 7).eval()
    export(backbone, 1, [f"w{i}" for i in range(7)], tmp_path / "backbone.kws")
    model = bcresnet(1, 3)
    last_before = model.classifier[-1].weight.detach().clone()
    train.load_backbone(model, tmp_path / "backbone.kws")
    source = backbone.state_dict()
    for key, value in model.state_dict().items():
        if key.startswith("classifier.5."):
            continue
        assert torch.allclose(value.float(), source[key].float(), atol=1e-6), key
    assert torch.equal(model.classifier[-1].weight, last_before)
    with pytest.raises(ValueError, match="BC-ResNet-2"):
        train.load_backbone(bcresnet(2, 3), tmp_path / "backbone.kws")


def test_frozen_stages_do_not_move():
    import torch

    from kws_training.bcresnet import bcresnet

    model = bcresnet(1, 3)
    frozen = train.frozen_modules(model, 2)
    assert frozen[0] is model.cnn_head and len(frozen) == 3
    assert train.frozen_modules(model, 0) == []
    for module in frozen:
        module.requires_grad_(False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    model.train()
    for module in frozen:
        module.eval()
    loss = model(torch.randn(4, 1, 40, 101)).sum()
    loss.backward()
    optimizer.step()
    after = model.state_dict()
    moved = {k for k in after if not torch.equal(after[k], before[k])}
    assert moved and all(not k.startswith(("cnn_head.", "BCBlocks.0.", "BCBlocks.1.")) for k in moved)
    assert any(k.startswith("BCBlocks.2.") for k in moved)


def test_gradient_reversal_flips_and_scales():
    import torch

    x = torch.ones(3, requires_grad=True)
    y = train.reverse_gradient(x, 0.25)
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.allclose(x.grad, torch.full((3,), -0.25))


def test_embed_is_what_the_last_layer_classifies():
    import torch

    from kws_training.bcresnet import bcresnet

    model = bcresnet(1, 5).eval()
    x = torch.randn(2, 1, 40, 101)
    with torch.no_grad():
        assert torch.allclose(model(x), torch.flatten(model.classifier[-1](model.embed(x)), 1))


def test_synthetic_examples_are_told_apart():
    example = lambda source: dataset.Example(None, 1, source, "g")
    assert all(example(s).synthetic for s in ("synth", "synth_word", "synth_sentence", "synth_fragment"))
    assert not any(example(s).synthetic for s in ("librispeech", "gsc_train", "arabic", "generated_silence"))


def test_wakeword_shares_make_an_epoch():
    assert abs(sum(dataset.WAKEWORD_SHARE.values()) - 1.0) < 1e-9
    # as many synthetic negatives as synthetic positives: "synthetic" never means the keyword
    assert dataset.WAKEWORD_SHARE["synthetic_other"] >= dataset.WAKEWORD_SHARE["keyword"]


def test_wakeword_text_is_checked():
    assert wakeword.check_text("  hey   jarvis ") == "hey jarvis"
    assert wakeword.slug("Hey, Jarvis!") == "hey_jarvis"
    for bad in ("", "_silence_", "x" * 65):
        with pytest.raises(SystemExit):
            wakeword.check_text(bad)


def test_backbone_never_trains_on_evaluation_speech(monkeypatch):
    """The speech backbone holds out the wake-word recordings and the streams' speakers."""
    if dataset.shared_data_dir() is None:
        pytest.skip("../shared/data not present (the backbone trains on it)")
    from kws_training.recipe.speech_commands import speaker_fraction

    captured = {}
    monkeypatch.setattr(dataset, "_load_files", lambda paths, label="": (
        captured.setdefault(label, list(paths)), [np.zeros(16000, np.int16)] * len(paths))[1])
    args = train.parse_args(["--task", "speech_backbone"])
    task = dataset.build_task(args)
    every_path = [p for paths in captured.values() for p in paths]
    assert not any("wakewords" in str(p) for p in every_path)
    trained = [e for pool in task.train_pools.values() for e in pool]
    assert trained and all(speaker_fraction(e.group, dataset.HELDOUT_SALT) >= dataset.WAKEWORD_HELDOUT
                           for e in trained if e.source in ("gsc", "librispeech"))
    assert not any("validation" in str(p) for p in captured["arabic_speech_commands_train"] +
                   captured["arabic_speech_commands_train_more"])
    assert "_speech_" in task.labels and "ar:zero" in task.labels


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_one_command_end_to_end(tmp_path, monkeypatch):
    """Synthesis, a few steps on a backbone, calibration, export: a model libkws loads, with a
    threshold for the word and a summary of what was measured."""
    from kws_training.bcresnet import bcresnet
    from kws_training.export import export
    from kws_training.modelfile import read_model_file

    monkeypatch.setenv("KWS_NO_PROGRESS", "1")
    monkeypatch.setenv("KWS_SHARED_DATA", str(tmp_path / "absent"))  # synthetic negatives only
    monkeypatch.setattr(wakeword, "find_shared_data", lambda *a: None)
    monkeypatch.setattr(wakeword, "CALIBRATION_HOURS", 0.05)
    monkeypatch.setattr(dataset, "shared_data_dir", lambda: None)
    export(bcresnet(1, 4).eval(), 1, ["_silence_", "_unknown_", "a", "b"], tmp_path / "backbone.kws")
    out = tmp_path / "hey_libkws.kws"
    monkeypatch.setattr(train, "parse_args", lambda argv, _parse=train.parse_args: _parse(
        argv + ["--max-steps", "2", "--batch-size", "8", "--epoch-size", "32", "--sentences", "2",
                "--negatives", "6", "--negative-renders", "2",
                "--cache-dir", str(tmp_path / "cache")]))
    assert wakeword.main(["hey libkws", "--out", str(out), "--backbone", str(tmp_path / "backbone.kws"),
                          "--epochs", "1", "--keyword-renders", "12", "--threads", "1",
                          "--run-dir", str(tmp_path / "run"), "--quiet"]) == 0
    model_file = read_model_file(out)
    assert model_file.labels == ["_silence_", "_unknown_", "hey libkws"]
    assert "hey libkws" in json.loads(model_file.metadata["thresholds"])
    summary = json.loads((tmp_path / "run" / "wakeword.json").read_text())
    assert summary["calibration"]["real_other_speech"] is False and "calibration" in summary["seconds"]
    from kws import runtime
    with runtime.Model(out) as model:
        assert model.labels == model_file.labels


def test_one_command_without_backbone_says_so(tmp_path, capsys):
    assert wakeword.main(["computer", "--out", str(tmp_path / "x.kws"),
                          "--backbone", str(tmp_path / "missing.kws")]) == 2
    assert "speech_backbone" in capsys.readouterr().err


def test_voice_change_moves_frequencies_and_keeps_length():
    from kws_training.recipe import augment

    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 300 * t) * (t < 0.6)).astype(np.float32)
    for factor, expected in ((0.86, 258), (1.16, 348)):
        warped = augment.spectral_warp(tone, factor)
        assert warped.size == tone.size and warped.dtype == np.float32
        assert abs(int(np.argmax(np.abs(np.fft.rfft(warped)))) - expected) <= 2
        speech = np.nonzero(np.abs(warped) > 0.05)[0]
        assert abs(speech[-1] - 9600) < 400  # the tempo is kept
    narrow = augment.telephone(tone)
    spectrum = np.abs(np.fft.rfft(narrow + augment.coloured_noise(16000, np.random.default_rng(0), 0) * 0.01))
    assert narrow.size == tone.size and spectrum[4100:].max() < 0.05 * spectrum.max()
    tilted = augment.spectral_tilt(tone, 0.7)
    assert abs(augment.rms(tilted) - augment.rms(tone)) < 1e-3


def test_voice_change_applies_to_synthetic_clips_only():
    from kws_training.recipe import augment

    config = augment.AugmentConfig(voice_probability=1.0, speed_probability=0, reverb_probability=0,
                                   filter_probability=0, noise_probability=0, time_shift_ms=0,
                                   gain_db=(0.0, 0.0))
    augmenter = augment.Augmenter(config)
    t = np.arange(8000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    real = augmenter(tone, np.random.default_rng(1), True, synthetic=False)
    changed = augmenter(tone, np.random.default_rng(1), True, synthetic=True)
    assert np.allclose(real, augment.place(tone, 16000, 0, None) * (0.9 / 0.3), atol=1e-4)
    assert not np.allclose(real, changed, atol=1e-2)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_phonetic_neighbours_sound_alike_and_are_not_the_word():
    from kws_training.recipe import phonetics, wordlists

    assert phonetics.edit_distance("kat", "cut") == 2 and phonetics.edit_distance("", "ab") == 2
    words = ["commuter", "banana", "computer", "computers", "elephant", "compute", "kompyuter"]
    close = phonetics.neighbours("computer", 3, words)
    assert close[0] == "commuter" and "compute" in close and "banana" not in close
    assert "computer" not in close and "computers" not in close  # contains the word
    assert phonetics.phonemes(["computer"]) == phonetics.phonemes(["Computer!"])
    negatives = wordlists.negative_words(["alexa"], 10, close=["alas", "lexus"])
    assert negatives[:2] == ["alas", "lexus"] and "alexa" not in negatives


def test_hard_negatives_are_a_second_phase_from_the_first_model(tmp_path, monkeypatch):
    """--hard-negatives N (on by default): a second training run starts from the first one's
    model, mines with it, and is the model that gets calibrated and reported."""
    from kws_training.bcresnet import bcresnet
    from kws_training.evaluation import cli as evaluation
    from kws_training.export import export

    export(bcresnet(1, 4).eval(), 1, ["_silence_", "_unknown_", "a", "b"], tmp_path / "backbone.kws")
    monkeypatch.setattr(wakeword, "find_shared_data", lambda *a: tmp_path)  # "real speech present"
    runs = []

    def fake_train(args):
        runs.append(args)
        args.run_dir.mkdir(parents=True, exist_ok=True)
        (args.run_dir / "model.kws").write_bytes(b"")
        (args.run_dir / "eval.json").write_text(json.dumps({"validation": {"synth_heldout": {"accuracy": 0.9}}}))
        (args.run_dir / "data.json").write_text(json.dumps({"mined": {"mined": 7}} if args.mine_with else {}))
    calibrated = []

    def fake_evaluation(argv):
        if argv[0] == "calibrate":
            calibrated.append(argv[argv.index("--model") + 1])
            out = pathlib.Path(argv[argv.index("--out-thresholds") + 1])
            out.write_text(json.dumps({"thresholds": {"hey libkws": 0.7},
                                       "achieved_on_calibration_stream": {"overall": {"fa_per_hour": 0.3}}}))
        return 0
    monkeypatch.setattr(train, "train", fake_train)
    monkeypatch.setattr(evaluation, "main", fake_evaluation)
    run = tmp_path / "run"
    assert wakeword.main(["hey libkws", "--out", str(tmp_path / "x.kws"), "--backbone", str(tmp_path / "backbone.kws"),
                          "--hard-negatives", "50", "--hard-negative-epochs", "3", "--lr", "0.05",
                          "--run-dir", str(run), "--quiet"]) == 0
    first, second = runs
    assert first.mine_with is None and first.run_dir == run
    assert second.init == second.mine_with == run / "model.kws" and second.mined_negatives == 50
    assert (second.epochs, second.warmup_epochs, second.lr) == (3, 0, 0.01)
    assert second.run_dir == run / "hard_negatives" and second.backbone == first.backbone
    assert (second.keyword, second.freeze_stages, second.seed) == (first.keyword, first.freeze_stages, first.seed)
    assert calibrated == [str(run / "hard_negatives" / "model.kws")]
    summary = json.loads((run / "wakeword.json").read_text())
    assert summary["hard_negatives"] == {"mined": 7} and "hard negatives" in summary["seconds"]
    # by default: 2000 at most
    runs.clear(), calibrated.clear()
    assert wakeword.main(["hey libkws", "--out", str(tmp_path / "y.kws"), "--backbone", str(tmp_path / "backbone.kws"),
                          "--run-dir", str(tmp_path / "run2"), "--quiet"]) == 0
    assert len(runs) == 2 and runs[1].mined_negatives == 2000
    # --hard-negatives 0: one run, calibrated itself
    runs.clear(), calibrated.clear()
    assert wakeword.main(["hey libkws", "--out", str(tmp_path / "z.kws"), "--backbone", str(tmp_path / "backbone.kws"),
                          "--hard-negatives", "0", "--run-dir", str(tmp_path / "run3"), "--quiet"]) == 0
    assert len(runs) == 1 and calibrated == [str(tmp_path / "run3" / "model.kws")]
