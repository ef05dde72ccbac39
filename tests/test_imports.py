"""No import cycle in the package: ``scripts/check-imports`` proves it from the source (and
is shown to find the cycles it must find), and every module imports, in several orders, in a
fresh interpreter. Function-level imports of the package's own modules, which hide cycles,
are allowed only where their reason is written below."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check-imports"
PACKAGE = ROOT / "mockserver"

# Modules that import a module of their own package inside a function, and why.
DELIBERATELY_LAZY = {
    # PEP 562 ``__getattr__``: ``import mockserver`` must not pull in uvicorn and the app.
    "mockserver",
    # Every pytest run loads the plugin; it imports the server only when a fixture runs.
    "mockserver.pytest_plugin",
    # ``mockserver --help`` and ``validate`` answer without loading the server.
    "mockserver.cli",
    # ``mockserver --help`` builds the ``record`` parser without importing the HTTP client.
    "mockserver.bridge.record_cli",
    # Likewise ``drift``: its parser loads neither httpx nor the upstream client.
    "mockserver.bridge.drift_cli",
    # Serving loads the passthrough (and with it httpx) only with ``--upstream``.
    "mockserver.app",
    # ``drift`` starts a mock of its own (the test helpers) only when no ``--mock`` is given.
    "mockserver.bridge.drift",
}


def _check(package: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(package), "--json", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stderr == ""
    found: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, found


def test_the_package_has_no_import_cycle() -> None:
    status, found = _check(PACKAGE)
    assert found["cycles"] == []
    assert status == 0


def test_function_level_imports_are_only_the_deliberate_ones() -> None:
    _, found = _check(PACKAGE)
    lazy = {source for source, _, _ in found["function_level"]}
    assert lazy <= DELIBERATELY_LAZY, sorted(lazy - DELIBERATELY_LAZY)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "pkg"


def test_the_script_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from . import b\n",
            "pkg/b.py": "def f():\n    from .a import x\n    return x\n",
            "pkg/c.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
            ),
        },
    )
    status, found = _check(package)
    assert found["cycles"] == [["pkg.a", "pkg.b", "pkg.a"]]
    assert found["function_level"] == [["pkg.b", 2, "pkg.a"]]
    assert status == 1


def test_the_script_follows_packages_and_their_init(tmp_path: Path) -> None:
    # pkg.core.x imports pkg.api.handlers, which runs pkg/api/__init__.py, which imports
    # pkg.core.x: a cycle through a package's __init__.
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/api/__init__.py": "from ..core import x\n",
            "pkg/api/handlers.py": "from . import helpers\n",
            "pkg/api/helpers.py": "",
            "pkg/core/__init__.py": "",
            "pkg/core/x.py": "import pkg.api.handlers\n",
        },
    )
    status, found = _check(package)
    assert found["cycles"] == [["pkg.api", "pkg.core.x", "pkg.api"]]
    assert status == 1


def test_a_package_importing_its_own_modules_is_no_cycle(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "from .one import A\nfrom .two import B\n",
            "pkg/one.py": "from .two import B\nA = B\n",
            "pkg/two.py": "B = 1\n",
        },
    )
    assert _check(package) == (0, {"cycles": [], "function_level": []})
    status, _ = _check(package, "--strict")
    assert status == 0


def test_strict_fails_on_a_function_level_import(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {"pkg/__init__.py": "", "pkg/a.py": "def f():\n    from . import b\n", "pkg/b.py": ""},
    )
    assert _check(package)[0] == 0
    assert _check(package, "--strict")[0] == 1


def _all_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":  # importing it runs the command line
            names.append(".".join(parts))
    return names


def _orders() -> list[list[str]]:
    names = _all_modules()
    shuffled = []
    for seed in (1, 2, 3):
        order = list(names)
        random.Random(seed).shuffle(order)
        shuffled.append(order)
    return [names, names[::-1], *shuffled]


@pytest.mark.parametrize("order", _orders(), ids=["sorted", "reversed", "seed1", "seed2", "seed3"])
def test_every_module_imports_in_any_order(order: list[str]) -> None:
    code = f"import importlib\nfor name in {order!r}:\n    importlib.import_module(name)\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
