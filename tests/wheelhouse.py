"""What a user gets from ``pip install``: the project's wheel, built once per test session, and
fresh virtualenvs that install it (never the checkout), with uv for speed and pip where the
test is about what pip does. Used by tests/test_wheel.py and tests/test_docs_examples.py.

The wheel is built from an sdist (``uv build``), the way an index builds it, so a file missing
from either fails here. A venv's programs run with a clean environment: no ``PYTHONPATH``, no
``MOCKSERVER_*`` variable, and a working directory outside the checkout, so nothing of the
checkout can be imported by accident.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_LOCK = ROOT / "requirements" / "test.lock"
DISTRIBUTION = "lemonsoft-mock"
_BUILD_TIMEOUT_S = 300
_SERVE_TIMEOUT_S = 60.0


def uv() -> str:
    """The uv of the test environment (requirements/test.lock has it)."""
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        raise AssertionError(
            "uv is missing: scripts/setup test installs it (requirements/test.lock)"
        )
    return found


def run(
    argv: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = _BUILD_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run a command; an exit status other than 0 fails with its output."""
    done = subprocess.run(
        [str(word) for word in argv],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, argv))} exited with {done.returncode}:\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment less what could point a child at the checkout or configure
    the server behind a test's back."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTEST_ADDOPTS")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(("MOCKSERVER_", "PYTEST_"))
    }
    env.update(extra)
    return env


@functools.cache
def wheel() -> Path:
    """The project's wheel, built once per process into a temporary folder (removed at exit)."""
    out = Path(tempfile.mkdtemp(prefix="mockserver-wheel-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    run([uv(), "build", "--quiet", "--out-dir", out, ROOT])
    (built,) = out.glob("*.whl")
    return built


def locked(*names: str) -> list[str]:
    """``name==version`` of each package as requirements/test.lock pins it."""
    text = TEST_LOCK.read_text(encoding="utf-8")
    pins = []
    for name in names:
        found = re.search(rf"^{re.escape(name)}==(\S+)", text, re.M | re.I)
        assert found is not None, f"{name} is not in {TEST_LOCK}"
        pins.append(f"{name}=={found.group(1)}")
    return pins


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment with this venv's programs first on PATH."""
        env = clean_env(**extra)
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.path)
        return env

    def uv_install(self, *requirements: str | Path) -> float:
        """``uv pip install`` into this venv; the seconds it took."""
        started = time.perf_counter()
        run(
            [
                uv(),
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",
                "--python",
                self.python,
                *requirements,
            ]
        )
        return time.perf_counter() - started

    def pip(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return run([self.python, "-m", "pip", "--disable-pip-version-check", *args], env=self.env())

    def freeze(self) -> dict[str, str]:
        """Every installed distribution and its version, names normalized."""
        listed = run([uv(), "pip", "list", "--format", "json", "--python", self.python]).stdout
        return {
            re.sub(r"[-_.]+", "-", item["name"]).lower(): item["version"]
            for item in json.loads(listed)
        }

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())


def new_venv(folder: Path, *, with_pip: bool = False) -> Venv:
    """A fresh virtualenv of this interpreter's Python in ``folder``."""
    args: list[str | Path] = [uv(), "venv", "--quiet", "--python", sys.executable, folder]
    if with_pip:
        args.insert(3, "--seed")
    run(args)
    return Venv(folder)


def wait_for_url(process: subprocess.Popen[str], log: Path) -> str:
    """The URL the start-up line names (``... on http://HOST:PORT``)."""
    deadline = time.monotonic() + _SERVE_TIMEOUT_S  # a hang guard, not a budget
    while time.monotonic() < deadline:
        found = re.search(r" on (http://\S+)", log.read_text())
        if found:
            return found.group(1)
        if process.poll() is not None:
            raise AssertionError(f"mockserver exited with {process.returncode}: {log.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"mockserver never said where it listens: {log.read_text()}")
