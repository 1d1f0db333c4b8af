"""ctypes declarations of the libkws C API (capi/kws.h) and the one way the library is found.

Search order (STYLE.md #17), first hit wins:
  1. the path in the environment variable ``KWS_LIBRARY``;
  2. ``libkws.so*`` inside this package (what ``pip install bindings/python`` bundles);
  3. the repository's build tree (``build/<preset>/capi/libkws.so`` for BUILD_PRESETS), for use
     from a checkout;
  4. the system loader (``libkws.so.0``, e.g. after ``cmake --install``).
Nothing is loaded until first use, so ``import kws`` works without the library.
"""
import ctypes
import ctypes.util
import os
import pathlib
import threading
from typing import List, Optional

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[2]
#: ABI major this binding was written for (SOVERSION of libkws.so; tests/bindings checks it
#: against CMakeLists.txt).
ABI_MAJOR = 0
#: Build trees searched from a checkout, in order (the Node, Rust and Go bindings search the same;
#: tests/bindings checks it).
BUILD_PRESETS = ("release", "debug", "asan")

# ---- kws.h types ----------------------------------------------------------------------------

kws_status = ctypes.c_int
kws_backend = ctypes.c_int
BACKENDS = {"default": 0, "reference": 1, "eigen": 2, "onednn": 3}

#: Pinned status values of kws.h, by name (tests/bindings checks them against kws.h).
STATUS_NAMES = {
    0: "ok", 1: "invalid_argument", 2: "io", 3: "unsupported_format", 4: "corrupt_data",
    5: "out_of_memory", 6: "internal", 7: "buffer_too_small",
}


class ClassifyParams(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("backend", kws_backend),
        ("stride_seconds", ctypes.c_float),
    ]


class Detection(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("label_index", ctypes.c_int32),
        ("label", ctypes.c_char_p),
        ("score", ctypes.c_float),
        ("start_sample", ctypes.c_int64),
        ("end_sample", ctypes.c_int64),
    ]


DetectionCallback = ctypes.CFUNCTYPE(None, ctypes.POINTER(Detection), ctypes.c_void_p)


class Evaluation(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("index", ctypes.c_int64),
        ("frame", ctypes.c_int64),
        ("start_sample", ctypes.c_int64),
        ("end_sample", ctypes.c_int64),
        ("scores", ctypes.POINTER(ctypes.c_float)),
        ("scores_count", ctypes.c_size_t),
        ("fired_label", ctypes.c_int32),
    ]


EvaluationCallback = ctypes.CFUNCTYPE(None, ctypes.POINTER(Evaluation), ctypes.c_void_p)


class DetectorParams(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("sample_rate", ctypes.c_int32),
        ("window_seconds", ctypes.c_float),
        ("stride_seconds", ctypes.c_float),
        ("smoothing_seconds", ctypes.c_float),
        ("sensitivity", ctypes.c_float),
        ("refractory_seconds", ctypes.c_float),
        ("default_threshold", ctypes.c_float),
        ("min_consecutive", ctypes.c_int32),
        ("backend", kws_backend),
        ("thresholds", ctypes.POINTER(ctypes.c_float)),
        ("thresholds_count", ctypes.c_size_t),
        ("callback", DetectionCallback),
        ("user_data", ctypes.c_void_p),
        ("evaluation_callback", EvaluationCallback),
        ("evaluation_user_data", ctypes.c_void_p),
    ]


class Keyword(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("text", ctypes.c_char_p),
        ("phonemes", ctypes.c_char_p),
        ("name", ctypes.c_char_p),
        ("threshold", ctypes.c_float),
        ("boost", ctypes.c_float),
    ]


class SpotterParams(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("sample_rate", ctypes.c_int32),
        ("window_frames", ctypes.c_int32),
        ("default_threshold", ctypes.c_float),
        ("refractory_seconds", ctypes.c_float),
        ("peak_seconds", ctypes.c_float),
        ("backend", kws_backend),
        ("callback", DetectionCallback),
        ("user_data", ctypes.c_void_p),
    ]


#: The mirrored structs, by their kws.h names (tests compare them with the C compiler's layout).
STRUCTS = {"kws_classify_params": ClassifyParams, "kws_detection": Detection,
           "kws_evaluation": Evaluation, "kws_detector_params": DetectorParams,
           "kws_keyword": Keyword, "kws_spotter_params": SpotterParams}

_P = ctypes.POINTER
_f32p = _P(ctypes.c_float)
_i16p = _P(ctypes.c_int16)
_model_p = ctypes.c_void_p
_classifier_p = ctypes.c_void_p
_detector_p = ctypes.c_void_p
_policy_p = ctypes.c_void_p
_spotter_p = ctypes.c_void_p

# name: (restype, argtypes)
_PROTOTYPES = {
    "kws_status_string": (ctypes.c_char_p, [kws_status]),
    "kws_last_error": (ctypes.c_char_p, []),
    "kws_version_number": (ctypes.c_uint32, []),
    "kws_version_string": (ctypes.c_char_p, []),
    "kws_build_info": (ctypes.c_char_p, []),
    "kws_backend_available": (ctypes.c_int, [kws_backend]),
    "kws_model_load": (kws_status, [ctypes.c_char_p, _P(_model_p)]),
    "kws_model_load_memory": (kws_status, [ctypes.c_void_p, ctypes.c_size_t, _P(_model_p)]),
    "kws_model_free": (None, [_model_p]),
    "kws_model_num_labels": (kws_status, [_model_p, _P(ctypes.c_size_t)]),
    "kws_model_label": (kws_status, [_model_p, ctypes.c_size_t, _P(ctypes.c_char_p)]),
    "kws_model_sample_rate": (kws_status, [_model_p, _P(ctypes.c_int32)]),
    "kws_model_feature_bins": (kws_status, [_model_p, _P(ctypes.c_int32)]),
    "kws_model_input_frames": (kws_status, [_model_p, _P(ctypes.c_int32)]),
    "kws_model_feature_config": (kws_status, [_model_p, _P(ctypes.c_char_p)]),
    "kws_model_threshold": (kws_status, [_model_p, ctypes.c_size_t, _f32p]),
    "kws_features": (kws_status, [_model_p, _f32p, ctypes.c_size_t, ctypes.c_int32, _f32p,
                                  ctypes.c_size_t, _P(ctypes.c_size_t), _P(ctypes.c_size_t)]),
    "kws_classify_params_init": (None, [_P(ClassifyParams)]),
    "kws_classify": (kws_status, [_model_p, _f32p, ctypes.c_size_t, ctypes.c_int32,
                                  _P(ClassifyParams), _f32p, ctypes.c_size_t, _P(ctypes.c_int32)]),
    "kws_classify_s16": (kws_status, [_model_p, _i16p, ctypes.c_size_t, ctypes.c_int32,
                                      _P(ClassifyParams), _f32p, ctypes.c_size_t,
                                      _P(ctypes.c_int32)]),
    "kws_classifier_create": (kws_status, [_model_p, _P(ClassifyParams), _P(_classifier_p)]),
    "kws_classifier_free": (None, [_classifier_p]),
    "kws_classifier_run": (kws_status, [_classifier_p, _f32p, ctypes.c_size_t, ctypes.c_int32, _f32p,
                                        ctypes.c_size_t, _P(ctypes.c_int32)]),
    "kws_classifier_run_s16": (kws_status, [_classifier_p, _i16p, ctypes.c_size_t, ctypes.c_int32,
                                            _f32p, ctypes.c_size_t, _P(ctypes.c_int32)]),
    "kws_detector_params_init": (None, [_P(DetectorParams)]),
    "kws_detector_create": (kws_status, [_model_p, _P(DetectorParams), _P(_detector_p)]),
    "kws_detector_free": (None, [_detector_p]),
    "kws_detector_push": (kws_status, [_detector_p, _f32p, ctypes.c_size_t]),
    "kws_detector_push_s16": (kws_status, [_detector_p, _i16p, ctypes.c_size_t]),
    "kws_detector_finish": (kws_status, [_detector_p]),
    "kws_detector_reset": (kws_status, [_detector_p]),
    "kws_detector_pending": (kws_status, [_detector_p, _P(ctypes.c_size_t)]),
    "kws_detector_next": (kws_status, [_detector_p, _P(Detection), _P(ctypes.c_int32)]),
    "kws_detector_scores": (kws_status, [_detector_p, _P(_f32p), _P(ctypes.c_size_t)]),
    "kws_detector_samples_pushed": (kws_status, [_detector_p, _P(ctypes.c_int64)]),
    "kws_detector_evaluations": (kws_status, [_detector_p, _P(ctypes.c_int64)]),
    "kws_detector_sample_rate": (kws_status, [_detector_p, _P(ctypes.c_int32)]),
    "kws_event_policy_create": (kws_status, [_model_p, _P(DetectorParams), _P(_policy_p)]),
    "kws_event_policy_free": (None, [_policy_p]),
    "kws_event_policy_reset": (kws_status, [_policy_p]),
    "kws_event_policy_run": (kws_status, [_policy_p, _f32p, ctypes.c_size_t, _P(ctypes.c_int64),
                                          ctypes.c_size_t, _P(ctypes.c_int32)]),
    "kws_event_policy_thresholds": (kws_status, [_policy_p, _P(_f32p), _P(ctypes.c_size_t)]),
    "kws_model_is_ctc": (kws_status, [_model_p, _P(ctypes.c_int32)]),
    "kws_keyword_init": (None, [_P(Keyword)]),
    "kws_spotter_params_init": (None, [_P(SpotterParams)]),
    "kws_spotter_create": (kws_status, [_model_p, _P(Keyword), ctypes.c_size_t, _P(SpotterParams),
                                        _P(_spotter_p)]),
    "kws_spotter_free": (None, [_spotter_p]),
    "kws_spotter_push": (kws_status, [_spotter_p, _f32p, ctypes.c_size_t]),
    "kws_spotter_push_s16": (kws_status, [_spotter_p, _i16p, ctypes.c_size_t]),
    "kws_spotter_finish": (kws_status, [_spotter_p]),
    "kws_spotter_reset": (kws_status, [_spotter_p]),
    "kws_spotter_pending": (kws_status, [_spotter_p, _P(ctypes.c_size_t)]),
    "kws_spotter_next": (kws_status, [_spotter_p, _P(Detection), _P(ctypes.c_int32)]),
    "kws_spotter_num_keywords": (kws_status, [_spotter_p, _P(ctypes.c_size_t)]),
    "kws_spotter_keyword": (kws_status, [_spotter_p, ctypes.c_size_t, _P(ctypes.c_char_p),
                                         _P(ctypes.c_char_p)]),
    "kws_spotter_samples_pushed": (kws_status, [_spotter_p, _P(ctypes.c_int64)]),
    "kws_transcribe": (kws_status, [_model_p, _f32p, ctypes.c_size_t, ctypes.c_int32,
                                    _P(SpotterParams), ctypes.c_char_p, ctypes.c_size_t,
                                    _P(ctypes.c_size_t)]),
    "kws_audio_read": (kws_status, [ctypes.c_char_p, ctypes.c_int32, _P(_f32p),
                                    _P(ctypes.c_size_t), _P(ctypes.c_int32)]),
    "kws_audio_read_memory": (kws_status, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int32,
                                           _P(_f32p), _P(ctypes.c_size_t), _P(ctypes.c_int32)]),
    "kws_audio_free": (None, [_f32p]),
}


class LibraryNotFound(OSError):
    """libkws.so could not be loaded from any of the places searched."""


def build_tree_candidates() -> List[pathlib.Path]:
    """The library in the repository's build trees, when this package sits in a checkout."""
    if not (REPO_ROOT / "capi" / "kws.h").exists():
        return []
    return [REPO_ROOT / "build" / preset / "capi" / f"libkws.so.{ABI_MAJOR}" for preset in BUILD_PRESETS]


def candidate_paths() -> List[str]:
    """Where the library is looked for, in order (see the module docstring)."""
    candidates = []
    override = os.environ.get("KWS_LIBRARY")
    if override:
        candidates.append(override)
    candidates += [str(p) for p in sorted(PACKAGE_DIR.glob("libkws.so*"))]
    candidates += [str(p) for p in build_tree_candidates()]
    system = ctypes.util.find_library("kws")
    candidates.append(system or f"libkws.so.{ABI_MAJOR}")
    return candidates


_lock = threading.Lock()
_library: Optional[ctypes.CDLL] = None


def _declare(library: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in _PROTOTYPES.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
    return library


def library() -> ctypes.CDLL:
    """The loaded libkws, declared; raises LibraryNotFound listing every place tried."""
    global _library
    with _lock:
        if _library is not None:
            return _library
        tried = []
        override = os.environ.get("KWS_LIBRARY")
        for path in candidate_paths():
            is_file_path = os.sep in path
            if is_file_path and not os.path.exists(path):
                tried.append(f"{path} (not found)")
                if override and path == override:
                    break  # an explicit choice that fails is an error, not a hint to look elsewhere
                continue
            try:
                loaded = ctypes.CDLL(path)
            except OSError as error:
                tried.append(f"{path} ({error})")
                if override and path == override:
                    break  # an explicit choice that fails is an error, not a hint to look elsewhere
                continue
            if not hasattr(loaded, "kws_version_number"):
                tried.append(f"{path} (not libkws: no kws_version_number)")
                continue
            _library = _declare(loaded)
            return _library
        raise LibraryNotFound(
            "libkws.so not found. Tried:\n  " + "\n  ".join(tried) +
            "\nBuild it (cmake --preset release && cmake --build build/release), install it "
            "(cmake --install), reinstall the package (pip install bindings/python after "
            "building), or set KWS_LIBRARY to the path of libkws.so.")
