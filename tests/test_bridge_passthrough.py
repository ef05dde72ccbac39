"""``serve --upstream``: what the mock does not implement is answered by the upstream, and
``--upstream-record`` makes those answers a scenario of ``respond`` rules that replays them.

The stand-in upstream is a second mock (``--base-path /Lemonsoft30 --auth required``, another
seed) whose scenario answers vendor routes the mock does not implement (``respond`` rules),
and whose journal tells what the bridge sent it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from ports import free_port

from mockserver.cli import main
from mockserver.scenarios import ScenarioError, load_text
from mockserver.settings import Settings
from mockserver.testing import MockServer

CREDENTIALS = {
    "MOCKSERVER_UPSTREAM_USERNAME": "bridge",
    "MOCKSERVER_UPSTREAM_PASSWORD": "pa55-not-journaled",
    "MOCKSERVER_UPSTREAM_DATABASE": "sandbox",
    "MOCKSERVER_UPSTREAM_APIKEY": "key-not-journaled",
}
PRODUCTS = [
    {"id": 1, "product_code": "P-1", "name": "Ruuvi", "price": 1.5, "updated": None},
    {"id": 2, "product_code": "P-2", "name": "Mutteri", "price": 0.25, "updated": None},
]
UPSTREAM_SCENARIO = {
    "rules": [
        {
            "name": "product page 2",
            "match": {"method": "GET", "path": "/api/products", "query": {"page": 2}},
            "respond": {"status": 200, "body": {"results": [], "result_count": 0}},
        },
        {
            "name": "products",
            "match": {"method": "GET", "path": "/api/products"},
            "respond": {
                "status": 200,
                "headers": {"X-Total-Count": 2, "X-Vendor": "yes"},
                "body": {"results": PRODUCTS, "result_count": 2},
            },
        },
        {
            "name": "one product",
            "match": {"method": "GET", "path": "/api/products/2"},
            "respond": {"status": 200, "body": PRODUCTS[1]},
        },
        {
            "name": "new product",
            "match": {"method": "POST", "path": "/api/products", "body": {"name": "Aluslevy"}},
            "respond": {"status": 201, "body": {"id": 3}},
        },
    ]
}


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder = tmp_path_factory.mktemp("upstream")
    (folder / "vendor.yaml").write_text(yaml.safe_dump(UPSTREAM_SCENARIO))
    server = MockServer(
        seed=7,
        customers=20,
        invoices=60,
        base_path="/Lemonsoft30",
        auth="required",
        scenario=str(folder / "vendor.yaml"),
    )
    with server:
        yield server


def _bridge(upstream_url: str, **options: object) -> MockServer:
    settings = Settings(log_level="warning", upstream=upstream_url).with_changes(**options)
    return MockServer(customers=10, invoices=30, settings=settings)


def _direct(upstream: MockServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    """What the stand-in answers a client of its own (logged in as the bridge logs in)."""
    session = upstream.login("sandbox")
    headers = {"Session-Id": session}
    return httpx.request(method, upstream.url + path, headers=headers, **kwargs)  # type: ignore[arg-type]


def _sent(upstream: MockServer, since: int) -> list[tuple[str, str]]:
    return [(e.method, e.route) for e in upstream.state.journal.entries(since=since)]


def test_unmocked_reads_come_back_as_the_upstream_answers_them(upstream: MockServer) -> None:
    with _bridge(upstream.url) as bridge:
        since = upstream.state.journal.last_seq()
        client_session = bridge.login("mine")
        for path in ("/api/products", "/api/products?page=2", "/api/products/2"):
            got = httpx.get(bridge.url + path, headers={"Session-Id": client_session})
            direct = _direct(upstream, "GET", path)
            assert (got.status_code, got.content) == (direct.status_code, direct.content)
            assert got.headers["content-type"] == direct.headers["content-type"]
        listed = httpx.get(bridge.url + "/API/Products")  # routed as ASP.NET routes
        assert listed.json() == {"results": PRODUCTS, "result_count": 2}
        assert listed.headers["x-total-count"] == "2"
        assert listed.headers["x-vendor"] == "yes"
        assert "transfer-encoding" not in listed.headers
        entries = bridge.state.journal.entries()
        assert [(e.route, e.upstream) for e in entries if e.method == "GET"] == [
            ("/api/products", True),
            ("/api/products", True),
            ("/api/products/2", True),
            ("/api/products", True),  # the route's words lower-cased, as ASP.NET matches them
        ]
        sent = upstream.state.journal.entries(since=since)
        bridge_sessions = {
            e.headers.get("session-id") for e in sent if e.route.startswith("/api/products")
        }
    # the bridge logged in once, with its own session: never the client's
    assert [(e.method, e.route) for e in sent].count(("POST", "/api/auth/login")) == 1
    assert client_session not in bridge_sessions
    assert all(entry.status == 200 for entry in sent)


def test_implemented_routes_are_still_the_mocks(upstream: MockServer) -> None:
    with _bridge(upstream.url) as bridge:
        since = upstream.state.journal.last_seq()
        page = httpx.get(bridge.url + "/api/customers", params={"page_size": 5})
        one = httpx.get(bridge.url + "/api/customers/1")
        health = httpx.get(f"http://127.0.0.1:{bridge.port}/health")
        assert page.status_code == one.status_code == health.status_code == 200
        assert page.headers["x-total-count"] == "10"  # the mock's 10 customers, not 20
        assert not any(e.upstream for e in bridge.state.journal.entries())
    assert _sent(upstream, since) == []


def test_writes_are_refused_without_the_flag_and_never_sent(upstream: MockServer) -> None:
    with _bridge(upstream.url) as bridge:
        since = upstream.state.journal.last_seq()
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            answer = httpx.request(method, bridge.url + "/api/products", json={"name": "x"})
            assert answer.status_code == 501
            message = answer.json()["Message"]
            assert message.startswith(f"The mock does not implement this {method} request")
            assert "--upstream-writes" in message
        # a method the mock does not implement on one of its own routes: refused too
        assert httpx.delete(bridge.url + "/api/customers/1").status_code == 501
        assert [e.upstream for e in bridge.state.journal.entries()] == [True] * 5
    assert _sent(upstream, since) == []


def test_writes_pass_with_the_flag(upstream: MockServer) -> None:
    with _bridge(upstream.url, upstream_writes=True) as bridge:
        since = upstream.state.journal.last_seq()
        answer = httpx.post(bridge.url + "/api/products", json={"name": "Aluslevy"})
        assert (answer.status_code, answer.json()) == (201, {"id": 3})
    sent = upstream.state.journal.entries(since=since)
    assert [(e.method, e.route) for e in sent] == [
        ("POST", "/api/auth/login"),
        ("POST", "/api/products"),
    ]
    # the rule's match on the body is how the stand-in tells the body was passed on


def test_credentials_are_never_journaled(upstream: MockServer) -> None:
    with _bridge(upstream.url) as bridge:
        httpx.get(bridge.url + "/api/products")
        shown = repr(bridge.settings) + str([e.to_dict() for e in bridge.state.journal.entries()])
    assert CREDENTIALS["MOCKSERVER_UPSTREAM_PASSWORD"] not in shown
    assert CREDENTIALS["MOCKSERVER_UPSTREAM_APIKEY"] not in shown


def test_a_refused_upstream_is_a_502() -> None:
    port = free_port()
    with _bridge(f"http://127.0.0.1:{port}/Lemonsoft30", upstream_timeout=2.0) as bridge:
        answer = httpx.get(bridge.url + "/api/products")
    assert answer.status_code == 502
    message = answer.json()["Message"]
    assert message.startswith("The upstream API did not answer: POST http://127.0.0.1:")
    assert "/Lemonsoft30/api/auth/login: cannot connect" in message


def test_an_upstream_that_never_answers_is_a_504() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with _bridge(url, upstream_timeout=0.3) as bridge:
            answer = httpx.get(bridge.url + "/api/products", timeout=30)
    assert answer.status_code == 504
    assert answer.json() == {
        "Message": f"The upstream API did not answer: POST {url}/api/auth/login: "
        "the upstream timed out waiting for the answer"
    }


def test_recorded_answers_replay_without_the_upstream(upstream: MockServer, tmp_path: Path) -> None:
    paths = ["/api/products", "/api/products?page=2", "/api/products/2", "/api/products/9"]
    with _bridge(upstream.url, upstream_record=str(tmp_path)) as bridge:
        passed = [httpx.get(bridge.url + path) for path in paths]
    assert [a.status_code for a in passed] == [200, 200, 200, 501]  # the stand-in's own 501
    scenario = yaml.safe_load((tmp_path / "scenario.yaml").read_text())
    assert [rule["match"] for rule in scenario["rules"]] == [
        {"method": "GET", "path": "/api/products", "query": {"page": "2"}},
        {"method": "GET", "path": "/api/products"},
        {"method": "GET", "path": "/api/products/2"},
        {"method": "GET", "path": "/api/products/9"},
    ]
    with MockServer(customers=5, scenario=str(tmp_path / "scenario.yaml")) as replay:
        replayed = [httpx.get(replay.url + path) for path in paths]
    for before, after in zip(passed, replayed, strict=True):
        assert (after.status_code, after.content) == (before.status_code, before.content)
        assert after.headers["content-type"] == before.headers["content-type"]
    assert replayed[0].headers["x-total-count"] == "2"


def test_respond_rules_answer_any_api_path(tmp_path: Path) -> None:
    (tmp_path / "body.json").write_bytes(b'{"exact":  "bytes"}')
    (tmp_path / "s.yaml").write_text(
        yaml.safe_dump(
            {
                "rules": [
                    {
                        "match": {"path": "/api/persons", "query": {"Name": ["a", "b"]}},
                        "respond": {"status": 200, "$ref": "body.json"},
                    },
                    {
                        "match": {"method": "GET", "path": "/api/customers/1"},
                        "respond": {"status": 418, "body": [1], "headers": {"X-A": "b"}},
                    },
                    {"match": {"path": "/api/persons"}, "respond": {"status": 204}},
                ]
            }
        )
    )
    with MockServer(customers=3, scenario=str(tmp_path / "s.yaml")) as server:
        exact = httpx.get(server.url + "/api/Persons?name=a&name=b&x=1")
        other = httpx.get(server.url + "/api/persons?name=a")
        mocked = httpx.get(server.url + "/api/customers/1")
        unknown = httpx.get(server.url + "/api/nowhere")
    assert (exact.status_code, exact.content) == (200, b'{"exact":  "bytes"}')
    assert exact.headers["content-type"] == "application/json; charset=utf-8"
    assert (other.status_code, other.content) == (204, b"")
    assert (mocked.status_code, mocked.json(), mocked.headers["x-a"]) == (418, [1], "b")
    assert unknown.status_code == 404


def test_respond_rules_are_checked(tmp_path: Path) -> None:
    text = """\
rules:
  - {match: {path: /api/x}, respond: {status: 200, body: 1, $ref: a.json}}
  - {match: {path: /nowhere}, respond: {status: 200}}
  - {match: {path: /api/x}, respond: {status: 200}, error: 500}
  - {match: {path: /api/x}, respond: {status: 200, $ref: missing.json}}
"""
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "s.yaml", base_dir=str(tmp_path))
    problems = caught.value.problems
    assert problems[0] == "s.yaml:2:38: rules[0].respond: a respond has a body or a $ref, not both"
    assert problems[1].startswith("s.yaml:3:20: rules[1].match.path: '/nowhere' is not an API")
    assert problems[2] == (
        "s.yaml:4:5: rules[2]: a rule has one of an error, a fault or a respond, not an error "
        "and a respond"
    )
    assert problems[3] == (
        "s.yaml:5:58: rules[3].respond.$ref: cannot read missing.json: No such file or directory"
    )


def test_serve_help_and_missing_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--upstream UPSTREAM", "--upstream-writes", "--upstream-record"):
        assert flag in text
    monkeypatch.delenv("MOCKSERVER_UPSTREAM_PASSWORD")
    assert main(["serve", "--upstream", "http://127.0.0.1:9/x", "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        "mockserver: error: the upstream's credentials are missing: set "
        "MOCKSERVER_UPSTREAM_PASSWORD\n"
    )
    assert main(["serve", "--upstream", "ftp://x"]) == 2
