"""Every module of paperfeed, the tests and the benchmarks imports in the project's own venv.

A module that imports an undeclared package works on a developer's machine that
happens to have it and fails for a new user; importing everything here, in CI's
brand-new venv, is what catches it (deptry catches it statically, this at run time).
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import paperfeed

REPO = Path(__file__).resolve().parents[1]

PACKAGE_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(paperfeed.__path__, prefix="paperfeed.")
    # run, not imported: Alembic loads env.py and the revisions by path, and __main__ is the CLI itself
    if ".migrations." not in m.name and not m.name.endswith("__main__")
)


# Test and benchmark modules by folder, imported as pytest and `python benchmarks/x.py` import them:
# the module's own folder first on sys.path (so `conftest` is that folder's), then the repo root.
def _module_names(folder: Path) -> list[str]:
    """A package folder's modules by dotted path from the repo root, a plain folder's by file name."""
    prefix = ".".join(folder.relative_to(REPO).parts) + "." if (folder / "__init__.py").exists() else ""
    return sorted(prefix + p.stem for p in folder.glob("*.py") if p.name != "__init__.py")


SCRIPT_DIRS = {
    folder: _module_names(folder)
    for root in ("tests", "benchmarks")
    for folder in sorted({p.parent for p in (REPO / root).rglob("*.py") if "testdata" not in p.parts})
}
IMPORT_ALL = """
import importlib, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
for name in sys.argv[3:]:
    importlib.import_module(name)
"""


def test_there_is_something_to_import() -> None:
    assert len(PACKAGE_MODULES) > 50
    assert REPO / "benchmarks" in SCRIPT_DIRS and REPO / "tests" / "digest" in SCRIPT_DIRS


@pytest.mark.parametrize("name", PACKAGE_MODULES)
def test_package_module_imports(name: str) -> None:
    importlib.import_module(name)


@pytest.mark.parametrize("folder", list(SCRIPT_DIRS), ids=lambda p: str(p.relative_to(REPO)))
def test_test_and_benchmark_modules_import(folder: Path) -> None:
    """In a fresh interpreter per folder, so that this process's already imported modules hide nothing."""
    names = SCRIPT_DIRS[folder]
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(folder), str(REPO), *names],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == 0, f"importing {names} from {folder} failed:\n{out.stderr[-3000:]}"
