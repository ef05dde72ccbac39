"""Every example in README.md and docs/ runs as written after ``pip install`` of the wheel.

The examples run in a fresh virtualenv that installed the built wheel (tests/wheelhouse.py),
``httpx``, ``pytest`` and ``hypothesis``, and nothing of the checkout: no ``httpx2``, no
``scenarios/`` folder to lean on, so a file missing from the package data fails here.

A fenced block preceded by a marker comment is an example:

- ``<!-- test: file PATH -->``: a file the page's other examples use (written first);
- ``<!-- test: run -->``: a Python script, run by the venv's Python in a folder holding the
  page's files;
- ``<!-- test: pytest passed=N errors=N -->``: a test file, run by the venv's pytest (the
  plugin registers itself) with exactly those outcomes;
- ``<!-- test: curl -->``: a shell walkthrough against ``mockserver serve`` from the venv on
  ``localhost:8080`` (the test's port instead); it must exit 0, and every ``/api`` request it
  makes after its login must land in the tenant of that login.

Every ``python`` block of these pages must carry one of these markers, and every relative
link must point at a file of the repository.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import pytest
from wheelhouse import ROOT, Venv, locked, new_venv, wait_for_url, wheel

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(
    r"(?:<!-- test: (?P<kind>\w+)(?P<args>[^>]*)-->\n)?```(?P<lang>\w*)\n(?P<code>.*?)\n```", re.S
)
_LINK = re.compile(r"\]\((?!https?://|mailto:|#)(?P<target>[^)\s]+)\)")


@dataclass(frozen=True)
class Example:
    page: Path
    kind: str
    args: str
    lang: str
    code: str
    line: int

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}:{self.kind}"


def _blocks(page: Path) -> list[Example]:
    text = page.read_text(encoding="utf-8")
    return [
        Example(
            page,
            m["kind"] or "",
            m["args"].strip() if m["args"] else "",
            m["lang"],
            m["code"] + "\n",
            text.count("\n", 0, m.start()) + 1,
        )
        for m in _FENCE.finditer(text)
    ]


BLOCKS = [block for page in PAGES for block in _blocks(page)]
EXAMPLES = [b for b in BLOCKS if b.kind in ("run", "pytest", "curl")]


def test_every_python_block_is_an_example() -> None:
    unmarked = [b.name for b in BLOCKS if b.lang == "python" and not b.kind]
    assert unmarked == [], "python blocks without a <!-- test: ... --> marker"
    assert {b.kind for b in BLOCKS if b.kind} <= {"file", "run", "pytest", "curl"}
    pages = {b.page.name for b in EXAMPLES}
    assert {"README.md", "testing.md", "api.md"} <= pages
    assert sum(b.kind == "curl" for b in EXAMPLES) == 1


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_is_a_file_of_the_repository(page: Path) -> None:
    for match in _LINK.finditer(page.read_text(encoding="utf-8")):
        target = (page.parent / match["target"].split("#")[0]).resolve()
        assert target.is_relative_to(ROOT), f"{page.name} links outside: {match['target']}"
        assert target.exists(), f"{page.name} links to a missing file: {match['target']}"


# --- the venv ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    env = new_venv(tmp_path_factory.mktemp("docs") / "venv")
    env.uv_install(wheel(), *locked("httpx", "pytest", "hypothesis"))
    installed = env.freeze()
    assert "lemonsoft-mock" in installed
    assert "httpx2" not in installed  # the docs must not need it
    return env


@pytest.fixture
def folder(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A working folder with the ``file`` blocks of the example's page."""
    example: Example = request.node.callspec.params["example"]
    for block in BLOCKS:
        if block.page == example.page and block.kind == "file":
            target = tmp_path / block.args
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
    return tmp_path


_OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


def _outcomes(summary: str) -> dict[str, int]:
    counts = {}
    for number, word in _OUTCOME.findall(summary):
        counts["errors" if word.startswith("error") else word] = int(number)
    return counts


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str


@pytest.fixture
def served(venv: Venv, tmp_path: Path) -> Iterator[Served]:
    """``mockserver serve --port 0`` from the venv, once it says where it listens."""
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(venv.bin / "mockserver"), "serve", "--port", "0", "--log-level", "warning"],
            cwd=tmp_path,
            env=venv.env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield Served(process, wait_for_url(process, log))
    finally:
        process.terminate()
        process.wait(30)


# --- the examples --------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example(
    example: Example, venv: Venv, folder: Path, request: pytest.FixtureRequest
) -> None:
    if example.kind == "run":
        script = folder / f"example_{example.line}.py"
        script.write_text(example.code, encoding="utf-8")
        done = subprocess.run([str(venv.python), script.name], cwd=folder, env=venv.env(),
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, f"{example.name}:\n{done.stdout}\n{done.stderr}"
    elif example.kind == "pytest":
        script = folder / f"test_example_{example.line}.py"
        script.write_text(example.code, encoding="utf-8")
        done = subprocess.run(
            [str(venv.python), "-m", "pytest", "-p", "no:cacheprovider", script.name],
            cwd=folder, env=venv.env(), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        expected = {key: int(value) for key, value in (a.split("=") for a in example.args.split())}
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        assert _outcomes(summary) == expected, f"{example.name}:\n{done.stdout}\n{done.stderr}"
    else:
        _curl_walkthrough(example, venv, folder, request.getfixturevalue("served"))


def _curl_walkthrough(example: Example, venv: Venv, folder: Path, served: Served) -> None:
    script = folder / "walkthrough.sh"
    script.write_text(example.code.replace("localhost:8080", served.url.removeprefix("http://")))
    done = subprocess.run(["bash", "-euo", "pipefail", str(script)], cwd=folder,
                          env=venv.env(), capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr == ""
    with urlopen(served.url + "/_mock/requests?limit=1000", timeout=10) as answer:
        journal = json.load(answer)["requests"]
    api = [entry for entry in journal if entry["route"].startswith("/api/")]
    assert api[0]["route"] == "/api/auth/login"
    assert len(api) == example.code.count("localhost:8080/api/")
    strays = [(e["method"], e["path"], e["tenant"]) for e in api if e["tenant"] != "demo"]
    assert strays == [], "requests outside the login's tenant"
    assert [e["status"] for e in api if e["status"] != 200] == [400]  # the page=0 example
    # the PUT's answer, and the read of customer 1 after the writes
    assert done.stdout.count('"name":"Uusi Nimi Oy"') == 2, done.stdout[-3000:]
