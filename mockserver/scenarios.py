"""Scenarios: how the mock misbehaves and which records it holds, from YAML (or JSON).

``load_files`` layers files (scalars of later files win, records merge by id, rules append),
``load_text`` reads one document (a ``PUT /_mock/scenario`` body), ``activate`` makes a
scenario the server's active one atomically. ``install`` wires a server's ``State`` at
start-up. Every problem is reported as ``FILE:LINE:COLUMN: message`` (1-based), all at once,
and nothing is applied unless everything is valid.

A scenario's data are the generated data for its ``seed`` and ``data`` (each defaulting to
the server's settings) with its ``records`` laid over them. Activating a scenario whose data
differ from the running data builds a new store (every tenant starts afresh); otherwise the
store, and what the tenants wrote, stay.

A name (``flaky-5xx``: no folder, no suffix) is found in the user's scenarios folder, then
among the scenarios shipped in ``data/scenarios``, by every loader here, so every way of
choosing a scenario takes names alike. Scenarios from the command line are trusted; one sent
over HTTP (``load_sent``, or a file ``X-Mock-Scenario`` names) may ``$ref`` only inside the
folders ``sent_refs`` allows and ask for at most ``--max-records`` generated records
(``check_size``). ``off_loop`` runs builds in daemon threads nothing ever waits for. What
knows HTTP (status codes, headers, the event loop's requests) is ``api/``'s business.

This module holds the running server's side (``Runtime``, ``activate``, named scenarios,
``off_loop``); reading scenarios is ``scenario_load``'s, names and folders
``scenario_names``'; both are re-exported here, so ``mockserver.scenarios`` stays the one
import for every caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import msgspec

from .clock import Clocks, Setting, iso
from .rules import RuleBook
from .scenario_load import (
    BODY_SOURCE,
    INVOICES_PER_CUSTOMER,
    DataKey,
    Scenario,
    api_routes,
    build_dataset,
    check_data,
    check_size,
    data_key,
    data_size,
    dice_seed,
    load_files,
    load_sent,
    load_text,
)
from .scenario_names import (
    DEFAULT_SCENARIOS_DIR,
    SHIPPED_DIR,
    SHIPPED_FIXTURES,
    SUFFIXES,
    Available,
    ScenarioError,
    available,
    find,
    is_name,
    sent_refs,
    summary,
    unknown_name,
)
from .settings import Settings
from .store import ClockFor, Dataset, Store, sales_orders

__all__ = [
    "ACTIVE_SCOPE",
    "BODY_SOURCE",
    "DEFAULT_SCENARIOS_DIR",
    "INVOICES_PER_CUSTOMER",
    "KEEP_CLOCK",
    "SHIPPED_DIR",
    "SHIPPED_FIXTURES",
    "SUFFIXES",
    "Available",
    "DataKey",
    "Host",
    "NamedScenarioError",
    "PendingNamed",
    "Prepared",
    "Runtime",
    "Scenario",
    "ScenarioError",
    "activate",
    "api_routes",
    "apply",
    "available",
    "build_dataset",
    "check_data",
    "check_size",
    "data_key",
    "data_size",
    "describe",
    "dice_seed",
    "find",
    "install",
    "is_name",
    "load_files",
    "load_sent",
    "load_startup",
    "load_text",
    "off_loop",
    "prepare",
    "reset_clock",
    "runtime_of",
    "sent_refs",
    "summary",
    "unknown_name",
]

ACTIVE_SCOPE = "active"


# --- the running server's scenarios ---------------------------------------------------------


class NamedScenarioError(Exception):
    """``X-Mock-Scenario`` names no usable scenario; ``messages`` say why."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)


@dataclass
class _Named:
    name: str
    stamp: tuple[str, int, int]  # the file, its mtime and size when it was read
    scenario: Scenario
    book: RuleBook
    store: Store | None  # None: the running store
    generated: dict[tuple[int, int, int], Dataset] | None  # the cache, until registered


class _Keep:
    """``Prepared.server_clock``'s "leave the server-wide clock as it is"."""


KEEP_CLOCK = _Keep()


@dataclass
class Prepared:
    """Everything ``activate`` will swap in, built before anything changes."""

    scenario: Scenario | None
    key: DataKey | None
    store: Store | None  # None: keep the running store
    book: RuleBook
    ttl_s: float
    generated: dict[tuple[int, int, int], Dataset]
    # The server-wide clock setting it brings (None: real time); KEEP: the running one stays.
    server_clock: Setting | _Keep | None = KEEP_CLOCK


@dataclass
class Runtime:
    """``State.scenario``: the start-up and active scenarios, the active rules' counters,
    the named scenarios of ``X-Mock-Scenario`` and the generated datasets they share."""

    settings: Settings
    startup: Scenario | None
    base_ttl_s: float
    active: Scenario | None = None
    book: RuleBook = field(default_factory=lambda: RuleBook((), 0, ACTIVE_SCOPE))
    key: DataKey | None = None
    generated: dict[tuple[int, int, int], Dataset] = field(default_factory=dict)
    named: dict[str, _Named] = field(default_factory=dict)
    # How the stores of named scenarios stamp: the running store's clock and each tenant's
    # clock over it (set by ``install``).
    clock: Callable[[], datetime] | None = None
    clock_for: ClockFor | None = None

    def reset(self, tenant: str | None) -> None:
        """``State.reset`` hook: rule counters (and named scenarios' data) start afresh."""
        self.book.reset(tenant)
        for entry in list(self.named.values()):
            entry.book.reset(tenant)
            if entry.store is not None:
                entry.store.reset(tenant)

    def context(self, name: str | None) -> tuple[RuleBook, Store | None] | PendingNamed:
        """The rules (and, if it sets data, the store) a request works with: the active
        scenario's, or those of the scenario ``X-Mock-Scenario`` names. A named scenario
        whose data are not built yet comes back as ``PendingNamed``: build it (off the event
        loop) and ``register`` it. NamedScenarioError if the name reaches no valid scenario."""
        if name is None:
            return self.book, None
        if not is_name(name):
            raise NamedScenarioError(
                [
                    f"'{name}' is not a scenario name (letters, digits, '_', '-' and '.', "
                    f"without a suffix such as {', '.join(SUFFIXES)})"
                ]
            )
        folder = self.settings.scenarios_dir
        try:
            path = find(name, folder)
            status = os.stat(path)
        except (ScenarioError, OSError):
            raise NamedScenarioError([unknown_name(name, folder)]) from None
        stamp = (path, status.st_mtime_ns, status.st_size)
        entry = self.named.get(name)
        if entry is not None and entry.stamp == stamp:
            return entry.book, entry.store
        try:
            # A file named over HTTP: its $ref stay inside the folders a sent scenario may
            # read, and its data within --max-records, as for PUT /_mock/scenario.
            scenario = load_files([path], folder, confine=True)
            check_size(self.settings, scenario)
        except ScenarioError as error:
            raise NamedScenarioError(error.problems) from None
        for key in ("auth", "clock"):
            if getattr(scenario.spec, key) is not None:
                raise NamedScenarioError(
                    [
                        f"The scenario '{name}' sets {key}, which applies to the whole server: "
                        "activate it with PUT /_mock/scenario or --scenario instead."
                    ]
                )
        pending = PendingNamed(name, stamp, scenario, self.settings, dict(self.generated))
        if scenario.sets_data:
            return pending
        return self.register(pending.rules_only())

    def register(self, entry: _Named) -> tuple[RuleBook, Store | None]:
        """Keep a named scenario built by ``PendingNamed.build`` (on the event loop)."""
        self.named[entry.name] = entry
        if entry.store is not None and self.clock is not None:
            entry.store.clock = self.clock  # the server's real time, and its tenants' clocks
            entry.store.clock_for = self.clock_for
        if entry.generated is not None:
            self.generated = entry.generated
            entry.generated = None
        return entry.book, entry.store


@dataclass
class PendingNamed:
    """A named scenario that sets its own data, loaded and checked, its store not yet built."""

    name: str
    stamp: tuple[str, int, int]
    scenario: Scenario
    settings: Settings
    generated: dict[tuple[int, int, int], Dataset]  # a copy of the runtime's cache

    def build(self) -> _Named:
        """Build the store (safe in a worker thread: it changes nothing shared);
        NamedScenarioError if the data cannot be built."""
        scenario, settings = self.scenario, self.settings
        try:
            store = Store(build_dataset(settings, scenario, self.generated))
        except ScenarioError as error:
            raise NamedScenarioError(error.problems) from None
        book = RuleBook(scenario.rules, dice_seed(settings, scenario), f"named:{self.name}")
        return _Named(self.name, self.stamp, scenario, book, store, self.generated)

    def rules_only(self) -> _Named:
        book = RuleBook(
            self.scenario.rules, dice_seed(self.settings, self.scenario), f"named:{self.name}"
        )
        return _Named(self.name, self.stamp, self.scenario, book, None, None)


T = TypeVar("T")


async def off_loop(build: Callable[[], T]) -> T:
    """``build()`` in a daemon thread of its own, awaited. Cancelled (the server shutting
    down, the client gone), the caller returns at once and the build's result is dropped
    when it ends: nothing ever waits for a build, neither shutdown nor the interpreter's
    exit (a daemon thread is not joined)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return  # cancelled meanwhile: the result is dropped
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = build(), None
        except BaseException as caught:  # handed to the awaiting task, whatever it is
            result, error = None, caught
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="mockserver-scenario-build", daemon=True).start()
    return await future


def _server_clock(state: Host, scenario: Scenario | None) -> Setting | _Keep | None:
    """The server-wide clock a scenario brings: its ``clock:``; real time when it has none
    but the active one had; else the running setting stays (set by an admin, say)."""
    spec = scenario.spec.clock if scenario is not None else None
    if spec is not None:
        return state.clocks.make(spec.now, spec.frozen)
    active = runtime_of(state).active
    if active is not None and active.spec.clock is not None:
        return None
    return KEEP_CLOCK


def reset_clock(state: Host, tenant: str | None) -> None:
    """``State.reset`` hook: a tenant's clock follows the server-wide one again; a reset of
    every tenant returns every clock to the active scenario's (real time without one)."""
    clocks = state.clocks
    if tenant is not None:
        clocks.reset(tenant)
        return
    clocks.clear()
    active = runtime_of(state).active
    if active is not None and active.spec.clock is not None:
        clocks.replace_server(clocks.make(active.spec.clock.now, active.spec.clock.frozen))


class _Lifetimes(Protocol):
    ttl_s: float  # the sessions' lifetime, which a scenario's auth may change


class Host(Protocol):
    """What the scenarios need of a server's state (``mockserver.state.State``, which builds
    its ``Runtime`` and calls ``install``): the store they may replace, the sessions'
    lifetime they may change, the reset hooks they join."""

    settings: Settings
    store: Store
    scenario: Runtime
    clocks: Clocks

    @property
    def sessions(self) -> _Lifetimes: ...

    @property
    def on_reset(self) -> list[Callable[[str | None], object]]: ...


def runtime_of(state: Host) -> Runtime:
    return state.scenario


def load_startup(settings: Settings) -> Scenario | None:
    """The scenario of ``--scenario`` / ``MOCKSERVER_SCENARIO`` (None without one)."""
    return load_files(settings.scenario, settings.scenarios_dir) if settings.scenario else None


def install(state: Host, startup: Scenario | None) -> None:
    """Wire the scenarios into a new server's state, whose ``scenario`` is a fresh
    ``Runtime`` for ``startup``. ``state.store`` holds the generated data of
    ``data_size(settings, startup)``; the start-up records are laid over it here."""
    runtime = state.scenario
    size = data_size(runtime.settings, startup)
    runtime.generated[size] = state.store.dataset
    runtime.key = (*size, b"")
    state.on_reset.append(runtime.reset)
    state.on_reset.append(functools.partial(reset_clock, state))
    runtime.clock, runtime.clock_for = state.store.clock, state.store.clock_for
    activate(state, startup)


def prepare(state: Host, scenario: Scenario | None) -> Prepared:
    """Build what activating ``scenario`` needs without changing anything (safe to run in a
    worker thread); ScenarioError if its data cannot be built."""
    runtime = runtime_of(state)
    settings = runtime.settings
    key = data_key(settings, scenario)
    store = None
    generated = runtime.generated
    if key != runtime.key:
        generated = dict(generated)
        store = Store(
            build_dataset(settings, scenario, generated),
            clock=state.store.clock,
            clock_for=state.store.clock_for,
        )
        # Keep the start-up data and the new data generated; drop the rest.
        keep = {data_size(settings, runtime.startup), key[:3]}
        generated = {size: dataset for size, dataset in generated.items() if size in keep}
    ttl = runtime.base_ttl_s
    if scenario is not None and scenario.spec.auth is not None:
        ttl = scenario.spec.auth.session_ttl_s or ttl
    book = RuleBook(
        scenario.rules if scenario is not None else (), dice_seed(settings, scenario), ACTIVE_SCOPE
    )
    return Prepared(scenario, key, store, book, ttl, generated, _server_clock(state, scenario))


def apply(state: Host, prepared: Prepared) -> Prepared:
    """Swap in a prepared scenario: plain assignments, nothing that can fail half-way.
    Answers what was active before, ready to be swapped back (``apply(state, previous)``)
    if anything after the swap fails: the previous rules keep their counters, the previous
    store its tenants' data."""
    runtime = runtime_of(state)
    previous = Prepared(
        runtime.active,
        runtime.key,
        state.store,
        runtime.book,
        state.sessions.ttl_s,
        runtime.generated,
        state.clocks.server,
    )
    if prepared.store is not None:
        state.store = prepared.store
    runtime.generated = prepared.generated
    runtime.active = prepared.scenario
    runtime.book = prepared.book
    runtime.key = prepared.key
    state.sessions.ttl_s = prepared.ttl_s
    if not isinstance(prepared.server_clock, _Keep):
        state.clocks.replace_server(prepared.server_clock)
    return previous


def activate(state: Host, scenario: Scenario | None) -> None:
    """Make ``scenario`` the active one atomically (None: back to the start-up scenarios).
    Rule counters start afresh; data whose seed, size or records differ are rebuilt, which
    resets every tenant. Raises ScenarioError, changing nothing, if the data cannot be built."""
    runtime = runtime_of(state)
    apply(state, prepare(state, scenario if scenario is not None else runtime.startup))


def describe(state: Host) -> dict[str, Any]:
    """What ``GET /_mock/scenario`` shows: the active scenario, its data and its rules with
    their counters per tenant."""
    runtime = runtime_of(state)
    scenario = runtime.active
    dataset = state.store.dataset
    counts = runtime.book.counts()
    spec = scenario.spec if scenario is not None else None
    return {
        "active": scenario is not None,
        "startup": scenario is not None and scenario is runtime.startup,
        "name": spec.name if spec else None,
        "description": spec.description if spec else None,
        "sources": list(scenario.sources) if scenario else [],
        "seed": runtime.book.seed if scenario else runtime.settings.seed,
        "data": {"customers": len(dataset.customers), "invoices": len(dataset.invoices)},
        "records": {
            "replace": scenario.replace if scenario else False,
            "customers": [item.record.id for item in scenario.customers] if scenario else [],
            "invoices": [item.record.id for item in scenario.invoices] if scenario else [],
            "orders": list(sales_orders(dataset)),  # by number (as the records gave or got)
        },
        "auth": {"session_ttl_s": state.sessions.ttl_s},
        # The scenario's clock as it says it (the clock now: GET /_mock/clock).
        "clock": (
            {"now": iso(spec.clock.now), "frozen": spec.clock.frozen}
            if spec and spec.clock
            else None
        ),
        "rules": [
            {
                "name": rule.label,
                "at": rule.site,
                "rule": msgspec.to_builtins(rule.spec),
                "counters": counts[rule.label],
            }
            for rule in runtime.book.rules
        ],
    }
