"""Tests of hard-negative mining (recipe.mining): every second of long clips is scored, the
highest peaks above the floor are kept once each, and the mined examples are the seconds that
scored, cut from the clips they came from.

Run: cd training && /usr/bin/python3 -m pytest -q tests
"""
import numpy as np

from kws_training.recipe import mining
from kws_training.recipe.dataset import Example


class LoudnessModel:
    """A stand-in for a trained model: the "keyword" logit is the input's mean log-mel energy,
    so the loudest second of a clip is its strongest false alarm."""

    def __call__(self, features):
        import torch

        energy = features.mean(dim=(1, 2, 3))
        return torch.stack([torch.zeros_like(energy), energy], 1)


def identity_batcher(waveforms):
    import torch

    # [N, 1, 1, samples]: the mean of squares stands for the energy
    return torch.from_numpy(waveforms ** 2)[:, None, None, :]


def test_windows_cover_long_clips_and_pad_short_ones():
    assert mining._windows(np.zeros(8000, np.int16)) == [0]
    starts = mining._windows(np.zeros(3 * 16000, np.int16))
    assert starts[0] == 0 and starts[-1] == 2 * 16000 and np.all(np.diff(starts) == mining.HOP)
    short = mining._window(np.full(8000, 16384, np.int16), 0)
    assert short.size == mining.WINDOW and short[0] == 0 and short[4000] == 0.5


def test_strongest_windows_keeps_one_per_peak_above_the_floor():
    per_clip = [[(0, 0.9), (1600, 0.95), (3200, 0.8), (20000, 0.7), (40000, 0.01)],
                [(0, 0.6)]]
    chosen = mining.strongest_windows(per_clip, count=10, floor=0.05)
    assert chosen == [(0, 1600, 0.95), (0, 20000, 0.7), (1, 0, 0.6)]  # 0 and 3200 are 1600's peak
    assert mining.strongest_windows(per_clip, count=2, floor=0.05) == chosen[:2]
    assert mining.strongest_windows(per_clip, count=10, floor=0.75) == chosen[:1]


def test_the_loudest_seconds_are_mined():
    rng = np.random.default_rng(0)
    quiet = (rng.standard_normal(5 * 16000) * 300).astype(np.int16)
    loud_at = 2 * 16000
    clip = quiet.copy()
    clip[loud_at:loud_at + 16000] = (rng.standard_normal(16000) * 8000).astype(np.int16)
    examples = [Example(clip, 1, "librispeech", "reader"), Example(quiet[:16000], 1, "gsc", "speaker")]
    mined, summary = mining.mine_with(LoudnessModel(), identity_batcher, examples, keyword=1,
                                      count=1, floor=0.0)
    assert summary["windows_scored"] == len(mining._windows(clip)) + 1 and summary["mined"] == 1
    assert np.array_equal(mined[0].audio, clip[loud_at:loud_at + 16000])
    assert (mined[0].label, mined[0].source, mined[0].group) == (1, "mined_librispeech", "reader")
    assert not mined[0].synthetic
    # above every score: nothing is mined
    assert mining.mine_with(LoudnessModel(), identity_batcher, examples, 1, 5, floor=1.0)[0] == []
