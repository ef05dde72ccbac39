"""``mockserver drift``: reports exactly what differs in shape between the mock and an
upstream, nothing when they agree, and sends nothing but GETs and a login.

The planted upstream is a small Starlette app serving the mock's own API (another seed,
``/Lemonsoft30``, sessions required) with deliberate differences: a renamed field, a number
sent as a string, an extra nested field, a 404 where the mock answers 400, and a route the
mock does not have (``GET /api/products``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import uvicorn
from ports import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.app import create_app
from mockserver.bridge import drift
from mockserver.bridge.upstream import Credentials
from mockserver.cli import main
from mockserver.settings import Settings
from mockserver.testing import MockServer
from tests.threaded import UvicornThread

CREDENTIALS = {
    "MOCKSERVER_UPSTREAM_USERNAME": "drift",
    "MOCKSERVER_UPSTREAM_PASSWORD": "secret",
    "MOCKSERVER_UPSTREAM_DATABASE": "sandbox",
    "MOCKSERVER_UPSTREAM_APIKEY": "key",
}
BASE = "/Lemonsoft30"
CUSTOMER = re.compile(rf"^{BASE}/api/customers(/\d+)?$")
INVOICE = re.compile(rf"^{BASE}/api/invoices(/\d+)?$")


def _plant(path: str, body: Any) -> Any:
    """The planted differences of one 200 answer."""
    one = isinstance(body, dict) and "results" not in body
    items = [body] if one else list(body.get("results", [])) if isinstance(body, dict) else []
    for item in items:
        if CUSTOMER.match(path) and "name" in item:
            item["company_name"] = item.pop("name")  # a renamed field
        if INVOICE.match(path):
            item["total_sum"] = str(item["total_sum"])  # a number sent as a string
            if one:
                for row in item["rows"]:
                    row["discount_code"] = "A1"  # an extra nested field
    return body


class Planted:
    """The mock's answers, rewritten by ``_plant``; every method that arrives is counted."""

    def __init__(self, app: ASGIApp, methods: Counter[str]) -> None:
        self.app = app
        self.methods = methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.methods[f"{scope['method']} {scope['path']}"] += 1
        path: str = scope["path"]
        if path == f"{BASE}/api/invoices/abc":  # the mock answers 400 here
            await JSONResponse({"Message": "Not found."}, 404)(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if start["status"] == 200 and body[:1] in (b"{", b"["):
                body = msgspec.json.encode(_plant(path, msgspec.json.decode(body)))
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, keep)


def _products(request: Request) -> JSONResponse:
    return JSONResponse({"results": [{"id": 1, "product_code": "P-1"}], "result_count": 1})


def _serve(app: ASGIApp) -> UvicornThread:
    return UvicornThread(
        lambda port: uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                    lifespan="off")
    )  # fmt: skip


@pytest.fixture(scope="module")
def planted() -> Iterator[tuple[str, Counter[str]]]:
    methods: Counter[str] = Counter()
    mock = create_app(Settings(seed=3, base_path=BASE, auth="required", log_level="warning"))
    app = Starlette(
        routes=[
            Route(f"{BASE}/api/products", _products),
            Mount("", app=Planted(mock, methods)),
        ]
    )
    server = _serve(app)
    try:
        yield f"http://127.0.0.1:{server.port}{BASE}", methods
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(auth="required") as server:
        yield server


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


def _report(upstream: str, mock: MockServer) -> drift.Report:
    credentials = Credentials.from_env()
    return drift.with_mock(mock.url, lambda url: drift.drift(upstream, url, credentials))


EXPECTED = {
    (drift.STATUS, "GET /api/invoices/{id}", "a malformed id (abc)"),
    (drift.EXTRA, "GET /api/customers", "results[].name"),
    (drift.MISSING, "GET /api/customers", "results[].company_name"),
    (drift.EXTRA, "GET /api/customers/{customer_id}", "name"),
    (drift.MISSING, "GET /api/customers/{customer_id}", "company_name"),
    (drift.TYPE, "GET /api/invoices", "results[].total_sum"),
    (drift.TYPE, "GET /api/invoices/{id}", "total_sum"),
    (drift.MISSING, "GET /api/invoices/{id}", "rows[].discount_code"),
}


def test_drift_reports_exactly_the_planted_differences(
    planted: tuple[str, Counter[str]], mock: MockServer
) -> None:
    url, methods = planted
    methods.clear()
    report = _report(url, mock)
    assert drift.kinds_of(report.differences) == EXPECTED
    assert len(report.differences) == len(EXPECTED)
    by_where = {(d.operation, d.where): d for d in report.differences}
    changed = by_where["GET /api/invoices", "results[].total_sum"]
    assert (changed.mock, changed.upstream) == ("number", "string")
    status = by_where["GET /api/invoices/{id}", "a malformed id (abc)"]
    assert (status.mock, status.upstream) == ("400", "404")
    renamed = by_where["GET /api/customers/{customer_id}", "company_name"]
    assert (renamed.mock, renamed.upstream) == ("absent", "string")
    # read-only: GETs and the one login, nothing else ever reached the upstream
    sent = Counter(key.split(" ")[0] for key in methods)
    assert set(sent) == {"GET", "POST"}
    assert [key for key in methods if key.startswith("POST")] == [f"POST {BASE}/api/auth/login"]
    assert methods[f"POST {BASE}/api/auth/login"] == 1
    assert not any("/api/products" in key for key in methods)  # never probed: not the mock's


def test_nothing_differs_from_a_faithful_upstream(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with MockServer(seed=7, base_path=BASE, auth="required") as upstream:
        since = upstream.state.journal.last_seq()
        status = main(["drift", "--upstream", upstream.url, "--json", str(tmp_path / "d.json")])
        sent = {(e.method, e.route) for e in upstream.state.journal.entries(since=since)}
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.splitlines()[1] == "no differences"
    document = json.loads((tmp_path / "d.json").read_text())
    assert (document["count"], document["differences"]) == (0, [])
    assert document["probes"] > 50
    assert {method for method, _ in sent} == {"GET", "POST"}
    assert [route for method, route in sent if method == "POST"] == ["/api/auth/login"]


def test_the_table_and_json_rank_the_differences(
    planted: tuple[str, Counter[str]],
    mock: MockServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url, _ = planted
    target = tmp_path / "drift.json"
    assert main(["drift", "--upstream", url, "--mock", mock.url, "--json", str(target)]) == 1
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert headings[1:] == [
        "8 differences",
        "status change (1)",
        "missing field (3)",
        "extra field (2)",
        "type change (2)",
    ]
    assert re.search(r"GET /api/invoices/\{id\}\s+a malformed id \(abc\)\s+400\s+404", out)
    document = json.loads(target.read_text())
    assert document["count"] == 8
    assert [d["kind"] for d in document["differences"]] == (
        [drift.STATUS] + [drift.MISSING] * 3 + [drift.EXTRA] * 2 + [drift.TYPE] * 2
    )
    assert document["differences"][0] == {
        "kind": "status change",
        "operation": "GET /api/invoices/{id}",
        "where": "a malformed id (abc)",
        "mock": "400",
        "upstream": "404",
    }


def test_drift_that_cannot_run_exits_2(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = f"http://127.0.0.1:{free_port()}{BASE}"
    assert main(["drift", "--upstream", refused, "--mock", mock.url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockserver drift: cannot run: the upstream did not answer: POST ")
    assert err.count("\n") == 1
    monkeypatch.delenv("MOCKSERVER_UPSTREAM_APIKEY")
    assert main(["drift", "--upstream", refused, "--mock", mock.url]) == 2
    assert capsys.readouterr().err == (
        "mockserver drift: cannot run: the upstream's credentials are missing: set "
        "MOCKSERVER_UPSTREAM_APIKEY\n"
    )


def test_shapes_compare_types_nullability_formats_and_fields() -> None:
    def seen(*bodies: Any) -> dict[str, drift.Seen]:
        shapes: dict[str, drift.Seen] = {}
        for body in bodies:
            drift.observe(body, "", shapes)
        return shapes

    mock = seen(*[{"a": 1, "b": None, "d": "2025-01-02T03:04:05Z", "e": [1], "f": 1}] * 20)
    upstream = seen(*[{"a": 1.5, "b": "x", "d": "2025-01-02", "e": ["1"], "g": {}}] * 20)
    found = {
        (d.kind, d.where, d.mock, d.upstream)
        for d in drift.compare_shapes("GET /x", mock, upstream, listed=False, errors=False)
    }
    assert found == {
        (drift.NULLABILITY, "b", "null", "string"),
        (drift.FORMAT, "d", "dddd-dd-ddTdd:dd:ddZ", "dddd-dd-dd"),
        (drift.TYPE, "e[]", "number", "string"),
        (drift.EXTRA, "f", "number", "absent"),
        (drift.MISSING, "g", "absent", "object"),
    }
    # too few samples to tell a field that is often null from one that always is
    few = drift.compare_shapes("GET /x", seen({"b": None}), seen({"b": "x"}), listed=False,
                               errors=False)  # fmt: skip
    assert few == []
    errors = drift.compare_shapes("GET /x", seen({"Message": "x"}), seen({"message": "x"}),
                                  listed=False, errors=True)  # fmt: skip
    assert {d.kind for d in errors} == {drift.ERROR_SHAPE}


def test_drift_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["drift", "--help"])
    text = capsys.readouterr().out
    for part in ("--upstream URL", "--mock URL", "--json FILE", "docs/drift.md", "exit status"):
        assert part in text


def test_filter_values_come_from_the_data() -> None:
    records = [{"name": "Metalli Salmi Oy", "customer_number": 10001, "email": None}]
    assert drift.filter_value("customer_number", "int32[]", (), records) == "10001"
    assert drift.filter_value("search", "string", (), records) == "Metall"
    assert drift.filter_value("name", "string", (), records) == "Metalli Salmi Oy"
    assert drift.filter_value("email", "string", (), records) == "a"
    assert drift.filter_value("has_email", "int32", (0, 1), records) == "1"
    assert drift.filter_value("modified_before", "date-time", (), records).startswith("2100")
