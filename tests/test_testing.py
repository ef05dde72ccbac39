"""``MockServer`` (context manager, async context manager, start/stop), its data, journal,
scenario and transport helpers, and ``RemoteMockServer`` driving a running server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx
import httpx2
import pytest

import mockserver
from mockserver.faults import ConnectionFault
from mockserver.scenarios import ScenarioError
from mockserver.testing import MockServer, RemoteMockServer

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


def test_enter_to_ready_takes_well_under_the_budget() -> None:
    MockServer(customers=20).start().stop()  # the first start pays for lazy imports
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        api = MockServer(seed=3, customers=20).start()
        timings.append(time.perf_counter() - started)
        api.stop()
    assert min(timings) <= 0.3


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


def test_remote_mock_server_reports_an_absent_server() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    remote = RemoteMockServer(f"http://127.0.0.1:{port}")
    with pytest.raises(TimeoutError, match=r"is not healthy after 0\.2 s"):
        remote.wait_ready(timeout_s=0.2)
    with pytest.raises(ConnectionError, match="is not reachable"):
        remote.requests()
