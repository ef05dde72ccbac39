"""``MockServer`` (context manager, async context manager, start/stop), its data, journal,
scenario and transport helpers, tenant handles, and ``RemoteMockServer`` driving a running
server: its admin token, tenant deletion, and a dead URL that fails at once."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import httpx2
import pytest
from ports import free_port

import mockserver
import mockserver.testing.remote
from mockserver.api.guard import NEEDS_TOKEN
from mockserver.faults import ConnectionFault
from mockserver.scenarios import ScenarioError
from mockserver.testing import MockServer, MockServerUnreachable, RemoteMockServer

DOWN = """
name: invoices-down
rules:
  - name: down
    match: {method: GET, path: /api/invoices}
    error: 503
"""


def _server_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("mockserver-")]


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _total(url: str, **headers: str) -> int:
    answer = httpx2.get(url, params={"page_size": 1}, headers=headers)
    assert answer.status_code == 200, answer.text
    return int(answer.headers["X-Total-Count"])


# --- serving ------------------------------------------------------------------------------------


def test_the_context_manager_serves_and_stops_cleanly() -> None:
    with MockServer(seed=3, customers=20) as api:
        assert api.url == f"http://127.0.0.1:{api.port}"
        assert _total(api.url + "/api/customers") == 20
        assert _total(api.url + "/api/invoices") == 100  # five per customer
        assert api.requests(method="GET", path="/api/customers").count == 1
        port = api.port
        assert _server_threads() == [f"mockserver-{port}"]
    assert port is not None
    assert _server_threads() == []
    assert _refused(port)
    assert not api.started
    with pytest.raises(RuntimeError, match="not started"):
        _ = api.url


def test_the_server_stops_when_the_body_raises() -> None:
    with pytest.raises(KeyError), MockServer(customers=2) as api:
        port = api.port
        raise KeyError("boom")
    assert port is not None
    assert _server_threads() == []
    assert _refused(port)


def test_start_and_stop_by_hand_keep_the_data_across_restarts() -> None:
    api = MockServer(customers=2).start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            api.start()
        created = httpx2.post(api.url + "/api/customers", json={"name": "Oy C", "email": "c@c.fi"})
        assert created.json()["id"] == 3
    finally:
        api.stop()
    api.stop()  # a second stop is harmless
    with api:
        assert _total(api.url + "/api/customers") == 3
    assert _server_threads() == []


def test_async_with_serves_too() -> None:
    async def main() -> int:
        async with MockServer(customers=4) as api, httpx2.AsyncClient() as client:
            answer = await client.get(api.url + "/api/customers")
            return int(answer.json()["result_count"])

    assert asyncio.run(main()) == 4
    assert _server_threads() == []


def test_a_port_conflict_cannot_happen_and_two_servers_run_side_by_side() -> None:
    with MockServer(customers=1) as one, MockServer(customers=2) as two:
        assert one.port != two.port
        assert _total(one.url + "/api/customers") == 1
        assert _total(two.url + "/api/customers") == 2


def test_an_invalid_startup_scenario_never_serves(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - match: {path: /api/customers}\n    latncy: {ms: 5}\n")
    with pytest.raises(ScenarioError) as error, MockServer(customers=1, scenario=bad):
        pass
    assert error.value.problems[0].startswith(f"{bad}:3:5: ")
    assert _server_threads() == []


def test_options_reach_the_server() -> None:
    with MockServer(customers=2, invoices=3, base_path="Lemonsoft30", auth="required") as api:
        assert api.url.endswith("/Lemonsoft30")
        assert httpx2.get(api.url + "/api/invoices").status_code == 401
        session = {"Session-Id": api.login()}
        assert _total(api.url + "/api/invoices", **session) == 3
        assert api.requests(path="/api/invoices", status=200).count == 1
        assert api.requests(path="/Lemonsoft30/api/invoices").count == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"customers": -1}, "customers=-1: must not be negative"),
        ({"auth": "maybe"}, "auth='maybe': must be one of off, optional, required"),
        ({"base_path": "/a b"}, "base_path='/a b': must be a URL path such as /Lemonsoft30"),
        ({"journal_size": "many"}, "journal_size='many': must be a whole number"),
    ],
)
def test_bad_options_are_refused_up_front(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as error:
        MockServer(**options)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_the_same_seed_serves_the_same_data() -> None:
    with MockServer(seed=5, customers=3) as a, MockServer(seed=5, customers=3) as b:
        same = [httpx2.get(s.url + "/api/customers").content for s in (a, b)]
    with MockServer(seed=6, customers=3) as c:
        other = httpx2.get(c.url + "/api/customers").content
    assert same[0] == same[1]
    assert other != same[0]


def test_the_package_exports_mockserver_lazily() -> None:
    assert mockserver.MockServer is MockServer
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = mockserver.Nope  # type: ignore[attr-defined]


# --- data -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api() -> object:
    with MockServer(seed=2, customers=3) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    if "api" in request.fixturenames:
        request.getfixturevalue("api").reset()


def test_reset_restores_every_tenant_or_one(api: MockServer) -> None:
    body = {"name": "Oy Uusi", "email": "u@u.fi"}
    for tenant in ("a", "b"):
        assert httpx2.post(api.url + "/api/customers", json=body,
                           headers={"X-Mock-Tenant": tenant}).status_code == 200  # fmt: skip
    session = api.login("a")
    api.reset(tenant="a")
    assert [e.tenant for e in api.requests()] == ["b"]
    assert _total(api.url + "/api/customers", **{"X-Mock-Tenant": "a"}) == 3
    assert _total(api.url + "/api/customers", **{"X-Mock-Tenant": "b"}) == 4
    assert (
        httpx2.get(api.url + "/api/customers", headers={"Session-Id": session}).status_code == 401
    )
    api.reset()
    assert api.requests().count == 0
    assert _total(api.url + "/api/customers", **{"X-Mock-Tenant": "b"}) == 3


def test_add_customers_creates_them_like_the_api(api: MockServer) -> None:
    [created] = api.add_customers({"name": "Oy Uusi", "email": "u@u.fi"}, tenant="t")
    assert (created.id, created.name, created.email) == (4, "Oy Uusi", "u@u.fi")
    assert created.number is not None
    fetched = httpx2.get(f"{api.url}/api/customers/4", headers={"X-Mock-Tenant": "t"})
    assert fetched.json()["number"] == created.number
    assert httpx2.get(f"{api.url}/api/customers/4").status_code == 404  # not in "default"
    assert api.customers_of("t").get(4) == created
    assert api.requests().count == 2  # add_customers itself is not a request


def test_add_customers_validates_all_before_creating_any(api: MockServer) -> None:
    with pytest.raises(ValueError) as error:
        api.add_customers({"name": "Oy A", "email": "a@a.fi"}, {"name": "Oy B"})
    assert str(error.value) == (
        "invalid customer: {'customer.email': ['The email field is required.']}"
    )
    assert len(api.customers) == 3


def test_records_give_read_access_to_the_store(api: MockServer) -> None:
    customers = api.customers
    assert len(customers) == 3
    assert customers.ids == [1, 2, 3]
    assert [c.id for c in customers] == [1, 2, 3]
    first = customers.get(1)
    assert first is not None
    assert customers.find(number=first.number) == [first]
    assert 1 in customers and 99 not in customers
    assert customers.get(99) is None
    assert len(api.invoices) == 15
    listed = httpx2.get(api.url + "/api/customers").json()["results"][0]
    assert listed["name"] == first.name


def test_requests_and_assert_requested(api: MockServer) -> None:
    httpx2.get(api.url + "/api/customers", params={"page": 2}, headers={"X-Mock-Tenant": "x"})
    httpx2.get(api.url + "/api/customers/1")
    assert api.requests(tenant="x").count == 1
    assert api.requests(path="/api/customers/{customer_id}").first.route == "/api/customers/1"
    api.assert_requested("GET", "/api/customers", query={"page": 2}, times=1)
    with pytest.raises(AssertionError) as failure:
        api.assert_requested("GET", "/api/invoices", times=1)
    assert str(failure.value).startswith(
        "Expected GET /api/invoices once; it was requested never.\nNearest other requests:\n"
    )
    since = api.last_seq()
    httpx2.get(api.url + "/api/invoices")
    assert [e.route for e in api.requests(since=since)] == ["/api/invoices"]
    assert api.clear_requests(tenant="x") == 1
    assert api.requests().count == 2


def test_scenarios_load_and_clear(api: MockServer, tmp_path: Path) -> None:
    path = tmp_path / "down.yaml"
    path.write_text(DOWN)
    api.load_scenario(path)
    assert httpx2.get(api.url + "/api/invoices").status_code == 503
    assert api.requests(rule="down").count == 1
    with pytest.raises(ScenarioError):
        api.load_scenario(text="rules: [{match: {path: /api/x}}]")
    assert httpx2.get(api.url + "/api/invoices").status_code == 503  # nothing changed
    api.clear_scenario()
    assert httpx2.get(api.url + "/api/invoices").status_code == 200
    api.load_scenario(text=DOWN)
    assert httpx2.get(api.url + "/api/invoices").status_code == 503
    api.clear_scenario()
    with pytest.raises(TypeError):
        api.load_scenario()


def test_a_broken_connection_is_in_the_journal_when_the_client_sees_it(api: MockServer) -> None:
    api.load_scenario(
        text="rules:\n"
        "  - {name: reset, match: {path: /api/customers}, fault: connection_reset}\n"
        "  - {name: cut, match: {path: /api/invoices}, fault: truncated_body}\n"
    )
    first = api.last_seq() + 1
    try:
        for attempt in range(10):
            with pytest.raises(httpx2.TransportError):  # a reset (how it shows may vary)
                httpx2.get(api.url + "/api/customers")
            entry = api.requests(path="/api/customers").last
            assert (entry.seq, entry.status, entry.fault) == (first + 2 * attempt, None,
                                                              "connection_reset")  # fmt: skip
            with pytest.raises(httpx2.TransportError):  # cut short
                httpx2.get(api.url + "/api/invoices")
            entry = api.requests(path="/api/invoices").last
            assert (entry.seq, entry.status, entry.fault) == (first + 2 * attempt + 1, 200,
                                                              "truncated_body")  # fmt: skip
    finally:
        api.clear_scenario()


def test_a_startup_scenario_is_where_clear_scenario_returns(tmp_path: Path) -> None:
    path = tmp_path / "down.yaml"
    path.write_text(DOWN)
    with MockServer(customers=1, scenario=path) as api:
        assert httpx2.get(api.url + "/api/invoices").status_code == 503
        api.clear_scenario()
        assert httpx2.get(api.url + "/api/invoices").status_code == 503


def test_a_tenant_handle_scopes_journal_and_data(api: MockServer) -> None:
    acme = api.tenant("acme")
    assert acme.database == "acme"
    assert acme.credentials == {
        "UserName": "mockserver",
        "Password": "mockserver",
        "ApiKey": "mockserver",
        "Database": "acme",
    }
    httpx2.post(api.url + "/api/customers", json={"name": "A", "email": "a@a.fi"},
                headers=acme.headers)  # fmt: skip
    httpx2.get(api.url + "/api/customers")  # the default tenant
    acme.assert_requested("POST", "/api/customers", json={"name": "A"}, times=1)
    assert acme.requests().count == 1
    assert len(acme.customers) == 4
    assert len(api.customers) == 3
    old_session = acme.session_id
    acme.reset()
    assert acme.session_id != old_session
    assert len(acme.customers) == 3
    assert acme.requests().count == 0
    answer = httpx2.get(api.url + "/api/auth/alive", headers=acme.headers)
    assert answer.status_code == 200


# --- in process -----------------------------------------------------------------------------------


def test_transport_serves_in_process_without_a_socket() -> None:
    api = MockServer(customers=2)

    async def main() -> tuple[int, int]:
        async with httpx2.AsyncClient(transport=api.transport(), base_url="http://mock") as c2:
            first = (await c2.get("/api/customers")).json()["result_count"]
        async with httpx.AsyncClient(transport=api.transport(httpx), base_url="http://m") as c1:
            second = (await c1.get("/api/customers/1")).status_code
        return first, second

    assert asyncio.run(main()) == (2, 200)
    assert isinstance(api.transport(), httpx2.ASGITransport)
    assert isinstance(api.transport(httpx), httpx.ASGITransport)
    assert [e.route for e in api.requests()] == ["/api/customers", "/api/customers/1"]
    assert not api.started


def test_a_connection_fault_in_process_reaches_the_client_and_the_journal() -> None:
    api = MockServer(customers=2)
    api.load_scenario(
        text="rules: [{name: r, match: {path: /api/customers}, fault: connection_reset}]"
    )

    async def main() -> None:
        async with httpx2.AsyncClient(transport=api.transport(), base_url="http://m") as http:
            with pytest.raises(ConnectionFault, match="connection_reset"):
                await http.get("/api/customers")

    asyncio.run(main())
    entry = api.requests().last
    assert (entry.status, entry.fault, entry.rules) == (None, "connection_reset", ("r",))


# --- a server that already runs ---------------------------------------------------------------


def test_remote_mock_server_drives_a_running_server() -> None:
    with MockServer(customers=3) as api:
        remote = RemoteMockServer(api.url + "/")
        remote.wait_ready()
        assert list(remote.customers) == list(api.customers)  # the same records, over HTTP
        assert list(remote.invoices) == list(api.invoices)
        assert len(remote.invoices) == 15
        [created] = remote.add_customers({"name": "Oy R", "email": "r@r.fi"}, tenant="r")
        assert created.id == 4
        assert len(remote.customers_of("r")) == 4
        assert remote.requests().count == 0  # its own reads and writes stay out
        httpx2.get(api.url + "/api/customers/4", headers={"X-Mock-Tenant": "r"})
        remote.assert_requested("GET", "/api/customers/{customer_id}", tenant="r", times=1)
        assert remote.requests(tenant="r").first.status == 200
        handle = remote.tenant("remote-1")
        httpx2.get(api.url + "/api/customers", headers=handle.headers)
        assert [(e.tenant, e.status) for e in handle.requests()] == [("remote-1", 200)]
        assert remote.last_seq() == 2
        remote.load_scenario(text=DOWN)
        assert httpx2.get(api.url + "/api/invoices").status_code == 503
        remote.clear_scenario()
        remote.reset("r")
        assert len(remote.customers_of("r")) == 3
        assert remote.clear_requests() == 2
        remote.reset()
        assert api.requests().count == 0


def _no_sleeping(seconds: float) -> None:
    raise AssertionError(f"waited {seconds} s for a server that cannot answer")


def test_a_dead_url_fails_at_once_naming_the_url_and_the_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    remote = RemoteMockServer(url)
    monkeypatch.setattr(mockserver.testing.remote.time, "sleep", _no_sleeping)
    with pytest.raises(MockServerUnreachable) as error:
        remote.wait_ready()  # the default 30 s timeout is never waited for
    assert str(error.value) == f"cannot reach mock server at {url}: connection refused"
    assert isinstance(error.value, ConnectionError)
    assert not isinstance(error.value, TimeoutError)
    with pytest.raises(MockServerUnreachable, match=r"^cannot reach mock server at .*: connection"):
        remote.requests()


class _Health(BaseHTTPRequestHandler):
    """``/health``: the statuses in ``answers`` in turn, then 200."""

    answers: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        status = self.answers.pop(0) if self.answers else 200
        body = b'{"Message":"The server is starting."}' if status != 200 else b"{}"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[str, list[int]]]:
    answers: list[int] = []
    handler = type("Health", (_Health,), {"answers": answers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_only_a_server_that_is_still_loading_is_waited_for(
    health_server: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, answers = health_server
    naps: list[float] = []
    monkeypatch.setattr(mockserver.testing.remote.time, "sleep", naps.append)
    answers[:] = [503, 503]
    RemoteMockServer(url).wait_ready()
    assert (naps, answers) == ([0.1, 0.1], [])
    answers[:] = [503]
    with pytest.raises(TimeoutError) as late:
        RemoteMockServer(url).wait_ready(timeout_s=0)
    assert str(late.value) == (
        f"mock server at {url} is still loading after 0 s (GET /health answers 503)"
    )
    answers[:] = [404]
    naps.clear()
    with pytest.raises(RuntimeError) as wrong:
        RemoteMockServer(url).wait_ready()
    assert str(wrong.value) == (
        f'GET {url}/health answered 404: {{"Message":"The server is starting."}}'
    )
    assert naps == []


def test_remote_mock_server_sends_the_admin_token_with_every_admin_request() -> None:
    with MockServer(customers=3, admin_token="t0k-remote") as api:
        assert api.admin_headers == {"Authorization": "Bearer t0k-remote"}
        refused = httpx.get(api.url + "/_mock/requests")
        assert (refused.status_code, refused.json()) == (401, {"Message": NEEDS_TOKEN})
        assert httpx.get(api.url + "/_mock/requests", headers=api.admin_headers).status_code == 200
        remote = RemoteMockServer(api.url, admin_token="t0k-remote")
        remote.wait_ready()
        handle = remote.tenant("acme")
        httpx.get(api.url + "/api/customers", headers=handle.headers)
        handle.assert_requested("GET", "/api/customers", times=1)
        assert remote.last_seq() == 1
        remote.load_scenario(text=DOWN)
        remote.clear_scenario()
        remote.load_scenario("flaky-5xx")  # a name: the shipped scenario's text is sent
        statuses = [httpx.get(api.url + "/api/customers").status_code for _ in range(3)]
        assert statuses == [503, 503, 200]
        with pytest.raises(ScenarioError, match="There is no scenario named 'flaky-5yx'"):
            remote.load_scenario("flaky-5yx")
        remote.clear_scenario()
        remote.reset("acme")  # with acme's journal: the three reads of "default" are left
        assert remote.clear_requests() == 3
        handle.login()
        assert handle.delete() is True
        assert handle.delete() is False

        without = RemoteMockServer(api.url, admin_token="")
        with pytest.raises(RuntimeError) as error:
            without.requests()
        assert str(error.value) == (
            f"GET {api.url}/_mock/requests answered 401: "
            f'{{"Message":"{NEEDS_TOKEN}"}} (give the server\'s admin token: '
            "RemoteMockServer(url, admin_token=...), --mockserver-admin-token or "
            "MOCKSERVER_ADMIN_TOKEN)"
        )
        wrong = RemoteMockServer(api.url, admin_token="nope")
        with pytest.raises(RuntimeError, match="answered 401"):
            wrong.reset()
        assert "t0k-remote" not in str(api.requests())


def test_the_admin_token_comes_from_the_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "t0k-env")
    with MockServer(customers=1, admin_token="t0k-env") as api:
        remote = RemoteMockServer(api.url)
        assert remote.admin_headers == {"Authorization": "Bearer t0k-env"}
        assert remote.requests().count == 0
    assert MockServer().admin_headers == {}  # a local server takes no token from the environment


def test_a_tenant_handle_deletes_its_tenant() -> None:
    with MockServer(customers=3) as api:
        acme = api.tenant("acme")
        acme.add_customers({"name": "Oy A", "email": "a@a.fi"})
        httpx.get(api.url + "/api/customers", headers=acme.headers)
        assert "acme" in api.state.store.tenants
        assert acme.delete() is True
        assert "acme" not in api.state.store.tenants
        assert not api.state.sessions.holds("acme")
        assert api.requests(tenant="acme").count == 0
        assert acme.delete() is False
        assert (acme.session_id, acme.headers) == (None, {"X-Mock-Tenant": "acme"})
        assert len(acme.customers) == 3  # the handle starts the tenant afresh
        listed = httpx.get(api.url + "/_mock/tenants").json()
        assert "acme" in [t["name"] for t in listed["tenants"]]
        answer = httpx.delete(api.url + "/_mock/tenants/acme")
        assert answer.status_code == 204


def test_scenario_names_resolve_as_the_server_resolves_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no scenarios/ folder here: the shipped scenario is used
    with MockServer(customers=3, scenario="flaky-5xx") as api:
        statuses = [httpx.get(api.url + "/api/customers").status_code for _ in range(3)]
        assert statuses == [503, 503, 200]
        assert api.requests(rule="customers-warming-up").count == 2
        api.load_scenario("empty-company")
        assert httpx.get(api.url + "/api/customers").json()["result_count"] == 0
    own = tmp_path / "mine"
    own.mkdir()
    (own / "flaky-5xx.yaml").write_text(DOWN)  # the user's own folder comes first
    with MockServer(customers=3, scenario="flaky-5xx", scenarios_dir=own) as api:
        assert httpx.get(api.url + "/api/invoices").status_code == 503
        assert httpx.get(api.url + "/api/customers").status_code == 200
    with pytest.raises(ScenarioError) as error:
        MockServer(customers=1, scenario="flaky-5yx").start()
    assert error.value.problems[0].startswith(
        "There is no scenario named 'flaky-5yx' (in ./scenarios or among the shipped ones). "
        "Did you mean 'flaky-5xx'? The scenarios are: "
    )


def test_journal_filters_are_checked_by_name() -> None:
    api = MockServer(customers=1)
    with pytest.raises(TypeError) as error:
        api.requests(stauts=200)  # type: ignore[call-arg]
    assert str(error.value) == (
        "requests() got an unknown filter 'stauts'; filters: headers, json, query, rule, "
        "since, status, tenant"
    )
    assert api.requests(json=None).count == 0  # a JSON null body is a filter like any
