"""The recipe's data paths: the decoded-audio cache, speakers of every corpus in ../shared/data,
keyword fragments, the strongest-second crop, epochs of a fixed size, long utterances in test
streams, and (where ../shared/data is present) the commands_en and Arabic splits.

Run: cd training && /usr/bin/python3 -m pytest -q tests/test_training_data.py
"""
import pathlib
import types

import numpy as np
import pytest

from kws_training import shared_data
from kws_training.recipe import audio, dataset, speech_commands as sc
from kws_training.recipe.audio import write_wav


def _tone(seconds, frequency=440.0, rate=16000):
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


# --- decoded-audio cache --------------------------------------------------------------------------

def test_read_many_decodes_once_and_notices_changed_files(tmp_path, monkeypatch):
    paths = []
    for i in range(3):
        path = tmp_path / f"clip{i}.wav"
        write_wav(path, _tone(0.5 + 0.25 * i, 300 + 100 * i))
        paths.append(path)
    cache = tmp_path / "cache"
    first = audio.read_many(paths, "test", workers=1, cache_dir=cache)
    assert [c.dtype for c in first] == [np.int16] * 3
    assert [c.size for c in first] == [8000, 12000, 16000]
    assert len(list(cache.glob("test-*.npz"))) == 1

    def no_decoding(path):
        raise AssertionError(f"{path} decoded again although it is cached")

    monkeypatch.setattr(audio, "_decode_int16", no_decoding)
    again = audio.read_many(paths, "test", workers=1, cache_dir=cache)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))

    monkeypatch.undo()
    write_wav(paths[1], _tone(0.1))  # a changed file is a new cache entry, decoded afresh
    changed = audio.read_many(paths, "test", workers=1, cache_dir=cache)
    assert changed[1].size == 1600 and np.array_equal(changed[0], first[0])
    assert len(list(cache.glob("test-*.npz"))) == 2


def test_read_many_in_parallel_equals_serial(tmp_path):
    paths = []
    for i in range(70):  # above the size at which read_many starts worker processes
        path = tmp_path / f"c{i}.wav"
        write_wav(path, _tone(0.05, 200 + 10 * i))
        paths.append(path)
    serial = audio.read_many(paths, "serial", workers=1, cache_dir=tmp_path / "a")
    parallel = audio.read_many(paths, "parallel", workers=2, cache_dir=tmp_path / "b")
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel))


def test_opus_clips_from_shared_data_decode_at_16_khz():
    data = shared_data.find("gsc_train")
    if data is None:
        pytest.skip("../shared/data/gsc_train not found: Ogg Opus reading is not tested here")
    path = sorted((data / "gsc_train" / "yes").glob("*.opus"))[0]
    samples = audio.read_audio(path)
    assert samples.dtype == np.float32 and 15000 <= samples.size <= 16100  # 1 s at 16 kHz
    assert ".opus" in audio.AUDIO_SUFFIXES


# --- speakers, fragments, crops, epochs ------------------------------------------------------------

def test_speaker_of_every_corpus():
    assert sc.speaker_id("yes/0a7c2a8d_nohash_1.opus") == "0a7c2a8d"
    assert sc.speaker_id("_unknown_/backward_0a7c2a8d_nohash_1.flac") == "0a7c2a8d"
    assert sc.speaker_id("train-clean-5/3526/176653/3526-176653-0007.opus") == "3526"
    assert sc.speaker_id("validation/cancel/00000002_NO_01.opus") == "00000002"
    from kws_training.evaluation import sources  # the evaluation's streams split speakers the same way
    assert sources.speaker_id("train-clean-5/19/198/19-198-0001.opus") == "19"


def test_fragments_are_short_pieces_of_the_speech():
    clips = [audio.to_int16(np.concatenate([np.zeros(4000, np.float32), _tone(0.5), np.zeros(4000, np.float32)]))
             for _ in range(20)]
    fragments = dataset._fragments(clips, 10, 1, seed=0)
    assert len(fragments) == 10 and all(f.label == 1 and f.source == "fragment" for f in fragments)
    assert all(0.25 * 8000 - 1 <= f.audio.size <= 0.4 * 8000 + 1 for f in fragments)


def test_strongest_second_finds_the_word():
    clip = np.zeros(5 * 16000, np.float32)
    clip[40000:48000] = _tone(0.5)
    window = dataset._strongest_second(audio.to_int16(clip))
    assert window.size == 16000
    assert np.abs(audio.to_float(window)).sum() == pytest.approx(np.abs(clip).sum(), rel=1e-3)


def test_epoch_of_a_fixed_size_follows_the_shares():
    ex = lambda label: dataset.Example(None, label, "x", "g")
    task = dataset.TaskData("t", ["a", "b", "c"], {"a": [ex(0)] * 5, "b": [ex(1)] * 50, "c": [ex(2)]},
                            {"a": "0.5", "b": "0.3", "c": "0.2"}, {}, epoch_size=1000)
    examples = dataset.epoch_examples(task, np.random.default_rng(0))
    counts = np.bincount([e.label for e in examples], minlength=3)
    assert len(examples) == 1000 and list(counts) == [500, 300, 200]


def test_long_utterances_are_cropped_before_augmenting():
    augmenter = dataset.Augmenter(dataset.AugmentConfig(noise_probability=0.0))
    long = dataset.Example(audio.to_int16(_tone(12.0)), 1, "librispeech", "r")
    out = dataset.make_waveforms([long], augmenter, np.random.default_rng(0), True)
    assert out.shape == (1, 16000) and np.abs(out).max() > 0


# --- test streams with read sentences ------------------------------------------------------------

def test_stream_places_sentences_whole(tmp_path):
    from kws import _native
    from kws_training.evaluation import sources, stream
    try:
        _native.library()
    except _native.LibraryNotFound as error:
        pytest.skip(f"libkws.so not built: {error}")
    root = tmp_path / "words"
    (root / "alpha").mkdir(parents=True)
    for i in range(2):
        stream.write_wav(root / "alpha" / f"s{i}_nohash_0.wav", audio.to_int16(_tone(0.5)), 16000)
    sentence = tmp_path / "3526-176653-0001.wav"
    stream.write_wav(sentence, audio.to_int16(_tone(6.0, 250.0)), 16000)
    source = sources.folder_source(root)
    source.sentences = [sources.Clip("_unknown_", "speech", "librispeech", sentence, sentence.name)]
    config = stream.StreamConfig(duration_s=60.0, keywords_per_minute=4, speech_per_minute=0,
                                 sentences_per_minute=3, min_gap_s=1.0, seed=1)
    noise = sources.NoiseSource("coloured", "coloured noise", [], [])
    _, truth = stream.build_stream(source, noise, config, show_progress=False)
    sentences = [o for o in truth["occurrences"] if o["word"] == "librispeech"]
    assert len(sentences) == 3 and truth["source"]["sentence_clips"] == 1
    assert all(o["end_s"] - o["start_s"] > 5.5 and o["kind"] == "speech" for o in sentences)


def test_other_speech_specs_are_checked():
    from kws_training.evaluation import sources
    source = sources.ClipSource("x", "x", {"a": []}, [])
    with pytest.raises(sources.SourceError, match="expected one of"):
        sources.add_other_speech(source, ["klingon"])
    if shared_data.find("librispeech") is None:
        pytest.skip("../shared/data/librispeech not found")
    sources.add_other_speech(source, ["librispeech:kws:0.15:0.3"])
    readers = {sources.speaker_id(c.path) for c in source.sentences}
    assert readers and all(0.15 <= sources.speaker_fraction(r, "kws") < 0.3 for r in readers)
    assert "LibriSpeech" in source.description


# --- the real splits (../shared/data) --------------------------------------------------------------

def test_librispeech_readers_held_out_of_training():
    if shared_data.find("librispeech") is None:
        pytest.skip("../shared/data/librispeech not found")
    split = dataset.librispeech_split(0.3)
    readers = {side: {sc.speaker_id(p) for p in paths} for side, paths in split.items()}
    assert readers["training"] and readers["validation"]
    assert not readers["training"] & readers["validation"]
    # the evaluation streams' readers ([0, 0.3)) are exactly the held-out ones
    from kws_training.evaluation import sources
    assert readers["validation"] == {r for r in readers["validation"] | readers["training"]
                                     if sources.speaker_fraction(r, dataset.HELDOUT_SALT) < 0.3}


def test_gsc_train_validation_list_is_speaker_disjoint():
    data = shared_data.find("gsc_train")
    if data is None:
        pytest.skip("../shared/data/gsc_train not found")
    tree = sc.SpeechCommands(data / "gsc_train")
    speakers = {split: {e.speaker for e in tree.split(split)} for split in ("training", "validation")}
    assert len(tree.split("validation")) > 1000
    assert not speakers["training"] & speakers["validation"]


def test_arabic_uses_the_official_validation_speakers(monkeypatch):
    data = shared_data.find("arabic_speech_commands/validation")
    if data is None:
        pytest.skip("../shared/data/arabic_speech_commands/validation not found")
    monkeypatch.setattr(dataset, "_load_files", lambda paths, label="": [np.zeros(16000, np.int16)] * len(paths))
    task = dataset.arabic(types.SimpleNamespace(real_validation_fraction=0.2, seed=0))
    training = {e.group for e in task.train_pools["real"]}
    validation = {e.group for e in task.validation["real_val"]}
    assert len(task.labels) == 41 and not training & validation
    assert len(task.train_pools["real"]) >= 7000 and len(task.validation["real_val"]) >= 2000


def test_sentences_that_say_a_keyword_are_not_other_speech(tmp_path):
    from kws_training.recipe import librispeech
    assert librispeech.says_any("GO ON THEN", ["on"]) and librispeech.says_any("NO DOUBT", ["no", "up"])
    assert not librispeech.says_any("UPON A TIME GOING NOWHERE DON'T", ["up", "go", "no", "on"])
    assert librispeech.says_any("HEY COMPUTER TURN", ["hey computer"])
    chapter = tmp_path / "19" / "198"
    chapter.mkdir(parents=True)
    (chapter / "19-198.trans.txt").write_text("19-198-0001 TURN IT ON\n19-198-0002 UPON A HILL\n")
    paths = [chapter / f"19-198-000{i}.opus" for i in (1, 2, 3)]  # 0003 has no transcript
    assert librispeech.without_words(paths, tmp_path, ["on", "up"]) == [paths[1]]
