"""The HTTP protocol the mock serves with: uvicorn's (httptools where installed, else h11),
extended in three ways.

- **The transport in the scope.** Connection faults (``mockserver.faults``) need the
  connection itself, which ASGI does not carry: every request's scope gets it under
  ``scope["extensions"]["mockserver.transport"]``.
- **A guarded connection** (httptools only): bounded request headers (a JSON 431), and an
  answer that leaves a request body unread (a 413 to a client still uploading, or one
  waiting for ``100 Continue``) closes the connection gracefully, never with a reset; see
  ``_guarded``. A request that the shutdown grace period cuts short gets a JSON 503.
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

from .api.common import ApiError, tenant_for
from .api.lists import ListEndpoint, envelope_parts
from .app import MockApp, read_lanes
from .faults import TRANSPORT
from .journal import Journal
from .models import ErrorBody, encode
from .replay import READ_ONLY
from .rules import RuleBook
from .scenarios import runtime_of
from .state import State
from .wire import JSON_BYTES, TOTAL_HEADER_BYTES

# --- the transport in the scope ---------------------------------------------------------------


class _WithTransport:
    """Puts the connection's transport in every request's scope, and answers a request that
    the server's shutdown cuts short (uvicorn cancels what still runs when the grace period
    ends) with a JSON 503 instead of its plain-text 500 and a logged traceback."""

    def __init__(self, app: Any, transport: asyncio.Transport) -> None:
        self.app = app
        self.transport = transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["extensions"] = {**(scope.get("extensions") or {}), TRANSPORT: self.transport}
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            # uvicorn's send is its request cycle's method: the cycle knows whether an
            # answer has begun (then the connection just closes, as uvicorn does).
            cycle = getattr(send, "__self__", None)
            if scope["type"] != "http" or getattr(cycle, "response_started", True):
                raise
            await send({"type": "http.response.start", "status": 503, "headers": _STOPPING_HEADERS})
            await send({"type": "http.response.body", "body": _STOPPING})


_STOPPING = encode(ErrorBody(Message="The server is shutting down: the request was not completed."))
_STOPPING_HEADERS = [
    (b"content-type", JSON_BYTES),
    (b"content-length", b"%d" % len(_STOPPING)),
    (b"retry-after", b"1"),
    (b"connection", b"close"),
]


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
            if not isinstance(app, MockApp):
                return None
            state: State = app.state.mock
            self.lanes = {path.encode(): lane for path, lane in read_lanes(app).items()}
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
        fleet = state.fleet
        if fleet is not None and not fleet.current():
            return None  # the ASGI path waits for the fleet, or answers its 503
        # A fleet's read keeps no tenant it names first (the memory store's path: no change).
        token = READ_ONLY.set(True) if fleet is not None else None
        try:
            tenant_name, tenant = tenant_for(state, session_id, named, None)
            if token is not None and tenant_name not in state.store.tenants:
                return None  # a fleet's read that makes its tenant: logged (the ASGI path)
            total, records = lane.page(tenant, query)
        except ApiError:
            return None
        finally:
            if token is not None:
                READ_ONLY.reset(token)
        parts = envelope_parts(records)
        length = sum(map(len, parts))
        head = b"%scontent-length: %d\r\n%s: %d\r\n%s\r\n" % (
            self.head(default_headers),
            length,
            TOTAL_HEADER_BYTES,
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


# --- the guarded connection ---------------------------------------------------------------------

MAX_HEADER_BYTES = 64 * 1024  # a request's line and headers together
DRAIN_BYTES = 8 * 1024 * 1024  # read and dropped after an answer that left input unread
DRAIN_SECONDS = 2.0

_HEADERS_TOO_LARGE = encode(
    ErrorBody(Message=f"The request line and headers are larger than {MAX_HEADER_BYTES} bytes.")
)
_BAD_REQUEST = encode(ErrorBody(Message="Invalid HTTP request received."))


class _HeadersTooLarge(Exception):
    """Raised in a parser callback: httptools turns it into its parser error."""


class _GracefulTransport:
    """The connection's transport as uvicorn's protocol and its requests see it. Closing it
    while the client may still be sending (a body the answer left unread, a request the
    parser refused) half-closes instead: the answer goes out, then a FIN, and what still
    arrives is read and dropped (up to ``DRAIN_BYTES`` or ``DRAIN_SECONDS``) before the
    socket closes. A socket closed with unread input answers the client with a reset, which
    can destroy the answer before the client has read it."""

    def __init__(self, transport: asyncio.Transport, protocol: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        # The hot calls go straight to the transport.
        self.write = transport.write
        self.writelines = transport.writelines
        self.is_closing = transport.is_closing
        self.get_extra_info = transport.get_extra_info

    def close(self) -> None:
        if self._protocol._unread_input() and not self._transport.is_closing():
            self.is_closing = _closing  # nothing more is written, nor another request begun
            self._protocol._drain()
        else:
            self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _closing() -> bool:
    return True


def _declared_body(headers: list[tuple[bytes, bytes]]) -> int | None:
    """A request body's declared length: 0 for none, None when chunked."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
        if name == b"transfer-encoding":
            return None
    return 0


def _guarded(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """``base`` (uvicorn's httptools protocol, with the direct lane) made safe to share:

    - a request line and headers over ``MAX_HEADER_BYTES`` get a JSON 431 (uvicorn sets no
      limit: the parser would hold whatever arrives); unparsable HTTP a JSON 400;
    - an answer given before the request body was read (a 413, a 415, a 401) closes the
      connection only when it must, gracefully (``_GracefulTransport``): when the client
      waits for ``100 Continue`` (it never gets one: the answer is final, and it says
      ``Connection: close``), when the body is chunked or when more than ``DRAIN_BYTES`` of
      it is still to come; otherwise the connection stays open and the rest of the body is
      read and dropped, as uvicorn does.

    A plain read costs three calls more than uvicorn's own protocol: headers are measured
    from the chunks that carry them, and counted one by one only when those are large.
    """
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE

    # The base's own methods, called straight (a super() per parser callback costs).
    received = base.data_received
    begun = base.on_message_begin  # type: ignore[attr-defined]
    headers_complete = base.on_headers_complete  # type: ignore[attr-defined]

    class Guarded(base):  # type: ignore[valid-type, misc]
        transport: Any
        _real: asyncio.Transport
        _chunk = 0  # the size of the chunk being parsed
        _in_head = False  # between the start of a request and the end of its headers
        _head_exact = 0  # bytes of chunks that began and ended inside the headers
        _head_over = 0  # at most this many more: chunks the headers began in
        _too_large = False
        _declared: int | None = 0  # the current request's body: 0 none, None chunked
        _body_seen = 0
        _broken = False  # the parser refused the input: nothing more is parsed
        _lost = False
        _drain_left = 0
        _drain_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._real = self.transport
            self.transport = _GracefulTransport(self._real, self)

        def connection_lost(self, exc: Exception | None) -> None:
            self._lost = True
            if self._drain_timer is not None:
                self._drain_timer.cancel()
            super().connection_lost(exc)

        def eof_received(self) -> bool | None:
            if self._drain_timer is not None:
                self._drained_enough()
            result: bool | None = super().eof_received()
            return result

        def data_received(self, data: bytes) -> None:
            if self._drain_timer is not None or self._broken:
                self._drain_left -= len(data)
                if self._drain_left <= 0:
                    self._drained_enough()
                return
            inside = self._in_head
            self._chunk = len(data)
            received(self, data)
            if self._in_head and not self._broken:
                if inside:
                    self._head_exact += len(data)
                else:
                    self._head_over += len(data)
                if self._head_exact > MAX_HEADER_BYTES:
                    self._too_large = True
                    self._refuse(431, _HEADERS_TOO_LARGE)

        def on_message_begin(self) -> None:
            begun(self)
            self._in_head = True

        def on_headers_complete(self) -> None:
            self._in_head = False
            counted = self._head_exact + self._head_over  # headers that came in pieces
            if counted or self._chunk > MAX_HEADER_BYTES:
                self._head_exact = self._head_over = 0
                if counted + self._chunk > MAX_HEADER_BYTES:
                    size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
                    if size > MAX_HEADER_BYTES:
                        self._too_large = True
                        raise _HeadersTooLarge  # the parser stops; uvicorn answers 400 (431)
            before = self.cycle
            headers_complete(self)
            cycle = self.cycle
            if cycle is before or cycle is None:
                self._declared = 0  # answered by the direct lane: no body
                return
            declared = self._declared = _declared_body(self.headers)
            self._body_seen = 0
            if declared == 0:
                return
            send = cycle.send

            async def sending(message: Any) -> None:
                if (
                    message["type"] == "http.response.start"
                    and self.cycle is cycle
                    and self._unread_input()
                    and (
                        cycle.waiting_for_100_continue
                        or declared is None
                        or declared - self._body_seen > DRAIN_BYTES
                    )
                ):
                    cycle.keep_alive = False  # "connection: close", then a graceful close
                await send(message)

            cycle.send = sending

        def on_body(self, body: bytes) -> None:
            self._body_seen += len(body)
            super().on_body(body)

        def send_400_response(self, msg: str) -> None:
            if self._too_large:
                self._refuse(431, _HEADERS_TOO_LARGE)
            else:
                self._refuse(400, _BAD_REQUEST)

        def _refuse(self, status: int, body: bytes) -> None:
            """A final answer from the protocol itself; the connection then closes."""
            if self._broken:
                return
            self._broken = True
            self._in_head = False
            lines = [STATUS_LINE[status]]
            lines += [b"%s: %s\r\n" % pair for pair in self.server_state.default_headers]
            lines.append(b"content-type: %s\r\n" % JSON_BYTES)
            lines.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
            lines.append(body)
            if not self._real.is_closing():
                self._real.write(b"".join(lines))
            self.transport.close()

        def _unread_input(self) -> bool:
            """Whether the client may still be sending: a body not all read, a request begun
            or refused."""
            if self._lost:
                return False
            declared = self._declared
            return self._broken or self._in_head or declared is None or self._body_seen < declared

        def _drain(self) -> None:
            if self._drain_timer is not None:
                return
            real = self._real
            if not real.can_write_eof():
                real.close()
                return
            real.write_eof()  # the answer goes out, then a FIN; reading goes on
            self._drain_left = DRAIN_BYTES
            self._drain_timer = self.loop.call_later(DRAIN_SECONDS, self._drained_enough)
            self.flow.resume_reading()

        def _drained_enough(self) -> None:
            if self._drain_timer is not None:
                self._drain_timer.cancel()
            self._real.close()

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{base.__name__}"
    return Guarded


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
    exposed to the application, guarded (``_guarded``) and, given ``reads`` and httptools,
    the direct lane."""
    try:
        exposing = _exposing_httptools()
    except ImportError:  # pragma: no cover - httptools is part of uvicorn[standard]
        return h11_protocol()
    return _guarded(exposing if reads is None else _direct(exposing, reads))


@functools.cache
def _exposing_httptools() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return _exposing(HttpToolsProtocol)


@functools.cache
def h11_protocol() -> type[asyncio.Protocol]:
    """The same over h11 (the pure-Python parser), without the direct lane."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    return _exposing(H11Protocol)
