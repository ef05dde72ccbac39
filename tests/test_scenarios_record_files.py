"""Big record files (``$ref`` files of many records, as ``mockserver record`` writes them) are
read by the fast JSON reader (plain values, marks of the records only); a file with any
problem is read again by the marking reader, so every problem keeps its exact
FILE:LINE:COLUMN. Both readers give the same values and the same record sites.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import records, scenario_yaml
from mockserver.scenario_yaml import MAX_DEPTH, YamlProblems, parse, parse_plain_json
from mockserver.scenarios import ScenarioError, load_files


def customer(record_id: int) -> dict[str, Any]:
    return {
        "id": record_id,
        "name": f"Asiakas {record_id} Oy",
        "email": f"a{record_id}@example.fi",
        "contacts": [{"customer_id": record_id, "name": "Matti", "phone": "+358 40 123"}],
    }


def write_records(folder: Path, items: list[Any]) -> Path:
    """A scenario with one record file of ``items``, one per line as the recorder writes."""
    lines = ",\n".join(json.dumps(item, ensure_ascii=False) for item in items)
    (folder / "customers.json").write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    scenario = folder / "scenario.yaml"
    scenario.write_text("records:\n  customers:\n    - $ref: customers.json\n", encoding="utf-8")
    return scenario


def marking_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file read by the marking reader, as before the fast reader existed."""
    monkeypatch.setattr(records, "parse_plain_json", lambda *args, **kwargs: None)


def problems_of(scenario: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_files([str(scenario)])
    return list(caught.value.problems)


def test_a_clean_file_is_read_without_the_marking_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = write_records(tmp_path, [customer(i) for i in range(1, 301)])
    fast = load_files([str(scenario)]).customers
    monkeypatch.setattr(records, "parse", lambda *args, **kwargs: pytest.fail("marking reader"))
    assert load_files([str(scenario)]).customers == fast
    monkeypatch.undo()
    marking_only(monkeypatch)
    assert load_files([str(scenario)]).customers == fast  # same records, same sites
    assert fast[0].site == f"{tmp_path / 'customers.json'}:2:1"
    assert fast[299].site == f"{tmp_path / 'customers.json'}:301:1"


def test_problems_in_a_big_file_keep_their_exact_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items: list[Any] = [customer(i) for i in range(1, 401)]
    items[149]["nmae"] = "typo"
    items[249]["contacts"][0]["phone"] = 5
    items[349] = "not a record"
    scenario = write_records(tmp_path, items)
    file = tmp_path / "customers.json"
    text = file.read_text(encoding="utf-8")
    text = text.replace('{"id": 390,', '{"id": 390, "id": 391,', 1)  # a duplicate key
    file.write_text(text, encoding="utf-8")
    found = problems_of(scenario)
    marking_only(monkeypatch)
    assert found == problems_of(scenario)
    assert found == [
        f"{file}:391:13: duplicate key 'id'",
    ]  # a duplicate key stops the reading: the other problems wait for the next load
    file.write_text(text.replace(', "id": 391', "", 1), encoding="utf-8")
    monkeypatch.undo()
    found = problems_of(scenario)
    width = len(json.dumps(customer(150), ensure_ascii=False)) - 1  # where "nmae" starts
    assert found[0] == (
        f"{file}:151:{width + 3}: customer: unknown field 'nmae'; did you mean 'name'?"
    )
    assert found[1].startswith(f"{file}:251:") and "customer.contacts[0].phone" in found[1]
    assert found[2] == f"{file}:351:1: customer: a record is a mapping of fields"
    assert len(found) == 3
    marking_only(monkeypatch)
    assert found == problems_of(scenario)


# --- the fast reader gives what the marking reader gives, or steps aside -------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=20,
)
TEXTS = st.builds(
    lambda value, indent, ascii_only: json.dumps(value, indent=indent, ensure_ascii=ascii_only),
    VALUES,
    st.sampled_from([None, 0, 1, 2]),
    st.booleans(),
)
BROKEN = st.sampled_from(
    ["", " ", "[", "]", ",", '"', "\\", '{"a": 1, "a": 2}', "NaN", "\ud800", '"\\ud800"', "\n"]
)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=0, max_value=200), BROKEN, st.booleans())
def test_the_fast_reader_agrees_with_the_marking_reader(
    text: str, at: int, insert: str, broken: bool
) -> None:
    if broken:
        text = text[:at] + insert + text[at:]
    try:
        marked = parse(text, "f.json", as_json=True)
    except YamlProblems:
        marked = None
    plain = parse_plain_json(text, "f.json")
    if plain is None:
        return
    assert marked is not None, text  # never a value where the marking reader has a problem
    assert json.dumps(plain.value) == json.dumps(marked.value)
    for path, mark in plain.marks.items():
        assert marked.marks[path] == mark


def test_deep_nesting_is_left_to_the_marking_reader() -> None:
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert parse_plain_json(deep, "f.json") is None
    fits = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_plain_json(fits, "f.json") is not None
    assert scenario_yaml.parse_plain_json('["[[[["]', "f.json") is not None
    # Left to the models to bound, nesting far past the interpreter's stack is still no crash.
    hostile = "[" * 100_000 + "]" * 100_000
    assert parse_plain_json(hostile, "f.json", nesting_bounded=True) is None
    assert parse_plain_json('[{"a": 1}]', "f.json", nesting_bounded=True) is not None
