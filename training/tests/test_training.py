"""Tests of the training recipe (kws_training.recipe): Speech Commands loader on a generated tree,
synthetic speech, augmentation, schedule, an end-to-end smoke run (train a few steps, export,
read the model file back, classify), the run report, and the bundled models.

Run: cd training && /usr/bin/python3 -m pytest -q tests
The smoke clips are rendered with espeak-ng (Debian package espeak-ng, in setup.sh).
"""
import json
import pathlib
import shutil

import numpy as np
import pytest

from conftest import REPO_ROOT
from kws_training.recipe import augment, speech_commands as sc, synth, wordlists
from kws_training.recipe.audio import write_wav, to_float

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed (apt-get install espeak-ng)")
EXAMPLE_WAV = REPO_ROOT / "examples" / "data" / "yes_no_up_down.wav"
MODELS = REPO_ROOT / "examples" / "models"


def _tone(seed, seconds=1.0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(16000 * seconds)) / 16000
    return (0.3 * np.sin(2 * np.pi * rng.uniform(200, 800) * t)).astype(np.float32)


def make_tree(root: pathlib.Path, words=("yes", "no", "cat", "backward"), speakers=6,
              audio=None, lists=True):
    """A Speech Commands tree: word folders of <speaker>_nohash_<n>.wav, _background_noise_, and
    validation/testing lists naming speaker 0's and speaker 1's files."""
    validation, testing = [], []
    for w, word in enumerate(words):
        (root / word).mkdir(parents=True)
        for s in range(speakers):
            name = f"{s:08x}_nohash_0.wav"
            clip = audio(word, s) if audio else _tone(w * 100 + s)
            write_wav(root / word / name, clip)
            (validation if s == 0 else testing if s == 1 else []).append(f"{word}/{name}")
    (root / "_background_noise_").mkdir()
    write_wav(root / "_background_noise_" / "white_noise.wav",
              np.random.default_rng(0).normal(0, 0.05, 16000 * 3).astype(np.float32))
    if lists:
        (root / "validation_list.txt").write_text("\n".join(validation) + "\n")
        (root / "testing_list.txt").write_text("\n".join(testing) + "\n")
    return root


# --- Speech Commands layout ---------------------------------------------------------------------

def test_speech_commands_layout_with_lists(tmp_path):
    tree = sc.SpeechCommands(make_tree(tmp_path / "sc"))
    assert tree.labels == list(sc.LABELS_12)
    assert tree.version == "v0.02"  # "backward" is a v0.02-only word
    assert len(tree.noise_files) == 1
    assert len(tree.entries) == 4 * 6
    counts = tree.counts()
    assert counts["validation"] == {"yes": 1, "no": 1, "_unknown_": 2}
    assert counts["testing"] == {"yes": 1, "no": 1, "_unknown_": 2}
    assert sum(counts["training"].values()) == 16
    assert {e.label for e in tree.entries if e.word == "cat"} == {"_unknown_"}
    assert {e.speaker for e in tree.split("validation")} == {"00000000"}


def test_speech_commands_layout_without_lists_is_speaker_disjoint(tmp_path):
    tree = sc.SpeechCommands(make_tree(tmp_path / "sc", words=("yes", "dog"), speakers=40,
                                       lists=False))
    assert tree.version == "v0.01" and not tree.has_lists
    by_speaker = {}
    for entry in tree.entries:
        by_speaker.setdefault(entry.speaker, set()).add(entry.split)
        assert entry.split == sc.which_set(entry.path)
    assert all(len(splits) == 1 for splits in by_speaker.values())
    assert {"training", "validation", "testing"} >= set().union(*by_speaker.values())


def test_speaker_ids_and_split_by_speaker():
    assert sc.speaker_id("yes/0bac8a71_nohash_0.flac") == "0bac8a71"
    assert sc.speaker_id("_unknown_/backward_5170b77f_nohash_4.flac") == "5170b77f"
    assert sc.speaker_id("yes/00000001_NO_01.flac") == "00000001"
    entries = [sc.Entry(pathlib.Path(f"w/{s}_nohash_{n}.wav"), "w", "w", str(s), "")
               for s in range(200) for n in range(3)]
    split = sc.split_by_speaker(entries, 0.3)
    train_speakers = {e.speaker for e in split["training"]}
    val_speakers = {e.speaker for e in split["validation"]}
    assert not train_speakers & val_speakers
    assert 0.2 < len(val_speakers) / 200 < 0.4


# --- synthetic speech, word lists, augmentation, schedule ------------------------------------------

def test_render_plan_is_deterministic_and_holds_out_voices():
    engines = ["espeak", "flite", "festival"]
    plan = synth.plan_renders("yes", 300, 0, engines)
    assert plan == synth.plan_renders("yes", 300, 0, engines)
    assert plan != synth.plan_renders("yes", 300, 1, engines)
    assert {r.engine for r in plan} == set(engines)
    heldout = [r for r in plan if synth.is_heldout_voice(r.voice_id)]
    assert 0.03 < len(heldout) / len(plan) < 0.3


def test_negatives_never_contain_a_keyword():
    negatives = wordlists.negative_words(wordlists.COMMANDS_EN, 300)
    assert len(negatives) == 300
    assert not set(wordlists.COMMANDS_EN) & {t for w in negatives for t in w.split()}
    assert "yet" in negatives and "town" in negatives  # close words come first
    for sentence in wordlists.running_speech(["on", "go"], 20):
        assert not {"on", "go"} & set(sentence.lower().strip(".").split())


def test_augmentation_shapes_and_determinism():
    clip = _tone(1, 0.6)
    aug = augment.Augmenter(augment.AugmentConfig(), [_tone(2, 3.0)], [_tone(3, 0.5)])
    a = aug(clip, np.random.default_rng(5))
    b = aug(clip, np.random.default_rng(5))
    assert a.shape == (16000,) and a.dtype == np.float32 and np.array_equal(a, b)
    assert np.abs(a).max() <= 1.0
    centred = aug(clip, np.random.default_rng(0), train=False)
    assert np.allclose(centred[(16000 - clip.size) // 2:][:clip.size], clip)
    assert augment.fit_length(_tone(0, 1.2), 15200).size == 15200
    shifted = augment.place(np.ones(100, np.float32), 1000, 50, np.random.default_rng(0))
    assert shifted[500:600].sum() == 100 and shifted[:500].sum() == 0


def test_learning_rate_warms_up_then_decays_to_zero():
    from kws_training.recipe.train import learning_rate

    lrs = [learning_rate(s, 1000, 100, 0.1) for s in range(1000)]
    assert lrs[0] == pytest.approx(0.001) and lrs[99] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(lrs[99:], lrs[100:]))
    assert learning_rate(1000, 1000, 100, 0.1) == pytest.approx(0.0)


@needs_espeak
def test_synthesis_is_cached(tmp_path):
    clips = synth.synthesize(["yes", "stop"], 3, 0, tmp_path, ["espeak"], progress=False)
    assert set(clips) == {"yes", "stop"}
    assert all(len(c.clips) == 3 and all(x.dtype == np.int16 for x in c.clips)
               for c in clips.values())
    again = synth.synthesize(["yes"], 3, 0, tmp_path, ["espeak"], progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(again["yes"].clips, clips["yes"].clips))


# --- end to end ------------------------------------------------------------------------------------

@needs_espeak
def test_smoke_train_export_classify(tmp_path, monkeypatch):
    """A few steps on espeak-ng clips in the Speech Commands layout, export, read back, classify."""
    import torch

    from kws_training.bcresnet import load_model_file
    from kws_training.features import compute_features
    from kws_training.recipe import report, train

    rendered = synth.synthesize(["yes", "no", "cat"], 6, 0, tmp_path / "cache", ["espeak"],
                                progress=False)
    root = make_tree(tmp_path / "sc", words=("yes", "no", "cat"), speakers=6,
                     audio=lambda word, s: to_float(rendered[word].clips[s]))
    run_dir = tmp_path / "run"
    monkeypatch.setenv("KWS_NO_PROGRESS", "1")
    assert train.main(["--task", "speech_commands", "--speech-commands", str(root), "--tau", "1",
                       "--epochs", "2", "--warmup-epochs", "1", "--batch-size", "8",
                       "--max-steps", "3", "--run-dir", str(run_dir), "--quiet"]) == 0
    for name in ("config.json", "data.json", "metrics.jsonl", "confusion.json", "loss.png",
                 "accuracy.png", "lr.png", "last.pt", "model.kws", "model.onnx", "eval.json"):
        assert (run_dir / name).exists(), name
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["step"] == 3 and "validation_accuracy" in metrics[-1]

    model, model_file = load_model_file(run_dir / "model.kws")
    assert model_file.labels == list(sc.LABELS_12) and model_file.tau == 1
    assert model_file.input_frames == 101
    clip = np.zeros(16000, np.float32)
    yes = to_float(rendered["yes"].clips[0])
    clip[:yes.size] = yes[:16000]
    features = compute_features(torch.from_numpy(clip)[None, None, :], model_file.feature_config)
    assert features.shape == (1, 1, 40, 101)
    with torch.no_grad():
        probabilities = torch.softmax(model(features), 1)
    assert probabilities.shape == (1, 12) and torch.isfinite(probabilities).all()
    assert model_file.labels[int(probabilities.argmax())] in model_file.labels

    # libkws loads the exported file and classifies as PyTorch does, here and on every
    # validation clip (eval.json)
    from kws import runtime
    with runtime.Model(run_dir / "model.kws") as libkws_model:
        assert libkws_model.labels == model_file.labels
        result = libkws_model.classify(clip, 16000)
    for index, label in enumerate(model_file.labels):
        assert abs(result.scores[label] - float(probabilities[0, index])) < 1e-3, label
    agreement = json.loads((run_dir / "eval.json").read_text())["libkws_agreement"]
    assert [a["set"] for a in agreement] == ["validation"] and agreement[0]["clips"] > 0
    assert agreement[0]["max_posterior_difference"] < 1e-3
    # 3 steps leave posteriors close together, so a near-tie may break either way.
    assert agreement[0]["same_class"] >= 0.9

    # resuming a finished run trains no further and keeps the metrics
    assert train.main(["--task", "speech_commands", "--speech-commands", str(root), "--tau", "1",
                       "--epochs", "2", "--batch-size", "8", "--max-steps", "3",
                       "--run-dir", str(run_dir), "--resume", "--quiet"]) == 0
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) >= len(metrics)
    row = report.load_run(run_dir)
    assert row["task"] == "speech_commands" and "validation" in row
    assert "speech_commands" in report.table([row], markdown=True)
    classes = report.per_class(run_dir)
    evaluated = json.loads((run_dir / "eval.json").read_text())["validation"]["validation"]
    assert [c["set"] for c in classes] == ["validation"] and classes[0]["clips"] == evaluated["count"]
    present = {label for label, row in zip(model_file.labels, evaluated["confusion"]) if sum(row)}
    assert {k for k in classes[0] if k in model_file.labels} == present
    assert report.main(["--per-class", str(run_dir)]) == 0


# --- bundled models --------------------------------------------------------------------------------

def test_bundled_commands_model_detects_example_keywords():
    path = MODELS / "commands_en.kws"
    if not path.exists():
        pytest.skip(f"{path} not built yet")
    import torch

    from kws_training.bcresnet import load_model_file
    from kws_training.recipe.audio import read_audio
    from kws_training.recipe.reference_detector import detect

    torch.set_num_threads(1)
    model, model_file = load_model_file(path)
    assert model_file.tau in (1, 2) and path.stat().st_size < 200_000
    found = [d.label for d in detect(model, model_file, read_audio(EXAMPLE_WAV))]
    # At its calibrated thresholds the model fires only on words that are spoken, in order; of
    # the four espeak-ng words it hears "yes" (README: synthetic voices are its weak side).
    spoken = ["yes", "no", "up", "down"]
    assert "yes" in found and found == [w for w in spoken if w in found], found


@pytest.mark.parametrize("name", ["commands_en_large.kws", "computer.kws", "alexa.kws", "arabic_commands.kws",
                                  "speech_backbone.kws"])
def test_other_bundled_models_load(name):
    path = MODELS / name
    if not path.exists():
        pytest.skip(f"{path} not built yet")
    from kws_training.modelfile import read_model_file

    model_file = read_model_file(path)
    assert model_file.input_frames == 101 and model_file.tau in (1, 2)
    assert path.stat().st_size < 200_000
