"""Every example the package ships (``mockserver/data/scenarios``), loaded by its name and
exercised the way its description says, over a real socket."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_scenarios_http import Served, login

from mockserver.app import create_app
from mockserver.rules import RequestView, RuleBook
from mockserver.scenarios import SHIPPED_DIR, check_data, load_files
from mockserver.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(SHIPPED_DIR)
EXPECTED = {
    "acme-overlay",
    "broken-responses",
    "connection-drops",
    "empty-company",
    "flaky-5xx",
    "large-dataset",
    "login-rules",
    "one-customer",
    "rate-limited",
    "session-expiry",
    "slow-network",
}


@pytest.fixture
def example(tmp_path: Path) -> Iterator[Callable[[str], Served]]:
    running: list[Served] = []

    def start(name: str) -> Served:
        settings = Settings(
            customers=5,
            invoices=20,
            scenario=(name,),  # by name: the user's (empty) folder, then the shipped ones
            scenarios_dir=str(tmp_path / "scenarios"),
            log_level="warning",
        )
        served = Served(create_app(settings))
        running.append(served)
        return served

    yield start
    for served in running:
        served.close()


def replay(name: str, views: list[RequestView], seed: int = 1) -> list[Any]:
    """What the example's rules decide for these requests, computed without a server."""
    scenario = load_files([EXAMPLES / f"{name}.yaml"])
    book = RuleBook(scenario.rules, scenario.spec.seed or seed, "active")
    return [book.evaluate(view) for view in views]


def view(path: str, method: str = "GET") -> RequestView:
    return RequestView(method, path.split("/")[1:], b"", {}, "default")


def test_every_example_is_shipped_valid_and_documented() -> None:
    found = {path.stem for path in EXAMPLES.glob("*.yaml")}
    assert found == EXPECTED
    docs = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    for name in sorted(found):
        scenario = load_files([EXAMPLES / f"{name}.yaml"])
        check_data(Settings(), scenario)
        assert scenario.spec.name == name
        assert scenario.spec.description
        assert f"| `{name}` |" in docs


def test_slow_network(example: Callable[[str], Served]) -> None:
    served = example("slow-network")
    expected = [
        o.latency_ms / 1000
        for o in replay("slow-network", [view("/api/customers/1"), view("/api/customers")])
    ]
    for path, delay in zip(("/api/customers/1", "/api/customers"), expected, strict=True):
        started = time.perf_counter()
        assert served.client.get(path).status_code == 200
        assert time.perf_counter() - started >= delay
    assert served.fired[-2:] == [["every-call"], ["every-call", "lists"]]


def test_flaky_5xx(example: Callable[[str], Served]) -> None:
    client = example("flaky-5xx").client
    first = client.get("/api/customers")
    assert (first.status_code, first.headers["retry-after"]) == (503, "1")
    assert [client.get("/api/customers").status_code for _ in range(3)] == [503, 200, 200]
    assert [client.get("/api/invoices").status_code for _ in range(6)] == [
        200,
        200,
        502,
        200,
        200,
        502,
    ]
    lookups = [client.get("/api/invoices/1").status_code for _ in range(30)]
    decided = replay("flaky-5xx", [view("/api/invoices/1")] * 30)
    assert lookups == [500 if o.reply else 200 for o in decided]
    assert 500 in lookups


def test_rate_limited(example: Callable[[str], Served]) -> None:
    client = example("rate-limited").client
    assert [client.get("/api/customers").status_code for _ in range(10)] == [200] * 10
    for _ in range(3):
        limited = client.get("/api/customers")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "2"
        assert limited.json() == {
            "Message": "API calls quota exceeded! maximum admitted 10 per 1m."
        }
    assert client.get("/api/customers").status_code == 200
    assert client.post("/_mock/reset").status_code == 200
    assert [client.get("/api/customers").status_code for _ in range(11)][-1] == 429


def test_session_expiry(example: Callable[[str], Served]) -> None:
    served = example("session-expiry")
    client = served.client
    session = {"Session-Id": login(client)}
    assert [client.get("/api/customers", headers=session).status_code for _ in range(5)] == [
        200,
        200,
        200,
        200,
        401,
    ]
    assert client.get("/api/auth/alive", headers=session).status_code == 401
    session = {"Session-Id": login(client)}
    assert [client.get("/api/customers", headers=session).status_code for _ in range(6)] == (
        [200] * 6  # times: 1
    )
    assert client.get("/_mock/scenario").json()["auth"] == {"session_ttl_s": 5.0}
    assert served.state.sessions.ttl_s == 5.0


def test_empty_company(example: Callable[[str], Served]) -> None:
    client = example("empty-company").client
    for path in ("/api/customers", "/api/customers/base", "/api/invoices"):
        assert client.get(path).json() == {"result_count": 0, "results": []}
    created = client.post("/api/customers", json={"name": "Eka Oy", "email": "eka@x.fi"}).json()
    assert (created["id"], created["number"]) == (1, 10001)


def test_large_dataset(example: Callable[[str], Served]) -> None:
    client = example("large-dataset").client  # how fast it generates: bench/run.py (c)
    customers = client.get("/api/customers", params={"page": 500})
    assert customers.headers["x-total-count"] == "5000"
    assert customers.json()["result_count"] == 10
    assert client.get("/api/customers", params={"page": 501}).json()["result_count"] == 0
    assert client.get("/api/invoices").headers["x-total-count"] == "25000"


def test_one_customer(example: Callable[[str], Served]) -> None:
    client = example("one-customer").client
    customers = client.get("/api/customers").json()
    assert customers["result_count"] == 1
    (acme,) = customers["results"]
    assert (acme["id"], acme["number"], acme["name"]) == (1, 1001, "Acme Oy")
    assert (acme["open_invoice_sum"], acme["due_invoice_sum"]) == (1325.5, 450.0)
    assert acme["contacts"][0]["email"] == "maija.meikalainen@acme.fi"
    invoices = client.get("/api/invoices", params={"customer_number": 1001}).json()
    assert [(i["number"], i["total_sum"]) for i in invoices["results"]] == [
        (500001, 875.5),
        (500002, 450.0),
        (500003, 875.5),
    ]
    overdue = client.get("/api/invoices", params={"invoice_date_after": "2025-05-01"}).json()
    assert [i["id"] for i in overdue["results"]] == [2, 3]


def test_acme_overlay(example: Callable[[str], Served]) -> None:
    client = example("acme-overlay").client
    acme = client.get("/api/customers/1").json()
    assert (acme["number"], acme["name"]) == (1001, "Acme Oy")
    assert acme["phone"]  # the generated fields stay
    invoices = client.get("/api/invoices", params={"customer_number": 1001, "page_size": 100})
    ids = [i["id"] for i in invoices.json()["results"]]
    assert ids[-1] == 900 and len(ids) > 1
    assert client.get("/api/invoices/900").json()["total_sum"] == 380.0
    assert client.get("/api/customers").headers["x-total-count"] == "20"


def test_broken_responses(example: Callable[[str], Served]) -> None:
    client = example("broken-responses").client
    assert client.get("/api/customers").status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/customers")
    assert client.get("/api/customers").json()["result_count"] == 5
    lists = [client.get("/api/invoices") for _ in range(3)]
    assert [answer.status_code for answer in lists] == [200, 200, 200]
    lists[0].json()
    with pytest.raises(ValueError):
        lists[2].json()
    started = time.perf_counter()
    assert client.get("/api/invoices/1").json()["id"] == 1
    assert time.perf_counter() - started >= 1.5


def test_connection_drops(example: Callable[[str], Served]) -> None:
    client = example("connection-drops").client
    body = {"name": "Muutettu Oy", "email": "m@x.fi"}
    with pytest.raises(httpx.ReadError):
        client.put("/api/customers/2", json=body)
    assert client.get("/api/customers/base").json()["results"][1]["name"] != "Muutettu Oy"
    assert client.put("/api/customers/2", json=body).status_code == 200
    outcomes = []
    for _ in range(16):
        try:
            outcomes.append(client.get("/api/customers/3").status_code)
        except httpx.RemoteProtocolError:
            outcomes.append(0)
    decided = replay("connection-drops", [view("/api/customers/3")] * 16)
    assert outcomes == [0 if o.fault else 200 for o in decided]
    assert 0 in outcomes


def test_login_rules(example: Callable[[str], Served]) -> None:
    client = example("login-rules").client

    def log_in(**fields: str) -> httpx.Response:
        body = {"UserName": "u", "Password": "p", "Database": "d", "ApiKey": "k", **fields}
        return client.post("/api/auth/login", json=body)

    wrong = log_in(Password="wrong")
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"code": 401, "message": "Invalid username or password"},
    )
    vendor_style = {"username": "u", "password": "wrong", "database": "d", "apikey": "k"}
    assert client.post("/api/auth/login", json=vendor_style).status_code == 401
    locked = log_in(Database="locked")
    assert (locked.status_code, locked.json()) == (
        403,
        {"Message": "The database is locked for maintenance."},
    )
    assert log_in().status_code == 200
