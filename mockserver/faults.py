"""Connection-level faults, so that client timeouts and retry logic meet the real thing.

``connection_reset`` and ``empty_response`` drop the request before the handler runs
(nothing is written); the other faults run the handler and damage its answer:

- ``connection_reset``: SO_LINGER 0, then abort: the client gets a TCP RST (ECONNRESET)
  before any byte of an answer.
- ``empty_response``: the connection closes cleanly without a byte.
- ``malformed_json``: a 200 whose body is not JSON (the real body cut in half, or ``body``).
- ``truncated_body``: the real status and headers with the full ``Content-Length``, part of
  the body, then the connection closes.
- ``slow_body``: the real answer, its body dribbled in ``chunks`` over ``duration_ms``.

The transport is not part of ASGI: the HTTP protocol of ``mockserver.protocol`` puts it in
``scope["extensions"]["mockserver.transport"]``. In process (httpx's
``ASGITransport``, Starlette's TestClient) there is no transport: ``connection_reset``,
``empty_response`` and ``truncated_body`` then raise ``ConnectionFault`` (a
``ConnectionError``) out of the application, which those clients pass on to the caller;
``malformed_json`` and ``slow_body`` behave as over a socket.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .rules import JSON_TYPE, Fault

TRANSPORT = "mockserver.transport"
# The faults that drop a request before its handler runs (the others damage its answer).
DROPPED_UNANSWERED = ("connection_reset", "empty_response")
DISCONNECT_WAIT_S = 5.0


class ConnectionFault(ConnectionError):
    """A connection-level fault raised in process, where there is no socket to break."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"mockserver fault: {kind}")
        self.kind = kind


def transport_of(scope: Scope) -> asyncio.Transport | None:
    extensions = scope.get("extensions") or {}
    transport: asyncio.Transport | None = extensions.get(TRANSPORT)
    return transport


async def deliver(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the request with ``fault`` instead of a proper answer."""
    transport = transport_of(scope)
    if fault.kind in DROPPED_UNANSWERED:
        if transport is None:
            raise ConnectionFault(fault.kind)
        # Take the whole request first: a client still sending its body when the reset
        # arrives sees a failed write and then a plain EOF, not the reset.
        await _drain(receive)
        if fault.kind == "connection_reset":
            _reset(transport)
        else:
            transport.close()
        await _until_disconnected(receive)
        return
    status, headers, body = await _capture(app, scope, receive)
    if fault.kind == "malformed_json":
        damaged = fault.body if fault.body is not None else _cut(body)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", JSON_TYPE),
                    (b"content-length", str(len(damaged)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": damaged})
    elif fault.kind == "truncated_body":
        promised = max(len(body), 1)
        keep = len(body) // 2 if fault.keep_bytes is None else fault.keep_bytes
        keep = min(keep, promised - 1)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": _with_length(headers, promised),
            }
        )
        await send({"type": "http.response.body", "body": body[:keep], "more_body": True})
        if transport is None:
            raise ConnectionFault(fault.kind)
        transport.close()  # flushes what was written, then closes: the body stays short
        await _until_disconnected(receive)
    else:  # slow_body
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": _with_length(headers, len(body)),
            }
        )
        pieces = max(1, min(fault.chunks, len(body)))
        pause = fault.duration_ms / 1000 / pieces
        for index in range(pieces):
            await asyncio.sleep(pause)
            piece = body[index * len(body) // pieces : (index + 1) * len(body) // pieces]
            await send(
                {"type": "http.response.body", "body": piece, "more_body": index < pieces - 1}
            )


def _reset(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0: closing sends RST instead of FIN and discards anything unsent.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _drain(receive: Receive) -> None:
    """Read the rest of the request body (bounded in time)."""
    try:
        async with asyncio.timeout(DISCONNECT_WAIT_S):
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
    except TimeoutError:
        pass


async def _until_disconnected(receive: Receive) -> None:
    """Wait until the server has seen the connection go, so that it does not report an
    unfinished answer as an application error."""
    try:
        async with asyncio.timeout(DISCONNECT_WAIT_S):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


async def _capture(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the handler and keep its answer."""
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return status, headers, b"".join(chunks)


def _cut(body: bytes) -> bytes:
    """Half of a JSON body is never JSON (an object or list loses its closing bracket)."""
    if len(body) < 2:
        return b'{"result_count":'
    return body[: len(body) // 2]


def _with_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [
        (k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")
    ]
    return [*kept, (b"content-length", str(length).encode())]
