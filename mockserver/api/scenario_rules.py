"""The scenario rules in front of the API: a pure ASGI middleware, inside ``PathNormalizer``
(so paths are already normalized) and inside the request journal (so the journal sees the
rules that fired, in ``scope["state"]["mock_rules_fired"]``).

Rules apply to API routes only (``/api/...`` under the base path), never to ``/health``,
``/_mock/*`` or the documentation. A request's tenant for matching and counters is its
session's, else ``X-Mock-Tenant``, else ``default`` (``tenant_name``).
"""

from __future__ import annotations

import asyncio
from collections import deque

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..faults import DROPPED_UNANSWERED, deliver
from ..models import ErrorBody, encode
from ..replay import DEFER
from ..rules import JSON_TYPE, Outcome, Reply, RequestView
from ..scenarios import NamedScenarioError, PendingNamed, off_loop, runtime_of
from ..state import State
from ..wire import (
    FAULT_KEY,
    INVALID,
    RULES_KEY,
    SCENARIO_HEADER_BYTES,
    SCENARIO_HEADER_NAME,
    SESSION_HEADER,
    STORE_KEY,
)
from .common import MAX_BODY, tenant_name


class ScenarioRules:
    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        base_path = state.settings.base_path
        self.base_path = base_path

    def _api_parts(self, path: str) -> list[str] | None:
        """The segments of an API path (base path stripped), or None for any other path."""
        if self.base_path:
            if not path.startswith(self.base_path + "/"):
                return None
            path = path[len(self.base_path) :]
        if not path.startswith("/api/"):
            return None
        return path.split("/")[1:]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        parts = self._api_parts(scope["path"])
        if parts is None:
            await self.app(scope, receive, send)
            return
        named = _named_scenario(scope)
        runtime = runtime_of(self.state)
        try:
            found = runtime.context(named)
            if isinstance(found, PendingNamed):
                # Its data are built on first use, off the event loop; a shutdown does not
                # wait for the build (off_loop).
                found = runtime.register(await off_loop(found.build))
        except NamedScenarioError as error:
            await _send_reply(send, _invalid_scenario(error.messages))
            return
        book, store = found
        request_state = scope.setdefault("state", {})
        if store is not None:
            request_state[STORE_KEY] = store
        if not book.rules:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        view = RequestView(
            method=scope["method"],
            parts=parts,
            query_string=scope.get("query_string", b""),
            headers=headers,
            tenant=tenant_name(self.state, headers),
        )
        if book.needs_body:
            view.body, receive = await _buffered(receive, headers)
        outcome = book.evaluate(view)
        request_state[RULES_KEY] = outcome.fired
        await self._answer(outcome, headers, scope, receive, send)

    async def _answer(
        self, outcome: Outcome, headers: Headers, scope: Scope, receive: Receive, send: Send
    ) -> None:
        deferred = DEFER.get()
        if deferred is not None:  # a fleet's replay: the answering process delivers these
            deferred.latency_ms, deferred.fault = outcome.latency_ms, outcome.fault
        elif outcome.latency_ms > 0:
            await asyncio.sleep(outcome.latency_ms / 1000)
        if outcome.reply is not None:
            if outcome.reply.invalidate_session:
                session_id = headers.get(SESSION_HEADER)
                if session_id:
                    self.state.sessions.invalidate(session_id)
            await _send_reply(send, outcome.reply)
        elif outcome.fault is not None:
            scope["state"][FAULT_KEY] = outcome.fault.kind
            if deferred is None:
                await deliver(outcome.fault, self.app, scope, receive, send)
            elif outcome.fault.kind not in DROPPED_UNANSWERED:
                await self.app(scope, receive, send)  # its effects; the damage comes later
        else:
            await self.app(scope, receive, send)


def _named_scenario(scope: Scope) -> str | None:
    """The ``X-Mock-Scenario`` header (the common case, no header, without building a
    ``Headers``)."""
    for name, value in scope["headers"]:
        if name == SCENARIO_HEADER_BYTES:
            return value.decode("latin-1") or None
    return None


def _invalid_scenario(messages: list[str]) -> Reply:
    body = encode(ErrorBody(Message=INVALID, ModelState={SCENARIO_HEADER_NAME: messages}))
    return Reply(
        400,
        ((b"content-type", JSON_TYPE), (b"content-length", str(len(body)).encode())),
        body,
        False,
    )


async def _send_reply(send: Send, reply: Reply) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": reply.headers})
    await send({"type": "http.response.body", "body": reply.body})


async def _buffered(receive: Receive, headers: Headers) -> tuple[bytes | None, Receive]:
    """The request body for the rules, and a ``receive`` that hands the messages read on to
    the handler, then the rest. Past ``MAX_BODY`` (declared, or counted as it arrives) the
    body is None: no rule matches on it, and the handler, reading on, answers its own 413.
    Never more than ``MAX_BODY`` and one message are held."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None, receive  # nothing read: the handler refuses it without reading either
    messages: deque[Message] = deque()
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # a disconnect, handed on as it came
        size += len(message.get("body", b""))
        if size > MAX_BODY or not message.get("more_body", False):
            break
    body: bytes | None = None
    if size <= MAX_BODY:
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if len(messages) > 1 and messages[-1]["type"] == "http.request":
            # One message for the handler: the chunks are not held twice.
            messages = deque([{"type": "http.request", "body": body, "more_body": False}])

    async def replay() -> Message:
        if messages:
            return messages.popleft()
        return await receive()

    return body, replay
