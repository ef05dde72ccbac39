"""How the mock is put on a socket: one uvicorn configuration for the command line, the
container and the ``MockServer`` test helper alike."""

from __future__ import annotations

import gc
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Generic, TypeVar

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .models import ErrorBody, encode
from .protocol import MAX_HEADER_BYTES, DirectReads, http_protocol
from .settings import Settings
from .wire import JSON_BYTES, STARTING

_STARTING = encode(ErrorBody(Message=STARTING))
_STARTING_HEADERS = [
    (b"content-type", JSON_BYTES),
    (b"content-length", str(len(_STARTING)).encode()),
    (b"retry-after", b"1"),
]


A = TypeVar("A", bound=ASGIApp)


class Loading(Generic[A]):
    """Serves while the application is built in a background thread: until the data and every
    scenario are loaded each request gets a 503 (``Retry-After: 1``), so the socket opens at
    once, ``/health`` answers 503 before it answers 200, and probes never see a refused port.

    ``start`` begins the build; ``on_ready(app)`` or ``on_failure(error)`` runs in the
    building thread when it ends."""

    def __init__(
        self,
        build: Callable[[], A],
        on_ready: Callable[[A], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self.app: A | None = None
        self._build = build
        self._on_ready = on_ready
        self._on_failure = on_failure
        self._thread = threading.Thread(target=self._run, name="mockserver-load", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            app = self._build()
        except BaseException as error:
            self._on_failure(error)
            return
        self.app = app
        self._on_ready(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        if app is not None:
            await app(scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 503, "headers": _STARTING_HEADERS})
            await send({"type": "http.response.body", "body": _STARTING})


def uvicorn_config(app: ASGIApp, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """httptools and uvloop where installed; the access log only at info level and below;
    in-flight requests get 2 s to finish on shutdown (then a JSON 503). The HTTP protocol
    bounds request headers, closes connections without resetting them, exposes each
    connection's transport to the scenario faults and, for the mock's application (or its
    ``Loading``), answers plain list reads itself (``mockserver.protocol``)."""
    reads = None
    if isinstance(app, Loading):
        reads = DirectReads(lambda: app.app)
    elif hasattr(getattr(app, "state", None), "mock"):
        reads = DirectReads(lambda: app)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": settings.log_level in ("info", "debug", "trace"),
        "timeout_graceful_shutdown": 2,
        "lifespan": "off",
        "http": http_protocol(reads),
        # h11 (where httptools is missing) bounds the headers as the guarded httptools does
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


def settle_heap() -> None:
    """Once the data are loaded: they live as long as the server, so the cyclic garbage
    collector stops walking them (``gc.freeze``), and collects the few short-lived
    containers of each request less often. A process-wide setting, so the ``serve``
    command's business alone (never the test helper's, which shares its process)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def run(server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
    """``server.run()`` (on ``sockets`` if given: bound already, by the command line) in the
    main thread, where SIGINT and SIGTERM end the process with
    status 0 once the requests in flight are finished. uvicorn re-raises the signal it shut
    down for: that would end the process with -15 (and a traceback for Ctrl+C) here, but be
    ignored in a container, where the server is PID 1. One clean exit everywhere instead."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    server.run(sockets=sockets)
