"""Evaluating a keyword detector on long audio (see README.md beside this file).

    python -m kws_training.evaluation build-stream --out test.wav --source gsc --duration 60m --seed 1
    python -m kws_training.evaluation run --model commands_en.kws --stream test.wav --out report/
    python -m kws_training.evaluation calibrate --model commands_en.kws --stream cal.wav --target-fa-per-hour 1

Modules: ``sources`` (clips and noise), ``stream`` (building streams and their ground truth),
``scoring`` (the matching rule and the metrics), ``detect`` (running libkws's detector, the
threshold replay), ``evaluate`` (run, DET sweep, calibration, outputs), ``cli``.
"""
from .scoring import Event, match, metrics  # noqa: F401
from .stream import StreamConfig, build_stream, load_truth, write_stream  # noqa: F401
