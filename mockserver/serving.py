"""How the mock is put on a socket: one uvicorn configuration for the command line, the
container and the ``MockServer`` test helper alike; and, for ``serve --workers N``, the
supervisor of N worker processes sharing one socket (``supervise``)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Generic, NoReturn, TypeVar

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
    building thread when it ends.

    It also answers uvicorn's lifespan (on for a fleet's process, ``uvicorn_config``), which
    tells it the server's event loop: a fleet's process joins its fleet on that loop as soon
    as the application is built, not at its first request (``State.fleet.start``)."""

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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            app = self._build()
        except BaseException as error:
            self._on_failure(error)
            return
        with self._lock:
            self.app = app
            loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to join
                loop.call_soon_threadsafe(_join_fleet, app)
        self._on_ready(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        app = self.app
        if app is not None:
            await app(scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 503, "headers": _STARTING_HEADERS})
            await send({"type": "http.response.body", "body": _STARTING})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                with self._lock:
                    self._loop = asyncio.get_running_loop()
                    app = self.app
                if app is not None:
                    _join_fleet(app)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _join_fleet(app: Any) -> None:
    """Start a fleet's process's membership (on the server's loop); nothing in memory."""
    fleet = getattr(getattr(getattr(app, "state", None), "mock", None), "fleet", None)
    if fleet is not None:
        fleet.start()


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
        # A fleet's Loading learns the loop from the lifespan (its process joins at once).
        "lifespan": "on" if isinstance(app, Loading) and settings.state != "memory" else "off",
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


# --- serve --workers N: a supervisor and its worker processes ------------------------------------

# A worker that stops this many times in a row, each time within QUICK_S seconds of its start,
# is not going to come up (a broken Redis, a fleet it may not join): the supervisor gives up.
QUICK_S = 10.0
MAX_QUICK_DEATHS = 5
# How long the workers get to finish after SIGTERM (uvicorn gives requests in flight 2 s, then
# the state closes) before the supervisor kills them.
STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class WorkersFailed(RuntimeError):
    """A worker keeps stopping right after it starts; the message is one clear line."""


@dataclass
class _Worker:
    number: int
    pid: int
    started: float  # time.monotonic() at its fork
    quick_deaths: int  # stops in a row, each within QUICK_S of the start before it


class _Stop(Exception):
    """SIGINT or SIGTERM reached the supervisor."""


def supervise(count: int, work: Callable[[int], None], name: str = "mockserver") -> None:
    """Run ``work(number)`` (1 to ``count``) in ``count`` worker processes and watch them until
    SIGINT or SIGTERM, then stop them and return; raises ``WorkersFailed`` when one keeps
    stopping within seconds of its start (the others are stopped first).

    Workers are forked (Linux's default start method; ``serve`` is Unix-only here): each
    inherits the bound socket as it is, and the start-up scenario the parent has already loaded
    and checked, with nothing pickled or imported again. ``work`` must build everything with a
    thread, an event loop or a connection in it (the application, its Loading thread, a Redis
    client) itself, in the child, after the fork: the parent never builds any of it.

    The supervisor forwards SIGTERM to every worker, waits ``STOP_TIMEOUT_S`` at most, then
    SIGKILLs what is left. A worker that stops unexpectedly (killed, crashed, ``exit``) is
    forked again, with a short back-off. Each worker dies with the supervisor (Linux's
    ``PR_SET_PDEATHSIG``), so a SIGKILLed supervisor leaves no worker serving behind it."""
    workers: dict[int, _Worker] = {}
    stopping = False
    parent = os.getpid()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:  # once: a second Ctrl+C does not cut the orderly stop short
            stopping = True
            raise _Stop

    def start(number: int, quick_deaths: int = 0) -> None:
        # The signals wait while forking: the child must not run the supervisor's handler,
        # and the supervisor must know every pid it forked before it handles one.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            pid = os.fork()
            if pid == 0:
                _worker(parent, number, count, work, name)
            workers[pid] = _Worker(number, pid, time.monotonic(), quick_deaths)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    previous = {signum: signal.signal(signum, on_signal) for signum in _STOP_SIGNALS}
    try:
        for number in range(1, count + 1):
            start(number)
        while True:
            pid, status = os.waitpid(-1, 0)
            worker = workers.pop(pid, None)
            if worker is None:
                continue
            quick = worker.quick_deaths + 1 if time.monotonic() - worker.started < QUICK_S else 0
            how = _how_it_stopped(status)
            label = f"worker {worker.number}/{count}"
            if quick >= MAX_QUICK_DEATHS:
                stopping = True
                raise WorkersFailed(
                    f"{label} stopped {quick} times in a row within {QUICK_S:g} s of starting "
                    f"(last time it {how}); every worker is stopped"
                )
            print(f"{name}: {label} (pid {pid}) {how}; starting it again", file=sys.stderr,
                  flush=True)  # fmt: skip
            time.sleep(0.2 * quick)  # a back-off while it keeps failing at once
            start(worker.number, quick)
    except _Stop:
        pass
    finally:
        stopping = True
        _stop_all(workers)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _worker(
    parent: int, number: int, count: int, work: Callable[[int], None], name: str
) -> NoReturn:
    """The child's side of the fork: ``work(number)``, then ``os._exit`` with its status (never
    back into the supervisor's code, its ``finally`` or its atexit handlers)."""
    status = 1
    try:
        for signum in _STOP_SIGNALS:  # the default until run() sets the server's own
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(_STOP_SIGNALS))
        _die_with(parent)
        work(number)
        status = 0
    except SystemExit as exit_:
        code = exit_.code
        status = code if isinstance(code, int) else 0 if code is None else 1
    except ValueError as error:  # the one-line kind: settings, a fleet it may not join
        print(f"{name}[worker {number}/{count}]: error: {error}", file=sys.stderr)
    except BaseException:
        print(f"{name}[worker {number}/{count}]: error:", file=sys.stderr)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)


def _die_with(parent: int) -> None:
    """SIGTERM this process when the supervisor dies (Linux), so that no worker outlives it;
    elsewhere nothing. If it died already, before this, the worker ends here."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(0)


def _how_it_stopped(status: int) -> str:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            return f"was killed by signal {signum} ({signal.Signals(signum).name})"
        except ValueError:
            return f"was killed by signal {signum}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


def _stop_all(workers: dict[int, _Worker]) -> None:
    """SIGTERM every worker, wait ``STOP_TIMEOUT_S`` at most, SIGKILL the rest; reap them all."""
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while workers and time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            workers.clear()
            return
        if pid == 0:
            time.sleep(0.02)
        else:
            workers.pop(pid, None)
    for pid in list(workers):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        workers.pop(pid)
