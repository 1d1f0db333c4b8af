"""libkws Python package.

Kept deliberately minimal: importing ``kws`` must not import torch. The model pipeline lives in
submodules that are imported explicitly (``kws.bcresnet``, ``kws.features``, ``kws.modelfile``,
``kws.export``); ``kws.modelfile`` needs only numpy.
"""
