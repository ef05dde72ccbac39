"""``serve --upstream``: requests for API paths the mock does not implement, passed through to
the real API.

``Passthrough.forward`` is an ASGI answer to one request: it sends the request upstream with
the bridge's own session (``upstream.Upstream``: its login, its ``Session-Id``, never the
client's), and sends back what the upstream answered (status, body, content type and every
end-to-end header; hop-by-hop ones dropped). Only ``GET`` (and ``HEAD``, sent as a ``GET``)
goes unless writes are allowed; a write is otherwise a 501 saying how to allow it. An upstream
that cannot be reached, breaks TLS or times out is a 502 or 504 with one clear ``Message``,
never a hang (the client's timeouts are bounded). With a ``Capture`` every answer is also
saved as a scenario that replays it without the upstream.

The request is marked in ``scope["state"]`` (``wire.UPSTREAM_KEY``) so that the journal shows
it with ``upstream: true``. This module knows the ASGI messages of one request and the
upstream's client; which requests come here is the application's business
(``mockserver.app`` forwards what no route serves; the vendor catalogue's handler too).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.types import Message, Receive, Scope, Send

from ..replay import FOREIGN
from ..routes import route_path
from ..settings import Settings
from ..wire import JSON_BYTES, UPSTREAM_KEY
from .capture import Capture
from .upstream import Credentials, Upstream, UpstreamError, UpstreamWriteRefused

MAX_BODY = 16 * 1024 * 1024  # of a request body passed through (writes only)

# The client's headers that go upstream: what the answer's form depends on. Never its
# session (the bridge has its own), cookies, credentials or anything of its connection.
FORWARDED = frozenset(
    {b"accept", b"accept-language", b"content-type", b"if-match", b"if-none-match"}
)
# The upstream's headers that never come back: hop-by-hop ones (RFC 9110 7.6.1), what the
# mock's own server writes (length, date, server), an encoding httpx already undid, and
# cookies of the bridge's session.
DROPPED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
        "date",
        "server",
        "set-cookie",
    }
)
READS = frozenset({"GET", "HEAD"})


def writes_refused(method: str) -> str:
    return (
        f"The mock does not implement this {method} request, and it passes only GET requests "
        "through to the upstream. Start it with --upstream-writes (MOCKSERVER_UPSTREAM_WRITES"
        "=true) to pass writes through too."
    )


def unreachable(error: UpstreamError) -> str:
    return f"The upstream API did not answer: {error.message}"


class Passthrough:
    """The bridge's answer to requests the mock does not implement (``State.upstream``)."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        base_path: str = "",
        allow_writes: bool = False,
        capture: Capture | None = None,
    ) -> None:
        self.upstream = upstream
        self.base_path = base_path
        self.allow_writes = allow_writes
        self.capture = capture

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None, **upstream: Any
    ) -> Passthrough:
        """The passthrough ``--upstream`` asks for, with the credentials of the
        ``MOCKSERVER_UPSTREAM_*`` variables (``UpstreamConfigError`` names the missing ones).
        ``upstream`` goes to ``Upstream`` (a test's ``transport``)."""
        client = Upstream(
            settings.upstream,
            Credentials.from_env(environ),
            timeout_s=settings.upstream_timeout,
            allow_writes=settings.upstream_writes,
            **upstream,
        )
        capture = Capture(settings.upstream_record) if settings.upstream_record else None
        return cls(
            client,
            base_path=settings.base_path,
            allow_writes=settings.upstream_writes,
            capture=capture,
        )

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request with the upstream's answer to it."""
        scope.setdefault("state", {})[UPSTREAM_KEY] = True
        if FOREIGN.get():  # a fleet replaying another process's request: that one forwards it
            await _send_message(send, 204, "")
            return
        method: str = scope["method"]
        if method not in READS and not self.allow_writes:
            await _send_message(send, 501, writes_refused(method))
            return
        body = b""
        if method not in READS:
            read = await _read_body(receive)
            if read is None:
                await _send_message(send, 413, "The request body is too large to pass through.")
                return
            body = read
        path = route_path(scope["path"], self.base_path)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in FORWARDED
        }
        sent_method = "GET" if method == "HEAD" else method
        try:
            response = await self.upstream.request(
                sent_method, path, params=query, json_body=body or None, headers=headers
            )
        except UpstreamWriteRefused:
            await _send_message(send, 501, writes_refused(method))
            return
        except UpstreamError as error:
            await _send_message(send, 504 if error.kind == "timeout" else 502, unreachable(error))
            return
        answer = response.content
        kept = [
            (name.lower(), value)
            for name, value in response.headers.multi_items()
            if name.lower() not in DROPPED
        ]
        if self.capture is not None and method == "GET":
            try:
                self.capture.save(path, query, response.status_code, kept, answer)
            except OSError as error:  # the answer still goes out; the recording says why not
                self.capture.failed(error)
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in kept]
        raw.append((b"content-length", str(len(answer)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else answer})

    async def aclose(self) -> None:
        await self.upstream.aclose()


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body; None past ``MAX_BODY``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_message(send: Send, status: int, message: str) -> None:
    body = msgspec.json.encode({"Message": message})
    headers = [(b"content-type", JSON_BYTES), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def passthrough_of(settings: Settings) -> Passthrough | None:
    """The passthrough of ``settings`` (None without ``--upstream``)."""
    if not settings.upstream:
        return None
    return Passthrough.from_settings(settings, os.environ)
