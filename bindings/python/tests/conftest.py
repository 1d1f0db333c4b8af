"""pytest setup: make ``kws`` importable from bindings/python and expose repository paths."""
import pathlib
import sys


PYTHON_DIR = pathlib.Path(__file__).resolve().parents[1]
REPO_ROOT = PYTHON_DIR.parents[1]

if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

