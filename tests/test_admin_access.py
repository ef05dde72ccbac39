"""Who may use the admin routes (``/_mock/...``): every admin route of the route table, with and
without the admin token, with a wrong one, from a non-loopback client, with a session of
another tenant, cross-site and with form content types. A refused request answers the exact
status and ASP.NET-shaped message, and leaves the data, the journal, the sessions and the
active scenario as they were; an admitted one is served.

The route list comes from the route table itself: a new admin route without a line in
``SAMPLES`` fails ``test_every_admin_route_has_a_sample``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient

from mockserver.api.guard import (
    CLOCK_ROUTES,
    NEEDS_TOKEN,
    REMOTE_OFF,
    SESSION_SCOPE,
    STARTUP_NOTICE,
    is_loopback,
    is_loopback_host,
)
from mockserver.app import create_app
from mockserver.routes import ADMIN_PREFIX, OPERATIONS
from mockserver.scenarios import describe
from mockserver.settings import Settings

TOKEN = "s3cret-token-for-tests"
REMOTE = ("203.0.113.5", 1234)  # TEST-NET-3: never a loopback address
YAML = {"Content-Type": "application/yaml"}
JSON_TYPE = ("Content-Type", "application/json")


@dataclass(frozen=True)
class Sample:
    """One request to an admin route, and the status it gets when admitted."""

    method: str
    path: str
    ok: int
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


# One admitted request per admin route of the route table (``{name}`` is "acme").
SAMPLES: dict[tuple[str, str], Sample] = {
    ("POST", "/_mock/reset"): Sample("POST", "/_mock/reset", 200),
    ("GET", "/_mock/tenants"): Sample("GET", "/_mock/tenants", 200),
    ("DELETE", "/_mock/tenants/{name}"): Sample("DELETE", "/_mock/tenants/acme", 204),
    ("GET", "/_mock/requests"): Sample("GET", "/_mock/requests", 200),
    ("DELETE", "/_mock/requests"): Sample("DELETE", "/_mock/requests", 200),
    ("GET", "/_mock/scenario"): Sample("GET", "/_mock/scenario", 200),
    ("PUT", "/_mock/scenario"): Sample(
        "PUT", "/_mock/scenario", 200, b"name: other\nrules: [{error: 503}]\n", tuple(YAML.items())
    ),
    ("DELETE", "/_mock/scenario"): Sample("DELETE", "/_mock/scenario", 200),
    ("GET", "/_mock/clock"): Sample("GET", "/_mock/clock", 200),
    ("PUT", "/_mock/clock"): Sample(
        "PUT", "/_mock/clock", 200, b'{"now": "2025-07-01T12:00:00Z"}', (JSON_TYPE,)
    ),
    ("DELETE", "/_mock/clock"): Sample("DELETE", "/_mock/clock", 200),
    ("POST", "/_mock/clock/advance"): Sample(
        "POST", "/_mock/clock/advance", 200, b'{"by": "PT1M"}', (JSON_TYPE,)
    ),
}
# The dashboard's page and files hold no data: open to anyone (test_the_dashboard_files_are_open).
OPEN_ROUTES = {("GET", "/_mock/ui"), ("GET", "/_mock/ui/{asset}")}
SAMPLES.update(
    {
        ("GET", "/_mock/requests/stream"): Sample(
            "GET", "/_mock/requests/stream?follow=false", 200
        ),
        ("GET", "/_mock/scenarios"): Sample("GET", "/_mock/scenarios", 200),
        ("GET", "/_mock/scenarios/{name}"): Sample("GET", "/_mock/scenarios/flaky-5xx", 200),
        ("POST", "/_mock/scenario/check"): Sample(
            "POST", "/_mock/scenario/check", 200, b"name: x\nrules: []\n", tuple(YAML.items())
        ),
    }
)
ADMIN_ROUTES = sorted(
    (op.method, op.path)
    for op in OPERATIONS
    if op.path.startswith(ADMIN_PREFIX) and (op.method, op.path) not in OPEN_ROUTES
)
WRITES = [key for key in ADMIN_ROUTES if key[0] in ("POST", "PUT", "DELETE", "PATCH")]
BODIES = [key for key in WRITES if SAMPLES[key].body is not None]
STARTUP = "name: startup\nrules: [{match: {path: /api/invoices}, latency: {ms: 1}}]\n"
LOGIN = {"UserName": "u", "Password": "p", "ApiKey": "k"}


def test_every_admin_route_has_a_sample() -> None:
    assert ADMIN_ROUTES and sorted(SAMPLES) == ADMIN_ROUTES


@dataclass
class Server:
    app: Any
    sessions: dict[str, str]  # tenant -> a live session id

    def client(self, address: tuple[str, int] | None = None) -> TestClient:
        if address is None:
            return TestClient(self.app)  # in process: counts as loopback
        return TestClient(self.app, client=address)

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused admin request must leave as it was."""
        state = self.app.state.mock
        data = {
            name: b"".join(tenant.customers.many_json(list(tenant.customers.ids)))
            for name, tenant in state.store.tenants.items()
        }
        journal = [entry.to_dict() for entry in state.journal.entries()]
        sessions = {sid: state.sessions.lookup(sid) is not None for sid in self.sessions.values()}
        return data, journal, sessions, msgspec.json.encode(describe(state))


def _server(tmp_path: Any, **settings: Any) -> Server:
    startup = tmp_path / "startup.yaml"
    startup.write_text(STARTUP)
    app = create_app(Settings(customers=5, invoices=5, scenario=(str(startup),), **settings))
    client = TestClient(app)
    api = settings.get("base_path", "") + "/api"
    sessions = {}
    for tenant in ("acme", "globex"):
        answer = client.post(f"{api}/auth/login", json={**LOGIN, "Database": tenant})
        sessions[tenant] = sid = answer.json()["session_id"]
        body = {"name": f"{tenant} Oy", "email": f"info@{tenant}.fi"}
        assert client.post(f"{api}/customers", json=body, headers={"Session-Id": sid}).is_success
    assert client.get(f"{api}/invoices").is_success  # the default tenant, journaled too
    return Server(app, sessions)


@pytest.fixture
def open_server(tmp_path: Any) -> Server:
    return _server(tmp_path)


@pytest.fixture
def token_server(tmp_path: Any) -> Server:
    return _server(tmp_path, admin_token=TOKEN)


def _send(client: TestClient, key: tuple[str, str], headers: dict[str, str] | None = None,
          body: bytes | None = None, query: str = "") -> Any:  # fmt: skip
    sample = SAMPLES[key]
    sent = {**dict(sample.headers), **(headers or {})}
    content = sample.body if body is None else body
    if query and "?" in sample.path:
        query = "&" + query.removeprefix("?")
    return client.request(sample.method, sample.path + query, content=content, headers=sent)


def _refused(server: Server, answer: Any, before: tuple[Any, ...], status: int, message: str
             ) -> None:  # fmt: skip
    assert (answer.status_code, answer.json()) == (status, {"Message": message})
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert TOKEN not in answer.text
    assert server.snapshot() == before


# --- the admin token --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ADMIN_ROUTES)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer", "Bearer  "],
)
def test_with_a_token_every_admin_route_needs_it(
    token_server: Server, key: tuple[str, str], authorization: str | None
) -> None:
    before = token_server.snapshot()
    headers = {"Authorization": authorization} if authorization is not None else {}
    for client in (token_server.client(), token_server.client(REMOTE)):
        answer = _send(client, key, headers)
        _refused(token_server, answer, before, 401, NEEDS_TOKEN)
        assert answer.headers["www-authenticate"] == 'Bearer realm="mockserver admin"'


@pytest.mark.parametrize("key", ADMIN_ROUTES)
@pytest.mark.parametrize("address", [None, REMOTE])
def test_the_right_token_is_served_from_anywhere(
    token_server: Server, key: tuple[str, str], address: tuple[str, int] | None
) -> None:
    client = token_server.client(address)
    answer = _send(client, key, {"Authorization": f"bearer  {TOKEN} "})
    assert answer.status_code == SAMPLES[key].ok, answer.text


def test_the_token_alone_authorizes_not_the_loopback(token_server: Server) -> None:
    answer = token_server.client(("127.0.0.1", 5000)).get("/_mock/scenario")
    assert answer.status_code == 401


# --- without a token: loopback only --------------------------------------------------------------


@pytest.mark.parametrize("key", ADMIN_ROUTES)
@pytest.mark.parametrize(
    "address", [REMOTE, ("10.0.0.7", 80), ("2001:db8::1", 80), ("::ffff:203.0.113.5", 80)]
)
def test_without_a_token_remote_clients_are_refused(
    open_server: Server, key: tuple[str, str], address: tuple[str, int]
) -> None:
    before = open_server.snapshot()
    answer = _send(open_server.client(address), key, {"Authorization": f"Bearer {TOKEN}"})
    _refused(open_server, answer, before, 403, REMOTE_OFF)


@pytest.mark.parametrize("key", ADMIN_ROUTES)
@pytest.mark.parametrize(
    "address", [None, ("127.0.0.1", 5000), ("127.8.9.10", 5000), ("::1", 5000),
                ("::ffff:127.0.0.1", 5000)],
)  # fmt: skip
def test_without_a_token_loopback_clients_are_served(
    open_server: Server, key: tuple[str, str], address: tuple[str, int] | None
) -> None:
    answer = _send(open_server.client(address), key)
    assert answer.status_code == SAMPLES[key].ok, answer.text


def test_a_loopback_client_must_not_name_the_server_by_a_foreign_domain(
    open_server: Server,
) -> None:
    """DNS rebinding: a page on attacker.example whose name now resolves to 127.0.0.1 is
    same-origin to the browser, but its requests say ``Host: attacker.example``."""
    before = open_server.snapshot()
    client = open_server.client(("127.0.0.1", 5000))
    answer = client.get("/_mock/requests", headers={"Host": "attacker.example:8080"})
    message = (
        "Without an admin token, admin routes answer loopback requests addressed to an IP "
        "address or a name without a dot (such as localhost), not to 'attacker.example:8080' "
        "(a guard against DNS rebinding). Use http://127.0.0.1:PORT, or start the server "
        "with --admin-token."
    )
    _refused(open_server, answer, before, 403, message)
    for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "mockserver", "a.localhost"):
        assert client.get("/_mock/requests", headers={"Host": host}).status_code == 200


def test_admin_routes_under_the_base_path_and_odd_spellings_are_guarded(tmp_path: Any) -> None:
    server = _server(tmp_path, base_path="/Lemonsoft30")
    before = server.snapshot()
    remote = server.client(REMOTE)
    for path in ("/Lemonsoft30/_mock/requests", "/lemonsoft30/_mock/requests",
                 "/_mock/requests/", "/Lemonsoft30/_mock/requests/", "/_mock/nothing"):  # fmt: skip
        answer = remote.get(path)
        _refused(server, answer, before, 403, REMOTE_OFF)
    assert server.client().get("/Lemonsoft30/_mock/requests").status_code == 200


@pytest.mark.parametrize(
    "path", ["/health", "/openapi.json", "/swagger/docs/v1", "/docs", "/swagger/ui/index"]
)
def test_health_and_the_documentation_stay_open(token_server: Server, path: str) -> None:
    assert token_server.client(REMOTE).get(path).status_code == 200


@pytest.mark.parametrize("path", ["/_mock/ui", "/_mock/ui/app.js", "/_mock/ui/app.css"])
@pytest.mark.parametrize("base", ["", "/Lemonsoft30"])
def test_the_dashboard_files_are_open(tmp_path: Any, path: str, base: str) -> None:
    """They hold no data; what the page asks the admin API is guarded as any request."""
    for token in (TOKEN, ""):
        server = _server(tmp_path, admin_token=token, base_path=base)
        answer = server.client(REMOTE).get(base + path)
        assert answer.status_code == 200, answer.text
        assert server.client(REMOTE).post(base + "/_mock/ui").status_code in (401, 403)


def test_the_api_itself_is_not_guarded(token_server: Server) -> None:
    remote = token_server.client(REMOTE)
    assert remote.get("/api/customers").status_code == 200
    body = {"name": "Etä Oy", "email": "eta@eta.fi"}
    created = remote.post("/api/customers", json=body, headers={"Origin": "http://a.example"})
    assert created.status_code == 200  # cross-site rules are the admin routes' alone


# --- a session's own tenant ----------------------------------------------------------------------


@pytest.mark.parametrize("server_kind", ["open", "token"])
def test_a_session_reads_its_own_tenants_journal_only(tmp_path: Any, server_kind: str) -> None:
    server = _server(tmp_path, **({"admin_token": TOKEN} if server_kind == "token" else {}))
    remote = server.client(REMOTE)
    acme = {"Session-Id": server.sessions["acme"]}
    before = server.snapshot()
    for query in ("", "?tenant=acme", "?Tenant=acme&tenant=", "?method=POST"):
        answer = remote.get("/_mock/requests" + query, headers=acme)
        assert answer.status_code == 200, answer.text
        tenants = {entry["tenant"] for entry in answer.json()["requests"]}
        assert tenants == {"acme"}
    assert server.snapshot() == before


@pytest.mark.parametrize("server_kind", ["open", "token"])
@pytest.mark.parametrize("key", ADMIN_ROUTES)
def test_a_session_may_not_reach_other_tenants_or_global_routes(
    tmp_path: Any, server_kind: str, key: tuple[str, str]
) -> None:
    server = _server(tmp_path, **({"admin_token": TOKEN} if server_kind == "token" else {}))
    remote = server.client(REMOTE)
    acme = {"Session-Id": server.sessions["acme"]}
    before = server.snapshot()
    scoped = key in (
        ("GET", "/_mock/requests"), ("GET", "/_mock/requests/stream"), ("POST", "/_mock/reset")
    ) or key in CLOCK_ROUTES  # fmt: skip
    queries = (
        ["?tenant=globex", "?tenant=acme&tenant=globex", "?TENANT=default"] if scoped else [""]
    )
    for query in queries:
        answer = _send(remote, key, acme, query=query)
        _refused(server, answer, before, 403, SESSION_SCOPE.format("acme"))


@pytest.mark.parametrize("server_kind", ["open", "token"])
def test_a_session_resets_its_own_tenant_only(tmp_path: Any, server_kind: str) -> None:
    server = _server(tmp_path, **({"admin_token": TOKEN} if server_kind == "token" else {}))
    remote = server.client(REMOTE)
    data_before, journal_before, _, scenario_before = server.snapshot()
    answer = remote.post("/_mock/reset", headers={"Session-Id": server.sessions["acme"]})
    assert (answer.status_code, answer.json()) == (200, {"reset": "acme"})
    data, journal, sessions, scenario = server.snapshot()
    assert data == {k: v for k, v in data_before.items() if k != "acme"}
    assert journal == [e for e in journal_before if e["tenant"] != "acme"]
    assert sessions == {server.sessions["acme"]: False, server.sessions["globex"]: True}
    assert scenario == scenario_before


@pytest.mark.parametrize("session", ["unknown-session", ""])
def test_an_unknown_session_is_no_credential(token_server: Server, session: str) -> None:
    before = token_server.snapshot()
    answer = token_server.client(REMOTE).get("/_mock/requests", headers={"Session-Id": session})
    _refused(token_server, answer, before, 401, NEEDS_TOKEN)


def test_an_expired_session_is_no_credential(open_server: Server) -> None:
    state = open_server.app.state.mock
    state.sessions.ttl_s = 0.0
    expired = state.sessions.login("acme").session_id
    before = open_server.snapshot()
    answer = open_server.client(REMOTE).post("/_mock/reset", headers={"Session-Id": expired})
    _refused(open_server, answer, before, 403, REMOTE_OFF)


def test_a_loopback_admin_with_a_session_is_not_confined(open_server: Server) -> None:
    acme = {"Session-Id": open_server.sessions["acme"]}
    answer = open_server.client().get("/_mock/requests", params={"tenant": "globex"}, headers=acme)
    assert answer.status_code == 200
    assert {e["tenant"] for e in answer.json()["requests"]} == {"globex"}


# --- cross-site writes and form content types -----------------------------------------------------

CROSS_SITE_HEADERS = [
    ({"Origin": "http://attacker.example"}, "Origin 'http://attacker.example' is not this server"),
    ({"Origin": "http://testserver:8080"}, "Origin 'http://testserver:8080' is not this server"),
    ({"Origin": "https://testserver"}, "Origin 'https://testserver' is not this server"),
    ({"Origin": "null"}, "Origin 'null' is not an origin"),
    ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site is 'cross-site'"),
    ({"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
     "Sec-Fetch-Site is 'same-site'"),
]  # fmt: skip


def _cross_site(reason: str) -> str:
    return (
        f"Admin routes refuse cross-site requests: {reason}. Send admin writes from a script "
        "or command line (curl, httpx), not from a web page."
    )


@pytest.mark.parametrize("key", WRITES)
@pytest.mark.parametrize(("headers", "reason"), CROSS_SITE_HEADERS)
def test_cross_site_writes_are_refused_even_with_the_token(
    token_server: Server, key: tuple[str, str], headers: dict[str, str], reason: str
) -> None:
    before = token_server.snapshot()
    sent = {**headers, "Authorization": f"Bearer {TOKEN}"}
    _refused(
        token_server, _send(token_server.client(), key, sent), before, 403, _cross_site(reason)
    )


@pytest.mark.parametrize("key", WRITES)
@pytest.mark.parametrize(("headers", "reason"), CROSS_SITE_HEADERS)
def test_cross_site_writes_are_refused_from_the_loopback(
    open_server: Server, key: tuple[str, str], headers: dict[str, str], reason: str
) -> None:
    before = open_server.snapshot()
    _refused(
        open_server, _send(open_server.client(), key, headers), before, 403, _cross_site(reason)
    )


@pytest.mark.parametrize("key", WRITES)
@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://testserver"}, {"Origin": "http://TestServer:80"},
     {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
     {"Sec-Fetch-Site": "none"}],
)  # fmt: skip
def test_same_origin_writes_are_served(
    open_server: Server, key: tuple[str, str], headers: dict[str, str]
) -> None:
    assert _send(open_server.client(), key, headers).status_code == SAMPLES[key].ok


def test_a_cross_site_read_is_answered_but_never_readable_by_the_page(open_server: Server) -> None:
    """Browsers send cross-site GETs without preflight but never let the page read an answer
    without CORS headers, which the mock never sends."""
    answer = open_server.client().get("/_mock/scenario", headers={"Origin": "http://a.example"})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
              "text/plain", "text/plain; charset=utf-8", None]  # fmt: skip


@pytest.mark.parametrize("key", WRITES)
@pytest.mark.parametrize("content_type", FORM_TYPES)
def test_admin_writes_with_a_body_must_be_json_or_yaml(
    token_server: Server, key: tuple[str, str], content_type: str | None
) -> None:
    before = token_server.snapshot()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    client = token_server.client()
    sample = SAMPLES[key]
    sent = {k: v for k, v in sample.headers if k != "Content-Type"} | headers
    if content_type is not None:
        sent["Content-Type"] = content_type
    answer = client.request(sample.method, sample.path, content=b"rules: []", headers=sent)
    shown = (content_type or "(none)").split(";")[0]
    message = (
        f"The request entity's media type '{shown}' is not supported for this resource: "
        "admin routes take application/json or a YAML type (application/yaml, text/yaml)."
    )
    _refused(token_server, answer, before, 415, message)


@pytest.mark.parametrize("key", BODIES)
@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml",
     "application/yaml; charset=utf-8", "APPLICATION/JSON"],
)  # fmt: skip
def test_admin_bodies_in_json_or_yaml_are_served(
    open_server: Server, key: tuple[str, str], content_type: str
) -> None:
    scenario = key[1].startswith("/_mock/scenario")  # the clock's samples are JSON and YAML
    body = (
        b'{"name": "other", "rules": []}' if "json" in content_type.lower() and scenario else None
    )
    answer = _send(open_server.client(), key, {"Content-Type": content_type}, body=body)
    assert answer.status_code == SAMPLES[key].ok, answer.text


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded"])
def test_a_body_less_reset_needs_no_content_type(open_server: Server, content_type: str | None
                                                 ) -> None:  # fmt: skip
    headers = {"Content-Type": content_type} if content_type else {}
    assert open_server.client().post("/_mock/reset", headers=headers).status_code == 200


# --- the address helpers -------------------------------------------------------------------------


def _addresses() -> Iterator[tuple[Any, bool]]:
    yield None, True
    yield ("testclient", 50000), True
    yield ("127.0.0.1", 1), True
    yield ("127.255.0.9", 1), True
    yield ("::1", 1), True
    yield ("::ffff:127.0.0.1", 1), True
    yield ("fe80::1%eth0", 1), False
    yield ("192.168.1.5", 1), False
    yield ("0.0.0.0", 1), False
    yield ("localhost", 1), False  # a peer is an address, never a name
    yield ("", 1), False


@pytest.mark.parametrize(("client", "expected"), list(_addresses()))
def test_is_loopback(client: Any, expected: bool) -> None:
    assert is_loopback(client) is expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("localhost", True), ("LOCALHOST", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
     ("example.com", False), ("", False)],
)  # fmt: skip
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected


# --- the start-up notice --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "noticed"),
    [(["--host", "0.0.0.0"], True), (["--host", "::"], True),
     (["--host", "0.0.0.0", "--admin-token", TOKEN], False), (["--host", "127.0.0.1"], False),
     (["--host", "localhost"], False)],
)  # fmt: skip
def test_serving_beyond_the_loopback_without_a_token_says_so_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flags: list[str],
    noticed: bool,
) -> None:  # fmt: skip
    """The socket is really bound to 127.0.0.1 (tests never listen beyond it) and nothing is
    served: the command line's decision alone is under test."""
    import socket

    from mockserver import cli

    def listen(host: str, port: int) -> socket.socket:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        return sock

    monkeypatch.setattr(cli, "listen", listen)
    monkeypatch.setattr(cli, "run", lambda server, sockets=None: None)
    monkeypatch.setattr(cli, "Loading", _NoLoading)
    assert cli.main(["serve", *flags, "--customers", "1", "--invoices", "0"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines.count(STARTUP_NOTICE) == (1 if noticed else 0)
    assert not any(TOKEN in line for line in lines)


class _NoLoading:
    """Stands in for ``serving.Loading``: builds nothing."""

    def __init__(self, *args: Any) -> None:
        self.app = None

    def start(self) -> None:
        pass

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("nothing is served in this test")
