"""Scenarios from people the server should not trust, and scenarios that go wrong: every hostile
or broken input gets its exact answer, and leaves the active scenario, its rule counters, the
tenants' data and the journal as they were.

Covers ``$ref`` confinement, JSON read as JSON, invalid UTF-8 and deep nesting, all-or-nothing
switching (even when something unforeseen fails), unique account ids, the ``--max-records``
limit, builds that never hold up a shutdown, and scenario names (the user's folder first, then
the shipped examples) everywhere a scenario is chosen.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.types import Message
from threaded import UvicornThread

from mockserver import cli
from mockserver.api import scenario_admin
from mockserver.api.common import MAX_BODY
from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.records import REF_REFUSED
from mockserver.scenario_yaml import MAX_ALIASED, MAX_DEPTH
from mockserver.scenarios import (
    SHIPPED_DIR,
    ScenarioError,
    available,
    check_data,
    describe,
    load_files,
    load_startup,
    load_text,
    off_loop,
    unknown_name,
)
from mockserver.serving import uvicorn_config
from mockserver.settings import Settings, from_sources
from mockserver.testing import MockServer

pytest_plugins = ["pytester"]

YAML = {"Content-Type": "application/yaml"}
JSON = {"Content-Type": "application/json"}
QUIET = {"X-Mock-Journal": "off"}  # reads that check the data stay out of the journal
SECRET = "TOP-SECRET-7f3a"
BEFORE = (
    "name: before\n"
    "rules:\n"
    "  - {name: every-other-invoice-list, match: {path: /api/invoices}, when: {every: 2}, "
    "error: 503}\n"
)
INVALID_SCENARIO = "The scenario is invalid."


class Mock:
    """A server (in process, as a loopback client sees it) with an active scenario whose rule
    has counted a request, a tenant that wrote a customer, and journal entries."""

    def __init__(self, root: Path, **settings: Any) -> None:
        self.root = root
        self.scenarios = root / "scenarios"
        self.fixtures = root / "fixtures"
        self.scenarios.mkdir(exist_ok=True)
        self.fixtures.mkdir(exist_ok=True)
        options = {
            "customers": 5,
            "invoices": 20,
            "scenarios_dir": str(self.scenarios),
            "log_level": "warning",
            **settings,
        }
        self.app = create_app(Settings(**options))
        self.state = self.app.state.mock
        self.client = TestClient(
            self.app, client=("127.0.0.1", 50000), raise_server_exceptions=False
        )
        self.put(BEFORE)
        assert self.client.get("/api/invoices").status_code == 200  # the rule counts one
        created = self.client.post(
            "/api/customers",
            json={"name": "Kirjoittaja Oy", "email": "k@example.fi"},
            headers={"X-Mock-Tenant": "acme"},
        )
        assert created.status_code == 200, created.text

    def put(self, body: str | bytes, headers: dict[str, str] | None = None) -> httpx2.Response:
        return self.client.put("/_mock/scenario", content=body, headers=headers or YAML)

    def snapshot(self) -> dict[str, Any]:
        shown = self.client.get("/_mock/scenario")
        assert shown.status_code == 200
        customers = {
            tenant: self.client.get(
                "/api/customers",
                params={"page_size": 100},
                headers={**QUIET, "X-Mock-Tenant": tenant},
            ).json()
            for tenant in ("default", "acme")
        }
        return {
            "scenario": shown.json(),
            "customers": customers,
            "journal": [entry.to_dict() for entry in self.state.journal.entries()],
            "store": id(self.state.store),
        }

    def refused(self, answer: httpx2.Response, problems: list[str]) -> None:
        assert answer.status_code == 400, answer.text
        assert answer.json() == {"Message": INVALID_SCENARIO, "ModelState": {"scenario": problems}}


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[Mock]:
    server = Mock(tmp_path)
    yield server
    server.client.close()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A valid record file outside every folder a sent scenario may read."""
    path = tmp_path / "secret.yaml"
    path.write_text(f"id: 1\nname: {SECRET}\nemail: s@example.fi\n", encoding="utf-8")
    return path


def ref_body(ref: str) -> str:
    return json.dumps({"records": {"customers": [{"$ref": ref}]}})


def refused_ref(column: int) -> str:
    return f"<body>:1:{column}: records.customers[0].$ref: {REF_REFUSED}"


# --- $ref confinement -----------------------------------------------------------------------


def test_a_ref_out_of_the_allowed_folders_is_refused_alike_whether_the_file_exists(
    mock: Mock, secret: Path
) -> None:
    outside = mock.root / "outside"
    outside.mkdir()
    (mock.scenarios / "link.yaml").symlink_to(secret)
    (mock.fixtures / "linked").symlink_to(outside)
    (outside / "inner.yaml").write_text(secret.read_text())
    before = mock.snapshot()
    refs = [
        str(secret),  # absolute, exists
        str(mock.root / "missing.yaml"),  # absolute, does not exist
        "/etc/passwd",
        "../secret.yaml",  # .. out of the scenarios folder
        "../missing.yaml",
        "../fixtures/../secret.yaml",
        "../../../../../../../../etc/passwd",
        "link.yaml",  # a symlink in the scenarios folder pointing out
        "../fixtures/linked/inner.yaml",  # through a symlinked folder
        "a\x00b",
        "",
    ]
    for ref in refs:
        answer = mock.put(ref_body(ref), JSON)
        mock.refused(answer, [refused_ref(37)])
        assert SECRET not in answer.text
    assert mock.snapshot() == before


def test_a_ref_inside_the_folders_reads_and_the_shipped_text_works_as_sent(mock: Mock) -> None:
    (mock.fixtures / "one.yaml").write_text("id: 3\nname: Sallittu Oy\nemail: s@example.fi\n")
    answer = mock.put(ref_body("../fixtures/one.yaml"), JSON)
    assert answer.status_code == 200, answer.text
    assert answer.json()["records"]["customers"] == [3]
    assert mock.client.get("/api/customers/3").json()["name"] == "Sallittu Oy"
    # The shipped one-customer text names ../fixtures/...; the user's folder has none of it,
    # so its $ref read the shipped fixtures.
    shipped = Path(SHIPPED_DIR, "one-customer.yaml").read_text(encoding="utf-8")
    answer = mock.put(shipped)
    assert answer.status_code == 200, answer.text
    assert mock.client.get("/api/customers").json()["results"][0]["name"] == "Acme Oy"


def test_a_named_scenario_is_confined_too_but_the_command_line_is_trusted(
    mock: Mock, secret: Path
) -> None:
    (mock.scenarios / "sneaky.yaml").write_text(
        "records:\n  customers:\n    - $ref: ../secret.yaml\n", encoding="utf-8"
    )
    before = mock.snapshot()
    answer = mock.client.get("/api/customers", headers={**QUIET, "X-Mock-Scenario": "sneaky"})
    assert answer.status_code == 400
    assert answer.json() == {
        "Message": "The request is invalid.",
        "ModelState": {
            "X-Mock-Scenario": [
                f"{mock.scenarios}/sneaky.yaml:3:13: records.customers[0].$ref: {REF_REFUSED}"
            ]
        },
    }
    assert SECRET not in answer.text
    assert mock.snapshot() == before
    trusted = mock.root / "trusted.yaml"
    trusted.write_text(f"records:\n  customers:\n    - $ref: {secret}\n", encoding="utf-8")
    assert load_files([trusted]).customers[0].record.name == SECRET


# --- JSON, text and nesting -----------------------------------------------------------------


def test_json_is_read_as_json(mock: Mock) -> None:
    body = json.dumps(
        {"name": "hymy 😀", "rules": [{"name": "😀 slow", "latency": {"ms": 1e3}}]}
    ).replace("1000.0", "1e3")
    assert "\\ud83d\\ude00" in body and "1e3" in body  # as json.dumps writes them
    for headers in (JSON, YAML):  # a JSON content type, or a body that reads as JSON
        answer = mock.put(body, headers)
        assert answer.status_code == 200, answer.text
        shown = mock.client.get("/_mock/scenario").json()
        assert shown["name"] == "hymy 😀"
        assert [(r["name"], r["rule"]["latency"]) for r in shown["rules"]] == [
            ("😀 slow", {"ms": 1000.0})
        ]
    # YAML's rules would have made 1e3 a string; a surrogate pair in YAML is one emoji too.
    assert load_text('name: "\\ud83d\\ude00"\n').name == "😀"


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        ('{"rules": [1,, 2]}', JSON, "<body>:1:14: invalid JSON: expected a value"),
        ('{"rules": [\n  {"error": 503},\n]}', JSON, "<body>:3:1: invalid JSON: expected a value"),
        ('{"rules": []} x', YAML, "<body>:1:15: invalid JSON: extra data after the JSON value"),
        ('{"name": "a", "name": "b"}', JSON, "<body>:1:15: duplicate key 'name'"),
        ("rules: [1e3]", JSON, "<body>:1:1: invalid JSON: expected a value"),
        (
            '{"name": "\\ud83d alone"}',
            JSON,
            "<body>:1:10: the text holds a lone UTF-16 surrogate (\\ud83d), which is not a "
            "character; write the character itself or both halves of its pair",
        ),
        (
            'name: "\\ude00"\n',
            YAML,
            "<body>:1:7: the text holds a lone UTF-16 surrogate (\\ude00), which is not a "
            "character; write the character itself or both halves of its pair",
        ),
        (
            '{"a":' * 100_000 + "1" + "}" * 100_000,
            JSON,
            f"<body>:1:{5 * MAX_DEPTH + 1}: values are nested more than {MAX_DEPTH} levels deep",
        ),
        (
            "[" * 100_000 + "]" * 100_000,
            YAML,
            f"<body>:1:{MAX_DEPTH + 1}: values are nested more than {MAX_DEPTH} levels deep",
        ),
        (
            "a: " + "[" * 5000 + "]" * 5000,
            YAML,
            "<body>:1:1: values are nested more than 64 levels deep",
        ),
    ],
    ids=[
        "syntax",
        "trailing-comma",
        "extra-data",
        "duplicate-key",
        "yaml-sent-as-json",
        "lone-surrogate-json",
        "lone-surrogate-yaml",
        "deep-json",
        "deep-json-looking",
        "deep-yaml",
    ],
)
def test_broken_text_is_a_400_with_its_position(
    mock: Mock, body: str, headers: dict[str, str], problem: str
) -> None:
    before = mock.snapshot()
    mock.refused(mock.put(body, headers), [problem])
    assert mock.snapshot() == before


def test_yaml_aliases_cannot_blow_up(mock: Mock) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    before = mock.snapshot()
    answer = mock.put("\n".join(lines) + "\n")
    assert answer.status_code == 400
    (problem,) = answer.json()["ModelState"]["scenario"]
    assert problem.endswith(f": aliases expand to more than {MAX_ALIASED} values")
    assert mock.snapshot() == before


def test_a_body_that_is_not_utf8_is_a_400(mock: Mock) -> None:
    before = mock.snapshot()
    answer = mock.put(b'{"name": "\xff\xfe"}', JSON)
    mock.refused(answer, ["The body is not UTF-8 text (byte 10 is not UTF-8)."])
    assert mock.snapshot() == before


def test_a_scenario_file_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: \xe4\n")
    with pytest.raises(ScenarioError) as caught:
        load_files([path])
    assert caught.value.problems == [f"{path}:1:1: cannot read the scenario: it is not UTF-8 text"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/customers", b'{"name": "\xff\xfe", "email": "a@example.fi"}'),
        ("/api/auth/login", b'{"Password": "\xff"}'),
        ("/api/customers", b"[" * 100_000 + b"]" * 100_000),
        ("/api/auth/login", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    ],
    ids=["utf8-customers", "utf8-login", "deep-customers", "deep-login"],
)
def test_a_rule_matching_on_the_body_never_turns_a_bad_body_into_a_500(
    mock: Mock, path: str, body: bytes
) -> None:
    answer = mock.put(
        "rules:\n"
        "  - {name: c, match: {method: POST, path: /api/customers, body: {name: x}}, error: 409}\n"
        "  - {name: p, match: {method: POST, path: /api/auth/login, body: {Password: w}}, "
        "error: 401}\n"
    )
    assert answer.status_code == 200
    before = mock.snapshot()
    answer = mock.client.post(path, content=body, headers={**JSON, **QUIET})
    assert answer.status_code == 400  # the API's own answer: the rules did not match
    assert "ModelState" in answer.json()
    after = mock.snapshot()
    assert after == before  # counters count matches only: none
    assert all(c == {} for c in [r["counters"] for r in after["scenario"]["rules"]])


# --- all or nothing -------------------------------------------------------------------------


def test_a_failure_nobody_foresaw_while_building_changes_nothing(
    mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("unforeseen")

    monkeypatch.setattr("mockserver.scenarios.build_dataset", boom)
    before = mock.snapshot()
    answer = mock.put("name: after\nseed: 99\nrules: [{error: 503}]\n")
    assert answer.status_code == 500
    assert mock.snapshot() == before


def test_a_failure_after_the_swap_swaps_back(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    real = describe
    failures = [RuntimeError("unforeseen")]

    def describe_once(state: Any) -> dict[str, Any]:
        if failures:
            raise failures.pop()
        return real(state)

    before = mock.snapshot()
    monkeypatch.setattr(scenario_admin, "describe", describe_once)
    answer = mock.put("name: after\nseed: 99\nrules: [{error: 503}]\n")
    assert answer.status_code == 500
    assert not failures  # it did fail after the swap
    assert mock.snapshot() == before
    assert mock.client.get("/api/invoices").status_code == 503  # the old rule, its 2nd match


def test_invalid_records_change_nothing(mock: Mock) -> None:
    before = mock.snapshot()
    answer = mock.put(
        "records:\n"
        "  invoices:\n"
        "    - {id: 900, customer_number: 4242, date: 2025-06-01T00:00:00Z}\n"
    )
    mock.refused(answer, ["<body>:3:7: invoice 900: customer_number 4242 names no customer"])
    assert mock.snapshot() == before


# --- account ids ----------------------------------------------------------------------------


def test_in_replace_mode_a_new_account_never_takes_a_fixture_accounts_id(mock: Mock) -> None:
    answer = mock.put(Path(SHIPPED_DIR, "one-customer.yaml").read_text(encoding="utf-8"))
    assert answer.status_code == 200
    fixture_ids = [a["account_id"] for a in mock.client.get("/api/customers/1").json()["accounts"]]
    assert fixture_ids == [1]
    created = mock.client.post(
        "/api/customers/1/accounts", json={"iban": "FI2112345600000785", "bic": "NDEAFIHH"}
    )
    assert created.status_code in (200, 201), created.text
    assert created.json()["account_id"] == 2


def test_records_get_account_ids_above_every_id_they_give(mock: Mock) -> None:
    answer = mock.put(
        "records:\n"
        "  replace: true\n"
        "  customers:\n"
        "    - {id: 1, name: A, email: a@x.fi, accounts: [{account_id: 40, iban: X}, {iban: Y}]}\n"
        "    - {id: 2, name: B, email: b@x.fi, accounts: [{iban: Z}]}\n"
    )
    assert answer.status_code == 200, answer.text
    ids = [
        [a["account_id"] for a in mock.client.get(f"/api/customers/{cid}").json()["accounts"]]
        for cid in (1, 2)
    ]
    assert ids == [[40, 41], [42]]
    created = mock.client.post("/api/customers/2/accounts", json={"iban": "W"})
    assert created.json()["account_id"] == 43


def test_clashing_account_ids_are_problems_at_their_records(mock: Mock) -> None:
    # Over 5 generated customers, generated accounts may use ids 1 to 10.
    before = mock.snapshot()
    answer = mock.put(
        "records:\n"
        "  customers:\n"
        "    - {id: 7, name: A, email: a@x.fi, accounts: [{account_id: 3, iban: X}]}\n"
        "    - {id: 8, name: B, email: b@x.fi, accounts: [{account_id: 11, iban: Y}]}\n"
        "    - {id: 9, name: C, email: c@x.fi, accounts: [{iban: Z}, {account_id: 11}]}\n"
    )
    mock.refused(
        answer,
        [
            "<body>:3:7: customer 7: accounts[0].account_id 3 may be a generated account's id "
            "(those are 1 to 10); give 11 or more, or leave account_id out to have one assigned",
            "<body>:5:7: customer 9: accounts[1].account_id 11 is also customer 8's "
            "accounts[0].account_id",
        ],
    )
    assert mock.snapshot() == before


def test_a_generated_customer_keeps_its_own_account_ids() -> None:
    settings = Settings(customers=20, invoices=20)
    dataset = generate(settings.seed, settings.customers, settings.invoices)
    owned = {
        f.id: [a.account_id for a in dataset.customer(f.id).accounts or []]
        for f in dataset.customers
    }
    mine, theirs = [cid for cid, ids in owned.items() if ids][:2]  # two with accounts
    accounts = [{"account_id": i, "iban": "X"} for i in owned[mine]]
    record = {"id": mine, "name": "Uusi Nimi", "email": "u@example.fi", "accounts": accounts}
    kept = load_text(json.dumps({"records": {"customers": [record]}}))
    check_data(settings, kept)  # no problem: the accounts are its own
    taken = {**record, "accounts": [{"account_id": owned[theirs][0], "iban": "X"}]}
    with pytest.raises(ScenarioError) as caught:
        check_data(settings, load_text(json.dumps({"records": {"customers": [taken]}})))
    assert caught.value.problems == [
        f"<scenario>:1:28: customer {mine}: accounts[0].account_id {owned[theirs][0]} may be a "
        "generated account's id (those are 1 to 40); give 41 or more, or leave account_id out "
        "to have one assigned"
    ]


# --- --max-records --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "customers", "invoices"),
    [
        ("{customers: 200000, invoices: 1}", 200_000, 1),
        ("{customers: 40000}", 40_000, 200_000),  # five invoices per customer
        ("{customers: 10, invoices: 2147483647}", 10, 2_147_483_647),
    ],
)
def test_data_over_max_records_is_refused_before_anything_is_generated(
    mock: Mock, monkeypatch: pytest.MonkeyPatch, data: str, customers: int, invoices: int
) -> None:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing may be generated")

    monkeypatch.setattr("mockserver.scenario_load.generate", never)
    before = mock.snapshot()
    mock.refused(
        mock.put(f"name: big\ndata: {data}\n"),
        [
            f"<body>:2:7: data: {customers} customers and {invoices} invoices are "
            f"{customers + invoices} records, more than the 200000 a scenario sent over HTTP "
            "may generate (the server's --max-records)"
        ],
    )
    (mock.scenarios / "big.yaml").write_text(f"data: {data}\n")
    answer = mock.client.get("/api/customers", headers={**QUIET, "X-Mock-Scenario": "big"})
    assert answer.status_code == 400
    (message,) = answer.json()["ModelState"]["X-Mock-Scenario"]
    assert message.startswith(f"{mock.scenarios}/big.yaml:1:7: data: {customers} customers")
    assert mock.snapshot() == before


def test_the_limit_is_the_setting_and_the_command_line_is_not_limited(tmp_path: Path) -> None:
    startup = tmp_path / "startup.yaml"
    startup.write_text("data: {customers: 6, invoices: 7}\n")
    app = create_app(Settings(max_records=12, scenario=(str(startup),), log_level="warning"))
    dataset = app.state.mock.store.dataset
    assert (len(dataset.customers), len(dataset.invoices)) == (6, 7)  # not limited
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        answer = client.put("/_mock/scenario", content="data: {invoices: 7}\n", headers=YAML)
        assert answer.status_code == 400
        assert answer.json()["ModelState"]["scenario"] == [
            "<body>:1:7: data: 200 customers and 7 invoices are 207 records, more than the 12 "
            "a scenario sent over HTTP may generate (the server's --max-records)"
        ]
        answer = client.put(
            "/_mock/scenario", content="data: {customers: 6, invoices: 6}\n", headers=YAML
        )
        assert answer.status_code == 200
        assert answer.json()["data"] == {"customers": 6, "invoices": 6}


# --- builds never hold up a shutdown --------------------------------------------------------


class Blocked:
    """A build that waits until released, noting that it started and whether it ended."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.thread: threading.Thread | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.thread = threading.current_thread()
        self.started.set()
        self.release.wait()
        raise RuntimeError("released")


async def _turns(task: asyncio.Task[Any], turns: int = 50) -> None:
    """Let the loop run a few rounds (no clock involved)."""
    for _ in range(turns):
        if task.done():
            return
        await asyncio.sleep(0)


def test_a_cancelled_build_returns_at_once_and_its_result_is_dropped() -> None:
    blocked = Blocked()

    async def run() -> None:
        task = asyncio.create_task(off_loop(blocked))
        await asyncio.to_thread(blocked.started.wait)
        task.cancel()
        await _turns(task)
        assert task.cancelled()  # returned while the build still runs
        assert blocked.thread is not None and blocked.thread.daemon  # exit never joins it
        assert blocked.thread.is_alive()
        blocked.release.set()
        await asyncio.to_thread(blocked.thread.join)
        await _turns(task)  # its late result meets a cancelled future: dropped

    asyncio.run(run())


def test_a_put_cut_by_shutdown_leaves_its_build_behind(
    mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request task is cancelled as uvicorn's shutdown cancels it: it ends at once,
    without waiting for the build, and nothing changes when the build ends later."""
    blocked = Blocked()
    monkeypatch.setattr("mockserver.scenarios.build_dataset", blocked)
    before = mock.snapshot()
    body = b"seed: 99\n"

    async def run() -> None:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "PUT",
            "scheme": "http",
            "path": "/_mock/scenario",
            "raw_path": b"/_mock/scenario",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/yaml")],
            "client": ("127.0.0.1", 50001),
            "server": ("127.0.0.1", 8080),
        }
        task = asyncio.create_task(mock.app(scope, receive, send))
        await asyncio.to_thread(blocked.started.wait)
        task.cancel()
        await _turns(task)
        assert task.done()
        assert blocked.thread is not None and blocked.thread.is_alive()
        blocked.release.set()
        await asyncio.to_thread(blocked.thread.join)
        await _turns(task)

    asyncio.run(run())
    assert mock.snapshot() == before


def test_uvicorns_shutdown_does_not_join_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real server told to exit while a PUT's build runs: the server thread ends while the
    build is still blocked (the join below is a guard against hanging, not a timing)."""
    blocked = Blocked()
    monkeypatch.setattr("mockserver.scenarios.build_dataset", blocked)
    app = create_app(Settings(customers=5, invoices=20, log_level="warning"))
    server = UvicornThread(
        lambda port: uvicorn_config(app, Settings(log_level="warning"), port=port, log_config=None)
    )
    answers: list[Any] = []

    def put() -> None:
        try:
            answers.append(
                httpx.put(
                    f"http://127.0.0.1:{server.port}/_mock/scenario",
                    content="seed: 99\n",
                    headers=YAML,
                    timeout=60,
                )
            )
        except httpx.HTTPError as error:
            answers.append(error)

    client = threading.Thread(target=put, daemon=True)
    client.start()
    assert blocked.started.wait(60)
    server.server.should_exit = True
    server.thread.join(120)
    try:
        assert not server.thread.is_alive()
        assert blocked.thread is not None and blocked.thread.is_alive()  # still building
    finally:
        blocked.release.set()
        server.socket.close()
    client.join(60)
    assert answers and not (isinstance(answers[0], httpx.Response) and answers[0].is_success)


def test_a_named_scenarios_data_are_built_off_the_loop(
    mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mock.scenarios / "other-seed.yaml").write_text("seed: 42\n")
    blocked = Blocked()
    blocked.release.set()  # fails at once: the failure still reaches the caller as a 500
    monkeypatch.setattr("mockserver.scenarios.build_dataset", blocked)
    answer = mock.client.get("/api/customers", headers={**QUIET, "X-Mock-Scenario": "other-seed"})
    assert answer.status_code == 500
    assert blocked.thread is not None and blocked.thread is not threading.main_thread()
    assert blocked.thread.name == "mockserver-scenario-build"


# --- names ----------------------------------------------------------------------------------

SHIPPED = sorted(p.stem for p in Path(SHIPPED_DIR).glob("*.yaml"))


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no scenarios folder, and no MOCKSERVER_* variables."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in list(os.environ):
        if name.startswith("MOCKSERVER_"):
            monkeypatch.delenv(name)
    return folder


def test_a_name_finds_the_shipped_scenario_from_any_folder(elsewhere: Path) -> None:
    assert not Path("scenarios").exists()
    scenario = load_files(["flaky-5xx"])
    assert scenario.sources == (os.path.join(SHIPPED_DIR, "flaky-5xx.yaml"),)
    assert scenario.name == "flaky-5xx"
    settings = from_sources(
        {}, {"MOCKSERVER_SCENARIO": os.pathsep.join(["one-customer", "slow-network"])}
    )
    startup = load_startup(settings)
    assert startup is not None and [Path(s).name for s in startup.sources] == [
        "one-customer.yaml",
        "slow-network.yaml",
    ]
    assert [c.record.name for c in startup.customers] == ["Acme Oy"]  # its fixtures were read


def test_the_users_folder_comes_first(elsewhere: Path) -> None:
    folder = elsewhere / "mine"
    folder.mkdir()
    (folder / "flaky-5xx.yaml").write_text("# Ours, not the shipped one\nname: ours\n")
    extra = '{"description": "A JSON one. More.", "seed": 1e0}'
    (folder / "extra.json").write_text(extra)
    assert load_files(["flaky-5xx"], str(folder)).name == "ours"
    assert [(a.name, a.shipped, a.shadows_shipped) for a in available(str(folder))][:2] == [
        ("extra", False, False),
        ("flaky-5xx", False, True),
    ]
    assert [a.name for a in available(str(folder))][2:] == [n for n in SHIPPED if n != "flaky-5xx"]
    # A .json scenario is JSON: 1e0 is a number (and not a valid seed: seeds are integers).
    with pytest.raises(ScenarioError) as caught:
        load_files(["extra"], str(folder))
    column = extra.index("1e0") + 1
    assert caught.value.problems == [
        f"{folder}/extra.json:1:{column}: seed: Expected `int | null`, got `float`"
    ]


def test_an_unknown_name_lists_the_names_that_exist(elsewhere: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_files(["flaky-5x"])
    (problem,) = caught.value.problems
    assert problem == (
        "There is no scenario named 'flaky-5x' (in ./scenarios or among the shipped ones). "
        f"Did you mean 'flaky-5xx'? The scenarios are: {', '.join(SHIPPED)}."
    )
    assert problem == unknown_name("flaky-5x", "./scenarios")
    assert "flaky-5x:1:1" not in problem


def test_serve_with_an_unknown_name_exits_1_naming_the_scenarios(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--scenario", "flaky-5x", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        unknown_name("flaky-5x", "./scenarios"),
        "mockserver: error: the scenario is invalid; nothing served",
    ]


def test_validate_takes_names(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "one-customer", "nope"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "one-customer: ok",
        unknown_name("nope", "./scenarios"),
    ]


def test_the_scenarios_command_lists_every_name_once(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == SHIPPED
    assert lines[SHIPPED.index("flaky-5xx")].split(None, 2)[1:] == [
        "shipped",
        "A flaky server for testing retries.",
    ]
    folder = elsewhere / "scenarios"
    folder.mkdir()
    (folder / "flaky-5xx.yaml").write_text("# yaml-language-server: $schema=x\n# Ours.\n")
    (folder / "aaa.yml").write_text("description: First.  Second sentence.\n")
    assert cli.main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [re.split(r"\s{2,}", line) for line in lines[:2]] == [
        ["aaa", "./scenarios", "First."],
        ["flaky-5xx", "./scenarios (over shipped)", "Ours."],
    ]
    assert len({line.index("./scenarios") for line in lines[:2]}) == 1  # aligned columns
    assert [line.split()[0] for line in lines[2:]] == [n for n in SHIPPED if n != "flaky-5xx"]
    assert cli.main(["scenarios", "--scenarios-dir", str(elsewhere / "none")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(SHIPPED)


def test_x_mock_scenario_and_mockserver_take_shipped_names(elsewhere: Path) -> None:
    with MockServer(customers=5, scenario="one-customer") as api:
        customers = httpx.get(api.url + "/api/customers", timeout=10).json()
        assert [c["name"] for c in customers["results"]] == ["Acme Oy"]
        flaky = {"X-Mock-Scenario": "flaky-5xx"}
        statuses = [
            httpx.get(api.url + "/api/customers", headers=flaky, timeout=10).status_code
            for _ in range(3)
        ]
        assert statuses == [503, 503, 200]  # the shipped flaky-5xx: the first two fail


def test_the_pytest_marker_takes_a_shipped_name(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker="""
        import httpx
        import pytest


        @pytest.mark.mock_scenario("one-customer")
        def test_one(mock_api):
            answer = httpx.get(
                mock_api.url + "/api/customers", headers=mock_api.headers, timeout=10
            )
            assert [c["name"] for c in answer.json()["results"]] == ["Acme Oy"]
        """
    )
    assert not (pytester.path / "scenarios").exists()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# --- the documentation's answers are real ---------------------------------------------------


def test_the_ref_answer_in_the_docs_is_exact(mock: Mock) -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "scenarios.md").read_text()
    answer = mock.put("records:\n  customers:\n    - $ref: ../../etc/passwd\n")
    assert answer.status_code == 400
    (problem,) = answer.json()["ModelState"]["scenario"]
    assert f'"ModelState": {{"scenario": ["{problem}"]}}' in docs


# --- any document at all --------------------------------------------------------------------

_KEYS = st.sampled_from(
    [
        "name", "description", "seed", "data", "customers", "invoices", "records", "replace",
        "rules", "match", "method", "path", "query", "headers", "body", "tenant", "when",
        "probability", "every", "first", "times", "latency", "ms", "distribution", "error",
        "status", "fault", "type", "auth", "session_ttl_s", "$ref", "id", "email", "accounts",
        "account_id",
    ]
)  # fmt: skip
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["/api/customers", "GET", "fixed", "connection_reset", "\ud83d", "😀"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_KEYS | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def property_app() -> Any:
    return create_app(Settings(customers=3, invoices=6, max_records=40, log_level="warning"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.dictionaries(_KEYS, _VALUES, max_size=5), as_json=st.booleans())
def test_any_document_is_applied_whole_or_refused_never_a_500(
    property_app: Any, document: dict[str, Any], as_json: bool
) -> None:
    app = property_app
    with TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False) as client:
        before = client.get("/_mock/scenario")
        assert before.status_code == 200
        if as_json:
            body = json.dumps(document)  # NaN and lone surrogates included
            headers = JSON
        else:
            body = yaml.safe_dump(document, allow_unicode=False)
            headers = YAML
        answer = client.put(
            "/_mock/scenario", content=body.encode("utf-8", "surrogatepass"), headers=headers
        )
        assert answer.status_code in (200, 400), answer.text
        after = client.get("/_mock/scenario")
        assert after.status_code == 200
        if answer.status_code == 400:
            assert after.json() == before.json()
        else:
            assert after.json() == answer.json()
        client.delete("/_mock/scenario")


def test_a_file_without_a_suffix_is_a_name_and_the_error_says_how_to_load_it(
    elsewhere: Path,
) -> None:
    Path("mine").write_text("name: mine\n")
    with pytest.raises(ScenarioError) as caught:
        load_files(["mine"])
    assert caught.value.problems == [
        unknown_name("mine", "./scenarios"),
        "(To load the file mine here, write ./mine.)",
    ]
    assert load_files(["./mine"]).name == "mine"


# --- a rule matching on the body reads at most MAX_BODY ------------------------------------

BODY_RULE = (
    "rules:\n"
    "  - {name: x, match: {method: POST, path: /api/customers, body: {name: x}}, error: 409}\n"
)
TOO_LARGE = {"Message": f"The request body is larger than {MAX_BODY} bytes."}
CHUNK = 64 * 1024


def body_of(size: int, name: str = "x") -> bytes:
    """A customer body of exactly ``size`` bytes that the rule matches (name x)."""
    head = f'{{"name": "{name}", "email": "x@example.fi", "notes": "'.encode()
    return head + b"a" * (size - len(head) - 2) + b'"}'


def streamed(body: bytes) -> Iterator[bytes]:
    """The body in fresh chunks of CHUNK bytes (each a new object, as a server's would be)."""
    for start in range(0, len(body), CHUNK):
        yield bytes(body[start : start + CHUNK])


def post_streamed(
    mock: Mock, chunks: Iterator[bytes], length: int | None = None
) -> tuple[int, bytes, int]:
    """POST /api/customers straight to the ASGI app, the body in chunks (no Content-Length
    unless ``length``): the status, the answer's body and how many chunks were read."""
    headers = [(b"content-type", b"application/json"), (b"x-mock-journal", b"off")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/customers",
        "raw_path": b"/api/customers",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    read = 0
    pending = iter(chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        chunk = next(pending, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(mock.app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, answer, read


def test_a_body_rule_matches_a_body_up_to_the_bound_in_any_chunks(mock: Mock) -> None:
    assert mock.put(BODY_RULE).status_code == 200
    body = body_of(MAX_BODY)
    assert mock.client.post("/api/customers", content=body, headers=JSON).status_code == 409
    status, answer, _ = post_streamed(mock, streamed(body))
    assert (status, json.loads(answer)) == (409, {"Message": "Conflict."})
    # A body no rule matches reaches the handler whole, however it came.
    status, answer, _ = post_streamed(mock, streamed(body_of(MAX_BODY, name="y")))
    assert status == 200, answer
    assert json.loads(answer)["name"] == "y"


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_a_body_past_the_bound_is_not_matched_and_the_handler_answers_413(
    mock: Mock, declared: bool
) -> None:
    assert mock.put(BODY_RULE).status_code == 200
    body = body_of(MAX_BODY + 1)  # the rule would match it, were it read
    answer = mock.client.post("/api/customers", content=body, headers=JSON)
    assert (answer.status_code, answer.json()) == (413, TOO_LARGE)
    status, sent, _ = post_streamed(mock, streamed(body), len(body) if declared else None)
    assert (status, json.loads(sent)) == (413, TOO_LARGE)
    shown = mock.client.get("/_mock/scenario").json()
    assert shown["rules"][0]["counters"] == {}  # it never matched


def test_a_huge_streamed_body_is_never_held_whole(mock: Mock) -> None:
    assert mock.put(BODY_RULE).status_code == 200
    total = 32 * MAX_BODY
    chunks = (
        b'{"name": "x", "notes": "' + bytes(CHUNK - 24) if i == 0 else b"a" * CHUNK
        for i in range(total // CHUNK)
    )
    tracemalloc.start()
    try:
        status, answer, read = post_streamed(mock, chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (status, json.loads(answer)) == (413, TOO_LARGE)
    assert read <= MAX_BODY // CHUNK + 2  # the rest was never asked for
    assert peak < 6 * MAX_BODY  # the rules' buffer and the handler's: about 2 MiB
