"""Bundles libkws.so into the wheel, so that `pip install bindings/python` gives a package that
works on its own. The library is taken from $KWS_LIBRARY or the repository's build tree (build it
first: cmake --preset release && cmake --build build/release). Without one the package still
installs and finds the library at run time (KWS_LIBRARY, or the system loader)."""
import importlib.util
import os
import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _native():
    """kws/_native.py on its own (it needs only the standard library): the one list of places."""
    spec = importlib.util.spec_from_file_location("_kws_native", HERE / "kws" / "_native.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def built_library():
    override = os.environ.get("KWS_LIBRARY")
    candidates = [pathlib.Path(override)] if override else _native().build_tree_candidates()
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    return None


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        library = built_library()
        if library is None:
            print("libkws.so not found: the package will look for it at run time")
            return
        target = pathlib.Path(self.build_lib) / "kws" / f"libkws.so.{_native().ABI_MAJOR}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)
        print(f"bundled {library} as {target}")


setup(cmdclass={"build_py": BuildWithLibrary})
