"""The journal's buffer: the requests the server answered, newest last, bounded in entries and
in bytes, with their secrets redacted before anything is kept.

Both ways a request is answered record here through one door: the ASGI middleware
(``mockserver.journal_middleware``) hands over a ``Row``, the protocol's direct lane calls
``add_answered``. A ``Row`` is what is kept (cheap to build on every request); an ``Entry`` is
built from it only when somebody reads the journal.

This module knows requests as bytes and names (method, path, query, headers, body), and the
path as the routes see it (``mockserver.routes.route_path``); it knows nothing of Starlette or
uvicorn. Redaction rules live in ``redaction``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl

import msgspec

from ..routes import route_path
from ..wire import FAULT_KEY
from .redaction import SECRET_HEADERS, redact_body, redacted_pair

if TYPE_CHECKING:
    from ..clock import Clocks

DEFAULT_SIZE = 1000
DEFAULT_BYTES = 64 * 1024 * 1024  # as Settings.journal_bytes
MAX_BODY = 64 * 1024  # of each request body kept; the rest is counted, not kept
MAX_RESPONSE_BODY = 16 * 1024  # of each error answer kept, for reports

# What one kept entry costs beyond its bytes of text, roughly, as CPython holds it: the row
# and its small objects, and per header a 2-tuple of two bytes objects in a list. Counted so
# that the byte bound also holds for many small requests with many small headers.
ENTRY_OVERHEAD = 512
HEADER_OVERHEAD = 128


class Row(NamedTuple):
    """One request as the server records it: raw headers and query, redacted on ``add``.
    Built on every request (the direct lane builds it too): a tuple with named fields.

    ``truncated``: the body kept is not all of it (cut at ``MAX_BODY`` or to fit the byte
    bound); ``note`` says what was left out and why."""

    seq: int
    arrived: float  # wall clock (epoch seconds)
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    body_size: int
    tenant: str
    status: int | None
    latency_ms: float
    rules: tuple[str, ...] = ()
    routed: bool = True
    invalid: bool = False
    fault: str | None = None
    response_body: bytes = b""
    truncated: bool = False
    note: str | None = None
    upstream: bool = False  # the bridge passed it through to the upstream (mockserver.bridge)
    unmocked: bool = False  # a known operation the mock does not implement answered 501
    mock_time: float | None = None  # the tenant's mock time (epoch s); None: real time
    size: int = 0  # bytes the journal counts for it (set by the journal)


@dataclass(frozen=True, slots=True)
class Entry:
    """One journaled request and how it was answered.

    ``path`` is the path as the client sent it; ``route`` the path the routes saw.
    ``status`` is None when no status line was sent (a connection fault). ``routed`` is
    False when no route matched; ``invalid`` is True when the API's validation rejected the
    request (a 400, 413 or 415 of the server's own, never one a scenario rule made).
    ``fault`` names the connection fault a scenario delivered. ``body_truncated``: ``body`` is
    only the start of what was sent; ``note`` says what the journal left out (a body naming a
    secret that is not JSON, a request larger than the journal's byte bound).
    """

    seq: int
    time: float  # wall clock (epoch seconds) when the request arrived
    method: str
    path: str
    route: str
    query: str
    headers: dict[str, str]
    body: bytes
    body_size: int
    tenant: str
    status: int | None
    latency_ms: float
    rules: tuple[str, ...] = ()
    routed: bool = True
    invalid: bool = False
    fault: str | None = None
    response_body: bytes = b""
    body_truncated: bool = False
    note: str | None = None
    upstream: bool = False
    unmocked: bool = False
    mock_time: float | None = None  # the tenant's clock when it arrived; None: ``time``

    @property
    def params(self) -> dict[str, list[str]]:
        """The query's values by name as sent, blanks kept."""
        values: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            values.setdefault(key, []).append(value)
        return values

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The request body parsed as JSON; ``ValueError`` when it is not JSON."""
        try:
            return msgspec.json.decode(self.body)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
            raise ValueError(f"request #{self.seq} has no JSON body: {error}") from None

    @property
    def rejected(self) -> bool:
        """No route matched, the API's validation rejected the request, or it called an
        operation the mock does not implement (a 501)."""
        return not self.routed or self.invalid or self.unmocked

    def describe(self) -> str:
        """``#12 GET /api/customers?page=2 -> 200 (tenant 'default', 3.1 ms)``."""
        target = self.path + ("?" + self.query if self.query else "")
        status = "no answer" if self.status is None else str(self.status)
        fired = f", rules {', '.join(self.rules)}" if self.rules else ""
        if self.fault:
            fired += f", fault {self.fault}"
        return (
            f"#{self.seq} {self.method} {target} -> {status} "
            f"(tenant {self.tenant!r}, {self.latency_ms:.1f} ms{fired})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The entry as ``GET /_mock/requests`` shows it: bodies as text when they are UTF-8,
        otherwise base64 under ``body_base64``."""
        body, body_b64 = _text_or_base64(self.body)
        answer, answer_b64 = _text_or_base64(self.response_body)
        return {
            "seq": self.seq,
            "time": _utc_ms(self.time),
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "query": self.query,
            "headers": self.headers,
            "body": body,
            "body_base64": body_b64,
            "body_size": self.body_size,
            "body_truncated": self.body_truncated,
            "note": self.note,
            "tenant": self.tenant,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 3),
            "rules": list(self.rules),
            "routed": self.routed,
            "invalid": self.invalid,
            "fault": self.fault,
            "response_body": answer,
            "response_body_base64": answer_b64,
            "upstream": self.upstream,
            "unmocked": self.unmocked,
            "mock_time": _utc_ms(self.time if self.mock_time is None else self.mock_time),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entry:
        """The entry back from ``to_dict`` (what a remote journal answers)."""
        return cls(
            seq=int(data["seq"]),
            time=datetime.fromisoformat(data["time"]).timestamp(),
            method=data["method"],
            path=data["path"],
            route=data["route"],
            query=data["query"],
            headers=dict(data["headers"]),
            body=_bytes_of(data.get("body"), data.get("body_base64")),
            body_size=int(data["body_size"]),
            tenant=data["tenant"],
            status=data["status"],
            latency_ms=float(data["latency_ms"]),
            rules=tuple(data.get("rules", ())),
            routed=bool(data.get("routed", True)),
            invalid=bool(data.get("invalid", False)),
            fault=data.get("fault"),
            response_body=_bytes_of(data.get("response_body"), data.get("response_body_base64")),
            body_truncated=bool(data.get("body_truncated", False)),
            note=data.get("note"),
            upstream=bool(data.get("upstream", False)),
            unmocked=bool(data.get("unmocked", False)),
            mock_time=_mock_time(data),
        )


def _utc_ms(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _mock_time(data: Mapping[str, Any]) -> float | None:
    shown = data.get("mock_time")
    if shown is None or shown == data["time"]:
        return None
    return datetime.fromisoformat(shown).timestamp()


def _text_or_base64(data: bytes) -> tuple[str | None, str | None]:
    if not data:
        return "", None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, base64.b64encode(data).decode("ascii")


def _bytes_of(text: str | None, b64: str | None) -> bytes:
    if b64:
        try:
            return base64.b64decode(b64)
        except binascii.Error:
            return b""
    return (text or "").encode("utf-8")


def header_dict(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Raw ASGI headers as text, names in lower case, repeated ones joined with ``", "``."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _kept_headers(raw: list[tuple[bytes, bytes]]) -> tuple[list[tuple[bytes, bytes]], int]:
    """The headers as kept (secrets redacted; the same list when there are none) and their
    size, counted on the values as sent (a redacted one is never longer, but for a session
    id shorter than its 15-byte tag: the bound errs on the safe side)."""
    size = HEADER_OVERHEAD * len(raw)
    secret = False
    for name, value in raw:
        size += len(name) + len(value)
        if name in SECRET_HEADERS:
            secret = True
    if not secret:
        return raw, size
    return [pair if pair[0] not in SECRET_HEADERS else redacted_pair(pair) for pair in raw], size


_new_row = tuple.__new__

Subscriber = Callable[[Row], None]


def _seq_of(entry: Entry) -> int:
    return entry.seq


class Journal:
    """The last ``size`` requests (0 keeps none) whose bytes add up to at most ``max_bytes``
    (0 keeps none either); the oldest go first. The server thread appends while a test
    thread reads, so every access to the buffer takes the lock."""

    def __init__(
        self, size: int = DEFAULT_SIZE, base_path: str = "", max_bytes: int = DEFAULT_BYTES
    ) -> None:
        self.max_bytes = max_bytes
        self.size = size if max_bytes > 0 else 0
        self.base_path = base_path
        self._rows: deque[Row] = deque()
        self._bytes = 0  # the sum of the kept rows' ``size``
        self._lock = threading.Lock()
        self._seq = count(1)
        self._open: dict[int, dict[str, Any]] = {}  # seq -> scope state, until recorded
        self._issued = 0
        # Called with every row kept, on the thread that recorded it (the server's loop). A
        # tuple replaced whole on (un)subscribe: ``_keep`` iterates it without the lock, and
        # tests it for emptiness only, so that nobody listening costs one truth test.
        self._subscribers: tuple[Subscriber, ...] = ()
        # The tenants' clocks (``state.build_state`` sets them): each row notes its tenant's
        # mock time while one is mocked.
        self.clocks: Clocks | None = None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(row)`` with every row kept from now on (redacted, as kept); it must
        be quick and never raise (a live stream's queue). Answers the unsubscribe function."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    @property
    def kept_bytes(self) -> int:
        """The bytes the kept entries are counted at (always at most ``max_bytes``, but for
        a single entry whose head alone is larger)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._rows)

    def open(self, state: dict[str, Any]) -> int:
        """A ``seq`` for a request that has arrived; its row follows with ``add``."""
        seq = self._issued = next(self._seq)
        self._open[seq] = state
        return seq

    def add(self, row: Row) -> None:
        """Keep ``row``: its secrets redacted (headers, and a body that names a secret key),
        counted in bytes, cut to fit when it alone is larger than the bound."""
        headers, head_size = _kept_headers(row.headers)
        body, note = redact_body(row.body)
        size = (
            ENTRY_OVERHEAD + len(row.path) + len(row.query) + head_size + len(body)
            + len(row.response_body)
        )  # fmt: skip
        clocks = self.clocks
        mock_time = (
            clocks.journal_time(row.tenant, row.latency_ms / 1000.0)
            if clocks is not None and clocks.mocked
            else None
        )
        self._keep(
            row._replace(
                headers=headers, body=body, note=note or row.note, mock_time=mock_time, size=size
            )
        )
        self._open.pop(row.seq, None)

    def add_answered(
        self,
        arrived: float,
        method: str,
        path: str,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        tenant: str,
        status: int,
        started: float,
    ) -> None:
        """Record a request answered outside the middleware (the protocol's direct lane):
        one without a body, a fired rule or a fault, that a route served."""
        seq = self._issued = next(self._seq)
        latency_ms = (time.perf_counter() - started) * 1000.0
        clocks = self.clocks  # a mock time only while some clock is mocked: one test here
        mock_time = (
            clocks.journal_time(tenant, latency_ms / 1000.0)
            if clocks is not None and clocks.mocked
            else None
        )
        # On the direct lane's path: one pass over the headers (a second only for a secret)
        # and a tuple built without ``Row.__new__``'s Python frame.
        headers, head_size = _kept_headers(headers)
        size = ENTRY_OVERHEAD + len(path) + len(query) + head_size
        self._keep(_new_row(Row, (seq, arrived, method, path, query, headers, b"", 0, tenant,
                                  status, latency_ms, (), True, False, None, b"", False, None,
                                  False, False, mock_time, size)))  # fmt: skip

    def _keep(self, row: Row) -> None:
        if row.size > self.max_bytes:
            row = self._trimmed(row)
        with self._lock:  # ``clear(tenant)`` swaps the buffer: never append to an old one
            rows = self._rows
            rows.append(row)
            self._bytes += row.size
            if self._bytes > self.max_bytes or len(rows) > self.size:
                while len(rows) > self.size or (self._bytes > self.max_bytes and len(rows) > 1):
                    self._bytes -= rows.popleft().size
        if self._subscribers:
            for subscriber in self._subscribers:
                subscriber(row)

    def _trimmed(self, row: Row) -> Row:
        """A row larger than the whole bound: its head is kept, its bodies cut to fit (or,
        when the head alone is too large, its headers left out too)."""
        head = row.size - len(row.body) - len(row.response_body)
        if head <= self.max_bytes:
            room = self.max_bytes - head
            body = row.body[:room]
            response = row.response_body[: room - len(body)]
            note = (
                f"body cut to {len(body)} of {len(row.body)} bytes kept: the request is "
                f"larger than the journal's byte bound ({self.max_bytes})"
            )
            size = head + len(body) + len(response)
            return row._replace(
                body=body, response_body=response, truncated=True, note=note, size=size
            )
        note = (
            "headers and body not kept: the request's head alone is larger than the "
            f"journal's byte bound ({self.max_bytes})"
        )
        size = ENTRY_OVERHEAD + len(row.path) + len(row.query)
        return row._replace(
            headers=[],
            body=b"",
            response_body=b"",
            truncated=row.body_size > 0,
            note=note,
            size=size,
        )

    def faults_in_flight(self) -> bool:
        """Whether a request that a scenario broke at the connection is still unrecorded.
        Its client may already have seen the break (a reset, a close) while the server
        finishes it a moment later: readers wait for these (``settle``)."""
        return any(FAULT_KEY in state for state in list(self._open.values()))

    def settle(self, timeout_s: float = 1.0) -> None:
        """Wait until no broken request is unrecorded; never call it on the server's loop
        (``asettle`` there)."""
        deadline = time.monotonic() + timeout_s
        while self.faults_in_flight() and time.monotonic() < deadline:
            time.sleep(0.001)

    async def asettle(self, timeout_s: float = 1.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.faults_in_flight() and time.monotonic() < deadline:
            await asyncio.sleep(0.001)

    def entries(self, tenant: str | None = None, since: int | None = None) -> list[Entry]:
        """The kept entries in arrival order (of one tenant; with ``seq`` above ``since``)."""
        with self._lock:
            rows = list(self._rows)
        if tenant is not None:
            rows = [r for r in rows if r.tenant == tenant]
        if since is not None:
            rows = [r for r in rows if r.seq > since]
        kept = [self.entry(row) for row in rows]
        kept.sort(key=_seq_of)
        return kept

    def entry(self, row: Row) -> Entry:
        """The entry a kept row reads as (what ``entries`` answers, one at a time)."""
        return Entry(
            seq=row.seq,
            time=row.arrived,
            method=row.method,
            path=row.path,
            route=route_path(row.path, self.base_path),
            query=row.query.decode("latin-1"),
            headers=header_dict(row.headers),
            body=row.body,
            body_size=row.body_size,
            tenant=row.tenant,
            status=row.status,
            latency_ms=row.latency_ms,
            rules=row.rules,
            routed=row.routed,
            invalid=row.invalid,
            fault=row.fault,
            response_body=row.response_body,
            body_truncated=row.truncated,
            note=row.note,
            upstream=row.upstream,
            unmocked=row.unmocked,
            mock_time=row.mock_time,
        )

    def last_seq(self) -> int:
        """The ``seq`` of the newest request so far, recorded or not, also after a reset
        (0 before the first): ``since=last_seq()`` keeps only what comes next."""
        return self._issued

    def clear(self, tenant: str | None = None) -> int:
        """Forget every entry (of one tenant); the number forgotten."""
        with self._lock:
            before = len(self._rows)
            if tenant is None:
                self._rows, self._bytes = deque(), 0
            else:
                self._rows = deque(r for r in self._rows if r.tenant != tenant)
                self._bytes = sum(r.size for r in self._rows)
            return before - len(self._rows)
