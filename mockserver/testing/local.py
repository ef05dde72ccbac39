"""``MockServer``: the real server (uvicorn) on 127.0.0.1 and a free port, in a background
thread of the test process, with its state at hand.

Everything a test does to a running ``MockServer`` (reset, add records, load a scenario, read
the store) runs on the server's own event loop, between requests, never beside one. Scenario
names and paths are handed to the scenario loader as given: it resolves a bare name the way the
server does (the scenarios folder first, then the scenarios shipped with the package).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, TypeVar

import anyio.to_thread
import uvicorn
from starlette.applications import Starlette

from ..app import create_app
from ..journal import Entry
from ..models import Customer, Invoice
from ..scenarios import INVOICES_PER_CUSTOMER, activate, apply, load_files, load_text, prepare
from ..serving import uvicorn_config
from ..settings import OPTIONS, Settings
from ..state import State
from ..tables import Table
from .clock import ClockControl
from .criteria import JournalQueries
from .records import DEFAULT_TENANT, Records, customer_body
from .tenant import MockTenant

T = TypeVar("T")

_START_TIMEOUT_S = 10.0


class MockServer(JournalQueries):
    """The mock API on ``127.0.0.1`` and a free port, served by uvicorn in a background thread.

    ``with MockServer(customers=20) as api:`` (or ``async with``, or ``start()``/``stop()``)
    returns once the server answers and stops it on exit, leaving no thread or socket
    behind even when the body raises. ``customers`` alone implies five invoices per
    customer; ``scenario`` takes scenario names (``"flaky-5xx"``) or paths; ``admin_token``
    makes the server ask every admin request for it (``admin_headers`` sends it);
    ``settings`` gives every other option (its host and port are ignored).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        customers: int | None = None,
        invoices: int | None = None,
        scenario: str | Path | Sequence[str | Path] | None = None,
        scenarios_dir: str | Path | None = None,
        base_path: str | None = None,
        auth: str | None = None,
        journal_size: int | None = None,
        admin_token: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        given = {
            "seed": seed,
            "customers": customers,
            "invoices": invoices,
            "base_path": base_path,
            "auth": auth,
            "journal_size": journal_size,
            "scenarios_dir": scenarios_dir,
            "admin_token": admin_token,
        }
        changes: dict[str, Any] = {
            name: _checked(name, value) for name, value in given.items() if value is not None
        }
        if customers is not None and invoices is None:
            changes["invoices"] = INVOICES_PER_CUSTOMER * changes["customers"]
        if scenario is not None:
            names = [scenario] if isinstance(scenario, str | Path) else scenario
            changes["scenario"] = tuple(str(name) for name in names)
        base = settings if settings is not None else Settings(log_level="warning")
        if base.state != "memory":
            # Its helpers (login, clock, seeding, reading records) reach into this process's
            # state directly, which a fleet's other processes would never see.
            raise ValueError(
                "MockServer runs one server in this process, on state in memory; for a fleet "
                "on Redis start `mockserver serve --state ...` and drive it with "
                "RemoteMockServer(url) (or the pytest plugin's --mockserver-url)"
            )
        self.settings: Settings = base.with_changes(host="127.0.0.1", port=0, **changes)
        self._app: Starlette | None = None
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    # --- the app and its state ------------------------------------------------------------

    @property
    def app(self) -> Starlette:
        """The ASGI app (built on first use; ``start`` serves this same app)."""
        if self._app is None:
            self._app = create_app(self.settings)  # ScenarioError for an invalid scenario
        return self._app

    @property
    def state(self) -> State:
        state: State = self.app.state.mock
        return state

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers for this server's admin routes (``/_mock/...``): the admin token, when
        one is set (without one, the server answers admin requests from this machine)."""
        token = self.settings.admin_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    # --- the clock (``api.clock``) -------------------------------------------------------------

    @property
    def clock(self) -> ClockControl:
        """The server-wide clock: ``freeze``, ``advance``, ``set``, ``now``, ``reset``."""
        return ClockControl(self)

    def clock_now(self, tenant: str | None) -> tuple[datetime, bool]:
        reading = self.state.clocks.reading(tenant)
        return reading.now, reading.frozen

    def clock_set(self, tenant: str | None, moment: datetime, frozen: bool) -> None:
        clocks = self.state.clocks
        self._call(lambda: clocks.set(tenant, moment, frozen))

    def clock_advance(self, tenant: str | None, step: timedelta) -> None:
        clocks = self.state.clocks
        self._call(lambda: clocks.advance(tenant, step))

    def clock_reset(self, tenant: str | None) -> None:
        clocks = self.state.clocks
        self._call(lambda: clocks.reset(tenant))

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server's event loop between requests (directly when the server
        is not running)."""
        server = self._server
        loop = server.loop if server is not None else None
        if loop is None or not loop.is_running():
            return fn()
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as error:
                done.set_exception(error)

        loop.call_soon_threadsafe(run)
        return done.result(timeout=_START_TIMEOUT_S)

    # --- serving ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` plus the base path; only while started."""
        if self.port is None:
            raise RuntimeError("the MockServer is not started: use `with MockServer() as api:`")
        return f"http://127.0.0.1:{self.port}{self.settings.base_path}"

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> MockServer:
        """Serve in a background thread; returns once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the MockServer is already started")
        app = self.app
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            config = uvicorn_config(app, self.settings, port=port, log_config=None)
            server = _ThreadServer(config)
            thread = threading.Thread(
                target=server.serve_forever,
                args=(sock,),
                name=f"mockserver-{port}",
                daemon=True,
            )
            thread.start()
        except BaseException:
            sock.close()
            raise
        self._server, self._thread, self._socket = server, thread, sock
        ready = server.ready.wait(_START_TIMEOUT_S)
        if not ready or not server.started:
            error = server.error
            self.stop()
            reason = f": {error!r}" if error is not None else ""
            raise RuntimeError(f"the MockServer did not start{reason}") from error
        self.port = port
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; safe to call twice."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        self.port = None
        if server is not None:
            server.stop()
        try:
            if thread is not None:
                thread.join(_START_TIMEOUT_S)
                if thread.is_alive():
                    raise RuntimeError("the MockServer thread did not stop")
        finally:
            if sock is not None:
                sock.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> MockServer:
        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)

    def transport(self, httpx_module: ModuleType | None = None) -> Any:
        """An ``ASGITransport`` that serves this app in-process, without a socket, for an
        ``AsyncClient``: from ``httpx_module`` if given, else ``httpx2`` when it is
        installed, else ``httpx``. The server need not be started."""
        module = httpx_module if httpx_module is not None else _httpx()
        return module.ASGITransport(app=self.app)

    # --- the journal --------------------------------------------------------------------------

    def _entries(self, tenant: str | None, since: int | None) -> list[Entry]:
        journal = self.state.journal
        journal.settle()
        return journal.entries(tenant, since)

    def last_seq(self) -> int:
        """The ``seq`` of the newest journaled request (0 when there is none)."""
        return self.state.journal.last_seq()

    def clear_requests(self, tenant: str | None = None) -> int:
        """Forget the journal (of one tenant); the number of requests forgotten."""
        return self.state.journal.clear(tenant)

    # --- data, sessions, scenarios ------------------------------------------------------------

    def reset(self, tenant: str | None = None) -> None:
        """Every tenant (or one) back to the seeded data; scenario counters, sessions and the
        journal cleared with it."""
        state = self.state
        self._call(lambda: state.reset(tenant))

    def delete_tenant(self, name: str) -> bool:
        """Drop tenant ``name``: its data, sessions, rule counters and journal entries (as
        ``DELETE /_mock/tenants/NAME`` does); False when there was no such tenant."""
        state = self.state

        def delete() -> bool:
            existed = name in state.store.tenants or state.sessions.holds(name)
            state.reset(name)
            return existed

        return self._call(delete)

    def login(self, tenant: str = DEFAULT_TENANT) -> str:
        """A session id for ``tenant`` (as a login with that ``Database`` gives), made
        without a request, so it is not journaled."""
        state = self.state
        return self._call(lambda: state.sessions.login(tenant).session_id)

    def load_scenario(self, *paths: str | Path, text: str | None = None) -> None:
        """Make these scenarios (names or files, layered in order), or this YAML text, the
        active scenario, as ``PUT /_mock/scenario`` does."""
        if (text is None) == (not paths):
            raise TypeError("load_scenario takes scenario names or paths, or text=, not both")
        if text is not None:
            scenario = load_text(text, "<text>")
        else:
            scenario = load_files(paths, self.settings.scenarios_dir)
        state = self.state
        prepared = prepare(state, scenario)  # builds any new data here, not on the server
        self._call(lambda: apply(state, prepared))

    def clear_scenario(self) -> None:
        """Back to the start-up scenario (none unless ``scenario=`` was given), as
        ``DELETE /_mock/scenario`` does."""
        state = self.state
        self._call(lambda: activate(state, None))

    def add_customers(
        self, *customers: Customer | Mapping[str, Any], tenant: str = DEFAULT_TENANT
    ) -> list[Customer]:
        """Create customers in ``tenant`` exactly as ``POST /api/customers`` does (validated
        the same way; the server assigns ``id``, ``number`` and timestamps); the stored
        records. Nothing is created when any customer is invalid."""
        bodies = [customer_body(c) for c in customers]
        state = self.state

        def create() -> list[Customer]:
            target = state.store.tenant(tenant)
            return [target.create_customer(body) for body in bodies]

        return self._call(create)

    def _records(self, tenant: str, kind: str) -> Records[Any]:
        state = self.state

        def snapshot() -> tuple[list[int], Table[Any, Any]]:
            table: Table[Any, Any] = getattr(state.store.tenant(tenant), kind)
            return list(table.ids), table

        ids, table = self._call(snapshot)
        return Records(ids, lambda record_id: self._call(lambda: table.get(record_id)))

    def customers_of(self, tenant: str = DEFAULT_TENANT) -> Records[Customer]:
        return self._records(tenant, "customers")

    def invoices_of(self, tenant: str = DEFAULT_TENANT) -> Records[Invoice]:
        return self._records(tenant, "invoices")

    @property
    def customers(self) -> Records[Customer]:
        """The default tenant's customers."""
        return self.customers_of()

    @property
    def invoices(self) -> Records[Invoice]:
        """The default tenant's invoices."""
        return self.invoices_of()

    def tenant(self, name: str, *, login: bool = True) -> MockTenant:
        """A handle on one tenant (logged in unless ``login=False``), its journal view
        starting now."""
        return MockTenant(self, name, self.login(name) if login else None, self.last_seq())

    def __repr__(self) -> str:
        where = self.url if self.port is not None else "not started"
        s = self.settings
        return f"<MockServer {where} seed={s.seed} customers={s.customers} invoices={s.invoices}>"


def _checked(name: str, value: object) -> Any:
    """``value`` as the command line would take it; ``ValueError`` says what is wrong."""
    option = next(option for option in OPTIONS if option.name == name)
    try:
        return option.parse(str(value))
    except ValueError as error:
        raise ValueError(f"{name}={value!r}: {error}") from None


def _httpx() -> ModuleType:
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return importlib.import_module("httpx")


class _ThreadServer(uvicorn.Server):
    """uvicorn for a background thread: tells the starting thread when it listens (or
    failed), and wakes at once when asked to stop instead of at its next 0.1 s tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def serve_forever(self, sock: socket.socket) -> None:
        try:
            self.run(sockets=[sock])
        except BaseException as error:  # reported to the starting thread
            self.error = error
        finally:
            self.ready.set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    async def main_loop(self) -> None:
        # uvicorn's own loop, but sleeping on an event that ``stop`` sets.
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            assert self._wake is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    def stop(self) -> None:
        self.should_exit = True
        loop, wake = self.loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)
