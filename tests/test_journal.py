"""The request journal: what is recorded (every request, also unrouted and rejected ones),
the ring buffer, the filters (literal and template paths, query and JSON subsets), the
readable failure report, and ``GET``/``DELETE /_mock/requests``."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import time
import tracemalloc
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from mockserver import strategies
from mockserver.journal import (
    MAX_BODY,
    Entry,
    Journal,
    RequestFilter,
    Row,
    assert_requested,
    problem_report,
    redact_body,
    route_path,
    select,
)
from mockserver.journal_middleware import JournalMiddleware
from mockserver.models import Customer, Invoice
from mockserver.testing import MockServer

LOGIN = {"UserName": "u", "Password": "p", "Database": "acme", "ApiKey": "k"}


def _client(make_client: Any, **settings: Any) -> TestClient:
    customers = [
        Customer(id=1, number=1001, name="Oy A", email="a@a.fi"),
        Customer(id=2, number=1002, name="Oy B", email="b@b.fi"),
    ]
    invoices = [
        Invoice(id=1, number=1, customer_number=1001, date=datetime(2024, 1, 1, tzinfo=UTC))
    ]
    client: TestClient = make_client(customers, invoices, **settings)
    return client


def _journal(client: TestClient) -> Journal:
    journal: Journal = client.app.state.mock.journal  # type: ignore[attr-defined]
    return journal


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return _client(make_client)


# --- what one entry holds ---------------------------------------------------------------------


def test_a_request_is_recorded_whole(client: TestClient) -> None:
    response = client.get(
        "/api/customers/",
        params={"filter.page": "1", "filter.customer_number": ["1001", "1002"]},
        headers={"X-Mock-Tenant": "acme", "X-Trace": "t1"},
    )
    assert response.status_code == 200
    [entry] = _journal(client).entries()
    assert entry.seq == 1
    assert entry.method == "GET"
    assert entry.path == "/api/customers/"
    assert entry.route == "/api/customers"
    assert entry.query == "filter.page=1&filter.customer_number=1001&filter.customer_number=1002"
    assert entry.params == {"filter.page": ["1"], "filter.customer_number": ["1001", "1002"]}
    assert entry.headers["x-trace"] == "t1"
    assert entry.headers["x-mock-tenant"] == "acme"
    assert entry.body == b""
    assert entry.body_size == 0
    assert entry.tenant == "acme"
    assert entry.status == 200
    assert entry.latency_ms > 0
    assert entry.rules == ()
    assert entry.routed is True
    assert entry.invalid is False
    assert entry.fault is None
    assert entry.response_body == b""  # answers are kept only for errors
    assert abs(entry.time - datetime.now(UTC).timestamp()) < 60


def test_a_login_is_journaled_under_the_tenant_it_logs_into(client: TestClient) -> None:
    session_id = client.post("/api/auth/login", json=LOGIN).json()["session_id"]
    client.get("/api/customers", headers={"Session-Id": session_id})
    client.get("/api/customers")
    entries = _journal(client).entries()
    assert [(e.method, e.route, e.tenant) for e in entries] == [
        ("POST", "/api/auth/login", "acme"),
        ("GET", "/api/customers", "acme"),
        ("GET", "/api/customers", "default"),
    ]
    assert entries[0].json() == {**LOGIN, "Password": "***", "ApiKey": "***"}


def test_an_unrouted_request_is_recorded_with_its_tenant(client: TestClient) -> None:
    session_id = client.post("/api/auth/login", json=LOGIN).json()["session_id"]
    client.get("/api/customer", headers={"Session-Id": session_id})
    client.delete("/api/customers/1", headers={"X-Mock-Tenant": "other"})
    not_found, not_allowed = _journal(client).entries()[1:]
    assert (not_found.status, not_found.routed, not_found.tenant) == (404, False, "acme")
    assert not_found.response_body == (
        b'{"Message":"No HTTP resource was found that matches the request URI \'/api/customer\'."}'
    )
    assert (not_allowed.status, not_allowed.routed, not_allowed.tenant) == (405, False, "other")
    assert not_found.rejected and not_allowed.rejected


def test_a_404_of_a_missing_record_is_routed(client: TestClient) -> None:
    client.get("/api/customers/99")
    [entry] = _journal(client).entries()
    assert (entry.status, entry.routed, entry.rejected) == (404, True, False)


def test_a_body_rejected_by_validation_is_recorded(client: TestClient) -> None:
    client.post("/api/customers", json={"name": "Oy C"})
    [entry] = _journal(client).entries()
    assert entry.status == 400
    assert entry.json() == {"name": "Oy C"}
    assert entry.rejected
    assert entry.response_body == (
        b'{"Message":"The request is invalid.",'
        b'"ModelState":{"customer.email":["The email field is required."]}}'
    )


def test_a_body_the_server_never_read_is_recorded_too(client: TestClient) -> None:
    response = client.post(
        "/api/customers", content=b"name=Oy C", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    [entry] = _journal(client).entries()
    assert (entry.status, entry.body, entry.body_size) == (415, b"name=Oy C", 9)


def test_a_body_over_the_limit_is_kept_up_to_64_kib(client: TestClient) -> None:
    body = b"x" * (1024 * 1024 + 1)
    response = client.post(
        "/api/customers", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    [entry] = _journal(client).entries()
    assert len(entry.body) == MAX_BODY
    assert entry.body_truncated
    assert entry.body_size > MAX_BODY
    assert entry.to_dict()["body_truncated"] is True


def test_a_session_and_header_naming_different_tenants_is_a_400_of_the_session_tenant(
    client: TestClient,
) -> None:
    session_id = client.post("/api/auth/login", json=LOGIN).json()["session_id"]
    response = client.get(
        "/api/customers", headers={"Session-Id": session_id, "X-Mock-Tenant": "other"}
    )
    assert response.status_code == 400
    entry = _journal(client).entries()[-1]
    assert (entry.status, entry.tenant) == (400, "acme")


def test_an_unknown_session_is_a_401_recorded_under_the_named_tenant(client: TestClient) -> None:
    client.get("/api/customers", headers={"Session-Id": "nope", "X-Mock-Tenant": "t"})
    [entry] = _journal(client).entries()
    assert (entry.status, entry.tenant, entry.rejected) == (401, "t", False)


def test_a_bad_query_or_path_id_is_rejected(client: TestClient) -> None:
    client.get("/api/customers", params={"page": "0"})
    client.get("/api/customers/abc")
    assert [(e.status, e.invalid) for e in _journal(client).entries()] == [
        (400, True),
        (400, True),
    ]


def test_admin_routes_and_opted_out_requests_are_not_journaled(client: TestClient) -> None:
    client.get("/_mock/requests")
    client.post("/_mock/reset")
    client.get("/api/customers", headers={"X-Mock-Journal": "off"})
    client.get("/health")
    assert [e.route for e in _journal(client).entries()] == ["/health"]


def test_paths_under_a_base_path_are_journaled_by_route(make_client: Any) -> None:
    client = _client(make_client, base_path="/Lemonsoft30")
    client.get("/Lemonsoft30/API/Customers/1/")
    client.get("/Lemonsoft30/_mock/requests")
    [entry] = _journal(client).entries()
    assert (entry.path, entry.route, entry.status) == ("/Lemonsoft30/API/Customers/1/",
                                                       "/api/customers/1", 200)  # fmt: skip
    assert select([entry], RequestFilter(path="/api/customers/{customer_id}")).count == 1
    assert select([entry], RequestFilter(path="/Lemonsoft30/api/customers/1")).count == 1


# --- the ring buffer ----------------------------------------------------------------------------


def test_the_journal_keeps_the_newest_requests(make_client: Any) -> None:
    client = _client(make_client, journal_size=3)
    for page in range(1, 6):
        client.get("/api/customers", params={"page": page})
    entries = _journal(client).entries()
    assert [(e.seq, e.query) for e in entries] == [(3, "page=3"), (4, "page=4"), (5, "page=5")]


def test_a_journal_of_size_zero_keeps_nothing(make_client: Any) -> None:
    client = _client(make_client, journal_size=0)
    assert client.get("/api/customers").status_code == 200
    assert _journal(client).entries() == []
    assert client.get("/_mock/requests").json() == {"count": 0, "last_seq": 0, "requests": []}


def test_a_reset_clears_the_journal_of_every_tenant_or_of_one(client: TestClient) -> None:
    client.get("/api/customers", headers={"X-Mock-Tenant": "a"})
    client.get("/api/customers", headers={"X-Mock-Tenant": "b"})
    assert client.post("/_mock/reset", params={"tenant": "a"}).status_code == 200
    assert [e.tenant for e in _journal(client).entries()] == ["b"]
    client.post("/_mock/reset")
    assert _journal(client).entries() == []
    assert client.get("/_mock/requests").json() == {"count": 0, "last_seq": 2, "requests": []}


# --- secrets: never kept ------------------------------------------------------------------------

SECRET_CASES = [
    ("Password", "ApiKey"),
    ("password", "apikey"),
    ("PASSWORD", "APIKEY"),
    ("pAssWoRd", "ApiKEY"),
]


def _tag(session_id: str) -> str:
    return "sha256:" + hashlib.sha256(session_id.encode()).hexdigest()[:8]


@pytest.mark.parametrize(("password", "api_key"), SECRET_CASES)
def test_login_and_renew_keep_no_password_key_or_session(
    client: TestClient, password: str, api_key: str
) -> None:
    login = {"UserName": "u", password: "hunter2-pw", "Database": "acme", api_key: "key-77-xyz"}
    session_id = client.post("/api/auth/login", json=login).json()["session_id"]
    renewed = client.post(
        "/api/auth/renew",
        json=login,
        headers={"Session-Id": session_id, "Authorization": "Bearer tok-42-secret"},
    )
    assert renewed.status_code == 200
    redacted = {**login, password: "***", api_key: "***"}
    logged_in, renew = _journal(client).entries()
    assert logged_in.json() == redacted
    assert renew.json() == redacted
    assert renew.headers["session-id"] == _tag(session_id)
    assert renew.headers["authorization"] == "***"
    assert (renew.body_truncated, renew.note) == (False, None)

    answer = client.get("/_mock/requests")
    over_http = answer.json()["requests"]
    assert [json.loads(item["body"]) for item in over_http] == [redacted, redacted]
    assert over_http[1]["headers"]["session-id"] == _tag(session_id)
    assert over_http[1]["headers"]["authorization"] == "***"
    for secret in ("hunter2-pw", "key-77-xyz", session_id, "tok-42-secret"):
        assert secret not in answer.text
        assert secret not in repr(_journal(client).entries())


@pytest.mark.parametrize(("password", "api_key"), SECRET_CASES)
def test_a_session_id_filter_finds_its_requests_by_tag_and_reports_no_secret(
    client: TestClient, password: str, api_key: str
) -> None:
    session_id = client.post("/api/auth/login", json=LOGIN).json()["session_id"]
    other = client.post("/api/auth/login", json=LOGIN).json()["session_id"]
    client.get("/api/customers", headers={"Session-Id": session_id})
    client.get("/api/customers/1", headers={"Session-Id": other})
    entries = _journal(client).entries()
    mine = select(entries, RequestFilter(headers={"Session-Id": session_id}))
    assert [e.route for e in mine] == ["/api/customers"]
    wanted = RequestFilter(
        "POST",
        "/api/auth/login",
        json={password: "hunter2-pw", "x": {api_key: "key-77-xyz"}},
        headers={"Session-Id": other},
    )
    with pytest.raises(AssertionError) as failure:
        assert_requested(entries, wanted)
    report = str(failure.value)
    assert report.splitlines()[0] == (
        f'Expected POST /api/auth/login with JSON body {{"{password}":"***","x":{{"{api_key}":'
        f'"***"}}}}, headers {{"Session-Id":"{_tag(other)}"}} at least once; it was requested '
        "never."
    )
    assert f"header Session-Id: expected '{_tag(other)}', got None" in report
    for secret in ("hunter2-pw", "key-77-xyz", session_id, other, '"p"', '"k"'):
        assert secret not in report
    assert "hunter2-pw" not in repr(wanted) and other not in repr(wanted)


def test_secret_keys_are_redacted_at_any_depth_of_any_json_body(client: TestClient) -> None:
    body = {
        "name": "Oy A",
        "email": "a@a.fi",
        "contacts": [{"name": "M", "notes": {"PassWord": "deep-1", "apiKEY": ["deep-2"]}}],
        "ApiKey": {"nested": "deep-3"},
    }
    sent = json.dumps(body).encode()
    client.post("/api/customers", content=sent, headers={"Content-Type": "application/json"})
    [entry] = _journal(client).entries()
    assert entry.json() == {
        "name": "Oy A",
        "email": "a@a.fi",
        "contacts": [{"name": "M", "notes": {"PassWord": "***", "apiKEY": "***"}}],
        "ApiKey": "***",
    }
    assert (entry.body_size, entry.body_truncated, entry.note) == (len(sent), False, None)


def test_a_key_spelled_with_a_json_escape_is_redacted_too(client: TestClient) -> None:
    sent = b'{"UserName":"u","Pass\\u0077ord":"hunter2-pw","Database":"d","ApiKey":"k-9"}'
    client.post("/api/auth/login", content=sent, headers={"Content-Type": "application/json"})
    [entry] = _journal(client).entries()
    assert b"hunter2-pw" not in entry.body
    assert entry.json() == {"UserName": "u", "Password": "***", "Database": "d", "ApiKey": "***"}


@pytest.mark.parametrize(
    ("sent", "content_type"),
    [
        (b'{"UserName":"u","Password":"hunter2-pw"', "application/json"),  # cut short
        (
            b"UserName=u&Password=hunter2-pw&Database=d&ApiKey=k",
            "application/x-www-form-urlencoded",
        ),
        (b'{"password": "hunter2-pw", "x": "\xff"}', "application/json"),  # not UTF-8
    ],
)
def test_a_body_naming_a_secret_that_is_not_json_is_not_kept(
    client: TestClient, sent: bytes, content_type: str
) -> None:
    answer = client.post("/api/auth/login", content=sent, headers={"Content-Type": content_type})
    assert answer.status_code in (400, 415)
    [entry] = _journal(client).entries()
    assert (entry.body, entry.body_size) == (b"", len(sent))
    assert entry.note == f"<redacted: {len(sent)} bytes>"
    [item] = client.get("/_mock/requests").json()["requests"]
    assert (item["body"], item["note"]) == ("", f"<redacted: {len(sent)} bytes>")


def test_bodies_without_secrets_are_kept_byte_for_byte(client: TestClient) -> None:
    sent = b'{ "name" : "\\u00c4ij\\u00e4 Oy",  "email": "a@a.fi" }'
    client.post("/api/customers", content=sent, headers={"Content-Type": "application/json"})
    client.post("/api/customers", content=b"password reset", headers={"Content-Type": "text/x"})
    first, second = _journal(client).entries()
    assert first.body == sent
    assert (second.body, second.note) == (b"", "<redacted: 14 bytes>")


_KEYS = st.sampled_from(["password", "Password", "APIKEY", "apiKey", "name", "email", "x"])
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_DOCUMENTS = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


def _redacted_reference(document: Any) -> Any:
    if isinstance(document, dict):
        return {
            k: "***" if k.lower() in ("password", "apikey") else _redacted_reference(v)
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [_redacted_reference(v) for v in document]
    return document


@settings(max_examples=150, deadline=None)
@given(document=_DOCUMENTS)
def test_redaction_masks_every_secret_key_and_keeps_the_rest(document: Any) -> None:
    sent = json.dumps(document).encode()
    kept, note = redact_body(sent)
    assert note is None
    assert json.loads(kept) == _redacted_reference(document)
    if _redacted_reference(document) == document and b"\\u" not in sent:
        assert kept == sent  # nothing to hide: the very bytes sent


def test_the_direct_lane_redacts_session_and_authorization_too() -> None:
    journal = Journal()
    headers = [(b"host", b"h"), (b"session-id", b"s-123"), (b"authorization", b"Basic dTpw")]
    journal.add_answered(0.0, "GET", "/api/customers", b"", headers, "t", 200, 0.0)
    [entry] = journal.entries()
    assert entry.headers == {"host": "h", "session-id": _tag("s-123"), "authorization": "***"}
    assert headers[1] == (b"session-id", b"s-123")  # the server's own list is left alone


def test_a_served_request_on_either_path_keeps_no_session_id() -> None:
    with MockServer(customers=3) as api:
        session_id = api.login("acme")
        secret = {"Session-Id": session_id, "Authorization": "Bearer t-1"}
        httpx.get(api.url + "/api/customers", headers=secret)  # the direct lane
        httpx.get(api.url + "/api/customers/1", headers=secret)  # the ASGI path
        over_http = httpx.get(api.url + "/_mock/requests", headers=api.admin_headers).json()
        entries = api.requests()
    assert [e.headers["session-id"] for e in entries] == [_tag(session_id)] * 2
    assert [e.headers["authorization"] for e in entries] == ["***"] * 2
    assert [item["headers"]["session-id"] for item in over_http["requests"]] == [
        _tag(session_id)
    ] * 2
    assert session_id not in json.dumps(over_http)


# --- bounded in bytes ---------------------------------------------------------------------------


def _big_header_requests(journal: Journal, count: int, header_bytes: int) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    middleware = JournalMiddleware(app, journal, _tenant_header)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    async def main() -> None:
        for i in range(count):
            scope = {
                "type": "http",
                "method": "GET",
                "path": "/api/customers",
                "query_string": b"",
                "headers": [(b"x-big", bytes([65 + i % 26]) * header_bytes)],
            }
            await middleware(scope, receive, send)

    asyncio.run(main())


def test_the_journal_is_bounded_in_bytes_not_only_in_entries() -> None:
    bound = 8 * 1024 * 1024
    journal = Journal(size=1000, max_bytes=bound)
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        _big_header_requests(journal, 200, 512 * 1024)  # 100 MiB sent
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert journal.kept_bytes <= bound
    assert 10 <= len(journal) <= 16  # each entry counts 512 KiB and a little more
    assert kept < bound + 4 * 1024 * 1024  # unbounded, the journal would keep 100 MiB
    assert [e.seq for e in journal.entries()] == list(range(201 - len(journal), 201))


def test_an_entry_larger_than_the_bound_keeps_its_head_and_a_cut_body(make_client: Any) -> None:
    client = _client(make_client, journal_bytes=20_000)
    assert _journal(client).max_bytes == 20_000
    client.get("/api/customers")
    body = json.dumps({"name": "x" * 60_000, "email": "a@a.fi"}).encode()
    client.post("/api/customers", content=body, headers={"Content-Type": "application/json"})
    [entry] = _journal(client).entries()  # the first request had to go
    assert _journal(client).kept_bytes <= 20_000
    assert (entry.method, entry.route, entry.status, entry.body_size) == (
        "POST",
        "/api/customers",
        200,
        len(body),
    )
    assert entry.headers["content-type"] == "application/json"
    assert entry.body_truncated
    assert body.startswith(entry.body) and 0 < len(entry.body) < 20_000
    assert entry.note == (
        f"body cut to {len(entry.body)} of {len(body)} bytes kept: the request is larger than "
        "the journal's byte bound (20000)"
    )
    [item] = client.get("/_mock/requests").json()["requests"]
    assert (item["body_truncated"], item["note"]) == (True, entry.note)


def test_a_head_larger_than_the_bound_is_kept_without_headers() -> None:
    journal = Journal(max_bytes=4_000)
    _big_header_requests(journal, 2, 10_000)
    entries = journal.entries()
    assert [(e.seq, e.headers, e.route) for e in entries] == [
        (1, {}, "/api/customers"),
        (2, {}, "/api/customers"),
    ]
    assert entries[1].note == (
        "headers and body not kept: the request's head alone is larger than the journal's "
        "byte bound (4000)"
    )
    assert journal.kept_bytes <= 4_000


def test_a_byte_bound_of_zero_keeps_nothing(make_client: Any) -> None:
    client = _client(make_client, journal_bytes=0)
    assert client.get("/api/customers").status_code == 200
    assert _journal(client).entries() == []


# --- the middleware on its own ------------------------------------------------------------------


def _tenant_header(headers: Any) -> str:
    return str(headers.get("x-mock-tenant", "default"))


def _wrap(app: Any, journal: Journal) -> TestClient:
    return TestClient(
        JournalMiddleware(app, journal, _tenant_header), raise_server_exceptions=False
    )


def test_the_entry_exists_before_the_last_byte_is_sent() -> None:
    journal = Journal()
    seen_at_last_chunk: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b"})

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        async def spy(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                seen_at_last_chunk.append(len(journal.entries()))
            await send(message)

        await JournalMiddleware(app, journal, _tenant_header)(scope, receive, spy)

    assert TestClient(watching).get("/x").content == b"ab"
    assert seen_at_last_chunk == [1]


def test_rules_tenant_and_fault_come_from_the_scope_state() -> None:
    journal = Journal()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"].update(tenant="t9", mock_rules_fired=["slow", "flaky"])
        scope["state"]["mock_fault"] = "slow_body"
        await asyncio.sleep(0.05)
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b'{"Message":"made up"}'})

    _wrap(app, journal).get("/api/invoices")
    [entry] = journal.entries()
    assert (entry.tenant, entry.rules, entry.fault, entry.status) == (
        "t9",
        ("slow", "flaky"),
        "slow_body",
        400,
    )
    assert entry.latency_ms >= 50
    assert not entry.rejected  # a 400 the API's validation did not make
    assert entry.describe().endswith("rules slow, flaky, fault slow_body)")


def test_an_app_that_raises_is_recorded_as_a_500() -> None:
    journal = Journal()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    assert _wrap(app, journal).get("/api/customers").status_code == 500
    assert [(e.status, e.route) for e in journal.entries()] == [(500, "/api/customers")]


def test_an_answer_without_a_status_line_is_recorded_with_none() -> None:
    journal = Journal()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return  # a connection fault: nothing is sent

    _wrap(app, journal).get("/api/customers")  # what the test client makes of it is moot
    [entry] = journal.entries()
    assert entry.status is None
    assert "-> no answer" in entry.describe()


def test_readers_wait_for_a_broken_request_to_be_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal()
    state: dict[str, Any] = {}
    seq = journal.open(state)
    assert not journal.faults_in_flight()
    state["mock_fault"] = "connection_reset"
    assert journal.faults_in_flight()
    started = time.perf_counter()
    journal.settle(timeout_s=0.05)  # gives up: nothing records it here
    assert time.perf_counter() - started >= 0.05
    journal.add(_row(seq=seq))
    assert not journal.faults_in_flight()

    def no_waiting(seconds: float) -> None:
        raise AssertionError("settle waited although nothing is in flight")

    monkeypatch.setattr(time, "sleep", no_waiting)
    monkeypatch.setattr(asyncio, "sleep", no_waiting)
    journal.settle()
    asyncio.run(journal.asettle())


def test_an_entry_survives_the_trip_through_json() -> None:
    entry = Entry(
        seq=7,
        time=1_700_000_000.25,
        method="POST",
        path="/api/customers",
        route="/api/customers",
        query="a=1",
        headers={"content-type": "application/octet-stream"},
        body=b"\xff\x00binary",
        body_size=100,
        tenant="t",
        status=400,
        latency_ms=1.5,
        rules=("r1",),
        routed=True,
        invalid=True,
        fault="truncated_body",
        response_body=b'{"Message":"x"}',
    )
    data = entry.to_dict()
    assert data["body"] is None
    assert data["body_base64"] == "/wBiaW5hcnk="
    assert data["time"] == "2023-11-14T22:13:20.250+00:00"
    assert data["response_body"] == '{"Message":"x"}'
    assert Entry.from_dict(data) == entry


def _row(seq: int = 1, headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b"",
         tenant: str = "default", path: str = "/api/customers") -> Row:  # fmt: skip
    return Row(
        seq=seq,
        arrived=0.0,
        method="POST" if body else "GET",
        path=path,
        query=b"",
        headers=headers if headers is not None else [(b"host", b"testserver")],
        body=body,
        body_size=len(body),
        tenant=tenant,
        status=200,
        latency_ms=1.0,
    )


# --- filters ------------------------------------------------------------------------------------


def _entry(
    method: str = "GET",
    path: str = "/api/customers",
    query: str = "",
    body: bytes = b"",
    seq: int = 1,
    tenant: str = "default",
    status: int = 200,
) -> Entry:
    return Entry(
        seq=seq,
        time=0.0,
        method=method,
        path=path,
        route=route_path(path),
        query=query,
        headers={"x-trace": "abc"},
        body=body,
        body_size=len(body),
        tenant=tenant,
        status=status,
        latency_ms=1.0,
    )


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/api/customers", "/api/customers", True),
        ("/api/customers", "/API/Customers/", True),
        ("/api/customers/", "/api/customers", True),
        ("/api/customers", "/api/customers/base", False),
        ("/api/customers/{customer_id}", "/api/customers/42", True),
        ("/api/customers/{customer_id}", "/api/customers/-1", True),
        ("/api/customers/{customer_id}", "/api/customers/base", False),
        ("/api/customers/{customer_id}", "/api/customers/42/accounts", False),
        ("/api/customers/{customer_id}/accounts", "/api/customers/42/accounts", True),
        ("/api/customers/{name:str}", "/api/customers/base", True),
        ("/api/customers/{id:int}", "/api/customers/7", True),
        ("/health", "/health", True),
        ("/health", "/HEALTH", False),
    ],
)
def test_paths_match_literally_or_as_templates(pattern: str, path: str, matches: bool) -> None:
    assert RequestFilter(path=pattern).matches(_entry(path=path)) is matches


@pytest.mark.parametrize(
    ("query", "sent", "matches"),
    [
        ({"page": 2}, "page=2", True),
        ({"page": "2"}, "filter.page=2", True),
        ({"filter.page": 2}, "page=2", True),
        ({"PAGE": 2}, "Filter.Page=2", True),
        ({"page": 2}, "page=3", False),
        ({"page": 2}, "", False),
        (
            {"customer_number": [1, 2]},
            "customer_number=2&customer_number=1&customer_number=3",
            True,
        ),
        ({"customer_number": [1, 2]}, "customer_number[]=1&customer_number[]=2", True),
        ({"customer_number": [1, 2]}, "customer_number[0]=1&customer_number[1]=2", True),
        ({"customer_number": [1, 4]}, "customer_number=1&customer_number=2", False),
        ({"page": 1, "page_size": 5}, "page=1&page_size=5&search=x", True),
        ({"has_email": True}, "has_email=true", True),
        ({"name": "Ä b"}, "name=%C3%84+b", True),
    ],
)
def test_query_matches_as_a_subset_the_way_aspnet_binds(
    query: dict[str, Any], sent: str, matches: bool
) -> None:
    assert RequestFilter(query=query).matches(_entry(query=sent)) is matches


@pytest.mark.parametrize(
    ("expected", "sent", "problems"),
    [
        ({"name": "A"}, b'{"name":"A","email":"a@a.fi"}', []),
        ({"contacts": [{"name": "M"}]}, b'{"contacts":[{"name":"M","id":1}]}', []),
        ({"contacts": [{"name": "M"}]}, b'{"contacts":[{"name":"M"},{"name":"N"}]}',
         ['contacts: expected [{"name":"M"}], got [{"name":"M"},{"name":"N"}]']),
        ({"interest": 1}, b'{"interest":1.0}', []),
        ({"is_customer": 1}, b'{"is_customer":true}', ["is_customer: expected 1, got true"]),
        ({"dimension": {"Area_code": 3}}, b'{"dimension":{"Area_code":4}}',
         ["dimension.Area_code: expected 3, got 4"]),
        ({"email": "a@a.fi"}, b'{"name":"A"}', ['email: missing (expected "a@a.fi")']),
        ({"name": "A"}, b"name=A", ['json: expected {"name":"A"}, body is not JSON']),
        ({"name": "A"}, b'["name"]', ['body: expected an object, got ["name"]']),
    ],
)  # fmt: skip
def test_json_matches_as_a_subset(expected: Any, sent: bytes, problems: list[str]) -> None:
    assert RequestFilter(json=expected).mismatches(_entry(method="POST", body=sent)) == problems


def test_every_criterion_must_hold() -> None:
    entries = [
        _entry(seq=1, tenant="a"),
        _entry(seq=2, tenant="b", status=404, path="/api/customer"),
        _entry(seq=3, method="POST", tenant="a", body=b'{"name":"A"}'),
    ]
    assert [e.seq for e in select(entries, RequestFilter(tenant="a"))] == [1, 3]
    assert [e.seq for e in select(entries, RequestFilter(status=[404, 500]))] == [2]
    assert [e.seq for e in select(entries, RequestFilter(method="post"))] == [3]
    assert [e.seq for e in select(entries, RequestFilter(since=1))] == [2, 3]
    assert [e.seq for e in select(entries, RequestFilter(headers={"X-Trace": "abc"}))] == [
        1,
        2,
        3,
    ]
    assert select(entries, RequestFilter(headers={"X-Trace": "x"})).count == 0
    assert select(entries, RequestFilter(rule="r")).count == 0


@settings(max_examples=40, deadline=None)
@given(query=strategies.filters("customers"))
def test_a_request_is_found_by_any_part_of_its_own_query(
    query: dict[str, str | list[str]],
) -> None:
    journal = Journal()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    _wrap(app, journal).get("/api/customers", params=query)
    [entry] = journal.entries()
    for key, value in query.items():
        assert RequestFilter(path="/api/customers", query={key: value}).matches(entry)
    assert RequestFilter(query=query).matches(entry)


# --- verification reports -----------------------------------------------------------------------


def test_assert_requested_counts_and_explains() -> None:
    entries = [
        _entry(seq=1, query="page=1"),
        _entry(seq=2, query="page=2"),
        _entry(seq=3, path="/api/invoices"),
    ]
    assert assert_requested(entries, RequestFilter("GET", "/api/customers"), times=2).count == 2
    assert assert_requested(entries, RequestFilter("GET", "/api/invoices")).count == 1
    with pytest.raises(AssertionError) as failure:
        assert_requested(entries, RequestFilter("GET", "/api/customers", query={"page": 3}))
    assert str(failure.value) == (
        'Expected GET /api/customers with query {"page":3} at least once; it was requested '
        "never.\n"
        "Nearest other requests:\n"
        "  #2 GET /api/customers?page=2 -> 200 (tenant 'default', 1.0 ms)\n"
        "      query page: expected '3', got ['2']\n"
        "  #1 GET /api/customers?page=1 -> 200 (tenant 'default', 1.0 ms)\n"
        "      query page: expected '3', got ['1']\n"
        "  #3 GET /api/invoices -> 200 (tenant 'default', 1.0 ms)\n"
        "      path: expected /api/customers, got /api/invoices\n"
        "      query page: expected '3', not sent"
    )
    with pytest.raises(AssertionError) as failure:
        assert_requested(entries, RequestFilter("GET", "/api/customers"), times=1)
    assert str(failure.value).startswith(
        "Expected GET /api/customers once; it was requested twice.\n"
        "Matching requests:\n"
        "  #1 GET /api/customers?page=1 -> 200 (tenant 'default', 1.0 ms)\n"
        "  #2 GET /api/customers?page=2 -> 200 (tenant 'default', 1.0 ms)\n"
        "Nearest other requests:\n"
    )
    with pytest.raises(AssertionError, match=r"^Expected any method /x at least once; it was "
                       r"requested never\.\nThe journal holds no requests\.$"):  # fmt: skip
        assert_requested([], RequestFilter(path="/x"))


def test_the_problem_report_names_unrouted_and_rejected_requests() -> None:
    unrouted = _entry(seq=4, path="/api/customer", status=404)
    unrouted = Entry(**{**_fields(unrouted), "routed": False})
    rejected = Entry(
        **{
            **_fields(_entry(seq=5, method="POST", body=b'{"name":"A"}', status=400)),
            "invalid": True,
            "response_body": b'{"Message":"The request is invalid."}',
        }
    )
    fine = _entry(seq=6, status=404)  # a missing record is an answer, not a mistake
    made_up = _entry(seq=7, status=400)  # a 400 that a scenario rule answered
    report = problem_report(
        [unrouted, rejected, fine, made_up], ["/api/customers", "/api/invoices"]
    )
    assert report == (
        "mockserver: the code under test sent 2 requests that the API would reject (mark the "
        "test with @pytest.mark.mock_allow_errors if that is intended):\n"
        "  #4 GET /api/customer -> 404 (tenant 'default', 1.0 ms)\n"
        "      no route matches this method and path (did you mean /api/customers?)\n"
        "  #5 POST /api/customers -> 400 (tenant 'default', 1.0 ms)\n"
        '      answer: {"Message":"The request is invalid."}\n'
        '      sent: {"name":"A"}'
    )
    assert problem_report([fine]) == ""


def test_the_problem_report_shows_a_rejected_login_without_its_secrets() -> None:
    sent = b'{"UserName":"u","Password":"hunter2","Database":"","ApiKey":"k-123"}'
    journal = Journal()
    journal.add(
        _row(seq=1, body=sent, path="/api/auth/login")._replace(
            status=400, invalid=True, response_body=b'{"Message":"The request is invalid."}'
        )
    )
    report = problem_report(journal.entries())
    assert report.splitlines()[1:] == [
        "  #1 POST /api/auth/login -> 400 (tenant 'default', 1.0 ms)",
        '      answer: {"Message":"The request is invalid."}',
        '      sent: {"UserName":"u","Password":"***","Database":"","ApiKey":"***"}',
    ]
    journal.add(_row(seq=2, body=b"UserName=u&Password=hunter2", path="/api/auth/login")
                ._replace(status=415, invalid=True))  # fmt: skip
    assert problem_report(journal.entries()).splitlines()[-1] == "      sent: <redacted: 27 bytes>"


def _fields(entry: Entry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in Entry.__slots__}


# --- over HTTP ----------------------------------------------------------------------------------


def test_get_requests_filters_like_python(client: TestClient) -> None:
    client.get("/api/customers", params={"page": 1}, headers={"X-Mock-Tenant": "a"})
    client.get("/api/customers/1", headers={"X-Mock-Tenant": "b"})
    client.post("/api/customers", json={"name": "A", "email": "a@a.fi"})
    client.get("/api/customers/base")

    def seqs(**params: Any) -> list[int]:
        answer = client.get("/_mock/requests", params=params)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert data["count"] == len(data["requests"])
        return [item["seq"] for item in data["requests"]]

    assert seqs() == [1, 2, 3, 4]
    assert seqs(tenant="a") == [1]
    assert seqs(path="/api/customers/{customer_id}") == [2]
    assert seqs(method="post") == [3]
    assert seqs(**{"query.filter.page": "1"}) == [1]
    assert seqs(json='{"name": "A"}') == [3]
    assert seqs(since=2) == [3, 4]
    assert seqs(limit=2) == [3, 4]
    assert seqs(status=[200, 404]) == [1, 2, 3, 4]
    first = client.get("/_mock/requests", params={"limit": 1}).json()["requests"][0]
    assert first["method"] == "GET"
    assert first["route"] == "/api/customers/base"
    assert first["status"] == 200
    assert first["tenant"] == "default"


def test_get_requests_rejects_a_bad_filter(client: TestClient) -> None:
    answer = client.get(
        "/_mock/requests", params={"status": "ok", "since": "-1", "json": "{", "colour": "red"}
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "Message": "The request is invalid.",
        "ModelState": {
            "status": ["The value 'ok' is not a valid status code."],
            "colour": [
                "Unknown filter: use method, path, tenant, status, rule, since, limit, "
                "query.NAME or json."
            ],
            "since": ["The value '-1' is not a valid whole number."],
            "json": ["The value is not valid JSON: Input data was truncated."],
        },
    }


def test_delete_requests_clears_every_tenant_or_one(client: TestClient) -> None:
    client.get("/api/customers", headers={"X-Mock-Tenant": "a"})
    client.get("/api/customers", headers={"X-Mock-Tenant": "b"})
    client.get("/api/customers", headers={"X-Mock-Tenant": "b"})
    assert client.delete("/_mock/requests", params={"tenant": "b"}).json() == {"cleared": 2}
    assert [e.tenant for e in _journal(client).entries()] == ["a"]
    assert client.delete("/_mock/requests").json() == {"cleared": 1}
    assert _journal(client).entries() == []
