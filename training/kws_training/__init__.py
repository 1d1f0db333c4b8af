"""libkws's model-making toolchain: the PyTorch BC-ResNet, the model-file writer and exporter, the
training recipe and the streaming evaluation. The runtime it makes models for is the ``kws``
package (bindings/python: ctypes over libkws.so), which this package uses to check what it
writes and to run the detector it evaluates.

    kws_training.bcresnet      BC-ResNet in PyTorch (Kim et al. 2021), every width
    kws_training.features      the feature_config record and its torchaudio reference front end
    kws_training.modelfile     the model file (src/model/MODEL_FORMAT.md): reader and writer
    kws_training.export        PyTorch checkpoint -> .kws            (python -m kws_training.export)
    kws_training.recipe        data, augmentation, training, report  (python -m kws_training.recipe.train)
    kws_training.evaluation    streams, DET curves, calibration      (python -m kws_training.evaluation)

Importing it imports neither torch nor matplotlib; the modules that need them import them.
"""
