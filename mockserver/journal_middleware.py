"""``JournalMiddleware``: the outermost layer of the app, recording every request in the
journal (``mockserver.journal``).

Being outermost, it sees every request: those no route matched, those rejected before a
handler read their body, those a scenario turned into an error or a fault. It records an
entry *before* the last byte of the answer is sent, so a test that has its response can
always find the request in the journal. What it records is redacted and bounded by the
journal itself; this module only captures (the first 64 KiB of a body, 16 KiB of an error
answer) and knows nothing of the API layer: the app passes in how to name the tenant of a
request that never reached a handler.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .journal import (
    ADMIN_PREFIX,
    MAX_BODY,
    MAX_RESPONSE_BODY,
    Journal,
    Row,
    header_dict,
    route_path,
)
from .wire import (
    FAULT_KEY,
    INVALID_KEY,
    JOURNAL_HEADER_BYTES,
    JOURNAL_OFF,
    RULES_KEY,
    TENANT_KEY,
    UNMOCKED_KEY,
    UNROUTED_KEY,
    UPSTREAM_KEY,
)

_OFF = JOURNAL_OFF.encode()


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
        declares_body = waits = False
        for name, value in raw_headers:
            if name == JOURNAL_HEADER_BYTES and value.lower() == _OFF:
                await self.app(scope, receive, send)
                return
            if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                declares_body = True
            if name == b"expect":  # a client waiting for 100 Continue: reading would send it
                waits = True
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
                tenant = self.tenant_of(header_dict(raw_headers))
            body = bytes(capture.body) if capture.body else b""
            journal.add(
                Row(
                    seq=seq,
                    arrived=arrived,
                    method=scope["method"],
                    path=path,
                    query=scope["query_string"],
                    headers=raw_headers,
                    body=body,
                    body_size=capture.body_size,
                    tenant=tenant,
                    status=capture.status,
                    latency_ms=(time.perf_counter() - capture.started) * 1000.0,
                    rules=tuple(state.get(RULES_KEY) or ()),
                    routed=not state.get(UNROUTED_KEY, False),
                    invalid=bool(state.get(INVALID_KEY, False)),
                    fault=state.get(FAULT_KEY),
                    response_body=bytes(capture.response) if capture.response else b"",
                    truncated=capture.body_size > len(body),
                    upstream=bool(state.get(UPSTREAM_KEY, False)),
                    unmocked=bool(state.get(UNMOCKED_KEY, False)),
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
                if capture.status >= 400 and declares_body and not capture.body_done and not waits:
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
