"""Hostile input, answered as the contract says: a clear 4xx in the real server's shape and
words, never a 500, a reset connection or a half-applied write.

Bodies (``mockserver.validation``): bytes that are not UTF-8, nesting past ASP.NET's
MaxDepth, lists past their bounds, blank required strings, UTF-16 surrogates, arbitrary
bytes. The wire (``mockserver.protocol``, a real server on 127.0.0.1): oversized bodies on
keep-alive and closing connections, ``Expect: 100-continue``, oversized headers, invalid
HTTP, and a request cut short by the shutdown grace period.
"""

from __future__ import annotations

import gc
import json
import logging
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from threaded import UvicornThread

from mockserver.app import create_app
from mockserver.models import Customer, Invoice, decode_body
from mockserver.protocol import DRAIN_BYTES, MAX_HEADER_BYTES
from mockserver.scenarios import activate, load_text
from mockserver.serving import uvicorn_config
from mockserver.settings import Settings
from mockserver.validation import MAX_ITEMS, MAX_TOTAL_ITEMS, BodyError

JSON = "application/json; charset=utf-8"
INVALID = "The request is invalid."
MIB = 1024 * 1024
TOO_LARGE = b'{"Message":"The request body is larger than 1048576 bytes."}'
LOGIN = b'{"UserName": "u", "Password": "p", "Database": "default", "ApiKey": "k"}'

# Every route that reads a JSON body, with the parameter its ModelState keys start with.
BODY_ROUTES = [
    ("POST", "/api/customers", "customer"),
    ("PUT", "/api/customers/1", "customer"),
    ("POST", "/api/customers/1/accounts", "account"),
    ("POST", "/api/auth/login", "info"),
    ("POST", "/api/auth/login/token", "info"),
    ("POST", "/api/auth/renew", "info"),
]


@pytest.fixture
def client(make_client: Any) -> TestClient:
    customers = [Customer(id=i, number=100 + i, name=f"C{i}", email="e") for i in (1, 2)]
    invoices = [Invoice(id=1, number=1, date=datetime(2024, 1, 1, tzinfo=UTC))]
    result: TestClient = make_client(customers, invoices)
    return result


def _state(client: TestClient) -> Any:
    return client.app.state.mock  # type: ignore[attr-defined]


def _snapshot(client: TestClient) -> tuple[Any, Any, int]:
    """The data every route can change, and the number of live sessions."""
    customers = client.get("/api/customers", params={"page_size": 100}).json()
    invoices = client.get("/api/invoices", params={"page_size": 100}).json()
    return customers, invoices, len(_state(client).sessions)


def _post(client: TestClient, method: str, path: str, body: bytes) -> Any:
    return client.request(method, path, content=body, headers={"content-type": "application/json"})


def _rejected(
    client: TestClient, method: str, path: str, body: bytes, status: int = 400
) -> dict[str, Any]:
    """Send ``body``; assert the status, the JSON shape, that no data changed and that the
    journal holds this one request more, as rejected."""
    before = _snapshot(client)
    journal = _state(client).journal
    seen = len(journal.entries())
    response = _post(client, method, path, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    assert _snapshot(client) == before
    entries = journal.entries()
    assert len(entries) == seen + 3  # this request and the two reads of the snapshot
    assert entries[seen].status == status
    answer: dict[str, Any] = response.json()
    return answer


def _invalid(key: str, message: str) -> dict[str, Any]:
    return {"Message": INVALID, "ModelState": {key: [message]}}


# --- bytes that are not UTF-8 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bad", "at"),
    [
        (b'{"name": "\xff\xfe", "email": "a@b.fi"}', "[FF]", 10),
        (b'{"name": "N", "email": "e\xc3"}', "[C3]", 25),
        (b'{"name": "\xed\xa0\x80", "email": "e"}', "[ED]", 10),  # a UTF-8 encoded surrogate
        (b'{"\xe2\x82": 1}', "[E2][82]", 2),  # in a key
        (b'{"name": "N", "email": "e"}\x80', "[80]", 27),  # outside any string
    ],
)
@pytest.mark.parametrize(("method", "path", "param"), BODY_ROUTES)
def test_a_body_that_is_not_utf8_is_400_on_every_route(
    client: TestClient, method: str, path: str, param: str, text: bytes, bad: str, at: int
) -> None:
    answer = _rejected(client, method, path, text)
    message = f"Unable to translate bytes {bad} at index {at} from specified code page to Unicode."
    assert answer == _invalid(param, message)


# --- nesting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "param"), BODY_ROUTES)
def test_100000_levels_of_nesting_are_a_400_on_every_route(
    client: TestClient, method: str, path: str, param: str
) -> None:
    arrays = b"[" * 100_000 + b"]" * 100_000
    answer = _rejected(client, method, path, arrays)
    depth = "The reader's MaxDepth of 256 has been exceeded."
    assert answer == _invalid(param, f"{depth} Path '{'[0]' * 256}', line 1, position 257.")
    objects = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    answer = _rejected(client, method, path, objects)
    path_shown = ".".join(["a"] * 256)
    assert answer == _invalid(param, f"{depth} Path '{path_shown}', line 1, position 1281.")


def test_deep_nesting_in_an_unknown_field_counts_too(client: TestClient) -> None:
    body = b'{"name": "N", "email": "e", "x": {"y": ' + b"[" * 300 + b"]" * 300 + b"}}"
    answer = _rejected(client, "POST", "/api/customers", body)
    assert answer["ModelState"]["customer"][0].startswith(
        "The reader's MaxDepth of 256 has been exceeded. Path 'x.y" + "[0]" * 254 + "', line 1"
    )


# --- lists and how much a body can become ------------------------------------------------------


def _accounts(count: int) -> bytes:
    return b'{"name": "N", "email": "e", "accounts": [' + b",".join([b"{}"] * count) + b"]}"


def test_a_list_over_its_bound_is_400_naming_the_field(client: TestClient) -> None:
    answer = _rejected(client, "POST", "/api/customers", _accounts(MAX_ITEMS + 1))
    assert answer == _invalid(
        "customer.accounts",
        "The field accounts must be a string or array type with a maximum length of '1000'.",
    )
    body = b'{"name": "N", "email": "e", "contacts": [{"customer_id": 1, "attributes": [%s]}]}'
    attributes = b",".join([b'{"id": 1, "selected": true}'] * (MAX_ITEMS + 1))
    answer = _rejected(client, "PUT", "/api/customers/1", body % attributes)
    assert answer == _invalid(
        "customer.contacts[0].attributes",
        "The field attributes must be a string or array type with a maximum length of '1000'.",
    )


def test_a_list_at_its_bound_is_accepted(client: TestClient) -> None:
    created = _post(client, "POST", "/api/customers", _accounts(MAX_ITEMS))
    assert created.status_code == 200, created.text
    assert len(created.json()["accounts"]) == MAX_ITEMS


def test_the_items_of_all_lists_together_are_bounded(client: TestClient) -> None:
    products = b",".join([b"{}"] * 1000)
    agreements = b",".join([b'{"products": [%s]}' % products] * (MAX_TOTAL_ITEMS // 1000))
    body = b'{"name": "N", "email": "e", "agreements": [%s]}' % agreements
    answer = _rejected(client, "POST", "/api/customers", body)
    assert answer == _invalid(
        "customer",
        f"The request body holds more than {MAX_TOTAL_ITEMS} list items in all; "
        f"at most {MAX_TOTAL_ITEMS} are accepted.",
    )


def test_a_mib_of_empty_list_items_is_refused_without_keeping_memory() -> None:
    """340,000 empty accounts in 1 MiB: refused before any record is built; the decoded
    JSON it needed on the way is gone once the answer is."""
    body = _accounts(340_000)
    assert len(body) < MIB
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with pytest.raises(BodyError):
            decode_body(body, Customer, "customer")
        gc.collect()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept - before < 256 * 1024
    assert peak - before < 64 * MIB  # the JSON decoded once, never 340,000 records


def test_the_largest_accepted_body_keeps_a_few_mib_at_most(make_client: Any) -> None:
    """The bounds hold what one write can cost: every list item of a body at the limits."""
    client = make_client(journal_size=0)
    count = MAX_TOTAL_ITEMS // 1000  # agreements, each holding 999 products: at the bound
    products = b",".join([b"{}"] * (1000 - 1))
    agreements = b",".join([b'{"products": [%s]}' % products] * count)
    body = b'{"name": "N", "email": "e", "agreements": [%s]}' % agreements
    client.get("/api/customers")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert _post(client, "POST", "/api/customers", body).status_code == 200
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 8 * MIB


# --- required strings -----------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\t\r\n", "\u00a0", "\u3000\u2028", "\u200a\u205f"])
def test_blank_required_strings_are_400_with_aspnets_required_message(
    client: TestClient, blank: str
) -> None:
    body = json.dumps({"name": blank, "email": blank}).encode()
    answer = _rejected(client, "POST", "/api/customers", body)
    assert answer == {
        "Message": INVALID,
        "ModelState": {
            "customer.name": ["The name field is required."],
            "customer.email": ["The email field is required."],
        },
    }
    login = json.dumps({"UserName": blank, "Password": "p", "Database": "d", "ApiKey": "k"})
    answer = _rejected(client, "POST", "/api/auth/login", login.encode())
    assert answer == _invalid("info.UserName", "The UserName field is required.")


def test_a_string_with_something_besides_white_space_is_accepted(client: TestClient) -> None:
    created = _post(client, "POST", "/api/customers", b'{"name": " . ", "email": "\\u200b"}')
    assert created.status_code == 200, created.text  # a zero-width space is no white space
    assert (created.json()["name"], created.json()["email"]) == (" . ", "\u200b")


# --- UTF-16 surrogates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "stored"),
    [
        ("\\ud83d\\ude00", "\U0001f600"),  # a pair: what json.dumps writes for an emoji
        ("\\ud800", "\ufffd"),  # a lone high surrogate: Json.NET reads U+FFFD
        ("\\udc00", "\ufffd"),  # a lone low one
        ("a\\ud800b\\udfff", "a\ufffdb\ufffd"),
        ("\\ud800\\ud83d\\ude00", "\ufffd\U0001f600"),  # a high one, then a pair
        ("\\\\ud800", "\\ud800"),  # an escaped backslash: text, not an escape
        ("\\\\\\ud800", "\\\ufffd"),
    ],
)
def test_surrogate_escapes_read_as_json_net_reads_them(
    client: TestClient, escaped: str, stored: str
) -> None:
    body = f'{{"name": "{escaped}", "email": "e"}}'.encode()
    created = _post(client, "POST", "/api/customers", body)
    assert created.status_code == 200, created.text
    assert created.json()["name"] == stored
    again = client.get(f"/api/customers/{created.json()['id']}")
    assert again.json()["name"] == stored


def test_positions_count_utf16_characters_as_json_net_does(client: TestClient) -> None:
    body = '{"name": "Äijä \U0001f600", "email": "e", "group": "x"}'.encode()
    answer = _rejected(client, "POST", "/api/customers", body)
    # 😀 is two UTF-16 characters, Ä and ä one each: 46 characters up to the closing quote
    assert answer == _invalid(
        "customer.group",
        "Could not convert string to integer: x. Path 'group', line 1, position 46.",
    )


# --- anything at all -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_the_validation(raw: bytes) -> None:
    try:
        decode_body(raw, Customer, "customer")
    except BodyError as error:
        assert error.model_state
        for key, messages in error.model_state.items():
            assert key.startswith("customer")
            assert messages and all(isinstance(m, str) and m for m in messages)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_bodies = st.one_of(
    st.binary(max_size=120),
    st.dictionaries(
        st.sampled_from(["name", "email", "Group", "contacts", "accounts", "created", "x"]),
        _json_values,
    ).map(lambda value: json.dumps(value).encode()),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_bodies, route=st.sampled_from(BODY_ROUTES))
def test_any_body_is_answered_200_or_an_aspnet_400_and_a_400_changes_nothing(
    client: TestClient, body: bytes, route: tuple[str, str, str]
) -> None:
    method, path, param = route
    before = _snapshot(client)
    response = _post(client, method, path, body)
    assert response.status_code in (200, 400), response.text
    assert response.headers["content-type"] == JSON
    if response.status_code == 400:
        answer = response.json()
        assert answer["Message"] == INVALID
        assert all(key.startswith(param) for key in answer["ModelState"])
        assert _snapshot(client) == before


# --- on the wire ----------------------------------------------------------------------------------


class Served:
    """The mock on 127.0.0.1 and a free port, configured as ``serve`` configures it."""

    def __init__(self, **options: Any) -> None:
        self.settings = Settings(log_level="warning", customers=5, invoices=5, **options)
        self.app = create_app(self.settings)
        self.state = self.app.state.mock
        self.uvicorn = UvicornThread(
            lambda port: uvicorn_config(self.app, self.settings, port=port, log_config=None)
        )
        self.port = self.uvicorn.port
        self.url = f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def customers(self) -> Any:
        return httpx.get(f"{self.url}/api/customers?page_size=100").json()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    server = Served()
    yield server
    server.uvicorn.stop()


def _head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _answer(sock: socket.socket, buffer: bytearray) -> bytes:
    """One whole answer (head and Content-Length body) from the socket."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed mid-answer: {bytes(buffer)!r}"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed mid-body"
        rest += chunk
    del buffer[:]
    buffer += rest[length:]
    return head + b"\r\n\r\n" + rest[:length]


def _until_closed(sock: socket.socket) -> bytes:
    """Everything until the server closes; a reset fails the test."""
    out = bytearray()
    while chunk := sock.recv(65536):
        out += chunk
    return bytes(out)


def _header(answer: bytes, name: bytes) -> bytes | None:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.lower() == name:
            return value.strip()
    return None


def test_an_oversized_body_on_a_keep_alive_connection_gets_its_413(served: Served) -> None:
    """httpx sends the whole body before it reads: the answer must survive that."""
    before = served.customers()
    with httpx.Client(base_url=served.url) as client:
        for _ in range(3):
            assert client.get("/api/customers").status_code == 200
        for _ in range(5):
            response = client.post(
                "/api/customers",
                content=b"x" * (2 * MIB),
                headers={"content-type": "application/json"},
            )
            assert response.status_code == 413
            assert response.content == TOO_LARGE
            assert client.get("/api/customers").status_code == 200
    assert served.customers() == before


def test_the_connection_stays_open_and_the_rest_of_the_body_is_dropped(served: Served) -> None:
    with served.connect() as sock:
        buffer = bytearray()
        post = _head(
            "POST", "/api/customers", "Content-Type: application/json",
            f"Content-Length: {2 * MIB}",
        )  # fmt: skip
        sock.sendall(post + b"x" * (2 * MIB))
        answer = _answer(sock, buffer)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert _header(answer, b"connection") is None  # kept alive
        sock.sendall(_head("GET", "/api/customers?page_size=1"))
        assert _answer(sock, buffer).startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("size", [2 * MIB, DRAIN_BYTES - MIB])
def test_a_closing_connection_answers_413_then_closes_without_a_reset(
    served: Served, size: int
) -> None:
    """The client sends everything, then reads: the server has answered and closed its
    side long before, and must not have reset the connection with the body still arriving
    (up to ``DRAIN_BYTES`` of it)."""
    before = served.customers()
    for _ in range(3):
        with served.connect() as sock:
            post = _head(
                "POST", "/api/customers", "Content-Type: application/json",
                "Connection: close", f"Content-Length: {size}",
            )  # fmt: skip
            sock.sendall(post + b"x" * size)
            sock.shutdown(socket.SHUT_WR)
            answer = _until_closed(sock)
            assert answer.startswith(b"HTTP/1.1 413 ")
            assert answer.endswith(TOO_LARGE)
            assert _header(answer, b"connection") == b"close"
    assert served.customers() == before


def test_a_chunked_body_over_the_limit_is_413_and_the_connection_closes(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(
            _head(
                "POST", "/api/customers", "Content-Type: application/json",
                "Transfer-Encoding: chunked",
            )
        )  # fmt: skip
        chunk = b"x" * 65536
        for _ in range(24):  # 1.5 MiB
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = _until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert answer.endswith(TOO_LARGE)
        assert _header(answer, b"connection") == b"close"


def test_expect_100_continue_over_the_limit_gets_413_and_never_100(served: Served) -> None:
    before = served.customers()
    with served.connect() as sock:
        sock.sendall(
            _head(
                "POST", "/api/customers", "Content-Type: application/json",
                f"Content-Length: {2 * MIB}", "Expect: 100-continue",
            )
        )  # fmt: skip
        answer = _until_closed(sock)  # the client never sends the body: the server closes
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in answer
    assert answer.endswith(TOO_LARGE)
    assert _header(answer, b"connection") == b"close"
    assert served.customers() == before


def test_expect_100_continue_within_the_limit_continues(served: Served) -> None:
    body = b'{"name": "Jatko Oy", "email": "info@jatko.fi"}'
    with served.connect() as sock:
        sock.sendall(
            _head(
                "POST", "/api/customers", "Content-Type: application/json",
                f"Content-Length: {len(body)}", "Expect: 100-continue",
            )
        )  # fmt: skip
        interim = sock.recv(65536)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        buffer = bytearray()
        answer = _answer(sock, buffer)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b'"name":"Jatko Oy"' in answer
    served.state.reset()


HEADERS_TOO_LARGE = (
    b'{"Message":"The request line and headers are larger than %d bytes."}' % MAX_HEADER_BYTES
)


@pytest.mark.parametrize(
    "request_bytes",
    [
        _head("GET", "/api/customers", *(f"X-Pad-{i}: {'a' * 1000}" for i in range(80))),
        _head("GET", "/api/customers?" + "q=1&" * 20_000),
        _head("POST", "/api/customers", "Content-Length: 2", f"X-Big: {'b' * 70_000}") + b"{}",
    ],
    ids=["many headers", "long url", "one big header"],
)
def test_oversized_headers_are_431_and_never_reach_the_journal(
    served: Served, request_bytes: bytes
) -> None:
    seen = len(served.state.journal.entries())
    with served.connect() as sock:
        sock.sendall(request_bytes)
        answer = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert answer.endswith(HEADERS_TOO_LARGE)
    assert _header(answer, b"content-type") == JSON.encode()
    assert len(served.state.journal.entries()) == seen


def test_a_header_sent_in_pieces_is_bounded_as_it_arrives(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /api/customers HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        try:
            for _ in range(200):  # up to 200 KiB, 1 KiB at a time
                sock.sendall(b"a" * 1024)
                time.sleep(0.001)
        except (BrokenPipeError, ConnectionResetError):
            pytest.fail("the server reset the connection instead of answering 431")
        answer = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_headers_in_pieces_under_the_bound_are_served_again_and_again(served: Served) -> None:
    """What one request's headers counted is forgotten by the next one's."""
    pads = "".join(f"X-Pad-{i}: {'a' * 1000}\r\n" for i in range(40)).encode()
    with served.connect() as sock:
        buffer = bytearray()
        for _ in range(5):
            sock.sendall(b"GET /api/customers?page_size=1 HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.01)
            for start in range(0, len(pads), 8192):
                sock.sendall(pads[start : start + 8192])
                time.sleep(0.002)
            sock.sendall(b"\r\n")
            assert _answer(sock, buffer).startswith(b"HTTP/1.1 200 ")


def test_headers_under_the_bound_are_served(served: Served) -> None:
    pads = (f"X-Pad-{i}: {'a' * 1000}" for i in range(50))
    with served.connect() as sock:
        sock.sendall(_head("GET", "/api/customers?page_size=1", *pads))
        assert _answer(sock, bytearray()).startswith(b"HTTP/1.1 200 ")


def test_invalid_http_is_a_json_400(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b'{"Message":"Invalid HTTP request received."}')


def test_a_request_cut_by_the_shutdown_gets_a_json_503_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Served()
    activate(server.state, load_text("rules:\n  - latency: {ms: 60000}\n"))
    got: list[bytes] = []
    with server.connect() as sock:
        sock.sendall(_head("GET", "/api/customers/1"))
        time.sleep(0.3)  # the request is in the server, waiting out its latency
        with caplog.at_level(logging.INFO):
            stopping = threading.Thread(target=server.uvicorn.stop)
            stopping.start()
            got.append(_until_closed(sock))
            stopping.join(15)
    answer = got[0]
    assert answer.startswith(b"HTTP/1.1 503 ")
    assert _header(answer, b"retry-after") == b"1"
    assert _header(answer, b"content-type") == JSON.encode()
    assert answer.endswith(
        b'{"Message":"The server is shutting down: the request was not completed."}'
    )
    assert not [r for r in caplog.records if r.exc_info or "Exception in ASGI" in r.message]
