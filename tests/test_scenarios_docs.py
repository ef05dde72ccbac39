"""``docs/scenarios.md`` is exact: every YAML example loads, and every block of problems is
what ``mockserver validate`` prints for the example before it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockserver import cli
from mockserver.scenarios import SHIPPED_DIR, ScenarioError, check_data, load_text, unknown_name
from mockserver.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(?:<!-- invalid: (?P<file>\S+) -->\n)?```yaml\n(?P<yaml>.*?)```", re.S)
OUTPUT = re.compile(r"```text\n\$ mockserver validate (?P<file>\S+)\n(?P<out>.*?)```", re.S)

VALID = [m["yaml"] for m in BLOCK.finditer(DOC) if not m["file"]]
INVALID = [(m["file"], m["yaml"], m.end()) for m in BLOCK.finditer(DOC) if m["file"]]


def test_the_page_has_its_examples() -> None:
    assert len(VALID) >= 18
    assert len(INVALID) == 3


@pytest.mark.parametrize("text", VALID, ids=[f"example{i}" for i in range(len(VALID))])
def test_every_yaml_example_loads(text: str) -> None:
    scenario = load_text(text, "example.yaml", SHIPPED_DIR)
    check_data(Settings(), scenario)


@pytest.mark.parametrize(("file", "text", "end"), INVALID, ids=[f[0] for f in INVALID])
def test_every_problem_shown_is_what_validate_prints(
    file: str,
    text: str,
    end: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = OUTPUT.search(DOC, end)
    assert shown is not None and shown["file"] == file
    monkeypatch.chdir(tmp_path)
    Path(file).write_text(text, encoding="utf-8")
    assert cli.main(["validate", file]) == 1
    assert capsys.readouterr().out == shown["out"]


def test_the_put_and_header_answers_shown_are_exact(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text("rules: [{eror: 503}]", "<body>")
    (problem,) = caught.value.problems
    assert f'"ModelState": {{"scenario": ["{problem}"]}}' in DOC
    message = unknown_name("nope", "./scenarios")
    assert f'"ModelState": {{"X-Mock-Scenario": ["{message}"]}}' in DOC
