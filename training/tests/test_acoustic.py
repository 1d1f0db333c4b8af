"""Tests of the phoneme acoustic model's recipe (recipe.acoustic): batching by length, greedy
CTC decoding, the phoneme error rate, the keywords never trained on, and a short run that
learns.

Run: cd training && /usr/bin/python3 -m pytest -q tests
"""
import json
import shutil

import numpy as np
import pytest

from kws_training.modelfile import BLANK_LABEL
from kws_training.recipe import acoustic
from kws_training.shared_data import find as find_shared_data


def test_batches_hold_similar_lengths_within_the_frame_budget_and_every_index_once():
    rng = np.random.default_rng(0)
    lengths = list(rng.integers(50, 2000, 300))
    groups = acoustic.batches(lengths, 6000, rng)
    assert sorted(i for g in groups for i in g) == list(range(300))
    for g in groups:
        assert len(g) == 1 or max(lengths[i] for i in g) * len(g) <= 6000
    # sorted by length: a batch's shortest is close to its longest
    spread = [min(lengths[i] for i in g) / max(lengths[i] for i in g) for g in groups if len(g) > 2]
    assert np.median(spread) > 0.7


def test_greedy_merges_repeats_and_drops_blanks():
    path = [0, 3, 3, 0, 3, 2, 2, 0, 0, 1]
    log_probs = np.full((len(path), 4), -10.0)
    log_probs[np.arange(len(path)), path] = 0.0
    assert acoustic.greedy(log_probs) == [3, 3, 2, 1]


def test_phoneme_error_rate_counts_edits_over_reference_length():
    assert acoustic.phoneme_error_rate([("a", "b")], [("a", "b")]) == 0.0
    assert acoustic.phoneme_error_rate([("a",), ("x", "y", "z")], [("a", "b"), ("x", "y")]) == 2 / 4


def test_the_evaluation_keywords_are_never_trained_on():
    assert acoustic._says_a_keyword("THE COMPUTER IS ON") and acoustic._says_a_keyword("TWO COMPUTERS")
    assert acoustic._says_a_keyword("ALEXANDER SAID") and not acoustic._says_a_keyword("A COMMUTER TRAIN")
    assert acoustic.token_inventory([("b", "a"), ("a", "c")]) == [BLANK_LABEL, "a", "b", "c"]


@pytest.mark.skipif(find_shared_data("librispeech") is None or shutil.which("espeak-ng") is None,
                    reason="../shared/data/librispeech or espeak-ng not found: no transcribed speech to train on")
def test_a_short_run_lowers_the_loss_and_reports_the_phoneme_error_rate(tmp_path):
    args = acoustic.parse_args(["--run-dir", str(tmp_path / "run"), "--max-utterances", "8", "--epochs", "3",
                                "--lr", "0.003", "--validate-every", "3", "--threads", "1", "--quiet"])
    summary = acoustic.train(args)
    history = summary["history"]
    assert len(history) == 3 and history[-1]["loss"] < history[0]["loss"]
    assert 0.0 <= summary["validation_per"] <= 1.5
    assert summary["labels"][0] == BLANK_LABEL and len(summary["labels"]) > 20
    # exported as a CTC model file that libkws decodes as PyTorch does (padding aside)
    from kws.runtime import Model

    with Model(tmp_path / "run" / "model.kws") as model:
        assert model.is_ctc and model.labels == summary["labels"]
    assert abs(summary["libkws_validation_per"] - summary["validation_per"]) < 0.05
    data = json.loads((tmp_path / "run" / "data.json").read_text())
    assert data["librispeech_utterances"] == 8 and data["validation_utterances"] >= 4
    # resumable: a finished run has nothing left to do
    again = acoustic.train(acoustic.parse_args(["--run-dir", str(tmp_path / "run"), "--max-utterances", "8",
                                                "--epochs", "3", "--resume", "--quiet"]))
    assert again["history"] == history
