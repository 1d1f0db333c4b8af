"""Tests of hard-negative mining (recipe.mining): every window of long clips is scored, the
highest peaks above the floor are kept once each, the mined examples are the seconds that
scored, cut from the clips they came from, and the scores are libkws's own detector's.

Run: cd training && /usr/bin/python3 -m pytest -q tests
"""
import pathlib

import numpy as np
import pytest

from kws import _native
from kws_training.recipe import mining
from kws_training.recipe.dataset import Example

REPO = pathlib.Path(__file__).resolve().parents[2]
RATE = mining.SAMPLE_RATE


def energy_scorer(clip):
    """A stand-in for a trained model: a window's "keyword" score is its mean energy, so the
    loudest second of a clip is its strongest false alarm."""
    audio = clip.astype(np.float64) / 32768.0
    starts = range(0, max(1, clip.size - mining.WINDOW + 1), mining.HOP)
    return [(s, float(np.mean(audio[s:s + mining.WINDOW] ** 2))) for s in starts]


def test_strongest_windows_keeps_one_per_peak_above_the_floor():
    per_clip = [[(0, 0.9), (1600, 0.95), (3200, 0.8), (20000, 0.7), (40000, 0.01)],
                [(0, 0.6)]]
    chosen = mining.strongest_windows(per_clip, count=10, floor=0.05)
    assert chosen == [(0, 1600, 0.95), (0, 20000, 0.7), (1, 0, 0.6)]  # 0 and 3200 are 1600's peak
    assert mining.strongest_windows(per_clip, count=2, floor=0.05) == chosen[:2]
    assert mining.strongest_windows(per_clip, count=10, floor=0.75) == chosen[:1]


def test_the_loudest_seconds_are_mined():
    rng = np.random.default_rng(0)
    quiet = (rng.standard_normal(5 * RATE) * 300).astype(np.int16)
    loud_at = 2 * RATE
    clip = quiet.copy()
    clip[loud_at:loud_at + RATE] = (rng.standard_normal(RATE) * 8000).astype(np.int16)
    examples = [Example(clip, 1, "librispeech", "reader"), Example(quiet[:RATE], 1, "gsc", "speaker")]
    mined, summary = mining.mine_with(energy_scorer, examples, count=1, floor=0.0)
    assert summary["windows_scored"] == len(energy_scorer(clip)) + 1 and summary["mined"] == 1
    assert np.array_equal(mined[0].audio, clip[loud_at:loud_at + RATE])
    assert (mined[0].label, mined[0].source, mined[0].group) == (1, "mined_librispeech", "reader")
    assert not mined[0].synthetic
    # above every score: nothing is mined
    assert mining.mine_with(energy_scorer, examples, 5, floor=1.0)[0] == []


def library_model(name: str) -> pathlib.Path:
    try:
        _native.library()
    except _native.LibraryNotFound as error:
        pytest.skip(f"libkws.so not built: {error}")
    return REPO / name


def test_the_detector_scores_every_window_and_a_short_clip_once():
    from kws.runtime import Model

    path = library_model("tests/model/golden/bcresnet_tau1.kws")
    scorer = mining.DetectorScorer(path, keyword=2)
    try:
        rng = np.random.default_rng(1)
        clip = (rng.standard_normal(3 * RATE + 700) * 3000).astype(np.int16)
        windows = scorer(clip)
        starts = [s for s, _ in windows]
        # every HOP from 0 while a whole window fits, as the deployed detector evaluates, and
        # the window finish() evaluates at the end of the clip
        grid = list(range(0, clip.size - mining.WINDOW + 1, mining.HOP))
        assert starts[:len(grid)] == grid and len(starts) == len(grid) + 1
        assert clip.size - mining.WINDOW - mining.HOP < starts[-1] <= clip.size - mining.WINDOW
        assert all(0.0 <= p <= 1.0 for _, p in windows) and len({p for _, p in windows}) > 1
        assert scorer(clip) == windows  # reset between clips: the same clip scores the same
        short = clip[:RATE - 4000]
        with Model(path) as model:
            expected = model.classify(short, RATE).scores[model.labels[2]]
        assert scorer(short) == [(0, pytest.approx(expected, abs=1e-6))]
    finally:
        scorer.close()


def test_a_spoken_keyword_is_the_window_mined():
    """The bundled "computer" model on its example recording ("Good morning. Computer. Turn the
    lights on." by espeak-ng): the second mined is the one with the word, the rest score low."""
    from kws_training.recipe.audio import read_audio

    scorer = mining.DetectorScorer(library_model("examples/models/computer.kws"), keyword=2)
    try:
        speech = (read_audio(REPO / "examples" / "data" / "hey_computer.wav") * 32767).astype(np.int16)
        scores = scorer(speech)
        best_start, best = max(scores, key=lambda w: w[1])
        assert best > 0.5, scores
        # espeak-ng says "computer" from about 1.95 s to 2.65 s of this file (its energy)
        assert best_start <= 2.0 * RATE and best_start + mining.WINDOW >= 2.6 * RATE, best_start
        assert all(p < 0.1 for s, p in scores if s + mining.WINDOW < 1.9 * RATE or s > 2.7 * RATE)
        mined, summary = mining.mine_with(scorer, [Example(speech, 1, "librispeech", "reader")],
                                          count=3, floor=0.5)
        assert mined and np.array_equal(mined[0].audio, speech[best_start:best_start + mining.WINDOW])
        assert summary["windows_scored"] == len(scores)
    finally:
        scorer.close()
