"""pytest setup: make ``kws`` importable from bindings/python and expose repository paths."""
import importlib.util
import pathlib
import sys

import pytest

PYTHON_DIR = pathlib.Path(__file__).resolve().parents[1]
REPO_ROOT = PYTHON_DIR.parents[1]
GOLDEN_DIR = REPO_ROOT / "tests" / "model" / "golden"

if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))


@pytest.fixture(scope="session")
def make_golden():
    """The golden-data generator module (tests/model/make_golden.py), for its constants and
    its ../shared/data lookup."""
    spec = importlib.util.spec_from_file_location(
        "make_golden", REPO_ROOT / "tests" / "model" / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
