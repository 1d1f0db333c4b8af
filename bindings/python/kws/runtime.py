"""The libkws runtime from Python: models, whole-clip classification and features, the streaming
detector, audio files. Numpy arrays in, dataclasses out; everything goes through the C API
(libkws.so, see :mod:`kws._native`), so Python and C++ give the same numbers.

    import kws
    model = kws.Model("examples/models/commands_en.kws")
    result = model.classify(samples, sample_rate=16000)       # result.label, result.scores
    classifier = kws.Classifier(model)                         # many clips: prepared once
    result = classifier.classify(samples, sample_rate=16000)
    detector = kws.Detector(model, sample_rate=16000)
    for event in detector.push(chunk):                         # any chunk size
        print(event.label, event.score, event.start_s, event.end_s)
"""
import contextlib
import ctypes
import functools
import json
import os
import threading
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native

__all__ = ["KwsError", "Model", "Classification", "Classifier", "Detection", "Detector",
           "Evaluation", "EventPolicy", "Audio", "read_audio",
           "version", "version_number", "build_info", "backend_available", "Keyword", "Spotter",
           "transcribe"]


class KwsError(RuntimeError):
    """A libkws call failed. ``status`` is the pinned kws_status value, ``status_name`` its name
    (``"io"``, ``"corrupt_data"``, ...), and the message is libkws's own."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.status_name = _native.STATUS_NAMES.get(status, "unknown")


def _lib() -> ctypes.CDLL:
    return _native.library()


def _check(status: int) -> None:
    if status != 0:
        message = _lib().kws_last_error().decode("utf-8", "replace")
        raise KwsError(status, message or _lib().kws_status_string(status).decode())


def version() -> str:
    """Version of the loaded libkws ("MAJOR.MINOR.PATCH")."""
    return _lib().kws_version_string().decode()


def version_number() -> int:
    return int(_lib().kws_version_number())


def build_info() -> str:
    """How the loaded libkws was built: version, backends, instruction set, compiler."""
    return _lib().kws_build_info().decode()


def backend_available(name: str) -> bool:
    return bool(_lib().kws_backend_available(_backend(name)))


def _backend(name: str) -> int:
    try:
        return _native.BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r} (expected one of {sorted(_native.BACKENDS)})")


#: Integer PCM dtypes other than int16, and the factor that scales them to [-1, 1) (the
#: conventions of WAV files: 8-bit is unsigned with 128 as zero, 32-bit is signed).
_INTEGER_PCM = {"i1": (0, 1 / 128), "u1": (128, 1 / 128), "i4": (0, 1 / 2147483648)}
_INT32 = (-2 ** 31, 2 ** 31 - 1)


def _pcm(samples) -> np.ndarray:
    """Native-order float32 or int16, C-contiguous, one-dimensional. Floats of any width and
    byte order become float32 (samples in [-1, 1]); int16 of either byte order becomes native
    int16; int8, uint8 and int32 are scaled to [-1, 1) as PCM of their width; every other dtype
    (int64, unsigned 16/32/64, bool, complex, objects) is refused: its scale is not known."""
    array = np.asarray(samples)
    if array.ndim != 1:
        raise ValueError(f"samples must be one-dimensional (mono), got shape {array.shape}")
    kind = array.dtype.kind + str(array.dtype.itemsize)
    if array.dtype.kind == "f":
        array = array.astype(np.float32, copy=False)
    elif kind == "i2":
        array = array.astype(np.int16, copy=False)  # to native byte order
    elif kind in _INTEGER_PCM:
        offset, scale = _INTEGER_PCM[kind]
        array = ((array.astype(np.float64) - offset) * scale).astype(np.float32)
    else:
        raise TypeError(f"samples of dtype {array.dtype} are not PCM libkws reads: pass float "
                        f"samples in [-1, 1], or int16 (int8, uint8, int32 are scaled as PCM)")
    return np.ascontiguousarray(array)


def _integer(name: str, value, low: int = _INT32[0], high: int = _INT32[1]) -> int:
    """``value`` as a Python int in [low, high], checked before it reaches ctypes (which would
    wrap it silently: 2**32 + 16000 would become 16000)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} = {value} is out of range [{low}, {high}]")
    return value


def _f32(array: np.ndarray):
    return array.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


def _i16(array: np.ndarray):
    return array.ctypes.data_as(ctypes.POINTER(ctypes.c_int16))


@dataclass(frozen=True)
class Classification:
    """Posteriors of one clip: ``label`` is the most probable, ``scores`` maps every label to
    its probability (they sum to 1)."""
    label: str
    index: int
    score: float
    scores: Dict[str, float]


@dataclass(frozen=True)
class Detection:
    """A keyword event. Samples count from the start of the stream at the detector's rate;
    [start, end) is the analysis window it fired in."""
    label: str
    label_index: int
    score: float
    start_sample: int
    end_sample: int
    sample_rate: int

    @property
    def start_s(self) -> float:
        return self.start_sample / self.sample_rate

    @property
    def end_s(self) -> float:
        return self.end_sample / self.sample_rate


@dataclass(frozen=True)
class Evaluation:
    """One model evaluation of a stream (kws_evaluation): the smoothed posteriors, one per label,
    and the window's audio [start_sample, end_sample) at the detector's rate. ``frame`` counts the
    stream's feature frames (the clock EventPolicy.run takes); ``fired_label`` is the label index
    of the event this evaluation fired, or -1."""
    index: int
    frame: int
    start_sample: int
    end_sample: int
    scores: np.ndarray
    fired_label: int


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, mono
    sample_rate: int


class _InUse:
    """Which threads are inside a call on a handle, so that close() from another thread waits
    for them to return instead of freeing memory a call is using."""

    def __init__(self):
        self._condition = threading.Condition()
        self._depth: Dict[int, int] = {}

    @contextlib.contextmanager
    def call(self):
        me = threading.get_ident()
        with self._condition:
            self._depth[me] = self._depth.get(me, 0) + 1
        try:
            yield
        finally:
            with self._condition:
                self._depth[me] -= 1
                if not self._depth[me]:
                    del self._depth[me]
                self._condition.notify_all()

    def close(self, kind: str, free: Callable[[], None]) -> None:
        with self._condition:
            if threading.get_ident() in self._depth:
                raise RuntimeError(f"close() of a {kind} from inside one of its own calls (an "
                                   f"on_evaluation callback): close it after that call returns")
            self._condition.wait_for(lambda: not self._depth)
            free()


def _guarded(method):
    """Runs ``method`` as a call on the handle (see _InUse)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._in_use.call():
            return method(self, *args, **kwargs)
    return wrapper


class _Handle:
    """An owned libkws handle: freed by close(), by the with-statement, or at garbage collection.
    close() waits for calls running in other threads to return, and refuses inside a call."""
    _kind = ""       # "model", "classifier", "detector": for the closed-handle error
    _free = ""       # the kws_*_free function
    _handle = None

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._in_use = _InUse()
        return self

    @property
    def handle(self) -> ctypes.c_void_p:
        if self._handle is None:
            raise ValueError(f"the {self._kind} is closed")
        return self._handle

    def close(self) -> None:
        """Frees the handle now (once calls in other threads have returned); later calls raise
        ValueError."""
        def free():
            handle, self._handle = self._handle, None
            if handle is not None and handle.value is not None:
                getattr(_lib(), self._free)(handle)
        self._in_use.close(self._kind, free)  # set by __new__, so there even when __init__ failed

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Model(_Handle):
    """A loaded, validated libkws model (.kws). Immutable and safe to share between threads.
    close() frees it now; detectors created from it keep working."""
    _kind, _free = "model", "kws_model_free"

    def __init__(self, path: Union[str, "os.PathLike[str]", None] = None, *, data: Optional[bytes] = None):
        if (path is None) == (data is None):
            raise ValueError("give either a path or data=bytes")
        handle = ctypes.c_void_p()
        if data is not None:
            buffer = bytes(data)
            _check(_lib().kws_model_load_memory(buffer, len(buffer), ctypes.byref(handle)))
        else:
            _check(_lib().kws_model_load(str(path).encode(), ctypes.byref(handle)))
        self._handle = handle
        count = ctypes.c_size_t()
        _check(_lib().kws_model_num_labels(handle, ctypes.byref(count)))
        labels = []
        for index in range(count.value):
            label = ctypes.c_char_p()
            _check(_lib().kws_model_label(handle, index, ctypes.byref(label)))
            labels.append(label.value.decode())
        self.labels: List[str] = labels
        value = ctypes.c_int32()
        _check(_lib().kws_model_sample_rate(handle, ctypes.byref(value)))
        self.sample_rate: int = value.value
        _check(_lib().kws_model_input_frames(handle, ctypes.byref(value)))
        self.input_frames: int = value.value
        _check(_lib().kws_model_feature_bins(handle, ctypes.byref(value)))
        self.feature_bins: int = value.value
        text = ctypes.c_char_p()
        _check(_lib().kws_model_feature_config(handle, ctypes.byref(text)))
        self.feature_config: Dict = json.loads(text.value.decode())
        thresholds = {}
        threshold = ctypes.c_float()
        for index, label in enumerate(labels):
            _check(_lib().kws_model_threshold(handle, index, ctypes.byref(threshold)))
            if threshold.value >= 0.0:
                thresholds[label] = float(threshold.value)
        self.thresholds: Dict[str, float] = thresholds
        _check(_lib().kws_model_is_ctc(handle, ctypes.byref(value)))
        #: A CTC acoustic model over phonemes (for Spotter and transcribe), not a classifier.
        self.is_ctc: bool = bool(value.value)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Model":
        return cls(data=data)


    def __repr__(self) -> str:
        return f"kws.Model(labels={self.labels}, sample_rate={self.sample_rate})"

    @_guarded
    def classify(self, samples, sample_rate: int, *, backend: str = "default",
                 stride_seconds: Optional[float] = None) -> Classification:
        """Posteriors of one clip (float in [-1, 1] or int16, any rate). A clip shorter than the
        model's window is zero-padded; a longer one is scanned and its most keyword-like window
        reported. Prepares the network on every call (kws_classify): use a :class:`Classifier`
        for many clips."""
        params = _classify_params(backend, stride_seconds)

        def run(suffix, pcm, count, rate, scores, capacity, best):
            return getattr(_lib(), "kws_classify" + suffix)(self.handle, pcm, count, rate,
                                                           ctypes.byref(params), scores, capacity, best)
        return _classify(self.labels, samples, sample_rate, run)

    @_guarded
    def features(self, samples, sample_rate: int) -> np.ndarray:
        """The model's input features of a clip, [bins, frames] float32, exactly as training
        computed them (torchaudio-equal)."""
        pcm = _pcm(samples)
        if pcm.dtype == np.int16:
            pcm = pcm.astype(np.float32) / 32768.0
        bins, frames = ctypes.c_size_t(), ctypes.c_size_t()
        null = ctypes.POINTER(ctypes.c_float)()
        sample_rate = _integer("sample_rate", sample_rate)
        _check(_lib().kws_features(self.handle, _f32(pcm), pcm.size, sample_rate, null, 0,
                                   ctypes.byref(bins), ctypes.byref(frames)))
        out = np.zeros(bins.value * frames.value + 16, dtype=np.float32)
        _check(_lib().kws_features(self.handle, _f32(pcm), pcm.size, sample_rate, _f32(out),
                                   out.size, ctypes.byref(bins), ctypes.byref(frames)))
        return out[:bins.value * frames.value].reshape(bins.value, frames.value).copy()


def _classify_params(backend: str, stride_seconds: Optional[float]) -> _native.ClassifyParams:
    """kws_classify_params: the library's defaults, with what the caller gave."""
    params = _native.ClassifyParams()
    _lib().kws_classify_params_init(ctypes.byref(params))
    params.backend = _backend(backend)
    if stride_seconds is not None:
        params.stride_seconds = float(stride_seconds)
    return params


def _classify(labels: List[str], samples, sample_rate: int, run) -> Classification:
    """One clip through run(suffix, pcm, count, rate, scores, capacity, best), which calls the
    kws_classify or kws_classifier_run function named with suffix ("" or "_s16")."""
    pcm = _pcm(samples)
    sample_rate = _integer("sample_rate", sample_rate)
    scores = np.zeros(len(labels), dtype=np.float32)
    best = ctypes.c_int32(-1)
    if pcm.dtype == np.int16:
        _check(run("_s16", _i16(pcm), pcm.size, sample_rate, _f32(scores), scores.size,
                   ctypes.byref(best)))
    else:
        _check(run("", _f32(pcm), pcm.size, sample_rate, _f32(scores), scores.size,
                   ctypes.byref(best)))
    return Classification(label=labels[best.value], index=best.value,
                          score=float(scores[best.value]),
                          scores={label: float(s) for label, s in zip(labels, scores)})


class Classifier(_Handle):
    """Whole-clip classification with the network prepared once (kws_classifier): the same
    results as :meth:`Model.classify`, without its per-call preparation. One thread at a time
    per classifier (calls are serialised by a lock): give each thread its own; they may share
    one Model, which may be closed before them. ``backend`` and ``stride_seconds`` as for
    Model.classify."""
    _kind, _free = "classifier", "kws_classifier_free"

    def __init__(self, model: Model, *, backend: str = "default",
                 stride_seconds: Optional[float] = None):
        params = _classify_params(backend, stride_seconds)
        handle = ctypes.c_void_p()
        with model._in_use.call():  # the model stays open while this reads it
            _check(_lib().kws_classifier_create(model.handle, ctypes.byref(params), ctypes.byref(handle)))
        self._handle = handle
        self._lock = threading.Lock()
        self.labels = list(model.labels)

    @_guarded
    def classify(self, samples, sample_rate: int) -> Classification:
        """Posteriors of one clip, as :meth:`Model.classify`."""
        def run(suffix, pcm, count, rate, scores, capacity, best):
            return getattr(_lib(), "kws_classifier_run" + suffix)(self.handle, pcm, count, rate,
                                                                 scores, capacity, best)
        with self._lock:
            return _classify(self.labels, samples, sample_rate, run)


_NUMERIC_PARAMS = {"sample_rate": int, "window_seconds": float, "stride_seconds": float,
                   "smoothing_seconds": float, "sensitivity": float, "refractory_seconds": float,
                   "default_threshold": float, "min_consecutive": int}


def detector_defaults() -> Dict[str, float]:
    """The detector's default settings as kws_detector_params_init gives them (sample_rate,
    window_seconds, stride_seconds, smoothing_seconds, sensitivity, refractory_seconds,
    default_threshold, min_consecutive)."""
    params = _native.DetectorParams()
    _lib().kws_detector_params_init(ctypes.byref(params))
    return {name: kind(getattr(params, name)) for name, kind in _NUMERIC_PARAMS.items()}


def _detector_params(model: "Model", thresholds: Optional[Mapping[str, float]], backend: str,
                     **given) -> tuple:
    """kws_detector_params from kws_detector_params_init, with the given (not None) values set.
    Returns the struct and the per-label threshold array it points to (keep it alive until the
    create call returns; libkws copies it)."""
    params = _native.DetectorParams()
    _lib().kws_detector_params_init(ctypes.byref(params))
    for name, value in given.items():
        if value is not None:
            kind = _NUMERIC_PARAMS[name]
            setattr(params, name, _integer(name, value) if kind is int else float(value))
    params.backend = _backend(backend)
    per_label = None
    if thresholds:
        unknown = sorted(set(thresholds) - set(model.labels))
        if unknown:
            raise ValueError(f"thresholds for unknown labels {unknown}; labels: {model.labels}")
        per_label = (ctypes.c_float * len(model.labels))(
            *[float(thresholds.get(label, -1.0)) for label in model.labels])
        params.thresholds = ctypes.cast(per_label, ctypes.POINTER(ctypes.c_float))
        params.thresholds_count = len(model.labels)
    return params, per_label


def _push_pcm(push_f32, push_s16, handle, pcm: np.ndarray) -> None:
    """kws_*_push or kws_*_push_s16 of a detector or spotter, by the dtype _pcm() gave."""
    if pcm.dtype == np.int16:
        _check(push_s16(handle, _i16(pcm), pcm.size))
    else:
        _check(push_f32(handle, _f32(pcm), pcm.size))


def _drain(next_event, handle, sample_rate: int) -> List[Detection]:
    """The queued events of a detector or spotter (kws_detector_next / kws_spotter_next)."""
    events = []
    event = _native.Detection()
    event.size = ctypes.sizeof(_native.Detection)
    available = ctypes.c_int32()
    while True:
        _check(next_event(handle, ctypes.byref(event), ctypes.byref(available)))
        if not available.value:
            return events
        events.append(Detection(label=event.label.decode(), label_index=event.label_index,
                                score=float(event.score), start_sample=int(event.start_sample),
                                end_sample=int(event.end_sample), sample_rate=sample_rate))


class Detector(_Handle):
    """Streaming keyword detection over one audio stream: push PCM chunks of any size, get
    events. One thread at a time per detector; many detectors may share a Model.

    Parameters mirror kws_detector_params (kws.h): ``sample_rate`` of pushed audio (default:
    the model's), ``window_seconds`` (0: the model's), ``stride_seconds``,
    ``smoothing_seconds``, ``sensitivity`` (0..1; 0.5 keeps thresholds), ``refractory_seconds``,
    ``default_threshold``, ``min_consecutive``, per-label ``thresholds``, ``backend``. Those not
    given (None) take kws_detector_params_init's defaults: the library's, in one place.
    ``on_evaluation(Evaluation)`` is called after every model evaluation, inside push/finish (for
    live score plots, or to record posteriors for an EventPolicy sweep); an exception it raises
    is re-raised by the push/finish that called it.
    """
    _kind, _free = "detector", "kws_detector_free"

    def __init__(self, model: Model, *, sample_rate: Optional[int] = None,
                 window_seconds: Optional[float] = None, stride_seconds: Optional[float] = None,
                 smoothing_seconds: Optional[float] = None, sensitivity: Optional[float] = None,
                 refractory_seconds: Optional[float] = None,
                 default_threshold: Optional[float] = None, min_consecutive: Optional[int] = None,
                 thresholds: Optional[Mapping[str, float]] = None, backend: str = "default",
                 on_evaluation: Optional[Callable[[Evaluation], None]] = None):
        params, _keep = _detector_params(
            model, thresholds, backend, sample_rate=sample_rate, window_seconds=window_seconds,
            stride_seconds=stride_seconds, smoothing_seconds=smoothing_seconds,
            sensitivity=sensitivity, refractory_seconds=refractory_seconds,
            default_threshold=default_threshold, min_consecutive=min_consecutive)
        self._callback_error: Optional[BaseException] = None
        self._evaluation_callback = None
        if on_evaluation is not None:
            def trampoline(pointer, _user_data):
                e = pointer.contents
                try:
                    on_evaluation(Evaluation(
                        index=int(e.index), frame=int(e.frame), start_sample=int(e.start_sample),
                        end_sample=int(e.end_sample), fired_label=int(e.fired_label),
                        scores=np.ctypeslib.as_array(e.scores, shape=(e.scores_count,)).copy()))
                except BaseException as error:  # ctypes would print and drop it
                    if self._callback_error is None:
                        self._callback_error = error
            # Kept on the detector: libkws calls it for as long as the handle lives.
            self._evaluation_callback = _native.EvaluationCallback(trampoline)
            params.evaluation_callback = self._evaluation_callback
        handle = ctypes.c_void_p()
        with model._in_use.call():  # the model stays open while this reads it
            _check(_lib().kws_detector_create(model.handle, ctypes.byref(params), ctypes.byref(handle)))
        self._handle = handle
        self._lock = threading.Lock()
        self.model = model
        self.labels = list(model.labels)
        rate = ctypes.c_int32()
        _check(_lib().kws_detector_sample_rate(handle, ctypes.byref(rate)))
        self.sample_rate = int(rate.value)

    def _raise_callback_error(self) -> None:
        error, self._callback_error = self._callback_error, None
        if error is not None:
            raise error

    def _drain(self) -> List[Detection]:
        return _drain(_lib().kws_detector_next, self.handle, self.sample_rate)

    @_guarded
    def push(self, samples) -> List[Detection]:
        """Feeds a chunk (float in [-1, 1] or int16, at the detector's rate); returns the events
        it completed, oldest first."""
        pcm = _pcm(samples)
        with self._lock:
            _push_pcm(_lib().kws_detector_push, _lib().kws_detector_push_s16, self.handle, pcm)
            self._raise_callback_error()
            return self._drain()

    @_guarded
    def finish(self) -> List[Detection]:
        """Ends the stream (flushes and evaluates the tail); call reset() before pushing again."""
        with self._lock:
            _check(_lib().kws_detector_finish(self.handle))
            self._raise_callback_error()
            return self._drain()

    @_guarded
    def reset(self) -> None:
        with self._lock:
            _check(_lib().kws_detector_reset(self.handle))

    @property
    @_guarded
    def scores(self) -> Dict[str, float]:
        """Smoothed posteriors after the latest evaluation."""
        pointer = ctypes.POINTER(ctypes.c_float)()
        count = ctypes.c_size_t()
        _check(_lib().kws_detector_scores(self.handle, ctypes.byref(pointer), ctypes.byref(count)))
        return {label: float(pointer[i]) for i, label in enumerate(self.labels[:count.value])}

    @property
    @_guarded
    def evaluations(self) -> int:
        """Model evaluations since creation or reset (one per stride once the window is full)."""
        value = ctypes.c_int64()
        _check(_lib().kws_detector_evaluations(self.handle, ctypes.byref(value)))
        return int(value.value)

    @property
    @_guarded
    def samples_pushed(self) -> int:
        value = ctypes.c_int64()
        _check(_lib().kws_detector_samples_pushed(self.handle, ctypes.byref(value)))
        return int(value.value)


class EventPolicy(_Handle):
    """The detector's firing rule on its own (kws_event_policy): thresholds, min_consecutive,
    arming and refractory over smoothed posteriors. Record a Detector's evaluations once
    (``on_evaluation``) and run one policy per setting over them: the events are those a Detector
    with that setting would give (a DET sweep without re-running the network). The firing
    parameters are the Detector's and default the same way."""
    _kind, _free = "event policy", "kws_event_policy_free"

    def __init__(self, model: Model, *, thresholds: Optional[Mapping[str, float]] = None,
                 sensitivity: Optional[float] = None, refractory_seconds: Optional[float] = None,
                 default_threshold: Optional[float] = None, min_consecutive: Optional[int] = None):
        params, _keep = _detector_params(
            model, thresholds, "default", sensitivity=sensitivity,
            refractory_seconds=refractory_seconds, default_threshold=default_threshold,
            min_consecutive=min_consecutive)
        handle = ctypes.c_void_p()
        with model._in_use.call():  # the model stays open while this reads it
            _check(_lib().kws_event_policy_create(model.handle, ctypes.byref(params), ctypes.byref(handle)))
        self._handle = handle
        self.labels = list(model.labels)

    @_guarded
    def run(self, scores, frames) -> np.ndarray:
        """Runs evaluations in order, continuing from the previous call: ``scores`` [E, labels]
        smoothed posteriors, ``frames`` [E] their Evaluation.frame. Returns [E] int32: the label
        index each evaluation fires, or -1."""
        scores = np.ascontiguousarray(scores, dtype=np.float32)
        frames = np.ascontiguousarray(frames, dtype=np.int64)
        if scores.ndim != 2 or scores.shape[0] != frames.shape[0]:
            raise ValueError(f"scores must be [E, {len(self.labels)}] and frames [E]; got "
                             f"{scores.shape} and {frames.shape}")
        fired = np.empty(frames.shape[0], dtype=np.int32)
        _check(_lib().kws_event_policy_run(
            self.handle, _f32(scores), scores.shape[1],
            frames.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), frames.shape[0],
            fired.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))))
        return fired

    @_guarded
    def reset(self) -> None:
        """Forgets the stream: every label armed, no refractory period running."""
        _check(_lib().kws_event_policy_reset(self.handle))

    @property
    @_guarded
    def thresholds(self) -> np.ndarray:
        """Effective threshold per label (after sensitivity); inf for labels that never fire."""
        pointer = ctypes.POINTER(ctypes.c_float)()
        count = ctypes.c_size_t()
        _check(_lib().kws_event_policy_thresholds(self.handle, ctypes.byref(pointer), ctypes.byref(count)))
        return np.ctypeslib.as_array(pointer, shape=(count.value,)).copy()


@dataclass(frozen=True)
class Keyword:
    """A keyword for a :class:`Spotter`: ``text`` (words, phonemised by libkws with the model's
    phonemizer, libespeak-ng) or ``phonemes`` (the model's tokens separated by spaces), exactly
    one of them; ``name`` reported in events (default: the text or phonemes); ``threshold`` on
    the score in (0, 1] (None: the spotter's default_threshold); ``boost``, a per-token bonus in
    [-10, 10] that multiplies the score by e^boost."""
    text: Optional[str] = None
    phonemes: Optional[str] = None
    name: Optional[str] = None
    threshold: Optional[float] = None
    boost: float = 0.0


def _spotter_params(**given) -> _native.SpotterParams:
    """kws_spotter_params from kws_spotter_params_init, with the given (not None) values set."""
    params = _native.SpotterParams()
    _lib().kws_spotter_params_init(ctypes.byref(params))
    backend = given.pop("backend")
    for name, value in given.items():
        if value is not None:
            integer = name in ("sample_rate", "window_frames")
            setattr(params, name, _integer(name, value) if integer else float(value))
    params.backend = _backend(backend)
    return params


def _keyword_structs(keywords: Sequence[Union[str, Keyword]]):
    """kws_keyword structs (and the encoded strings they point to: keep both alive)."""
    keywords = [Keyword(text=k) if isinstance(k, str) else k for k in keywords]
    array = (_native.Keyword * max(1, len(keywords)))()
    keep = []
    for struct, keyword in zip(array, keywords):
        if not isinstance(keyword, Keyword):
            raise TypeError(f"keywords must be strings (text) or kws.Keyword, got {keyword!r}")
        _lib().kws_keyword_init(ctypes.byref(struct))
        for field in ("text", "phonemes", "name"):
            value = getattr(keyword, field)
            if value is not None:
                encoded = str(value).encode()
                keep.append(encoded)
                setattr(struct, field, encoded)
        if keyword.threshold is not None:
            struct.threshold = float(keyword.threshold)
        struct.boost = float(keyword.boost)
    return array, len(keywords), keep


class Spotter(_Handle):
    """Open-vocabulary keyword spotting over one audio stream with a CTC acoustic model
    (``model.is_ctc``): keywords given as text (``"hey jarvis"``) or :class:`Keyword`, searched
    for in the model's per-frame phoneme posteriors. Push PCM chunks of any size, get
    :class:`Detection` events whose ``label`` is the keyword's name and ``label_index`` its
    index. One thread at a time per spotter; many spotters may share a Model.

    Parameters mirror kws_spotter_params (kws.h): ``sample_rate`` of pushed audio (default: the
    model's), ``window_frames`` (0: the model's), ``default_threshold``, ``refractory_seconds``,
    ``peak_seconds``, ``backend``; those not given take kws_spotter_params_init's defaults.
    """
    _kind, _free = "spotter", "kws_spotter_free"

    def __init__(self, model: Model, keywords: Sequence[Union[str, Keyword]], *,
                 sample_rate: Optional[int] = None, window_frames: Optional[int] = None,
                 default_threshold: Optional[float] = None,
                 refractory_seconds: Optional[float] = None, peak_seconds: Optional[float] = None,
                 backend: str = "default"):
        params = _spotter_params(sample_rate=sample_rate, window_frames=window_frames,
                                 default_threshold=default_threshold,
                                 refractory_seconds=refractory_seconds, peak_seconds=peak_seconds,
                                 backend=backend)
        structs, count, _keep = _keyword_structs(keywords)
        handle = ctypes.c_void_p()
        with model._in_use.call():  # the model stays open while this reads it
            _check(_lib().kws_spotter_create(model.handle, structs, count, ctypes.byref(params),
                                             ctypes.byref(handle)))
        self._handle = handle
        self._lock = threading.Lock()
        self.model = model
        self.sample_rate = int(params.sample_rate) or model.sample_rate
        #: (name, phonemes) of every keyword, as the spotter searches for it.
        self.keywords: List[Tuple[str, str]] = []
        number = ctypes.c_size_t()
        _check(_lib().kws_spotter_num_keywords(handle, ctypes.byref(number)))
        for index in range(number.value):
            name, tokens = ctypes.c_char_p(), ctypes.c_char_p()
            _check(_lib().kws_spotter_keyword(handle, index, ctypes.byref(name), ctypes.byref(tokens)))
            self.keywords.append((name.value.decode(), tokens.value.decode()))

    @_guarded
    def push(self, samples) -> List[Detection]:
        """Feeds a chunk (float in [-1, 1] or int16, at the spotter's rate); returns the events
        it completed, oldest first."""
        pcm = _pcm(samples)
        with self._lock:
            _push_pcm(_lib().kws_spotter_push, _lib().kws_spotter_push_s16, self.handle, pcm)
            return _drain(_lib().kws_spotter_next, self.handle, self.sample_rate)

    @_guarded
    def finish(self) -> List[Detection]:
        """Ends the stream (flushes and scores the tail); call reset() before pushing again."""
        with self._lock:
            _check(_lib().kws_spotter_finish(self.handle))
            return _drain(_lib().kws_spotter_next, self.handle, self.sample_rate)

    @_guarded
    def reset(self) -> None:
        with self._lock:
            _check(_lib().kws_spotter_reset(self.handle))

    @property
    @_guarded
    def samples_pushed(self) -> int:
        value = ctypes.c_int64()
        _check(_lib().kws_spotter_samples_pushed(self.handle, ctypes.byref(value)))
        return int(value.value)


def transcribe(model: Model, samples, sample_rate: int, *, backend: str = "default",
               window_frames: Optional[int] = None) -> str:
    """Greedy CTC decoding of one clip with a CTC model: the tokens it hears, separated by
    spaces (kws_transcribe)."""
    pcm = _pcm(samples)
    if pcm.dtype == np.int16:
        pcm = pcm.astype(np.float32) / 32768.0
    params = _spotter_params(window_frames=window_frames, backend=backend)
    sample_rate = _integer("sample_rate", sample_rate)
    length = ctypes.c_size_t()
    with model._in_use.call():
        # A buffer of 64 bytes per second is ample (phonemes are a few bytes, about 15 per
        # second); the size protocol covers the rest.
        capacity = 64 + 64 * pcm.size // max(1, sample_rate)
        for _ in range(2):
            out = ctypes.create_string_buffer(capacity)
            status = _lib().kws_transcribe(model.handle, _f32(pcm), pcm.size, sample_rate,
                                           ctypes.byref(params), out, capacity, ctypes.byref(length))
            if _native.STATUS_NAMES.get(status) != "buffer_too_small":
                break
            capacity = length.value + 1
        _check(status)
    return out.value.decode()


def read_audio(path_or_bytes, sample_rate: int = 0) -> Audio:
    """Reads WAV/FLAC/OGG (a path, or a file image as bytes) as mono float32, resampled to
    ``sample_rate`` when it is > 0."""
    samples = ctypes.POINTER(ctypes.c_float)()
    count = ctypes.c_size_t()
    rate = ctypes.c_int32()
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        _check(_lib().kws_audio_read_memory(data, len(data), int(sample_rate), ctypes.byref(samples),
                                            ctypes.byref(count), ctypes.byref(rate)))
    else:
        _check(_lib().kws_audio_read(str(path_or_bytes).encode(), int(sample_rate),
                                     ctypes.byref(samples), ctypes.byref(count), ctypes.byref(rate)))
    try:
        array = np.ctypeslib.as_array(samples, shape=(count.value,)).copy() if count.value else \
            np.zeros(0, dtype=np.float32)
    finally:
        _lib().kws_audio_free(samples)
    return Audio(samples=array, sample_rate=int(rate.value))
