"""Training recipe for libkws models: data (Speech Commands layout, synthetic speech from Debian's
TTS engines, real recordings in ../shared/data), augmentation, the BC-ResNet recipe of the paper,
run tracking, export to the libkws model file and a report over runs.

    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.synth --words yes,no --renders 50
    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.train --task commands_en
    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.report runs/*

Like ``kws`` itself, importing ``kws_training.recipe`` imports neither torch nor matplotlib.
"""
