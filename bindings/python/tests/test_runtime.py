"""The ctypes runtime (kws.Model, kws.Detector, ...) over libkws.so: behaviour, agreement with
the reference pipeline, errors, the struct mirrors against kws.h, library lookup, pip install."""
import ctypes
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kws
from kws import _native

REPO = pathlib.Path(__file__).resolve().parents[3]
MODEL = REPO / "tests" / "model" / "golden" / "bcresnet_tau1.kws"
WAV = REPO / "examples" / "data" / "yes_no_up_down.wav"


def library_or_skip():
    try:
        return _native.library()
    except _native.LibraryNotFound as error:
        pytest.skip(f"libkws.so not built: {error}")


@pytest.fixture(scope="module")
def model():
    library_or_skip()
    return kws.Model(MODEL)


def noise(seconds, rate=16000, seed=0, amplitude=0.3):
    return (np.random.default_rng(seed).uniform(-amplitude, amplitude, int(seconds * rate))
            .astype(np.float32))


def bursts(seconds, rate=16000, seed=0):
    """Noise whose loudness jumps every 0.7 s, so a random-weight model's posteriors move."""
    signal = noise(seconds, rate, seed, amplitude=1.0)
    levels = np.random.default_rng(seed + 1).uniform(0.01, 0.9, int(seconds / 0.7) + 1)
    envelope = np.repeat(levels, int(0.7 * rate))[:signal.size]
    return (signal * envelope).astype(np.float32)


def test_model_metadata(model):
    assert model.labels[:2] == ["_silence_", "_unknown_"] and len(model.labels) == 12
    assert model.sample_rate == 16000 and model.input_frames == 101 and model.feature_bins == 40
    assert model.feature_config["n_mels"] == 40
    assert kws.Model(data=MODEL.read_bytes()).labels == model.labels
    assert kws.version() == "0.1.0" and kws.version_number() == 100
    assert "reference" in kws.build_info()
    assert kws.backend_available("reference")


def test_classify(model):
    audio = kws.read_audio(WAV, 16000)
    result = model.classify(audio.samples, audio.sample_rate)
    assert result.label in model.labels
    assert abs(sum(result.scores.values()) - 1.0) < 1e-4
    assert result.score == max(result.scores.values())
    pcm = (audio.samples * 32767).astype(np.int16)
    assert model.classify(pcm, 16000).label in model.labels
    reference = model.classify(audio.samples, 16000, backend="reference")
    for label in model.labels:
        assert abs(reference.scores[label] - result.scores[label]) < 1e-5


def test_classifier_equals_model_classify(model):
    """One classifier reused over clips of every kind gives exactly kws_classify's numbers."""
    clips = [(noise(0.3, seed=5), 16000), (noise(1.0, seed=6), 16000),
             (noise(2.5, seed=7), 16000), (noise(1.0, rate=44100, seed=8), 44100),
             ((noise(1.0, seed=9) * 32767).astype(np.int16), 16000)]
    with kws.Classifier(model) as classifier:
        for _ in range(2):
            for clip, rate in clips:
                assert classifier.classify(clip, rate) == model.classify(clip, rate)
    options = dict(backend="reference", stride_seconds=0.25)
    with kws.Model(MODEL) as own:
        classifier = kws.Classifier(own, **options)
    # The model is closed: the classifier keeps its own reference.
    clip = noise(2.5, seed=10)
    assert classifier.classify(clip, 16000) == model.classify(clip, 16000, **options)
    classifier.close()
    with pytest.raises(ValueError, match="classifier is closed"):
        classifier.classify(clip, 16000)
    with pytest.raises(kws.KwsError, match="stride_seconds"):
        kws.Classifier(model, stride_seconds=0.0)
    with pytest.raises(ValueError, match="unknown backend"):
        kws.Classifier(model, backend="gpu")
    with kws.Classifier(model) as classifier, pytest.raises(kws.KwsError) as empty:
        classifier.classify(np.zeros(0, np.float32), 16000)
    assert empty.value.status == 1 and "count is 0" in str(empty.value)


def run_detector(model, samples, chunks, **options):
    detector = kws.Detector(model, default_threshold=0.12, refractory_seconds=0.3, **options)
    events, at = [], 0
    for size in chunks:
        events += detector.push(samples[at:at + size])
        at += size
    events += detector.push(samples[at:])
    return events + detector.finish()


def test_detector_is_chunk_invariant(model):
    samples = bursts(8.0, seed=1)
    whole = run_detector(model, samples, [])
    assert len(whole) >= 5
    rng = np.random.default_rng(2)
    chunks = list(rng.integers(1, 20000, size=40))
    assert run_detector(model, samples, chunks) == whole
    pcm = (samples * 32767).astype(np.int16)
    assert run_detector(model, pcm, chunks) == run_detector(model, pcm, [])
    event = whole[0]
    assert event.label in model.labels and not event.label.startswith("_")
    assert event.end_s > event.start_s >= 0


def test_detector_resamples_and_reports_at_the_pushed_rate(model):
    samples = noise(4.0, rate=8000, seed=5)
    detector = kws.Detector(model, sample_rate=8000, default_threshold=0.0, refractory_seconds=0.0,
                            min_consecutive=1)
    events = detector.push(samples) + detector.finish()
    # Positions at 8 kHz: the audio under each window (frames +- n_fft / 2 at 16 kHz, halved).
    assert events[0].start_sample == 0 and events[0].end_sample == (100 * 160 + 256) // 2
    assert events[1].start_sample == (10 * 160 - 256) // 2
    assert detector.samples_pushed == samples.size
    assert detector.sample_rate == 8000
    assert detector.evaluations == (1 + 4 * 16000 // 160 - 101) // 10 + 1
    assert set(detector.scores) == set(model.labels)


def test_evaluations_replayed_through_the_event_policy_give_the_detector_events(model):
    """Detector(on_evaluation=...) sees every evaluation; kws.EventPolicy over them gives the
    events of a detector at any firing setting, at a resampled rate too."""
    samples = bursts(10.0, seed=3)[::2].copy()  # 8 kHz
    recorded = []
    busy = dict(default_threshold=0.12, refractory_seconds=0.3, min_consecutive=1)
    detector = kws.Detector(model, sample_rate=8000, on_evaluation=recorded.append, **busy)
    events = detector.push(samples[:33333]) + detector.push(samples[33333:]) + detector.finish()
    assert len(events) >= 3 and len(recorded) == detector.evaluations
    assert [e.index for e in recorded] == list(range(len(recorded)))
    assert [e.fired_label for e in recorded if e.fired_label >= 0] == [e.label_index for e in events]
    scores = np.stack([e.scores for e in recorded])
    frames = np.array([e.frame for e in recorded])
    assert scores.shape == (len(recorded), len(model.labels))
    for setting in (busy, dict(default_threshold=0.2, refractory_seconds=1.0, min_consecutive=2),
                    dict(thresholds={"yes": 0.1, "no": 0.15}, sensitivity=0.6, min_consecutive=1)):
        expected = kws.Detector(model, sample_rate=8000, **setting)
        expected = expected.push(samples) + expected.finish()
        with kws.EventPolicy(model, **setting) as policy:
            fired = np.concatenate([policy.run(scores[:7], frames[:7]), policy.run(scores[7:], frames[7:])])
        replayed = [(int(k), recorded[e].start_sample, recorded[e].end_sample)
                    for e, k in enumerate(fired) if k >= 0]
        assert replayed == [(d.label_index, d.start_sample, d.end_sample) for d in expected], setting
    with kws.EventPolicy(model, default_threshold=0.8, sensitivity=1.0) as policy:
        assert np.isinf(policy.thresholds[0]) and policy.thresholds[2] == pytest.approx(0.64)
        with pytest.raises(ValueError):
            policy.run(scores, frames[:-1])
        with pytest.raises(kws.KwsError):
            policy.run(scores, frames[::-1])
    with pytest.raises(kws.KwsError):
        kws.EventPolicy(model, min_consecutive=0)


def test_an_evaluation_callback_error_reaches_the_caller(model):
    def fail(_evaluation):
        raise KeyError("from the callback")
    detector = kws.Detector(model, on_evaluation=fail)
    with pytest.raises(KeyError, match="from the callback"):
        detector.push(noise(2.0, rate=16000, seed=1))
    detector.reset()
    assert detector.push(np.zeros(100, dtype=np.float32)) == []


def test_errors_are_kws_errors_with_pinned_status(model):
    with pytest.raises(kws.KwsError) as missing:
        kws.Model("/nonexistent/model.kws")
    assert missing.value.status == 2 and missing.value.status_name == "io"
    assert "/nonexistent/model.kws" in str(missing.value)
    with pytest.raises(kws.KwsError) as corrupt:
        kws.Model(data=MODEL.read_bytes()[:500])
    assert corrupt.value.status == 4
    with pytest.raises(kws.KwsError) as empty:
        model.classify(np.zeros(0, np.float32), 16000)
    assert empty.value.status == 1
    with pytest.raises(kws.KwsError):
        model.classify(noise(0.5), 0)
    with pytest.raises(kws.KwsError) as bad:
        kws.Detector(model, sensitivity=2.0)
    assert "sensitivity" in str(bad.value)
    with pytest.raises(ValueError):
        kws.Detector(model, thresholds={"nonexistent": 0.5})
    with pytest.raises(ValueError):
        model.classify(np.zeros((2, 100), np.float32), 16000)
    detector = kws.Detector(model)
    assert detector.push(np.zeros(0, np.float32)) == []
    detector.finish()
    with pytest.raises(kws.KwsError):
        detector.push(noise(0.1))
    detector.close()
    with pytest.raises(ValueError, match="closed"):
        detector.push(noise(0.1))
    with pytest.raises(kws.KwsError):
        kws.read_audio(b"not audio at all" * 10)


def test_every_pcm_dtype_is_converted_or_refused(model):
    """Each dtype gives the float result of the same PCM, or a TypeError: none is read unscaled
    (big-endian int16 was once classified as other audio, '>i2' as native floats)."""
    pcm16 = (bursts(1.0) * 20000).astype(np.int16)
    reference = model.classify(pcm16, 16000).scores
    as_float = pcm16.astype(np.float64) / 32768
    same = {"<i2": pcm16.astype("<i2"), ">i2": pcm16.astype(">i2"),
            ">f4": as_float.astype(">f4"), "<f8": as_float, ">f8": as_float.astype(">f8"),
            "f2": as_float.astype(np.float16),
            "<i4": pcm16.astype("<i4") << 16, ">i4": (pcm16.astype("<i4") << 16).astype(">i4"),
            "u1": ((pcm16 >> 8) + 128).astype(np.uint8)}
    for name, samples in same.items():
        scores = model.classify(samples, 16000).scores
        tolerance = 0.05 if name in ("u1", "f2") else 1e-4  # 8 bits or half precision
        assert all(abs(scores[k] - reference[k]) < tolerance for k in reference), name
    detector = kws.Detector(model)
    detector.push(pcm16.astype(">i2"))
    for dtype in (np.int64, np.uint16, np.uint32, np.uint64, np.bool_, np.complex64, object):
        with pytest.raises(TypeError, match="dtype"):
            model.classify(np.zeros(16000, dtype=dtype), 16000)
        with pytest.raises(TypeError, match="dtype"):
            detector.push(np.zeros(160, dtype=dtype))


def test_integers_are_range_checked_before_ctypes(model):
    clip = bursts(1.0)
    for wrapped in (2 ** 32 + 16000, -(2 ** 32) + 16000, 2 ** 31):
        with pytest.raises(ValueError, match="out of range"):
            model.classify(clip, wrapped)
        with pytest.raises(ValueError, match="out of range"):
            kws.Detector(model, sample_rate=wrapped)
        with pytest.raises(ValueError, match="out of range"):
            model.features(clip, wrapped)
    with pytest.raises(ValueError, match="out of range"):
        kws.Detector(model, min_consecutive=2 ** 31)
    for not_integer in (True, 16000.5, "16000", None):
        with pytest.raises(TypeError):
            model.classify(clip, not_integer)
    assert model.classify(clip, 16000.0).label == model.classify(clip, np.int64(16000)).label


@pytest.mark.parametrize("kind", ["detector", "classifier", "model"])
def test_close_while_another_thread_calls_waits_for_it(model, kind):
    """close() from one thread during push/classify in another: the call finishes, then the
    handle is freed; later calls raise ValueError (once: the interpreter aborted in free())."""
    import threading
    import time

    audio = bursts(20.0)
    for attempt in range(4):
        own_model = kws.Model(MODEL)
        handle = {"detector": lambda: kws.Detector(own_model), "classifier": lambda: kws.Classifier(own_model),
                  "model": lambda: own_model}[kind]()
        call = handle.push if kind == "detector" else (lambda a: handle.classify(a, 16000))
        started, outcome = threading.Event(), {}

        def worker():
            try:
                started.set()
                for _ in range(3):
                    call(audio)
                outcome["done"] = True
            except ValueError as error:  # closed between two calls: the clean refusal
                outcome["closed"] = str(error)

        thread = threading.Thread(target=worker)
        thread.start()
        started.wait()
        time.sleep(0.002 * attempt)
        handle.close()
        thread.join(30)
        assert not thread.is_alive() and outcome, kind
        with pytest.raises(ValueError, match="closed"):
            call(audio[:1600])
        own_model.close()


def test_close_inside_a_callback_is_refused(model):
    holder = {}

    def on_evaluation(evaluation):
        holder["detector"].close()

    holder["detector"] = detector = kws.Detector(model, on_evaluation=on_evaluation)
    with pytest.raises(RuntimeError, match="inside one of its own calls"):
        detector.push(bursts(2.0))
    detector.reset()  # still open and usable
    detector.close()


def test_struct_mirrors_match_kws_h():
    """The ctypes structs against the C compiler's own layout of kws.h."""
    library_or_skip()
    compiler = shutil.which("cc") or shutil.which("gcc")
    version_dir = next((p for p in (REPO / "build").glob("*/include") if (p / "kws" / "version.h").exists()), None)
    if compiler is None or version_dir is None:
        pytest.skip("needs a C compiler and a configured build tree")
    lines = []
    for name, struct in _native.STRUCTS.items():
        lines.append(f'printf("{name} sizeof %zu\\n", sizeof({name}));')
        for field, _ in struct._fields_:
            lines.append(f'printf("{name} {field} %zu\\n", offsetof({name}, {field}));')
    source = textwrap.dedent("""\
        #include <stddef.h>
        #include <stdio.h>
        #include "kws.h"
        int main(void) {
        %s
          return 0;
        }
        """) % "\n".join(lines)
    work = pathlib.Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"kws_layout_{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "layout.c").write_text(source)
    subprocess.run([compiler, "-std=c99", "-I", str(REPO / "capi"), "-I", str(REPO / "include"), "-I", str(version_dir),
                    str(work / "layout.c"), "-o", str(work / "layout")], check=True)
    output = subprocess.run([str(work / "layout")], check=True, capture_output=True, text=True).stdout
    measured = {}
    for line in output.splitlines():
        name, what, value = line.split()
        measured[(name, what)] = int(value)
    for name, struct in _native.STRUCTS.items():
        assert measured[(name, "sizeof")] == ctypes.sizeof(struct), f"sizeof({name}) differs"
        for field, _ in struct._fields_:
            assert measured[(name, field)] == getattr(struct, field).offset, f"{name}.{field}"


def test_library_not_found_lists_what_was_tried(tmp_path):
    script = "import kws\ntry:\n    kws.version()\nexcept OSError as e:\n    print(e)\n"
    env = dict(os.environ, KWS_LIBRARY=str(tmp_path / "missing" / "libkws.so"),
               PYTHONPATH=str(REPO / "bindings" / "python"))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert "libkws.so not found" in out and str(tmp_path / "missing" / "libkws.so") in out
    assert "KWS_LIBRARY" in out


def test_pip_install_bundles_the_library(tmp_path):
    """`pip install bindings/python` gives a package that works from anywhere on its own."""
    library_or_skip()
    if not (REPO / "build" / "release" / "capi" / "libkws.so.0").exists():
        pytest.skip("needs build/release/capi/libkws.so.0")
    # Build from a copy, so that setuptools' build/ and egg-info never land in the checkout.
    source = tmp_path / "source"
    shutil.copytree(REPO / "bindings" / "python", source,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info", "tests"))
    target = tmp_path / "site"
    library = REPO / "build" / "release" / "capi" / "libkws.so.0"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation",
                    "--no-deps", "--no-index", "--target", str(target), str(source)],
                   check=True, cwd=tmp_path,
                   env=dict(os.environ, PIP_NO_CACHE_DIR="1", KWS_LIBRARY=str(library)))
    assert list((target / "kws").glob("libkws.so*"))
    script = ("import kws, kws._native as n; m = kws.Model(%r); "
              "print(n.library()._name, m.labels[2])" % str(MODEL))
    env = {k: v for k, v in os.environ.items() if k not in ("KWS_LIBRARY", "PYTHONPATH")}
    out = subprocess.run([sys.executable, "-c", script], env=dict(env, PYTHONPATH=str(target)),
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert str(target / "kws") in out and "down" in out


def test_classify_example(tmp_path):
    library_or_skip()
    script = REPO / "bindings" / "python" / "examples" / "classify.py"
    env = dict(os.environ, PYTHONPATH=str(REPO / "bindings" / "python"))
    run = subprocess.run([sys.executable, str(script), str(WAV), "--model", str(MODEL), "--json"],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    record = __import__("json").loads(run.stdout)
    assert record["file"] == str(WAV) and record["label"] in record["scores"]
    bad = subprocess.run([sys.executable, str(script), str(tmp_path / "missing.wav"), "--model",
                          str(MODEL)], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "missing.wav" in bad.stderr


# ---- the open-vocabulary spotter (CTC models) ----

CTC_MODEL = REPO / "tests" / "model" / "golden" / "ctc" / "phonemes_tau1.kws"
COMPUTER = "k @ m p j u: t# 3"


@pytest.fixture(scope="module")
def ctc_model():
    library_or_skip()
    return kws.Model(CTC_MODEL)


def heard_phrases(model, audio, rate=16000):
    """Three-token phrases of the model's own transcript: each is the best path somewhere."""
    tokens = kws.transcribe(model, audio, rate).split()
    return [" ".join(tokens[i:i + 3]) for i in range(0, len(tokens) - 2, 4)]


def test_ctc_model_and_transcribe(ctc_model, model):
    assert ctc_model.is_ctc and not model.is_ctc
    assert ctc_model.labels[0] == "_blank_"
    audio = noise(3, seed=4)
    text = kws.transcribe(ctc_model, audio, 16000)
    assert text and set(text.split()) <= set(ctc_model.labels[1:])
    with pytest.raises(kws.KwsError, match="CTC model") as error:
        kws.transcribe(model, audio, 16000)
    assert error.value.status_name == "invalid_argument"


def test_spotter_finds_heard_phrases_for_any_chunking(ctc_model):
    audio = noise(4, seed=5)
    phrases = heard_phrases(ctc_model, audio)
    assert len(phrases) >= 2
    keywords = [kws.Keyword(phonemes=p, name=f"k{i}", threshold=0.9) for i, p in enumerate(phrases)]
    spotter = kws.Spotter(ctc_model, keywords)
    assert [name for name, _ in spotter.keywords] == [f"k{i}" for i in range(len(phrases))]
    whole = spotter.push(audio) + spotter.finish()
    assert whole and all(0.9 <= e.score <= 1.0 and e.label.startswith("k") for e in whole)
    assert {e.label_index for e in whole} == set(range(len(phrases)))
    spotter.reset()
    chunked = []
    for start in range(0, audio.size, 777):
        chunked += spotter.push(audio[start:start + 777])
    chunked += spotter.finish()
    assert chunked == whole
    assert spotter.samples_pushed == audio.size


def test_spotter_keywords_as_text_and_errors(ctc_model, model):
    try:
        spotter = kws.Spotter(ctc_model, ["computer", kws.Keyword(phonemes=COMPUTER, name="c")])
    except kws.KwsError as error:  # a libkws without libespeak-ng
        assert error.status_name == "unsupported_format" and "libespeak-ng" in str(error)
    else:
        assert spotter.keywords == [("computer", COMPUTER), ("c", COMPUTER)]
    with pytest.raises(kws.KwsError, match="QQ"):
        kws.Spotter(ctc_model, [kws.Keyword(phonemes="k @ QQ")])
    with pytest.raises(kws.KwsError, match="exactly one of text and phonemes"):
        kws.Spotter(ctc_model, [kws.Keyword(text="computer", phonemes=COMPUTER)])
    with pytest.raises(kws.KwsError, match="no keywords"):
        kws.Spotter(ctc_model, [])
    with pytest.raises(kws.KwsError, match="threshold"):
        kws.Spotter(ctc_model, [kws.Keyword(phonemes=COMPUTER, threshold=2.0)])
    with pytest.raises(kws.KwsError, match="CTC model"):
        kws.Spotter(model, [kws.Keyword(phonemes=COMPUTER)])
    with pytest.raises(kws.KwsError, match="kws::Spotter"):
        kws.Detector(ctc_model)
    with pytest.raises(TypeError):
        kws.Spotter(ctc_model, [42])
