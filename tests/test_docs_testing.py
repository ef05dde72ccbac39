"""Every example of ``docs/testing.md`` runs as written.

A code block preceded by ``<!-- test: file PATH -->`` is a file the examples use;
``<!-- test: run -->`` is a script, run in a folder holding those files and the shipped
``scenarios/`` and ``fixtures/``; ``<!-- test: pytest passed=N errors=N -->`` is a test file,
run by pytest (with the plugin) with exactly those outcomes.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import httpx2
import pytest

from mockserver.testing import MockServer

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module", autouse=True)
def _imported_before_pytester() -> None:
    """pytester removes the modules first imported during a test when the test ends. Import
    (and use) now what the inner runs use, so that no later test gets second copies of them
    (httpx2 maps only the exception classes of the httpcore2 it met first)."""
    import hypothesis  # noqa: F401

    import mockserver.strategies  # noqa: F401

    with MockServer(customers=1) as api:
        httpx.get(api.url + "/health")
        httpx2.get(api.url + "/health")


ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
_BLOCK = re.compile(r"<!-- test: (?P<kind>\w+)(?P<args>[^>]*)-->\n```\w*\n(?P<code>.*?)\n```", re.S)


@dataclass(frozen=True)
class Example:
    kind: str
    args: str
    code: str
    line: int

    @property
    def name(self) -> str:
        return f"{self.kind}@line{self.line}"


def _examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    return [
        Example(m["kind"], m["args"].strip(), m["code"] + "\n", text.count("\n", 0, m.start()) + 1)
        for m in _BLOCK.finditer(text)
    ]


EXAMPLES = _examples()
FILES = {e.args: e.code for e in EXAMPLES if e.kind == "file"}
RUNNABLE = [e for e in EXAMPLES if e.kind in ("run", "pytest")]


def _prepare(folder: Path) -> None:
    for name in ("scenarios", "fixtures"):
        shutil.copytree(ROOT / name, folder / name, dirs_exist_ok=True)
    for path, code in FILES.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")


def test_the_page_has_examples_of_every_kind() -> None:
    kinds = [e.kind for e in EXAMPLES]
    assert set(kinds) == {"file", "run", "pytest"}
    assert kinds.count("run") >= 8
    assert kinds.count("pytest") >= 4


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.name for e in RUNNABLE])
def test_example(
    example: Example,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _prepare(pytester.path)
    monkeypatch.delitem(sys.modules, "myerp", raising=False)
    if example.kind == "run":
        monkeypatch.chdir(pytester.path)
        monkeypatch.syspath_prepend(str(pytester.path))
        exec(compile(example.code, f"{DOC}:{example.line}", "exec"), {"__name__": "__example__"})
        return
    pytester.makepyfile(**{f"test_example_{example.line}": example.code})
    pytester.syspathinsert()
    expected = {key: int(value) for key, value in (a.split("=") for a in example.args.split())}
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(**expected)
