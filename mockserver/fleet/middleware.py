"""The fleet's middleware: pure ASGI, inside the admin guard and outside the scenario rules.

Each request is one of three kinds:

- **Logged**: it may change state. A write to the API (any method but GET, HEAD and
  OPTIONS), a change of the admin API's (``/_mock/...``), and an API read a scenario rule
  may count (the active rules could match it, or it names a scenario with
  ``X-Mock-Scenario``). Its body is read, it is appended to the fleet's log, and its answer
  is what replaying it here gave, sent once every live process has applied it: delayed
  and broken as the scenario rules said (``mockserver.replay.Deferred``).
- **Read**: anything else under the API or the admin API: served here, as without a fleet,
  once this process is current (``Fleet.current``; a joining one waits, briefly).
- **Local**: health, documentation, the dashboard's files: served as ever. ``/health``
  answers 503 with the reason while this process cannot serve.

Answers of the fleet's own: 503 with ``Retry-After`` and an ASP.NET-shaped ``Message``
while Redis is unreachable or this process is not current; 507 when the log is full. A body
larger than any handler accepts is not logged: the handler refuses it here, changing nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import routes
from ..api.common import ApiError, requested_tenant, tenant_headers
from ..faults import deliver
from ..models import ErrorBody, Health, encode
from ..replay import READ_ONLY, Deferred, new_pin
from ..routes import ADMIN_PREFIX, API_PREFIX
from ..scenarios import runtime_of
from ..state import State
from ..wire import JSON_BYTES, SCENARIO_HEADER_BYTES
from .entries import entry_of
from .member import OWN_WAIT_S, Captured, Fleet, FleetFull, FleetUnavailable

MAX_LOGGED_BODY = 16 * 1024 * 1024  # the largest body a handler takes (a scenario)
READS = ("GET", "HEAD", "OPTIONS")
HEALTH_PATH = "/health"

UNAVAILABLE = (
    "The mock's shared state is unavailable: {reason}. Nothing was changed; retry shortly."
)
NOT_ACKNOWLEDGED = (
    "The change was logged but not every process of the fleet confirmed it in time; "
    "it may or may not take effect. Retry shortly."
)
FULL = (
    "The fleet's log of changes is full ({limit} entries, --fleet-log); return the fleet to "
    "its start to go on: DELETE /_mock/scenario (if one was activated), then POST /_mock/reset."
)


def _answer(status: int, body: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()) -> list[Message]:
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON_BYTES),
                (b"content-length", b"%d" % len(body)),
                *extra,
            ],
        },
        {"type": "http.response.body", "body": body},
    ]


async def _send_all(send: Send, messages: Sequence[Message]) -> None:
    for message in messages:
        await send(message)


def unavailable(reason: str) -> list[Message]:
    body = encode(ErrorBody(Message=UNAVAILABLE.format(reason=reason)))
    return _answer(503, body, ((b"retry-after", b"1"),))


class FleetMiddleware:
    def __init__(self, app: ASGIApp, state: State, fleet: Fleet, pristine: Callable[[], bool]):
        self.app = app
        self.state = state
        self.fleet = fleet
        self.pristine = pristine
        fleet.replay = app  # what replays run through: everything below this middleware
        base = state.settings.base_path
        self.api_prefix = base + API_PREFIX
        self.tenant_reads = _tenant_reads()
        self.reset_path = ADMIN_PREFIX + "reset"
        self.scenario_path = ADMIN_PREFIX + "scenario"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = path.startswith(self.api_prefix)
        admin = not api and path.startswith(ADMIN_PREFIX)
        if not api and not admin:
            if path == HEALTH_PATH:
                await self._health(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        if self._logged(scope, api):
            await self._logged_request(scope, receive, send)
            return
        fleet = self.fleet
        if not fleet.current():
            try:
                await fleet.ensure_current()
            except FleetUnavailable as error:
                await _send_all(send, unavailable(str(error)))
                return
        token = READ_ONLY.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            READ_ONLY.reset(token)

    def _logged(self, scope: Scope, api: bool) -> bool:
        method: str = scope["method"]
        if method not in READS:
            return True
        if not api:
            return False
        for name, value in scope["headers"]:
            if name == SCENARIO_HEADER_BYTES and value:
                return True
        path = scope["path"][len(self.api_prefix) - len(API_PREFIX) :]
        book = runtime_of(self.state).book
        if book.rules and book.may_match(method, path.split("/")[1:]):
            return True
        return self._opens_tenant(scope, path)

    def _opens_tenant(self, scope: Scope, path: str) -> bool:
        """A read that makes its tenant (the tenant's first request: a read of the API's data
        makes a tenant, which ``--max-tenants`` counts and ``/_mock/tenants`` lists): logged,
        so that every process makes it. Reads refused before they reach a tenant (a bad
        session, a missing one where auth is required) make none and are not logged."""
        if not self.tenant_reads.fullmatch(path):
            return False
        try:
            name = requested_tenant(self.state, *tenant_headers(scope["headers"]))
        except ApiError:  # refused before it reaches a tenant: makes none
            return False
        return name not in self.state.store.tenants

    def _masks(self) -> bool:
        """Whether a logged body's secrets are masked: unless a scenario rule matches on
        them (the active scenario's, or one ``X-Mock-Scenario`` named)."""
        runtime = runtime_of(self.state)
        if runtime.book.matches_secrets:
            return False
        return not any(named.book.matches_secrets for named in runtime.named.values())

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        fleet = self.fleet
        if not fleet.current():
            with contextlib.suppress(FleetUnavailable):
                await fleet.ensure_current(wait_s=0.0 if fleet.connected else None)
        reason = fleet.health()
        if reason is None:
            await self.app(scope, receive, send)
            return
        dataset = self.state.store.dataset
        body = encode(
            Health(
                status="unavailable",
                seed=dataset.seed,
                customers=len(dataset.customers),
                invoices=len(dataset.invoices),
                reason=reason,
            )
        )
        await _send_all(send, _answer(503, body, ((b"retry-after", b"1"),)))

    async def _logged_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        fleet = self.fleet
        body, rest = await _read_body(receive)
        if rest is not None:  # too large to be taken by any handler: refused here, unlogged
            await self.app(scope, rest, send)
            return
        try:
            await fleet.ensure_current()
        except FleetUnavailable as error:
            await _send_all(send, unavailable(str(error)))
            return
        token = secrets.token_hex(8)
        _, data = entry_of(scope, body, new_pin(), fleet.name, token, self._masks())
        own = fleet.expect(token, scope, body)
        try:
            seq = await fleet.append(data, past_bound=self._to_the_start(scope))
        except FleetUnavailable as error:
            fleet.forget(token)
            await _send_all(send, unavailable(str(error)))
            return
        except FleetFull:
            fleet.forget(token)
            body = encode(ErrorBody(Message=FULL.format(limit=fleet.max_log)))
            await _send_all(send, _answer(507, body))
            return
        try:
            async with asyncio.timeout(OWN_WAIT_S):
                captured, deferred = await own.done
        except TimeoutError:
            fleet.forget(token)
            body = encode(ErrorBody(Message=NOT_ACKNOWLEDGED))
            await _send_all(send, _answer(503, body, ((b"retry-after", b"1"),)))
            return
        if not await fleet.acknowledged(seq):
            body = encode(ErrorBody(Message=NOT_ACKNOWLEDGED))
            await _send_all(send, _answer(503, body, ((b"retry-after", b"1"),)))
            return
        if self._resets_all(scope) and self.pristine():
            await fleet.compact(seq)
        await _deliver(captured, deferred, scope, receive, send)

    def _to_the_start(self, scope: Scope) -> bool:
        """A change on the way back to the fleet's start, which a full log still takes: a
        reset of every tenant, or the end of the active scenario (admins' alone)."""
        return self._resets_all(scope) or (
            scope["method"] == "DELETE" and scope["path"] == self.scenario_path
        )

    def _resets_all(self, scope: Scope) -> bool:
        """A reset of every tenant (no ``tenant`` in its query: a session holder's always has
        its own, the guard puts it there), after which nothing logged before it matters."""
        if scope["method"] != "POST" or scope["path"] != self.reset_path:
            return False
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        return not any(key == "tenant" and value for key, value in query)


def _tenant_reads() -> re.Pattern[str]:
    """The API reads served from a tenant's data (every mocked GET but ``auth.alive``), as
    one pattern over the path without the base path."""
    templates = [
        resource.path
        for resource in routes.RESOURCES
        if resource.is_api
        and "GET" in resource.operations
        and resource.operations["GET"].handler not in (routes.UNMOCKED_HANDLER, "auth.alive")
    ]
    shapes = [re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(t)) for t in templates]
    return re.compile("(?:" + "|".join(shapes) + ")", re.IGNORECASE)


async def _read_body(receive: Receive) -> tuple[bytes, Receive | None]:
    """The whole body; past ``MAX_LOGGED_BODY``, None and a ``receive`` that hands on what
    was read, then the rest."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_LOGGED_BODY and message.get("more_body", False):
            return b"", _rest(b"".join(chunks), receive)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), None


def _rest(read: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands on what was read, then the rest of the body."""
    pending: list[Message] = [{"type": "http.request", "body": read, "more_body": True}]

    async def rest() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return rest


async def _deliver(
    captured: Captured, deferred: Deferred, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer as the replay here answered, with the delay and fault the rules deferred."""
    if captured.error is not None and not captured.messages:
        raise captured.error  # the server's 500, as without a fleet
    if deferred.latency_ms > 0:
        await asyncio.sleep(deferred.latency_ms / 1000)
    if deferred.fault is not None:

        async def replayed(scope: Scope, receive: Receive, send: Send) -> None:
            await _send_all(send, captured.messages)

        await deliver(deferred.fault, replayed, scope, receive, send)
        return
    await _send_all(send, captured.messages)
    if captured.error is not None:
        raise captured.error
