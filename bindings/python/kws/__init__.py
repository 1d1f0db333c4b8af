"""libkws for Python.

The runtime (``kws.Model``, ``kws.Classifier``, ``kws.Detector``, ``kws.Spotter``, ``kws.read_audio``, ...) runs on libkws.so through
ctypes; it is imported on first use, so that ``import kws`` stays light and never imports torch.
Making models (PyTorch BC-ResNet, training, export, evaluation) is the separate ``kws_training``
package in the repository's training/ folder.
"""
_RUNTIME = ("KwsError", "Model", "Classification", "Classifier", "Detection", "Detector",
            "Evaluation", "EventPolicy", "Audio", "read_audio", "version", "version_number",
            "build_info", "backend_available", "detector_defaults", "Keyword", "Spotter",
            "transcribe")

__all__ = list(_RUNTIME)


def __getattr__(name):
    if name in _RUNTIME:
        from . import runtime
        return getattr(runtime, name)
    raise AttributeError(f"module 'kws' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_RUNTIME))
