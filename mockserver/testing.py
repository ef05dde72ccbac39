"""The mock inside a test suite: ``MockServer`` runs the real server (uvicorn) on 127.0.0.1 in a
background thread; ``RemoteMockServer`` drives one that already runs (a container); both hand
out ``MockTenant`` handles, one isolated tenant each, as the pytest plugin's ``mock_api`` does.

Everything a test does to a running ``MockServer`` (reset, add records, load a scenario, read
the store) runs on the server's own event loop, between requests, never beside one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import socket
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import msgspec
import uvicorn

from .journal import (
    _ABSENT,
    JOURNAL_HEADER,
    Entry,
    RequestFilter,
    Requests,
    assert_requested,
    problem_report,
    select,
)
from .models import BodyError, Customer, Invoice, Model, decode_body, encode
from .settings import OPTIONS, Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .api.common import State
    from .store import Table

__all__ = ["MockServer", "MockTenant", "Records", "RemoteMockServer"]

R = TypeVar("R", bound=Model)
T = TypeVar("T")

DEFAULT_TENANT = "default"
INVOICES_PER_CUSTOMER = 5
_START_TIMEOUT_S = 10.0
_CREDENTIALS = {"UserName": "mockserver", "Password": "mockserver", "ApiKey": "mockserver"}


class Records(Generic[R]):
    """Read access to one tenant's customers or invoices, in id order, as of when it was
    taken: ``len``, iteration, ``id in records``, ``get(id)``, ``find(**fields)``."""

    def __init__(self, ids: Sequence[int], load: Callable[[int], R | None]) -> None:
        self.ids: list[int] = list(ids)
        self._load = load
        self._known = set(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[R]:
        for record_id in self.ids:
            record = self._load(record_id)
            if record is not None:
                yield record

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._known

    def get(self, record_id: int) -> R | None:
        """The record with this ``id``, or None."""
        return self._load(record_id) if record_id in self._known else None

    def find(self, **fields: Any) -> list[R]:
        """The records whose fields equal every given value: ``find(number=1001)``."""
        return [r for r in self if all(getattr(r, k) == v for k, v in fields.items())]

    def __repr__(self) -> str:
        return f"<Records of {len(self.ids)}>"


def _customer_body(customer: Customer | Mapping[str, Any]) -> Customer:
    """A customer to create, validated exactly as ``POST /api/customers`` validates it;
    ``ValueError`` names the bad field the way the API's ``ModelState`` does."""
    raw = encode(customer) if isinstance(customer, Customer) else encode(dict(customer))
    try:
        return decode_body(raw, Customer, "customer")
    except BodyError as error:
        raise ValueError(f"invalid customer: {error.model_state}") from None


def _filter(
    method: str | None,
    path: str | None,
    tenant: str | None,
    status: int | Collection[int] | None,
    query: Mapping[str, Any] | None,
    json: Any,
    headers: Mapping[str, str] | None,
    rule: str | None,
    since: int | None,
) -> RequestFilter:
    return RequestFilter(
        method=method,
        path=path,
        tenant=tenant,
        status=status,
        query=query,
        json=json,
        headers=headers,
        rule=rule,
        since=since,
    )


class _JournalQueries:
    """``requests`` and ``assert_requested`` over whatever ``_entries`` returns."""

    def _entries(self, tenant: str | None, since: int | None) -> list[Entry]:
        raise NotImplementedError

    def requests(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        tenant: str | None = None,
        status: int | Collection[int] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = _ABSENT,
        headers: Mapping[str, str] | None = None,
        rule: str | None = None,
        since: int | None = None,
    ) -> Requests:
        """The journaled requests matching every given filter, oldest first (every tenant
        unless ``tenant`` is given). ``path`` is literal or a template
        (``/api/customers/{customer_id}``); ``query``, ``json`` and ``headers`` match as
        subsets."""
        criteria = _filter(method, path, tenant, status, query, json, headers, rule, since)
        return select(self._entries(tenant, since), criteria)

    def assert_requested(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int | None = None,
        tenant: str | None = None,
        status: int | Collection[int] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = _ABSENT,
        headers: Mapping[str, str] | None = None,
        rule: str | None = None,
        since: int | None = None,
    ) -> Requests:
        """The matching requests; ``AssertionError`` with the nearest requests and why they
        differ unless there are exactly ``times`` (at least one when ``times`` is None)."""
        criteria = _filter(method, path, tenant, status, query, json, headers, rule, since)
        return assert_requested(self._entries(tenant, since), criteria, times)


class MockServer(_JournalQueries):
    """The mock API on ``127.0.0.1`` and a free port, served by uvicorn in a background thread.

    ``with MockServer(customers=20) as api:`` (or ``async with``, or ``start()``/``stop()``)
    returns once the server answers and stops it on exit, leaving no thread or socket
    behind even when the body raises. ``customers`` alone implies five invoices per
    customer; ``settings`` gives every other option (its host and port are ignored).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        customers: int | None = None,
        invoices: int | None = None,
        scenario: str | Path | Sequence[str | Path] | None = None,
        base_path: str | None = None,
        auth: str | None = None,
        journal_size: int | None = None,
        settings: Settings | None = None,
    ) -> None:
        given = {
            "seed": seed,
            "customers": customers,
            "invoices": invoices,
            "base_path": base_path,
            "auth": auth,
            "journal_size": journal_size,
        }
        changes: dict[str, Any] = {
            name: _checked(name, value) for name, value in given.items() if value is not None
        }
        if customers is not None and invoices is None:
            changes["invoices"] = INVOICES_PER_CUSTOMER * changes["customers"]
        if scenario is not None:
            paths = [scenario] if isinstance(scenario, str | Path) else scenario
            changes["scenario"] = tuple(str(p) for p in paths)
        base = settings if settings is not None else Settings(log_level="warning")
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
            from .app import create_app

            self._app = create_app(self.settings)  # ScenarioError for an invalid scenario
        return self._app

    @property
    def state(self) -> State:
        state: State = self.app.state.mock
        return state

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
        from .serving import uvicorn_config

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
        import anyio.to_thread

        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        import anyio.to_thread

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
        entries: list[Entry] = journal.entries(tenant, since)
        return entries

    def last_seq(self) -> int:
        """The ``seq`` of the newest journaled request (0 when there is none)."""
        seq: int = self.state.journal.last_seq()
        return seq

    def clear_requests(self, tenant: str | None = None) -> int:
        """Forget the journal (of one tenant); the number of requests forgotten."""
        cleared: int = self.state.journal.clear(tenant)
        return cleared

    # --- data, sessions, scenarios ------------------------------------------------------------

    def reset(self, tenant: str | None = None) -> None:
        """Every tenant (or one) back to the seeded data; scenario counters, sessions and the
        journal cleared with it."""
        state = self.state
        self._call(lambda: state.reset(tenant))

    def login(self, tenant: str = DEFAULT_TENANT) -> str:
        """A session id for ``tenant`` (as a login with that ``Database`` gives), made
        without a request, so it is not journaled."""
        state = self.state
        return self._call(lambda: state.sessions.login(tenant).session_id)

    def load_scenario(self, *paths: str | Path, text: str | None = None) -> None:
        """Make these scenario files (layered in order), or this YAML text, the active
        scenario, as ``PUT /_mock/scenario`` does."""
        from .scenarios import apply, load_files, load_text, prepare

        if (text is None) == (not paths):
            raise TypeError("load_scenario takes scenario file paths or text=, not both")
        scenario = load_text(text, "<text>") if text is not None else load_files(paths)
        state = self.state
        prepared = prepare(state, scenario)  # builds any new data here, not on the server
        self._call(lambda: apply(state, prepared))

    def clear_scenario(self) -> None:
        """Back to the start-up scenario (none unless ``scenario=`` was given), as
        ``DELETE /_mock/scenario`` does."""
        from .scenarios import activate

        state = self.state
        self._call(lambda: activate(state, None))

    def add_customers(
        self, *customers: Customer | Mapping[str, Any], tenant: str = DEFAULT_TENANT
    ) -> list[Customer]:
        """Create customers in ``tenant`` exactly as ``POST /api/customers`` does (validated
        the same way; the server assigns ``id``, ``number`` and timestamps); the stored
        records. Nothing is created when any customer is invalid."""
        bodies = [_customer_body(c) for c in customers]
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


_PLACEHOLDERS: dict[type, Any] = {
    msgspec.inspect.StrType: "",
    msgspec.inspect.IntType: 0,
    msgspec.inspect.FloatType: 0.0,
    msgspec.inspect.BoolType: False,
    msgspec.inspect.DateTimeType: "1970-01-01T00:00:00Z",
    msgspec.inspect.ListType: [],
}


_Plan = tuple[tuple[str, str, bool, Any, "type[Model] | None", bool], ...]


@functools.cache
def _plan(model: type[Model]) -> _Plan:
    """Per field: (JSON name, attribute, required, placeholder, nested model, is a list)."""
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    plan = []
    for field in info.fields:
        kinds = (
            field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (field.type,)
        )
        kind = next(k for k in kinds if not isinstance(k, msgspec.inspect.NoneType))
        nested: type[Model] | None = None
        is_list = isinstance(kind, msgspec.inspect.ListType)
        if isinstance(kind, msgspec.inspect.StructType):
            nested = cast("type[Model]", kind.cls)
        elif isinstance(kind, msgspec.inspect.ListType) and isinstance(
            kind.item_type, msgspec.inspect.StructType
        ):
            nested = cast("type[Model]", kind.item_type.cls)
        placeholder = _PLACEHOLDERS.get(type(kind))
        plan.append((field.encode_name, field.name, field.required, placeholder, nested, is_list))
    return tuple(plan)


def _stored(item: Any, model: type[R]) -> R:
    """A record as the API answered it. Stored records may hold null where a request body
    must give a value (a generated customer without an e-mail), which ``msgspec.convert``
    refuses: such fields are converted from a placeholder, then set back to None."""
    if not isinstance(item, dict):
        return msgspec.convert(item, model)
    values = dict(item)
    nulls: list[str] = []
    for key, name, required, placeholder, nested, is_list in _plan(model):
        value = values.get(key)
        if value is None:
            if required:
                values[key] = placeholder
                nulls.append(name)
        elif nested is not None:
            if is_list and isinstance(value, list):
                values[key] = [_stored(element, nested) for element in value]
            elif isinstance(value, dict):
                values[key] = _stored(value, nested)
    record = msgspec.convert(values, model)
    return msgspec.structs.replace(record, **{name: None for name in nulls}) if nulls else record


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


class RemoteMockServer(_JournalQueries):
    """A mock server that already runs (``mockserver serve``, a container), driven over HTTP:
    the journal through ``GET /_mock/requests``, resets through ``POST /_mock/reset``.
    Its own reads, logins and writes carry ``X-Mock-Journal: off``, so they stay out of the
    journal. ``url`` includes the base path, if the server has one."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._sessions: dict[str, str] = {}

    def _http(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        url = self.url + path + ("?" + urlencode(list(query)) if query else "")
        sent = {JOURNAL_HEADER: "off", **(headers or {})}
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        request = Request(url, data=body, method=method, headers=sent)
        try:
            with urlopen(request, timeout=self.timeout_s) as answer:
                return int(answer.status), answer.read()
        except HTTPError as error:
            return error.code, error.read()
        except URLError as error:
            raise ConnectionError(f"mockserver at {self.url} is not reachable: {error}") from None

    def _ok(self, method: str, path: str, **kwargs: Any) -> bytes:
        status, body = self._http(method, path, **kwargs)
        if status != 200:
            text = body.decode("utf-8", "replace")
            raise RuntimeError(f"{method} {self.url}{path} answered {status}: {text}")
        return body

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until ``/health`` answers 200 (a container that is still starting)."""
        import time

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                status, _ = self._http("GET", "/health")
            except ConnectionError:
                status = 0
            if status == 200:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"mockserver at {self.url} is not healthy after {timeout_s} s")
            time.sleep(0.1)

    def _entries(self, tenant: str | None, since: int | None) -> list[Entry]:
        query = [("tenant", tenant)] if tenant is not None else []
        if since is not None:
            query.append(("since", str(since)))
        data = msgspec.json.decode(self._ok("GET", "/_mock/requests", query=query))
        return [Entry.from_dict(item) for item in data["requests"]]

    def last_seq(self) -> int:
        data = msgspec.json.decode(self._ok("GET", "/_mock/requests", query=[("limit", "0")]))
        return int(data["last_seq"])

    def clear_requests(self, tenant: str | None = None) -> int:
        query = [("tenant", tenant)] if tenant is not None else []
        cleared: int = msgspec.json.decode(self._ok("DELETE", "/_mock/requests", query=query))[
            "cleared"
        ]
        return cleared

    def reset(self, tenant: str | None = None) -> None:
        query = [("tenant", tenant)] if tenant is not None else []
        self._ok("POST", "/_mock/reset", query=query)
        if tenant is None:
            self._sessions.clear()
        else:
            self._sessions.pop(tenant, None)

    def login(self, tenant: str = DEFAULT_TENANT) -> str:
        body = encode({**_CREDENTIALS, "Database": tenant})
        answer = msgspec.json.decode(self._ok("POST", "/api/auth/login", body=body))
        session_id: str = answer["session_id"]
        self._sessions[tenant] = session_id
        return session_id

    def load_scenario(self, *paths: str | Path, text: str | None = None) -> None:
        """Send one scenario (a file's text, or ``text``) with ``PUT /_mock/scenario``."""
        if (text is None) == (len(paths) != 1):
            raise TypeError("load_scenario takes one scenario file path or text=")
        content = text if text is not None else Path(paths[0]).read_text(encoding="utf-8")
        self._ok(
            "PUT",
            "/_mock/scenario",
            body=content.encode("utf-8"),
            headers={"Content-Type": "application/yaml"},
        )

    def clear_scenario(self) -> None:
        self._ok("DELETE", "/_mock/scenario")

    def _as(self, tenant: str) -> dict[str, str]:
        session_id = self._sessions.get(tenant) or self.login(tenant)
        return {"Session-Id": session_id}

    def _api(self, method: str, path: str, tenant: str, **kwargs: Any) -> bytes:
        status, body = self._http(method, path, headers=self._as(tenant), **kwargs)
        if status == 401:  # the session expired or the server was reset: log in again
            self._sessions.pop(tenant, None)
            status, body = self._http(method, path, headers=self._as(tenant), **kwargs)
        if status != 200:
            text = body.decode("utf-8", "replace")
            raise RuntimeError(f"{method} {self.url}{path} answered {status}: {text}")
        return body

    def add_customers(
        self, *customers: Customer | Mapping[str, Any], tenant: str = DEFAULT_TENANT
    ) -> list[Customer]:
        bodies = [_customer_body(c) for c in customers]
        return [
            msgspec.json.decode(
                self._api("POST", "/api/customers", tenant, body=encode(body)), type=Customer
            )
            for body in bodies
        ]

    def _fetch(self, path: str, tenant: str, model: type[R]) -> Records[R]:
        records: dict[int, R] = {}
        page = 1
        while True:
            query = [("page", str(page)), ("page_size", "1000")]
            data = msgspec.json.decode(self._api("GET", path, tenant, query=query))
            for item in data["results"]:
                record = _stored(item, model)
                records[record.id] = record  # type: ignore[attr-defined]
            if data["result_count"] < 1000:
                return Records(sorted(records), records.get)
            page += 1

    def customers_of(self, tenant: str = DEFAULT_TENANT) -> Records[Customer]:
        return self._fetch("/api/customers", tenant, Customer)

    def invoices_of(self, tenant: str = DEFAULT_TENANT) -> Records[Invoice]:
        return self._fetch("/api/invoices", tenant, Invoice)

    @property
    def customers(self) -> Records[Customer]:
        return self.customers_of()

    @property
    def invoices(self) -> Records[Invoice]:
        return self.invoices_of()

    def tenant(self, name: str, *, login: bool = True) -> MockTenant:
        return MockTenant(self, name, self.login(name) if login else None, self.last_seq())

    def __repr__(self) -> str:
        return f"<RemoteMockServer {self.url}>"


class MockTenant:
    """One tenant of a server, as the ``mock_api`` fixture gives it: its ``database`` name
    (log in with it to land here), a live ``session_id``, and the journal, data and reset
    of this tenant only. The journal view starts when the handle was made."""

    def __init__(
        self,
        server: MockServer | RemoteMockServer,
        name: str,
        session_id: str | None,
        since: int,
    ) -> None:
        self.server = server
        self.name = name
        self.session_id = session_id
        self.since = since

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def database(self) -> str:
        """The ``Database`` to log in with to work in this tenant."""
        return self.name

    @property
    def headers(self) -> dict[str, str]:
        """Headers that put a request in this tenant: the session, or ``X-Mock-Tenant``."""
        if self.session_id is not None:
            return {"Session-Id": self.session_id}
        return {"X-Mock-Tenant": self.name}

    @property
    def credentials(self) -> dict[str, str]:
        """A login body for this tenant (any non-empty user, password and key work)."""
        return {**_CREDENTIALS, "Database": self.name}

    def requests(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int | Collection[int] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = _ABSENT,
        headers: Mapping[str, str] | None = None,
        rule: str | None = None,
    ) -> Requests:
        """This tenant's journaled requests since the handle was made (see
        ``MockServer.requests``)."""
        return self.server.requests(
            method,
            path,
            tenant=self.name,
            status=status,
            query=query,
            json=json,
            headers=headers,
            rule=rule,
            since=self.since,
        )

    def assert_requested(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int | None = None,
        status: int | Collection[int] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = _ABSENT,
        headers: Mapping[str, str] | None = None,
        rule: str | None = None,
    ) -> Requests:
        return self.server.assert_requested(
            method,
            path,
            times=times,
            tenant=self.name,
            status=status,
            query=query,
            json=json,
            headers=headers,
            rule=rule,
            since=self.since,
        )

    def problems(self, known_routes: Iterable[str] = ()) -> str:
        """A report of this tenant's requests that matched no route or were rejected by
        validation; empty when there were none."""
        return problem_report(list(self.requests()), list(known_routes))

    def reset(self) -> None:
        """This tenant back to the seeded data (its sessions end: log in again)."""
        self.server.reset(self.name)
        self.session_id = self.server.login(self.name) if self.session_id is not None else None

    def login(self) -> str:
        """A new session id for this tenant."""
        self.session_id = self.server.login(self.name)
        return self.session_id

    def add_customers(self, *customers: Customer | Mapping[str, Any]) -> list[Customer]:
        return self.server.add_customers(*customers, tenant=self.name)

    @property
    def customers(self) -> Records[Customer]:
        return self.server.customers_of(self.name)

    @property
    def invoices(self) -> Records[Invoice]:
        return self.server.invoices_of(self.name)

    def __repr__(self) -> str:
        return f"<MockTenant {self.name!r} on {self.server!r}>"
