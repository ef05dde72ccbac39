"""Loading scenarios: every problem reported exactly, as FILE:LINE:COLUMN, all at once;
layering; the published JSON Schema; ``mockserver validate`` and ``serve --scenario``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

from mockserver import cli
from mockserver.scenario_spec import json_schema, schema_text
from mockserver.scenarios import SHIPPED_DIR, ScenarioError, check_data, load_files, load_text
from mockserver.settings import Settings, from_sources

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "mockserver" / "scenario.schema.json"
EXAMPLES = sorted(Path(SHIPPED_DIR).glob("*.yaml"))


def problems(text: str, base_dir: str | None = None, settings: Settings | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        scenario = load_text(text, "s.yaml", base_dir)
        check_data(settings or Settings(customers=3, invoices=6, seed=3), scenario)
    return caught.value.problems


# --- the document ---------------------------------------------------------------------------


def test_yaml_syntax_and_shape() -> None:
    assert problems("rules: [\n") == [
        "s.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'"
    ]
    assert problems("name: a\nname: b\n") == ["s.yaml:2:1: duplicate key 'name'"]
    assert problems("- a\n") == [
        "s.yaml:1:1: a scenario is a mapping of keys (name, rules, records, ...)"
    ]
    assert problems("rules: [{match: {path: /api/customers/{customer_id}}, error: 503}]") == [
        "s.yaml:1:39: invalid YAML: expected ',' or '}', but got '{' (quote a path template "
        "inside {...}: path: '/api/customers/{id}')"
    ]
    assert problems("x: !secret 1\n") == [
        "s.yaml:1:4: could not determine a constructor for the tag '!secret'"
    ]


def test_an_empty_document_is_an_empty_scenario() -> None:
    scenario = load_text("# nothing yet\n")
    assert (scenario.rules, scenario.customers, scenario.spec.name) == ((), (), None)


def test_json_reads_like_yaml() -> None:
    scenario = load_text(json.dumps({"name": "j", "rules": [{"error": 503}]}))
    assert (scenario.name, scenario.rules[0].reply is not None) == ("j", True)
    assert problems('{"rules": [{"eror": 503}]}') == [
        "s.yaml:1:13: rules[0]: unknown key 'eror'; did you mean 'error'?"
    ]


def test_unknown_keys_anywhere_are_errors() -> None:
    assert problems("nmae: x\nfoo: 1\nrules: [{latency: {ms: 1}, when: {evry: 2}}]\n") == [
        "s.yaml:1:1: unknown key 'nmae'; did you mean 'name'?",
        "s.yaml:2:1: unknown key 'foo'; the keys are: $schema, name, description, seed, data, "
        "records, rules, auth, clock",
        "s.yaml:3:35: rules[0].when: unknown key 'evry'; did you mean 'every'?",
    ]
    assert problems("records: {other: []}\nauth: {ttl: 5}\n") == [
        "s.yaml:1:11: records: unknown key 'other'; the keys are: replace, customers, invoices, "
        "orders",
        "s.yaml:2:8: auth: unknown key 'ttl'; the keys are: session_ttl_s",
    ]


def test_scalar_values() -> None:
    assert problems(
        "seed: abc\ndata: {customers: -1, invoices: x}\nauth: {session_ttl_s: 0}\n"
    ) == [
        "s.yaml:1:7: seed: Expected `int | null`, got `str`",
        "s.yaml:2:19: data.customers: Expected `int` >= 0",
        "s.yaml:2:33: data.invoices: Expected `int | null`, got `str`",
        "s.yaml:3:23: auth.session_ttl_s: Expected `float` > 0.0",
    ]
    assert problems("data: {customers: 0, invoices: 3}\n") == [
        "s.yaml:1:7: data: invoices need at least one customer"
    ]


def test_latency_problems() -> None:
    assert problems(
        """rules:
  - latency: {distribution: normal, mean_ms: 5}
  - latency: {ms: 5, min_ms: 1}
  - latency: {distribution: gaussian, ms: 1}
  - latency: {distribution: uniform, min_ms: 5, max_ms: 1}
  - latency: {ms: -1}
  - latency: {distribution: lognormal, median_ms: 0, sigma: 1}
  - latency: {distribution: lognormal, median_ms: 10, sigma: 1, min_ms: 2}
"""
    ) == [
        "s.yaml:2:14: rules[0].latency: a normal latency needs mean_ms and stddev_ms "
        "(missing: stddev_ms)",
        "s.yaml:3:14: rules[1].latency: a fixed latency takes ms, not min_ms",
        "s.yaml:4:29: rules[2].latency.distribution: 'gaussian' is not allowed; the choices "
        "are: fixed, uniform, normal, lognormal",
        "s.yaml:5:14: rules[3].latency: min_ms must not be greater than max_ms",
        "s.yaml:6:19: rules[4].latency.ms: Expected `float` >= 0.0",
        "s.yaml:7:51: rules[5].latency.median_ms: Expected `float` > 0.0",
        "s.yaml:8:14: rules[6].latency: a lognormal latency takes median_ms, sigma, max_ms, "
        "not min_ms",
    ]


def test_when_problems() -> None:
    assert problems(
        """rules:
  - {latency: {ms: 1}, when: {}}
  - {latency: {ms: 1}, when: {probability: 1.5}}
  - {latency: {ms: 1}, when: {every: 0}}
  - {latency: {ms: 1}, when: {after: -1, times: 0}}
"""
    ) == [
        "s.yaml:2:30: rules[0].when: give at least one of probability, every, first, after, "
        "times (or leave `when` out to fire on every match)",
        "s.yaml:3:44: rules[1].when.probability: Expected `float` <= 1.0",
        "s.yaml:4:38: rules[2].when.every: Expected `int` >= 1",
        "s.yaml:5:38: rules[3].when.after: Expected `int` >= 0",
        "s.yaml:5:49: rules[3].when.times: Expected `int` >= 1",
    ]


def test_error_and_fault_problems() -> None:
    assert problems(
        """rules:
  - {}
  - {error: 503, fault: empty_response}
  - {fault: conection_reset}
  - {fault: {type: slow_body, keep_bytes: 3}}
  - {fault: {type: empty_response, body: x}}
  - {error: 600}
  - {error: {status: 503, headers: {X: [1]}}}
  - {error: {body: {}}}
  - {fault: {type: truncated_body, chunks: 2}}
"""
    ) == [
        "s.yaml:2:5: rules[0]: a rule needs a latency, an error, a fault or a respond",
        "s.yaml:3:5: rules[1]: a rule has one of an error, a fault or a respond, not an error "
        "and a fault",
        "s.yaml:4:13: rules[2].fault: 'conection_reset' is not allowed; did you mean "
        "'connection_reset'?",
        "s.yaml:5:13: rules[3].fault: the fault slow_body takes only duration_ms, chunks, "
        "not keep_bytes",
        "s.yaml:6:13: rules[4].fault: the fault empty_response takes no options, not body",
        "s.yaml:7:13: rules[5].error: Expected `int` <= 599",
        "s.yaml:8:40: rules[6].error.headers.X: Expected `int | float | str`, got `array`",
        "s.yaml:9:13: rules[7].error: missing key 'status'",
        "s.yaml:10:13: rules[8].fault: the fault truncated_body takes only keep_bytes, not chunks",
    ]


def test_match_problems() -> None:
    assert problems(
        """rules:
  - {match: {path: /api/customer}, error: 503}
  - {match: {path: api/customers}, error: 503}
  - {match: {path: /Lemonsoft30/api/customers}, error: 503}
  - {match: {query: {page: 1}}, error: 503}
  - {match: {path: '/api/customers/{id}', query: {page: 1}}, error: 503}
  - {match: {path: /api/invoices, query: {custmer_number: 1}}, error: 503}
  - {match: {path: /api/invoices, query: {customer_number: abc}}, error: 503}
  - {match: {path: /api/invoices, query: {customer_number: [1, 2]}}, error: 503}
  - {match: {path: /api/invoices, query: {search: ''}}, error: 503}
  - {match: {path: /api/invoices, query: {page: 0}}, error: 503}
  - {match: {method: GIT}, error: 503}
  - {match: {method: [GET, FETCH]}, error: 503}
  - {match: {headers: {X: {a: 1}}}, error: 503}
  - {match: {body: [1]}, error: 503}
  - {match: {tenant: 5}, error: 503}
  - {match: {path: /api/customers/base/1}, error: 503}
  - {match: {path: /v1/ledger}, error: 503}
"""
    ) == [
        "s.yaml:2:20: rules[0].match.path: '/api/customer' is not an API route (write paths "
        "without the base path); did you mean '/api/customers'?",
        "s.yaml:3:20: rules[1].match.path: 'api/customers' must start with '/' (e.g. "
        "/api/customers)",
        "s.yaml:4:20: rules[2].match.path: '/Lemonsoft30/api/customers' is not an API route "
        "(write paths without the base path); did you mean '/api/customers'?",
        "s.yaml:5:21: rules[3].match.query: needs match.path (query matching is for the list "
        "routes /api/customers, /api/customers/base or /api/invoices)",
        "s.yaml:6:50: rules[4].match.query: cannot match: /api/customers/{id} takes no query "
        "(query matching is for the list routes /api/customers, /api/customers/base or "
        "/api/invoices)",
        "s.yaml:7:43: rules[5].match.query: unknown query parameter 'custmer_number'; did you "
        "mean 'customer_number'?",
        "s.yaml:8:60: rules[6].match.query.customer_number: The value 'abc' is not a valid "
        "integer.",
        "s.yaml:9:60: rules[7].match.query.customer_number: customer_number takes one value, "
        "not a list",
        "s.yaml:10:51: rules[8].match.query.search: an empty value never matches (an empty "
        "query value counts as absent)",
        "s.yaml:11:49: rules[9].match.query.page: The value '0' is not valid for page: it must "
        "be 1 or more.",
        "s.yaml:12:22: rules[10].match.method: 'GIT' is not an HTTP method; did you mean 'GET'?",
        "s.yaml:13:28: rules[11].match.method[1]: 'FETCH' is not an HTTP method; did you mean "
        "'PATCH'?",
        "s.yaml:14:27: rules[12].match.headers.X: Expected `int | float | str`, got `object`",
        "s.yaml:15:20: rules[13].match.body: Expected `object | null`, got `array`",
        "s.yaml:16:22: rules[14].match.tenant: Expected `str | null`, got `int`",
        "s.yaml:17:20: rules[15].match.path: '/api/customers/base/1' is not an API route (write "
        "paths without the base path); did you mean '/api/customers/base'?",
        "s.yaml:18:20: rules[16].match.path: '/v1/ledger' is not an API route (write paths "
        "without the base path); `mockserver routes` lists them",
    ]


def test_rule_names_are_unique_across_layers(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    first.write_text("rules: [{name: slow, latency: {ms: 1}}]\n")
    second.write_text("rules:\n  - {name: slow, error: 503}\n")
    with pytest.raises(ScenarioError) as caught:
        load_files([first, second])
    assert caught.value.problems == [
        f"{second}:2:5: the rule name 'slow' is used twice (also at {first}:1:9)"
    ]


# --- records --------------------------------------------------------------------------------


def test_records_are_validated_like_the_api() -> None:
    assert problems(
        """records:
  customers:
    - {id: 1, name: A, email: a@x.fi, nmae: B}
    - {id: 2, name: A, email: a@x.fi, contacts: [{customer_id: 2, emial: x}]}
    - {id: 3, name: A}
    - {id: 4, name: A, email: 5}
    - {name: A, email: a@x.fi}
    - {id: 6, name: A, email: a@x.fi, zzz: 1}
    - 7
    - {id: 8, name: A, email: a@x.fi}
    - {id: 8, name: B, email: b@x.fi}
    - {id: 2147483648, name: A, email: a@x.fi}
  invoices:
    - {id: 1, date: 2025-01-01}  # a bare date is its midnight UTC, as in the API
    - {id: 2, date: '2025-01-01T00:00:00Z', rows: [{quantity: 1, unit_price: 1}]}
"""
    ) == [
        "s.yaml:3:39: customer: unknown field 'nmae'; did you mean 'name'?",
        "s.yaml:4:67: customer.contacts[0]: unknown field 'emial'; did you mean 'email'?",
        "s.yaml:5:7: customer.email: The email field is required.",
        "s.yaml:6:31: customer.email: Error converting value 5 to type 'System.String'. "
        "Path 'email'.",
        "s.yaml:7:7: customer.id: The id field is required.",
        "s.yaml:8:39: customer: unknown field 'zzz'; Customer has no such field",
        "s.yaml:9:7: records.customers[6]: Expected `object`, got `int`",
        "s.yaml:11:7: customer 8 is given twice (also at s.yaml:10:7)",
        "s.yaml:12:12: customer.id: JSON integer 2147483648 is too large or small for an "
        "Int32. Path 'id'.",
        "s.yaml:15:52: invoice.rows[0].total: The total field is required.",
    ]


def test_record_files(tmp_path: Path) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "one.yaml").write_text("id: 5\nname: A\nemail: a@x.fi\nnumbr: 1\n")
    (tmp_path / "fixtures" / "nested.yaml").write_text("- $ref: one.yaml\n")
    (tmp_path / "fixtures" / "scalar.json").write_text("42\n")
    (tmp_path / "fixtures" / "broken.yaml").write_text("id: [\n")
    fixtures = tmp_path / "fixtures"
    assert problems(
        """records:
  customers:
    - $ref: fixtures/one.yaml
    - $ref: fixtures/nested.yaml
    - $ref: fixtures/scalar.json
    - $ref: fixtures/broken.yaml
    - $ref: fixtures/missing.yaml
    - {$ref: fixtures/one.yaml, id: 3}
    - $ref: 5
""",
        base_dir=str(tmp_path),
    ) == [
        "s.yaml:7:13: records.customers[4].$ref: cannot read "
        f"{fixtures}/missing.yaml: No such file or directory",
        "s.yaml:8:33: records.customers[5]: unknown key 'id'; the keys are: $ref",
        "s.yaml:9:13: records.customers[6].$ref: Expected `str`, got `int`",
        f"{fixtures}/one.yaml:4:1: customer: unknown field 'numbr'; did you mean 'number'?",
        f"{fixtures}/nested.yaml:1:3: a record file cannot $ref another file",
        f"{fixtures}/scalar.json:1:1: a record file holds one record or a list of records",
        f"{fixtures}/broken.yaml:2:1: invalid YAML: expected the node content, but found "
        "'<stream end>'",
    ]


def test_referential_integrity() -> None:
    assert problems(
        """records:
  customers:
    - {id: 1, number: 10002, name: A, email: a@x.fi}
  invoices:
    - {id: 100, date: '2025-01-01T00:00:00Z', customer_number: 777}
    - {id: 101, date: '2025-01-01T00:00:00Z'}
    - id: 102
      date: '2025-01-01T00:00:00Z'
      customer_number: 10003
      delivery_customer_number: 1
      total_sum: 10
      rows: [{quantity: 1, unit_price: 5, total: 5}]
    - {id: 103, number: 100002, date: '2025-01-01T00:00:00Z', customer_number: 10003}
"""
    ) == [
        "s.yaml:3:7: customer 1: number 10002 is also customer 2's number",
        "s.yaml:5:7: invoice 100: customer_number 777 names no customer",
        "s.yaml:6:7: invoice 101: customer_number is required (every invoice belongs to a "
        "customer)",
        "s.yaml:7:7: invoice 102: total_sum 10.0 is not the sum of its rows' total (5.0); leave "
        "total_sum out to have it computed",
        "s.yaml:7:7: invoice 102: delivery_customer_number 1 names no customer",
        "s.yaml:13:7: invoice 103: number 100002 is also invoice 2's number",
    ]
    assert problems(
        "records:\n  customers:\n    - {id: 9, name: N, email: n@x.fi, open_invoice_sum: 5}\n"
    ) == [
        "s.yaml:3:7: customer 9: open_invoice_sum 5.0 is not what its invoices leave unpaid "
        "(0.0); leave open_invoice_sum out to have it computed"
    ]


def test_replace_cannot_size_generated_data() -> None:
    assert problems("data: {customers: 3}\nrecords: {replace: true}\n") == [
        "s.yaml:2:20: records.replace: true holds exactly the records; it cannot be combined "
        "with data (given at s.yaml:1:7)"
    ]


# --- layering -------------------------------------------------------------------------------


def test_layers(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        """name: base
description: the base
seed: 5
data: {customers: 4, invoices: 9}
auth: {session_ttl_s: 60}
records:
  customers:
    - {id: 1, name: Base Oy, email: base@x.fi, city: TURKU}
rules:
  - {name: one, error: 503}
"""
    )
    top = tmp_path / "top.yaml"
    top.write_text(
        """name: top
data: {invoices: 12}
records:
  customers:
    - {id: 1, name: Top Oy, email: top@x.fi}
    - {id: 2, name: Two Oy, email: two@x.fi}
rules:
  - {error: 502}
"""
    )
    scenario = load_files([base, top])
    spec = scenario.spec
    assert (spec.name, spec.description, spec.seed) == ("top", "the base", 5)
    assert (spec.data.customers, spec.data.invoices) == (4, 12)  # type: ignore[union-attr]
    assert spec.auth is not None and spec.auth.session_ttl_s == 60
    assert [rule.label for rule in scenario.rules] == ["one", "rules[1]"]
    assert scenario.rules[1].site == f"{top}:8:5"
    merged = {item.record.id: item.record for item in scenario.customers}
    assert (merged[1].name, merged[1].email, merged[1].city) == ("Top Oy", "top@x.fi", "TURKU")
    assert merged[2].name == "Two Oy"
    assert scenario.sources == (str(base), str(top))


def test_every_file_reports_its_problems(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("seed: x\n")
    second = tmp_path / "b.yaml"
    second.write_text("rules: [{error: 1}]\n")
    with pytest.raises(ScenarioError) as caught:
        load_files([first, tmp_path / "missing.yaml", second])
    assert caught.value.problems == [
        f"{first}:1:7: seed: Expected `int | null`, got `str`",
        f"{tmp_path}/missing.yaml:1:1: cannot read the scenario: No such file or directory",
        f"{second}:1:17: rules[0].error: Expected `int` >= 200",
    ]


def test_settings_take_several_scenarios() -> None:
    settings = from_sources({"scenario": ["a.yaml", "b.yaml"]}, {})
    assert settings.scenario == ("a.yaml", "b.yaml")
    environ = {"MOCKSERVER_SCENARIO": os.pathsep.join(["x.yaml", "y.yaml"])}
    assert from_sources({}, environ).scenario == ("x.yaml", "y.yaml")
    assert from_sources({}, {"MOCKSERVER_SCENARIOS_DIR": "/s"}).scenarios_dir == "/s"
    assert Settings().scenarios_dir == "./scenarios"


# --- the JSON Schema ------------------------------------------------------------------------


def test_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "regenerate it: python -c 'from mockserver.scenario_spec import schema_text; "
        'open("mockserver/scenario.schema.json", "w").write(schema_text())\''
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_satisfy_the_schema(example: Path) -> None:
    document = yaml.safe_load(example.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json_schema()).validate(_plain(document))


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    for bad in (
        {"rules": [{"lateny": {"ms": 5}}]},
        {"rules": [{"fault": "conection_reset"}]},
        {"records": {"customers": [{"id": 1, "name": "A", "email": "a", "nmae": "x"}]}},
        {"records": {"customers": [{"name": "A", "email": "a"}]}},
        {"records": {"invoices": [{"$ref": "x.yaml", "id": 1}]}},
        {"data": {"customers": -1}},
    ):
        assert not validator.is_valid(bad), bad
        with pytest.raises(ScenarioError):
            load_text(json.dumps(bad))


def _plain(value: object) -> object:
    """YAML's dates as the strings the loader keeps them as."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]
    return value


# --- the command line -----------------------------------------------------------------------


def test_validate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("rules: [{error: 503}]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {eror: 503}\n  - {latency: {ms: -1}}\n")
    assert cli.main(["validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"
    assert cli.main(["validate", str(good), str(bad), str(tmp_path / "none.yaml")]) == 1
    assert capsys.readouterr().out == (
        f"{good}: ok\n"
        f"{bad}:2:6: rules[0]: unknown key 'eror'; did you mean 'error'?\n"
        f"{bad}:3:20: rules[1].latency.ms: Expected `float` >= 0.0\n"
        f"{tmp_path}/none.yaml:1:1: cannot read the scenario: No such file or directory\n"
    )


def test_validate_checks_records_against_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = tmp_path / "records.yaml"
    scenario.write_text(
        "data: {customers: 2, invoices: 4}\nrecords:\n  invoices:\n"
        "    - {id: 9, date: '2025-01-01T00:00:00Z', customer_number: 10003}\n"
    )
    assert cli.main(["validate", str(scenario)]) == 1
    assert capsys.readouterr().out == (
        f"{scenario}:4:7: invoice 9: customer_number 10003 names no customer\n"
    )
    monkeypatch.setenv("MOCKSERVER_SEED", "x")
    assert cli.main(["validate", str(scenario)]) == 2
    assert "MOCKSERVER_SEED" in capsys.readouterr().err


def test_serve_refuses_an_invalid_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [{fault: reset}]\n")
    assert cli.main(["serve", "--port", "0", "--scenario", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"{bad}:1:17: rules[0].fault: 'reset' is not allowed; the choices are: "
        "connection_reset, empty_response, malformed_json, truncated_body, slow_body\n"
        "mockserver: error: the scenario is invalid; nothing served\n"
    )
