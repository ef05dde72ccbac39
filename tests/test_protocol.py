"""The HTTP protocol's direct lane (``mockserver.protocol``): a plain ``GET`` of a list route
is answered in the protocol itself. Its answers must be the ASGI path's, byte for byte, its
journal entries the same, and everything it cannot answer plainly must still reach the ASGI
path: scenario rules, named scenarios, bodies, bad input, pipelined requests."""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threaded import UvicornThread

from mockserver import strategies
from mockserver.app import create_app
from mockserver.journal import Entry
from mockserver.protocol import DirectReads
from mockserver.scenarios import activate, load_text
from mockserver.serving import uvicorn_config
from mockserver.settings import Settings

LANES = ("/api/customers", "/api/customers/base", "/api/invoices")


class Served:
    """The mock on 127.0.0.1 and a free port (uvicorn in a thread, exactly as ``serve``
    configures it), with a switch that sends every request down the ASGI path instead."""

    def __init__(self, **options: Any) -> None:
        self.settings = Settings(log_level=options.pop("log_level", "warning"), **options)
        self.app = create_app(self.settings)
        self.state = self.app.state.mock
        self.uvicorn = UvicornThread(
            lambda port: uvicorn_config(self.app, self.settings, port=port, log_config=None)
        )
        self.port = self.uvicorn.port
        self.reads: DirectReads = self.uvicorn.config.http.reads  # type: ignore[union-attr]
        self.direct: list[bool] = []  # per request: did the lane answer it?
        answer = self.reads.answer

        def watched(*args: Any) -> Any:
            found = answer(*args) if self.lane_on else None
            self.direct.append(found is not None)
            return found

        self.lane_on = True
        self.reads.answer = watched

    def close(self) -> None:
        self.uvicorn.stop()

    def connect(self) -> Raw:
        return Raw(socket.create_connection(("127.0.0.1", self.port), timeout=5))

    def exchange(self, request: bytes) -> bytes:
        with self.connect() as raw:
            raw.send(request)
            return raw.response()

    def both_ways(self, request: bytes) -> tuple[bytes, bytes]:
        """The answer through the lane, then through the ASGI path."""
        self.lane_on = True
        direct = self.exchange(request)
        self.lane_on = False
        try:
            asgi = self.exchange(request)
        finally:
            self.lane_on = True
        return direct, asgi


class Raw:
    """One client connection that reads answers exactly (status line, headers, body)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def __enter__(self) -> Raw:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def response(self) -> bytes:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"the connection closed mid-answer: {self.buffer!r}"
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            assert self._fill(), "the connection closed mid-body"
            _, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        return head + b"\r\n\r\n" + rest[:length]

    def closed(self) -> bool:
        """Whether the server has closed the connection (after everything it sent)."""
        self.sock.settimeout(2)
        try:
            return not self._fill()
        except ConnectionResetError:
            return True


def get(target: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {target} HTTP/{version}", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def undated(answer: bytes) -> bytes:
    """The answer without its ``date`` header (it changes every second)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"date:")]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def comparable(entry: Entry) -> dict[str, Any]:
    fields = dataclasses.asdict(entry)
    for varying in ("seq", "time", "latency_ms"):
        del fields[varying]
    return fields


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    server = Served(customers=30, invoices=120)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    if "served" in request.fixturenames:
        server: Served = request.getfixturevalue("served")
        server.state.reset()
        server.direct.clear()


def session_of(server: Served, database: str = "default") -> str:
    body = (
        b'{"UserName":"u","Password":"p","Database":"%s","CompanyId":1,"ApiKey":"k"}'
        % database.encode()
    )
    request = (
        b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    answer = server.exchange(request)
    assert answer.startswith(b"HTTP/1.1 200 ")
    return answer.split(b'"session_id":"')[1].split(b'"')[0].decode()


# --- the same answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", LANES)
def test_a_plain_list_read_is_answered_by_the_lane_exactly_as_by_the_asgi_path(
    served: Served, path: str
) -> None:
    direct, asgi = served.both_ways(get(path + "?page=2&page_size=4"))
    assert served.direct == [True, False]
    assert undated(direct) == undated(asgi)
    head = undated(direct).split(b"\r\n\r\n")[0].split(b"\r\n")
    total = 30 if "customers" in path else 120
    assert head == [
        b"HTTP/1.1 200 OK",
        b"server: uvicorn",
        b"content-type: application/json; charset=utf-8",
        b"content-length: %d" % len(direct.split(b"\r\n\r\n", 1)[1]),
        b"x-total-count: %d" % total,
    ]
    assert direct.split(b"\r\n\r\n", 1)[1].startswith(b'{"result_count":4,"results":[{')


def test_an_empty_page_has_the_empty_envelope(served: Served) -> None:
    direct, asgi = served.both_ways(get("/api/invoices?page=999"))
    assert undated(direct) == undated(asgi)
    assert direct.endswith(b'x-total-count: 120\r\n\r\n{"result_count":0,"results":[]}')


@st.composite
def list_reads(draw: st.DrawFn) -> bytes:
    """A list read as clients send it: filters valid and invalid, odd spellings of keys,
    sessions good and bad, tenants, the journal switched off."""
    path = draw(st.sampled_from(LANES))
    kind = "invoices" if path == "/api/invoices" else "customers"
    query: dict[str, Any] = draw(strategies.filters(kind, valid=draw(st.booleans())))
    pairs = [
        (key, item)
        for key, value in query.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    if draw(st.booleans()):
        pairs.append(
            (draw(st.sampled_from(("page", "PAGE", "Page_Size"))), str(draw(st.integers(-1, 40))))
        )
    target = path + ("?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs) if pairs else "")
    headers = draw(
        st.lists(
            st.sampled_from(
                (
                    "Session-Id: no-such-session",
                    "Session-Id: " + SESSION,
                    "X-Mock-Tenant: default",
                    "X-Mock-Tenant: acme",
                    "X-Mock-Journal: off",
                    "Accept: application/json",
                    "Connection: close",
                )
            ),
            max_size=3,
            unique=True,
        )
    )
    return get(target, *headers)


SESSION = "filled-in-by-the-test"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=list_reads())
def test_every_list_read_answers_and_journals_alike_both_ways(
    served: Served, request: bytes
) -> None:
    request = request.replace(b"filled-in-by-the-test", served_session(served).encode())
    since = served.state.journal.last_seq()
    direct, asgi = served.both_ways(request)
    assert undated(direct) == undated(asgi)
    entries = served.state.journal.entries(since=since)
    if b"X-Mock-Journal: off" in request:
        assert entries == []
    else:
        assert len(entries) == 2
        assert comparable(entries[0]) == comparable(entries[1])


_sessions: dict[int, str] = {}


def served_session(server: Served) -> str:
    """One live session per server (the autouse reset clears sessions: log in again)."""
    session = _sessions.get(id(server))
    if session is None or server.state.sessions.lookup(session) is None:
        session = _sessions[id(server)] = session_of(server)
    return session


# --- what the lane leaves to the ASGI path -------------------------------------------------------


def test_bad_input_and_bad_sessions_go_the_asgi_way(served: Served) -> None:
    bad_query = served.exchange(get("/api/customers?page=0"))
    assert bad_query.startswith(b"HTTP/1.1 400 ")
    assert (
        b'"ModelState":{"page":["The value \'0\' is not valid for page: it must be 1 or more."]}'
        in bad_query
    )
    bad_session = served.exchange(get("/api/invoices", "Session-Id: nope"))
    assert bad_session.startswith(b"HTTP/1.1 401 ")
    assert served.direct == [False, False]
    entries = served.state.journal.entries()
    assert [(e.status, e.invalid) for e in entries] == [(400, True), (401, False)]


@pytest.mark.parametrize(
    "target",
    ["/API/Customers", "/api/customers/", "/api/%63ustomers", "/api/customers/1"],
)
def test_other_spellings_and_routes_are_answered_by_the_asgi_path(
    served: Served, target: str
) -> None:
    answer = served.exchange(get(target))
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert True not in served.direct


def test_a_request_with_a_body_goes_the_asgi_way(served: Served) -> None:
    request = get("/api/customers?page_size=1")[:-2] + b"Content-Length: 2\r\n\r\n{}"
    answer = served.exchange(request)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert served.direct == [False]
    assert [e.status for e in served.state.journal.entries()] == [200]


def test_a_read_a_scenario_rule_could_match_goes_the_asgi_way(served: Served) -> None:
    activate(
        served.state,
        load_text(
            "rules:\n"
            "  - name: slow-invoices\n"
            "    match: {method: GET, path: /api/invoices, query: {customer_number: 1}}\n"
            "    latency: {ms: 1}\n"
            "  - name: failing-writes\n"
            "    match: {method: POST}\n"
            "    error: {status: 503}\n"
        ),
    )
    try:
        for target in ("/api/customers", "/api/invoices?customer_number=1", "/api/invoices"):
            answer = served.exchange(get(target + ("&" if "?" in target else "?") + "page_size=1"))
            assert answer.startswith(b"HTTP/1.1 200 ")
        # customers: no rule could match; invoices: one could (it fires with the query only)
        assert served.direct == [True, False, False]
        assert [e.rules for e in served.state.journal.entries()] == [(), ("slow-invoices",), ()]
        activate(served.state, load_text("rules:\n  - latency: {ms: 1}\n"))
        served.exchange(get("/api/customers/base"))
        assert served.direct[-1] is False
        assert served.state.journal.entries()[-1].rules == ("rules[0]",)
    finally:
        activate(served.state, None)
    served.exchange(get("/api/invoices?page_size=1"))
    assert served.direct[-1] is True


def test_a_named_scenario_goes_the_asgi_way(served: Served, tmp_path: Any) -> None:
    answer = served.exchange(get("/api/customers", "X-Mock-Scenario: nowhere"))
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"X-Mock-Scenario" in answer
    assert served.direct == [False]


def test_a_pipelined_read_waits_for_the_request_before_it(served: Served) -> None:
    body = b'{"name":"Pipeline Oy","email":"info@pipeline.fi"}'
    post = (
        b"POST /api/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    with served.connect() as raw:
        raw.send(post + get("/api/customers?name=pipeline") + get("/api/invoices?page_size=1"))
        created, listed, invoices = raw.response(), raw.response(), raw.response()
    assert created.startswith(b"HTTP/1.1 200 ") or created.startswith(b"HTTP/1.1 201 ")
    assert listed.startswith(b"HTTP/1.1 200 ")
    assert b"x-total-count: 1\r\n" in listed and b"Pipeline Oy" in listed
    assert invoices.startswith(b"HTTP/1.1 200 ") and b'"result_count":1' in invoices
    assert [e.method for e in served.state.journal.entries()] == ["POST", "GET", "GET"]


def test_the_lane_waits_while_the_application_loads() -> None:
    reads = DirectReads(lambda: None)
    assert reads.answer(b"/api/customers", b"", [], [], True) is None


# --- connections ------------------------------------------------------------------------------


def test_keep_alive_serves_many_reads_on_one_connection(served: Served) -> None:
    with served.connect() as raw:
        for page in range(1, 6):
            raw.send(get(f"/api/customers?page={page}&page_size=3"))
            assert b'"result_count":3' in raw.response()
        raw.send(get("/api/customers?page=99"))
        assert raw.response().endswith(b'{"result_count":0,"results":[]}')
    assert served.direct == [True] * 6


@pytest.mark.parametrize(("version", "headers"), [("1.0", ()), ("1.1", ("Connection: close",))])
def test_a_closing_request_is_answered_then_closed(
    served: Served, version: str, headers: tuple[str, ...]
) -> None:
    with served.connect() as raw:
        raw.send(get("/api/customers?page_size=1", *headers, version=version))
        answer = raw.response()
        assert raw.closed()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nconnection: close\r\n" in answer
    assert served.direct == [True]


def test_a_read_after_a_write_sees_it(served: Served) -> None:
    session = session_of(served, "writer")
    body = b'{"name":"Kirjoittaja Oy","email":"info@kirjoittaja.fi"}'
    post = (
        b"POST /api/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Session-Id: %s\r\nContent-Length: %d\r\n\r\n%s" % (session.encode(), len(body), body)
    )
    assert served.exchange(post).split(b" ")[1] in (b"200", b"201")
    mine = served.exchange(get("/api/customers?name=kirjoittaja", f"Session-Id: {session}"))
    theirs = served.exchange(get("/api/customers?name=kirjoittaja"))
    assert b"x-total-count: 1\r\n" in mine and b"Kirjoittaja Oy" in mine
    assert b"x-total-count: 0\r\n" in theirs
    assert served.direct[-2:] == [True, True]


def test_the_journal_entry_of_a_direct_answer(served: Served) -> None:
    started = time.perf_counter()
    served.exchange(get("/api/invoices?page_size=2&Customer_Number=1", "X-Custom: yes"))
    round_trip_ms = (time.perf_counter() - started) * 1000
    (entry,) = served.state.journal.entries()
    assert served.direct == [True]
    assert (entry.method, entry.path, entry.route, entry.query) == (
        "GET",
        "/api/invoices",
        "/api/invoices",
        "page_size=2&Customer_Number=1",
    )
    assert entry.headers == {"host": "127.0.0.1", "x-custom": "yes"}
    assert (entry.tenant, entry.status, entry.routed, entry.invalid) == (
        "default",
        200,
        True,
        False,
    )
    assert (entry.body, entry.rules, entry.fault, entry.response_body) == (b"", (), None, b"")
    assert 0 <= entry.latency_ms <= round_trip_ms  # the server's part of what the client waited


def test_the_access_log_names_direct_answers_as_uvicorn_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Served(customers=5, invoices=5, log_level="info")
    try:
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            server.both_ways(get("/api/customers?page_size=1&name=%C3%A4"))
    finally:
        server.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) == 2 and server.direct == [True, False]
    # the same line but for the client's port
    assert [line.split(" - ", 1)[1] for line in lines] == [lines[1].split(" - ", 1)[1]] * 2
    assert lines[0].startswith("127.0.0.1:")
    assert lines[0].endswith('"GET /api/customers?page_size=1&name=%C3%A4 HTTP/1.1" 200')


def test_the_lane_serves_under_a_base_path() -> None:
    server = Served(customers=5, invoices=5, base_path="/Lemonsoft30")
    try:
        direct, asgi = server.both_ways(get("/Lemonsoft30/api/customers/base?page_size=2"))
        plain = server.exchange(get("/api/customers"))
    finally:
        server.close()
    assert server.direct == [True, False, False]
    assert undated(direct) == undated(asgi)
    assert b'"result_count":2' in direct
    assert plain.startswith(b"HTTP/1.1 404 ")


class _Broken(dict[bytes, Any]):
    def get(self, *args: Any) -> Any:
        raise RuntimeError("a bug in the lane")


def test_an_error_in_the_lane_leaves_the_answer_to_the_asgi_path(served: Served) -> None:
    lanes = served.reads.lanes
    served.reads.lanes = _Broken()
    try:
        answer = served.exchange(get("/api/customers?page_size=1"))
    finally:
        served.reads.lanes = lanes
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b'"result_count":1' in answer
    assert [e.status for e in served.state.journal.entries()] == [200]
