"""pytest setup: make ``kws_training`` (training/) and the ``kws`` runtime binding (bindings/python)
importable, and expose repository paths."""
import importlib.util
import pathlib
import sys

import pytest

TRAINING_DIR = pathlib.Path(__file__).resolve().parents[1]
REPO_ROOT = TRAINING_DIR.parent
PYTHON_DIR = REPO_ROOT / "bindings" / "python"
GOLDEN_DIR = REPO_ROOT / "tests" / "model" / "golden"

for path in (TRAINING_DIR, PYTHON_DIR):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope="session")
def make_golden():
    """The golden-data generator module (tests/model/make_golden.py), for its constants and
    its ../shared/data lookup."""
    spec = importlib.util.spec_from_file_location(
        "make_golden", REPO_ROOT / "tests" / "model" / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
