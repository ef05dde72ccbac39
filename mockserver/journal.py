"""The request journal: every request the server answered, kept in a bounded ring buffer, and
the filters that find requests again (from Python and over ``GET /_mock/requests``).

``JournalMiddleware`` is the outermost layer of the app, so it sees every request: those no
route matched, those rejected before a handler read their body, those a scenario turned into
an error or a fault. It records an entry *before* the last byte of the answer is sent, so a
test that has its response can always find the request in the journal.

Nothing here imports the API layer: the app passes in how to name the tenant of a request
that never reached a handler.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import difflib
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any, overload
from urllib.parse import parse_qsl

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_SIZE = 1000
MAX_BODY = 64 * 1024  # of each request body kept; the rest is counted, not kept
MAX_RESPONSE_BODY = 16 * 1024  # of each error answer kept, for reports
JOURNAL_HEADER = "x-mock-journal"  # "off": leave this request out (the plugin's own reads)
ADMIN_PREFIX = "/_mock/"

# Keys handlers and the scenario engine write into ``scope["state"]`` for the journal.
TENANT_KEY = "tenant"
RULES_KEY = "mock_rules_fired"
UNROUTED_KEY = "mock_unrouted"  # set by the app when no route matched (404, 405)
INVALID_KEY = "mock_invalid"  # set by the app when validation rejected the input (400/413/415)
FAULT_KEY = "mock_fault"  # set by the scenario engine: the connection fault it delivered


def route_path(path: str, base_path: str = "") -> str:
    """The path as the routes see it: base path stripped, no trailing slash, and ``/api/``
    paths lower-cased (ASP.NET routes match case-insensitively)."""
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    if base_path:
        lowered = path.lower()
        base = base_path.lower()
        if lowered == base:
            path = "/"
        elif lowered.startswith(base + "/"):
            path = path[len(base_path) :]
    if path[:5].lower() == "/api/":
        path = path.lower()
    return path


@dataclass(frozen=True, slots=True)
class Entry:
    """One journaled request and how it was answered.

    ``path`` is the path as the client sent it; ``route`` the path the routes saw.
    ``status`` is None when no status line was sent (a connection fault). ``routed`` is
    False when no route matched; ``invalid`` is True when the API's validation rejected the
    request (a 400, 413 or 415 of the server's own, never one a scenario rule made).
    ``fault`` names the connection fault a scenario delivered.
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

    @property
    def body_truncated(self) -> bool:
        return self.body_size > len(self.body)

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
        except msgspec.DecodeError as error:
            raise ValueError(f"request #{self.seq} has no JSON body: {error}") from None

    @property
    def rejected(self) -> bool:
        """No route matched, or the API's validation rejected the request."""
        return not self.routed or self.invalid

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
            "time": datetime.fromtimestamp(self.time, UTC).isoformat(timespec="milliseconds"),
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "query": self.query,
            "headers": self.headers,
            "body": body,
            "body_base64": body_b64,
            "body_size": self.body_size,
            "body_truncated": self.body_truncated,
            "tenant": self.tenant,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 3),
            "rules": list(self.rules),
            "routed": self.routed,
            "invalid": self.invalid,
            "fault": self.fault,
            "response_body": answer,
            "response_body_base64": answer_b64,
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
        )


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


# What the server records per request, in Entry's field order (route and headers raw).
_Raw = tuple[
    int, float, str, str, bytes, list[tuple[bytes, bytes]], bytes, int, str, int | None, float,
    tuple[str, ...], bool, bool, str | None, bytes,
]  # fmt: skip


class Journal:
    """The ring buffer: the last ``size`` requests (0 keeps none). The server thread appends
    while a test thread reads, so every access takes the lock."""

    def __init__(self, size: int = DEFAULT_SIZE, base_path: str = "") -> None:
        self.size = size
        self.base_path = base_path
        # Recording is on every request's path, so the server appends a plain tuple and an
        # Entry is built only when somebody reads it.
        self._entries: deque[Entry | _Raw] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = count(1)
        self._open: dict[int, dict[str, Any]] = {}  # seq -> scope state, until recorded
        self._issued = 0

    def open(self, state: dict[str, Any]) -> int:
        """A ``seq`` for a request that has arrived; its entry follows with ``add``."""
        seq = self._issued = next(self._seq)
        self._open[seq] = state
        return seq

    def add(self, entry: Entry | _Raw) -> None:
        with self._lock:  # ``clear(tenant)`` swaps the buffer: never append to the old one
            self._entries.append(entry)
        self._open.pop(entry[0] if isinstance(entry, tuple) else entry.seq, None)

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
        entry = (seq, arrived, method, path, query, headers, b"", 0, tenant, status,
                 latency_ms, (), True, False, None, b"")  # fmt: skip
        with self._lock:
            self._entries.append(entry)

    def faults_in_flight(self) -> bool:
        """Whether a request that a scenario broke at the connection is still unrecorded.
        Its client may already have seen the break (a reset, a close) while the server
        finishes it a moment later: readers wait for these (``settle``)."""
        return any(FAULT_KEY in state for state in list(self._open.values()))

    def _kept(self) -> list[Entry]:
        with self._lock:
            kept = list(self._entries)
        return [self._entry(e) if isinstance(e, tuple) else e for e in kept]

    def _entry(self, raw: _Raw) -> Entry:
        (seq, arrived, method, path, query, headers, body, body_size, tenant, status,
         latency_ms, rules, routed, invalid, fault, response) = raw  # fmt: skip
        return Entry(
            seq=seq,
            time=arrived,
            method=method,
            path=path,
            route=route_path(path, self.base_path),
            query=query.decode("latin-1"),
            headers=_headers(headers),
            body=body,
            body_size=body_size,
            tenant=tenant,
            status=status,
            latency_ms=latency_ms,
            rules=rules,
            routed=routed,
            invalid=invalid,
            fault=fault,
            response_body=response,
        )

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
        kept = self._kept()
        if tenant is not None:
            kept = [e for e in kept if e.tenant == tenant]
        if since is not None:
            kept = [e for e in kept if e.seq > since]
        kept.sort(key=_seq_of)
        return kept

    def last_seq(self) -> int:
        """The ``seq`` of the newest request so far, recorded or not, also after a reset
        (0 before the first): ``since=last_seq()`` keeps only what comes next."""
        return self._issued

    def clear(self, tenant: str | None = None) -> int:
        """Forget every entry (of one tenant); the number forgotten."""
        with self._lock:
            before = len(self._entries)
            if tenant is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if _tenant_of(e) != tenant]
                self._entries = deque(kept, maxlen=self.size)
            return before - len(self._entries)


def _seq_of(entry: Entry) -> int:
    return entry.seq


def _tenant_of(entry: Entry | _Raw) -> str:
    return entry[8] if isinstance(entry, tuple) else entry.tenant


# --- recording --------------------------------------------------------------------------------


class _Capture:
    """What one request sent and how far its answer got."""

    __slots__ = ("body", "body_done", "body_size", "recorded", "response", "started", "status")

    def __init__(self) -> None:
        self.body = bytearray()
        self.body_size = 0
        self.body_done = False
        self.status: int | None = None
        self.started = time.perf_counter()
        self.response = bytearray()
        self.recorded = False

    def keep(self, message: Message) -> None:
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            self.body_size += len(chunk)
            room = MAX_BODY - len(self.body)
            if room > 0:
                self.body += chunk[:room]
            if not message.get("more_body", False):
                self.body_done = True
        elif message["type"] == "http.disconnect":
            self.body_done = True


class JournalMiddleware:
    """Pure ASGI: records method, path, query, headers, body (up to 64 KiB), tenant, status,
    latency and the scenario rules that fired for every request except the admin API's
    (``/_mock/...``) and requests sent with ``X-Mock-Journal: off``."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        tenant_of: Callable[[Mapping[str, str]], str],
        base_path: str = "",
    ) -> None:
        self.app = app
        self.journal = journal
        self.tenant_of = tenant_of
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.journal.size == 0:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        declares_body = False
        for name, value in raw_headers:
            if name == b"x-mock-journal" and value.lower() == b"off":
                await self.app(scope, receive, send)
                return
            if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                declares_body = True
        if ADMIN_PREFIX in path[: len(self.base_path) + 7] and route_path(
            path, self.base_path
        ).startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        journal = self.journal
        seq = journal.open(state)
        arrived = time.time()
        capture = _Capture()

        def record() -> None:
            capture.recorded = True
            tenant = state.get(TENANT_KEY)
            if not isinstance(tenant, str):
                tenant = self.tenant_of(_headers(raw_headers))
            journal.add(
                (
                    seq,
                    arrived,
                    scope["method"],
                    path,
                    scope["query_string"],
                    raw_headers,
                    bytes(capture.body) if capture.body else b"",
                    capture.body_size,
                    tenant,
                    capture.status,
                    (time.perf_counter() - capture.started) * 1000.0,
                    tuple(state.get(RULES_KEY) or ()),
                    not state.get(UNROUTED_KEY, False),
                    bool(state.get(INVALID_KEY, False)),
                    state.get(FAULT_KEY),
                    bytes(capture.response) if capture.response else b"",
                )
            )

        async def receive_and_keep() -> Message:
            message = await receive()
            capture.keep(message)
            return message

        async def send_and_record(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                capture.status = message["status"]
                if capture.status >= 400 and declares_body and not capture.body_done:
                    # The app answered without reading the body (415, 413): read what fits,
                    # so that the rejected payload is in the journal too.
                    while not capture.body_done and len(capture.body) < MAX_BODY:
                        await receive_and_keep()
            elif kind == "http.response.body":
                if capture.status is not None and capture.status >= 400:
                    room = MAX_RESPONSE_BODY - len(capture.response)
                    if room > 0:
                        capture.response += message.get("body", b"")[:room]
                if not message.get("more_body", False) and not capture.recorded:
                    record()
            await send(message)

        try:
            await self.app(scope, receive_and_keep if declares_body else receive, send_and_record)
        except BaseException:
            if not capture.recorded:
                if capture.status is None and FAULT_KEY not in state:
                    capture.status = 500  # what the error middleware outside answers
                record()
            raise
        if not capture.recorded:
            record()


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


# --- finding requests again -------------------------------------------------------------------

_ABSENT: Any = object()
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(int|str))?\}")
_INDEX_SUFFIX = re.compile(r"\[\d*\]$")
_PREFIX = "filter."


def _path_pattern(path: str) -> re.Pattern[str]:
    """A path, literal or a template: ``{name}`` (or ``{name:int}``) matches one integer
    segment, as every id in this API is one; ``{name:str}`` matches any one segment."""
    normal = route_path(path)
    parts: list[str] = []
    position = 0
    for match in _PARAM.finditer(normal):
        parts.append(re.escape(normal[position : match.start()]))
        parts.append(r"[^/]+" if match.group(2) == "str" else r"[+-]?\d+")
        position = match.end()
    parts.append(re.escape(normal[position:]))
    # API paths (and a base path before them) route case-insensitively; others do not.
    flags = re.IGNORECASE if "/api/" in normal.lower() else 0
    return re.compile("".join(parts), flags)


def _param_name(key: str) -> str:
    """A query name as ASP.NET binds it: ``filter.`` prefix optional, case-insensitive,
    ``k[]`` and ``k[0]`` the same as ``k``."""
    name = key.lower()
    if name.startswith(_PREFIX):
        name = name[len(_PREFIX) :]
    return _INDEX_SUFFIX.sub("", name)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _json_subset(expected: Any, actual: Any, where: str, problems: list[str]) -> None:
    """Objects match when every expected key matches (extra keys are fine); lists match item
    by item and must have the same length; anything else must be equal."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            problems.append(f"{where or 'body'}: expected an object, got {_short(actual)}")
            return
        for key, value in expected.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in actual:
                problems.append(f"{path}: missing (expected {_short(value)})")
            else:
                _json_subset(value, actual[key], path, problems)
    elif isinstance(expected, list | tuple):
        if not isinstance(actual, list) or len(actual) != len(expected):
            problems.append(f"{where or 'body'}: expected {_short(expected)}, got {_short(actual)}")
            return
        for i, (value, item) in enumerate(zip(expected, actual, strict=True)):
            _json_subset(value, item, f"{where}[{i}]", problems)
    elif not _same_kind(expected, actual) or expected != actual:
        problems.append(f"{where or 'body'}: expected {_short(expected)}, got {_short(actual)}")


def _same_kind(expected: Any, actual: Any) -> bool:
    """JSON-wise the same type: ``1`` and ``1.0`` are both numbers, ``True`` is not ``1``."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return True
    return type(expected) is type(actual)


def _short(value: Any, limit: int = 80) -> str:
    try:
        text = msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class RequestFilter:
    """What to look for; every given criterion must hold.

    ``path`` matches literally or as a template (``/api/customers/{customer_id}``), after the
    base path and a trailing slash are stripped. ``query``, ``json`` and ``headers`` match as
    subsets: the request may carry more. ``status`` is one code or a collection of codes.
    """

    method: str | None = None
    path: str | None = None
    tenant: str | None = None
    status: int | Collection[int] | None = None
    query: Mapping[str, Any] | None = None
    json: Any = _ABSENT
    headers: Mapping[str, str] | None = None
    rule: str | None = None
    since: int | None = None
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            object.__setattr__(self, "_pattern", _path_pattern(self.path))

    def mismatches(self, entry: Entry) -> list[str]:
        """Why ``entry`` does not match, one reason per criterion; empty when it matches."""
        problems: list[str] = []
        if self.method is not None and entry.method.upper() != self.method.upper():
            problems.append(f"method: expected {self.method.upper()}, got {entry.method}")
        if self._pattern is not None and not (
            self._pattern.fullmatch(entry.route)
            or self._pattern.fullmatch(entry.path.rstrip("/") or "/")
        ):
            problems.append(f"path: expected {self.path}, got {entry.path}")
        if self.tenant is not None and entry.tenant != self.tenant:
            problems.append(f"tenant: expected {self.tenant!r}, got {entry.tenant!r}")
        if self.status is not None:
            wanted = {self.status} if isinstance(self.status, int) else set(self.status)
            if entry.status not in wanted:
                shown = " or ".join(str(s) for s in sorted(wanted))
                problems.append(f"status: expected {shown}, got {entry.status}")
        if self.rule is not None and self.rule not in entry.rules:
            problems.append(f"rule: expected {self.rule!r} to fire, fired {list(entry.rules)}")
        if self.since is not None and entry.seq <= self.since:
            problems.append(f"seq: expected after #{self.since}, got #{entry.seq}")
        if self.query is not None:
            problems.extend(self._query_mismatches(entry))
        if self.headers is not None:
            for name, value in self.headers.items():
                got = entry.headers.get(name.lower())
                if got != value:
                    problems.append(f"header {name}: expected {value!r}, got {got!r}")
        if self.json is not _ABSENT:
            try:
                body = entry.json()
            except ValueError:
                problems.append(f"json: expected {_short(self.json)}, body is not JSON")
            else:
                _json_subset(self.json, body, "", problems)
        return problems

    def _query_mismatches(self, entry: Entry) -> list[str]:
        assert self.query is not None
        sent: dict[str, list[str]] = {}
        for key, values in entry.params.items():
            sent.setdefault(_param_name(key), []).extend(values)
        problems: list[str] = []
        for key, value in self.query.items():
            got = sent.get(_param_name(key), [])
            wanted = [_as_text(v) for v in value] if isinstance(value, list | tuple) else None
            if wanted is not None:
                missing = [w for w in wanted if w not in got]
                if missing:
                    problems.append(f"query {key}: expected {wanted}, got {got}")
            elif _as_text(value) not in got:
                shown = f"got {got}" if got else "not sent"
                problems.append(f"query {key}: expected {_as_text(value)!r}, {shown}")
        return problems

    def matches(self, entry: Entry) -> bool:
        return not self.mismatches(entry)

    def describe(self) -> str:
        """``GET /api/customers with query {"page": 2}`` for messages."""
        words = [self.method.upper() if self.method else "any method", self.path or "any path"]
        extra = []
        if self.query is not None:
            extra.append(f"query {_short(dict(self.query))}")
        if self.json is not _ABSENT:
            extra.append(f"JSON body {_short(self.json)}")
        if self.headers is not None:
            extra.append(f"headers {_short(dict(self.headers))}")
        if self.tenant is not None:
            extra.append(f"tenant {self.tenant!r}")
        if self.status is not None:
            extra.append(f"status {self.status}")
        if self.rule is not None:
            extra.append(f"rule {self.rule!r}")
        return " ".join(words) + (" with " + ", ".join(extra) if extra else "")


class Requests:
    """A list of journal entries, oldest first: ``count``, ``first``, ``last``, indexing."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = list(entries)

    @property
    def count(self) -> int:
        return len(self._entries)

    @property
    def first(self) -> Entry:
        if not self._entries:
            raise IndexError("no requests matched")
        return self._entries[0]

    @property
    def last(self) -> Entry:
        if not self._entries:
            raise IndexError("no requests matched")
        return self._entries[-1]

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Requests: ...
    def __getitem__(self, index: int | slice) -> Entry | Requests:
        if isinstance(index, slice):
            return Requests(self._entries[index])
        return self._entries[index]

    def __repr__(self) -> str:
        lines = "".join(f"\n  {e.describe()}" for e in self._entries)
        return f"<Requests count={self.count}>{lines}"


def select(entries: Sequence[Entry], criteria: RequestFilter) -> Requests:
    return Requests([e for e in entries if criteria.matches(e)])


def assert_requested(
    entries: Sequence[Entry], criteria: RequestFilter, times: int | None = None
) -> Requests:
    """The matching entries; ``AssertionError`` with a readable report unless there are
    exactly ``times`` of them (at least one when ``times`` is None)."""
    found = select(entries, criteria)
    if (times is None and found.count >= 1) or found.count == times:
        return found
    raise AssertionError(explain(entries, criteria, times, found))


def explain(
    entries: Sequence[Entry], criteria: RequestFilter, times: int | None, found: Requests
) -> str:
    """Expected versus recorded, with the nearest requests and why each did not match."""
    expected = "at least once" if times is None else _times(times)
    lines = [f"Expected {criteria.describe()} {expected}; it was requested {_times(found.count)}."]
    if found:
        lines.append("Matching requests:")
        lines.extend(f"  {e.describe()}" for e in found)
    others = [e for e in entries if not criteria.matches(e)]
    if others:
        ranked = sorted(others, key=lambda e: (len(criteria.mismatches(e)), -e.seq))[:5]
        lines.append("Nearest other requests:")
        for entry in ranked:
            lines.append(f"  {entry.describe()}")
            lines.extend(f"      {reason}" for reason in criteria.mismatches(entry))
    elif not entries:
        lines.append("The journal holds no requests.")
    return "\n".join(lines)


def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def problem_report(entries: Sequence[Entry], known_routes: Sequence[str] = ()) -> str:
    """A readable report of the requests that matched no route or were rejected by
    validation; empty when there are none."""
    problems = [e for e in entries if e.rejected]
    if not problems:
        return ""
    lines = [
        f"mockserver: the code under test sent {_plural(len(problems), 'request')} that "
        "the API would reject (mark the test with @pytest.mark.mock_allow_errors if that "
        "is intended):"
    ]
    for entry in problems:
        lines.append(f"  {entry.describe()}")
        if not entry.routed:
            reason = "no route matches this method and path"
            close = difflib.get_close_matches(entry.route, known_routes, n=1, cutoff=0.6)
            if close:
                reason += f" (did you mean {close[0]}?)"
            lines.append(f"      {reason}")
        elif entry.response_body:
            lines.append(f"      answer: {entry.response_body.decode('utf-8', 'replace')}")
        if entry.body:
            shown = entry.text if len(entry.text) <= 500 else entry.text[:497] + "..."
            lines.append(f"      sent: {shown}")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def filter_from_query(params: Sequence[tuple[str, str]]) -> tuple[RequestFilter, int | None]:
    """The filter ``GET /_mock/requests`` was given, and its ``limit``: ``method``, ``path``,
    ``tenant``, ``status`` (repeatable), ``rule``, ``since``, ``limit``, ``query.NAME=VALUE``
    (repeatable) and ``json`` (a JSON document). ``ValueError`` maps a parameter to what is
    wrong with it."""
    scalars: dict[str, str] = {}
    statuses: list[int] = []
    query: dict[str, list[str]] = {}
    problems: dict[str, list[str]] = {}
    for key, value in params:
        name = key.lower()
        if name.startswith("query."):
            query.setdefault(key[len("query.") :], []).append(value)
        elif name == "status":
            if value.strip().isdigit():
                statuses.append(int(value))
            else:
                problems[key] = [f"The value '{value}' is not a valid status code."]
        elif name in ("method", "path", "tenant", "rule", "since", "limit", "json"):
            scalars.setdefault(name, value)
        else:
            problems[key] = [
                "Unknown filter: use method, path, tenant, status, rule, since, limit, "
                "query.NAME or json."
            ]
    numbers: dict[str, int | None] = {}
    for name in ("since", "limit"):
        raw = scalars.get(name)
        numbers[name] = None
        if raw is not None:
            if raw.strip().isdigit():
                numbers[name] = int(raw)
            else:
                problems[name] = [f"The value '{raw}' is not a valid whole number."]
    body: Any = _ABSENT
    if "json" in scalars:
        try:
            body = msgspec.json.decode(scalars["json"])
        except msgspec.DecodeError as error:
            problems["json"] = [f"The value is not valid JSON: {error}."]
    if problems:
        raise FilterError(problems)
    criteria = RequestFilter(
        method=scalars.get("method") or None,
        path=scalars.get("path") or None,
        tenant=scalars.get("tenant"),
        status=statuses or None,
        query={k: v[0] if len(v) == 1 else v for k, v in query.items()} or None,
        json=body,
        rule=scalars.get("rule") or None,
        since=numbers["since"],
    )
    return criteria, numbers["limit"]


class FilterError(ValueError):
    def __init__(self, model_state: dict[str, list[str]]) -> None:
        super().__init__(model_state)
        self.model_state = model_state
