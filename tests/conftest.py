"""Generic fixtures: an app over exactly the records a test gives, a clock that moves only
when told, a real server process on a free port, and a real redis-server of the test's own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from ports import free_port
from redis_server import RedisServer, redis_server_path
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.models import Customer, Invoice
from mockserver.settings import Settings
from mockserver.store import RecordDataset, Store

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FakeClock:
    """Stands still until ``advance``: date-times for the store's stamps, seconds for
    ``Sessions`` (on the epoch's scale, as ``mockserver.clock.Clocks`` aligns them)."""

    def __init__(self, start: datetime = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)) -> None:
        self.moment = start

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)

    def now(self) -> datetime:
        return self.moment

    def seconds(self) -> float:
        return (self.moment - _EPOCH).total_seconds()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[MakeClient]:
    """``make_client(customers, invoices, **settings)``: a TestClient of an app serving
    exactly these records, its store and sessions on the ``clock`` fixture."""
    clients: list[TestClient] = []

    def make(
        customers: Iterable[Customer] = (),
        invoices: Iterable[Invoice] = (),
        **settings: Any,
    ) -> TestClient:
        store = Store(RecordDataset(customers, invoices), clock=clock.now)
        # The fake clock is the server's base clock: the tenants' clocks (``/_mock/clock``)
        # run over it, and the sessions age by it.
        app = create_app(Settings(**settings), store=store, clock=clock)
        client = TestClient(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


AsgiGet = Callable[[Any, str, bytes], tuple[int, dict[str, str], bytes]]


def _asgi_get(app: Any, path: str, query: bytes) -> tuple[int, dict[str, str], bytes]:
    """Call ``app`` directly with a GET whose query bytes are exactly ``query``: an HTTP
    client would percent-encode them first."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = sent[0]
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def asgi_get() -> AsgiGet:
    """``asgi_get(app, path, query_bytes) -> (status, headers, body)``."""
    return _asgi_get


@pytest.fixture
def pick_port() -> Callable[[], int]:
    """A port free on 127.0.0.1 right now."""
    return free_port


@dataclass
class ServerProcess:
    """A ``python -m mockserver serve`` child process and where it answers."""

    process: subprocess.Popen[str]
    host: str
    port: int
    log: Path
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = f"http://{self.host}:{self.port}"


StartServer = Callable[..., ServerProcess]


def _wait_for_health(server: ServerProcess, path: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = server.log.read_text()
            raise AssertionError(f"server exited with {server.process.returncode}: {output}")
        try:
            if httpx.get(server.base_url + path, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"no answer on {path} in {timeout_s} s: {server.log.read_text()}")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """``start_server(*args, env={...}, port=None, host=...)``: run ``python -m mockserver
    serve`` and wait for its ``/health``; always stopped at teardown. Without ``port`` it gets
    ``--port`` with a free port; with ``port`` the caller passes it (flag or environment), and
    ``host`` likewise says where to wait."""
    started: list[ServerProcess] = []

    def start(
        *args: str,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
        health_path: str = "/health",
        timeout_s: float = 20.0,
    ) -> ServerProcess:
        argv = [sys.executable, "-m", "mockserver", "serve", *args]
        if port is None:
            port = free_port()
            argv += ["--port", str(port)]
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
        child_env.update(env or {})
        # A file, not a pipe: the access log must never block the server on a full pipe.
        log = tmp_path / f"server-{len(started)}.log"
        with log.open("w") as log_file:
            process = subprocess.Popen(
                argv,
                env=child_env,
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                text=True,
            )
        server = ServerProcess(process, host, port, log)
        started.append(server)
        _wait_for_health(server, health_path, timeout_s)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
        server.process.wait()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A started ``redis-server`` of this test alone (tests/redis_server.py): 127.0.0.1, a free
    port, a temporary folder, nothing kept on disk; stopped at teardown, also on failure.
    Skipped where redis-server is missing, failed where ``CI`` is set."""
    redis_server_path()
    with RedisServer() as server:
        yield server


StartRedis = Callable[..., RedisServer]


@pytest.fixture
def start_redis() -> Iterator[StartRedis]:
    """``start_redis(persistent=False, folder=None)``: one more started ``RedisServer`` (two
    fleets, or one with persistence, in one test); all stopped at teardown."""
    redis_server_path()
    started: list[RedisServer] = []

    def start(*, persistent: bool = False, folder: Path | None = None) -> RedisServer:
        server = RedisServer(folder, persistent=persistent)
        started.append(server)
        return server.__enter__()

    yield start
    for server in started:
        server.close()
