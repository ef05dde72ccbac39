"""The HTTP protocol the mock serves with: uvicorn's (httptools where installed, else h11),
extended in two ways.

- **The transport in the scope.** Connection faults (``mockserver.faults``) need the
  connection itself, which ASGI does not carry: every request's scope gets it under
  ``scope["extensions"]["mockserver.transport"]``.
- **The direct lane** (httptools only). A plain ``GET`` of a list route is the request the
  mock serves most, by far: clients page through customers and invoices all day. When
  nothing but the list endpoint has a say in its answer (no scenario rule that could match
  it, no named scenario, no request body, no proxy headers, nothing queued before it on
  the connection), the protocol answers it itself, in the parser's callback: the same
  ``ListEndpoint.page`` computes the page, the journal records the request, and the
  cached bytes of the records go to the socket in one ``writelines``, never joined into a
  page. That skips the per-request task, the ASGI messages and the middleware stack, which
  together cost more than the filtering itself. Anything else (and anything the lane
  cannot answer plainly: a 400, a 401) takes the ASGI path, which answers it exactly as
  before; the lane's answers are byte-identical to the ASGI path's (tests/test_protocol.py).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .api.common import JSON_BYTES, ApiError, State, tenant_for
from .api.lists import TOTAL_HEADER, ListEndpoint, envelope_parts
from .faults import TRANSPORT
from .journal import Journal
from .rules import RuleBook
from .scenarios import runtime_of

# --- the transport in the scope ---------------------------------------------------------------


class _WithTransport:
    """Puts the connection's transport in every request's scope."""

    def __init__(self, app: Any, transport: asyncio.Transport) -> None:
        self.app = app
        self.transport = transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["extensions"] = {**(scope.get("extensions") or {}), TRANSPORT: self.transport}
        await self.app(scope, receive, send)


# --- the direct lane ----------------------------------------------------------------------------

# Request headers that hand the request to the ASGI path: a body to read, a scenario to look
# up, proxy headers that change the client the access log names, an upgrade.
_ASGI_ONLY = frozenset(
    (
        b"content-length",
        b"transfer-encoding",
        b"expect",
        b"upgrade",
        b"x-mock-scenario",
        b"x-forwarded-for",
        b"x-forwarded-proto",
    )
)


class DirectReads:
    """What the direct lane needs from the application, found once it is ready.

    ``app`` answers the Starlette application, or None while it is still loading
    (``serving.Loading``); the lane stays out of the way until there is one."""

    def __init__(self, app: Callable[[], ASGIApp | None]) -> None:
        self._app = app
        self._state: State | None = None
        self.journal: Journal = Journal(0)
        self.lanes: dict[bytes, ListEndpoint] = {}
        self._defaults: list[tuple[bytes, bytes]] | None = None
        self._book: RuleBook | None = None
        self._ruled_paths: dict[bytes, bool] = {}
        self._head = b""

    def state(self) -> State | None:
        if self._state is None:
            app = self._app()
            if app is None:
                return None
            from .app import read_lanes

            state: State = app.state.mock  # type: ignore[attr-defined]
            self.lanes = {path.encode(): lane for path, lane in read_lanes(state).items()}
            self.journal = state.journal
            self._state = state
        return self._state

    def _ruled(self, book: RuleBook, path: bytes) -> bool:
        """Whether a rule of the active scenario could match ``GET path`` (then the ASGI
        path, where the rules are evaluated, answers it). Known per book and path."""
        if book is not self._book:
            self._book, self._ruled_paths = book, {}
        ruled = self._ruled_paths.get(path)
        if ruled is None:
            base = self._state.settings.base_path if self._state is not None else ""
            parts = path.decode("ascii")[len(base) :].split("/")[1:]
            ruled = self._ruled_paths[path] = book.may_match("GET", parts)
        return ruled

    def head(self, default_headers: list[tuple[bytes, bytes]]) -> bytes:
        """The status line and the headers every list answer starts with: uvicorn's default
        headers (``server``, ``date``; the date changes every second) and the content type."""
        if default_headers is not self._defaults:
            lines = [b"HTTP/1.1 200 OK\r\n"]
            lines += [b"%s: %s\r\n" % pair for pair in default_headers]
            lines.append(b"content-type: %s\r\n" % JSON_BYTES)
            self._head = b"".join(lines)
            self._defaults = default_headers
        return self._head

    def answer(
        self,
        path: bytes,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        default_headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
    ) -> tuple[list[bytes], str, bool] | None:
        """The whole answer to ``GET path?query`` as pieces to write, the tenant's name and
        whether the journal records the request; None when the ASGI path must answer."""
        state = self.state()
        if state is None:
            return None
        lane = self.lanes.get(path)
        if lane is None:
            return None
        session_id = named = None
        journal = True
        for key, value in headers:
            if key in _ASGI_ONLY:
                if key != b"content-length" or value != b"0":
                    return None
            elif key == b"session-id":
                session_id = value.decode("latin-1")
            elif key == b"x-mock-tenant":
                named = value.decode("latin-1")
            elif key == b"x-mock-journal" and value.lower() == b"off":
                journal = False
        book = runtime_of(state).book
        if book.rules and self._ruled(book, path):
            return None
        try:
            tenant_name, tenant = tenant_for(state, session_id, named, None)
            total, records = lane.page(tenant, query)
        except ApiError:
            return None
        parts = envelope_parts(records)
        length = sum(map(len, parts))
        head = b"%scontent-length: %d\r\n%s: %d\r\n%s\r\n" % (
            self.head(default_headers),
            length,
            TOTAL_HEADER,
            total,
            b"" if keep_alive else b"connection: close\r\n",
        )
        parts.insert(0, head)
        return parts, tenant_name, journal and self.journal.size > 0


def _direct(base: type[asyncio.Protocol], reads: DirectReads) -> type[asyncio.Protocol]:
    """``base`` (uvicorn's httptools protocol) with the direct lane in front of its cycle."""
    import httptools
    from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

    class Direct(base):  # type: ignore[valid-type, misc]
        reads: DirectReads
        _answered = False

        def on_headers_complete(self) -> None:
            if self._try_direct():
                self._answered = True
                return
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            if self._answered:
                self._answered = False
                return
            super().on_message_complete()

        def _try_direct(self) -> bool:
            cycle = self.cycle
            if (
                (cycle is not None and not cycle.response_complete)
                or self.pipeline
                or self.flow.write_paused
                or self.transport.is_closing()
                or self.parser.get_method() != b"GET"
            ):
                return False
            url = httptools.parse_url(self.url)
            path = url.path
            if b"%" in path:
                return False
            started = time.perf_counter()
            arrived = time.time()
            http_version = self.parser.get_http_version()
            keep_alive = http_version != "1.0" and self.parser.should_keep_alive()
            query = url.query or b""
            try:
                found = self.reads.answer(
                    path, query, self.headers, self.server_state.default_headers, keep_alive
                )
            except Exception:
                # Never an answer of the lane's own: the ASGI path meets the same error and
                # answers (and logs) it as it answers every other.
                return False
            if found is None:
                return False
            pieces, tenant, record = found
            text_path = path.decode("ascii")
            if self.access_log:
                scope = self.scope
                scope.update(method="GET", path=text_path, query_string=query)
                self.access_logger.info(
                    '%s - "%s %s HTTP/%s" %d',
                    get_client_addr(scope),
                    "GET",
                    get_path_with_query_string(scope),
                    http_version,
                    200,
                )
            if record:
                self.reads.journal.add_answered(
                    arrived, "GET", text_path, query, self.headers, tenant, 200, started
                )
            self.transport.writelines(pieces)
            if not keep_alive:
                self.transport.close()
            self.on_response_complete()
            return True

    Direct.reads = reads
    Direct.__name__ = Direct.__qualname__ = f"Direct{base.__name__}"
    return Direct


# --- the protocol classes -----------------------------------------------------------------------


def _exposing(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    class Exposing(base):  # type: ignore[valid-type, misc]
        app: Any

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self.app = _WithTransport(self.app, transport)  # type: ignore[arg-type]

    Exposing.__name__ = Exposing.__qualname__ = f"TransportExposing{base.__name__}"
    return Exposing


def http_protocol(reads: DirectReads | None = None) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools where installed, else h11) with the transport
    exposed to the application and, given ``reads`` and httptools, the direct lane."""
    try:
        exposing = _exposing_httptools()
    except ImportError:  # pragma: no cover - httptools is part of uvicorn[standard]
        return h11_protocol()
    return exposing if reads is None else _direct(exposing, reads)


@functools.cache
def _exposing_httptools() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return _exposing(HttpToolsProtocol)


@functools.cache
def h11_protocol() -> type[asyncio.Protocol]:
    """The same over h11 (the pure-Python parser), without the direct lane."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    return _exposing(H11Protocol)
