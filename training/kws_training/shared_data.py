"""Where the real recorded speech of ../shared/data is (never copied into the repository).

One lookup for every tool that reads it (training, evaluation, golden-data scripts), in this
order: $KWS_SHARED_DATA, ../shared/data beside this checkout, beside the main checkout when this
is a git worktree elsewhere, and beside the working directory.
"""
import os
import pathlib
import subprocess
from typing import List, Optional

#: The repository this package sits in (bindings/python/kws -> repository root).
REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def candidates() -> List[pathlib.Path]:
    """The folders searched, in order, without repeats."""
    found = []
    if os.environ.get("KWS_SHARED_DATA"):
        found.append(pathlib.Path(os.environ["KWS_SHARED_DATA"]))
    found.append(REPO_ROOT.parent / "shared" / "data")
    try:
        common = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--path-format=absolute",
                                 "--git-common-dir"], capture_output=True, text=True, check=True)
        found.append(pathlib.Path(common.stdout.strip()).parent.parent / "shared" / "data")
    except (OSError, subprocess.CalledProcessError):
        pass
    found.append(pathlib.Path.cwd().parent / "shared" / "data")
    unique = []
    for candidate in found:
        if candidate not in unique:
            unique.append(candidate)
    return unique


def find(required: str = "") -> Optional[pathlib.Path]:
    """The first candidate folder that holds `required` (a subpath; "" for any), or None."""
    for candidate in candidates():
        if candidate.is_dir() and (candidate / required).exists():
            return candidate
    return None
