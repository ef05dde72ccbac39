"""The server's state, assembled in one place: ``build_state`` makes the ``State`` every
request of one application works with (settings, the store, the sessions, the request
journal, the scenario runtime, the clock and the reset hooks).

It knows nothing of HTTP: the HTTP layer (``mockserver.app``) hangs one ``State`` on each
application and reaches it through ``mockserver.api.common.state_of``; the scenarios and the
test helpers work on it directly.

Time is the ``Clocks``' (``mockserver.clock``): the base ``clock`` below, and each tenant's
mock time over it (the store stamps, the sessions age and the journal notes by it).

The parts a second backend (state shared by several processes) replaces are written against
small interfaces: ``SessionStore`` for the sessions and ``Clock`` for time. The data are the
``Store``'s (its tenants are where a shared backend keeps its deltas); the journal and the
scenario rules' counters are the ``Journal``'s and the ``RuleBook``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .clock import Clocks
from .datagen import generate
from .journal import Journal
from .scenarios import Runtime, Scenario, data_size, install, load_startup
from .sessions import Session, Sessions
from .settings import Settings
from .store import Dataset, Store

ResetHook = Callable[[str | None], object]  # what it answers is ignored


class Clock(Protocol):
    """Time as the server sees it: ``now`` stamps records, ``seconds`` ages sessions."""

    def now(self) -> datetime: ...

    def seconds(self) -> float: ...


class SystemClock:
    """The real clock: whole UTC seconds for stamps (as the real API answers them) and the
    monotonic clock for session lifetimes (never fooled by a change of the wall clock)."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    def seconds(self) -> float:
        return time.monotonic()


class Forwarder(Protocol):
    """Where requests for API paths the mock does not implement go when the server has an
    upstream (``--upstream``; ``mockserver.bridge.passthrough.Passthrough``): ``forward``
    answers the request itself, ASGI-style (its arguments are the ASGI scope, receive and
    send, typed loosely here because the state knows nothing of HTTP)."""

    async def forward(self, scope: Any, receive: Any, send: Any) -> None: ...


class SessionStore(Protocol):
    """Login sessions: which tenant a ``Session-Id`` belongs to, until when (on the clock's
    ``seconds``). ``ttl_s`` is the lifetime of a session from its login or last renew."""

    ttl_s: float

    def login(self, tenant: str) -> Session: ...

    def lookup(self, session_id: str) -> Session | None: ...

    def renew(self, session: Session) -> Session: ...

    def invalidate(self, session_id: str) -> None: ...

    def clear(self, tenant: str | None = None) -> None: ...

    def holds(self, tenant: str) -> bool: ...

    def tenants(self) -> dict[str, int]: ...


@dataclass
class State:
    """Everything a request can reach.

    ``store`` may be replaced whole (a scenario with another seed regenerates the data);
    readers take it per request. ``on_reset`` hooks run on every reset with the tenant name
    (None: every tenant), so that scenario counters and the journal reset with the data.
    """

    settings: Settings
    store: Store
    sessions: SessionStore
    journal: Journal
    scenario: Runtime
    clock: Clock
    on_reset: list[ResetHook] = field(default_factory=list)
    upstream: Forwarder | None = None  # the bridge's passthrough (None: no --upstream)
    # Each tenant's time over ``clock`` (build_state shares it with the store, the sessions
    # and the journal).
    clocks: Clocks = field(default_factory=lambda: Clocks(SystemClock()))
    # The fleet this process belongs to (``mockserver.fleet.Fleet``; None: state in memory).
    fleet: Any = None

    def close(self) -> None:
        """After the server stopped: leave the fleet (nothing to do in memory)."""
        if self.fleet is not None:
            self.fleet.close()

    def reset(self, tenant: str | None = None) -> None:
        """Seeded data, sessions and every registered hook back to the start (one tenant)."""
        self.store.reset(tenant)
        self.sessions.clear(tenant)
        for hook in self.on_reset:
            hook(tenant)


def build_state(
    settings: Settings | None = None,
    *,
    dataset: Dataset | None = None,
    store: Store | None = None,
    startup: Scenario | None = None,
    clock: Clock | None = None,
    journal: Journal | None = None,
) -> State:
    """The state of a new server for ``settings``. ``dataset`` or ``store`` skip generating
    the data, ``startup`` the loading of the ``--scenario`` files (already loaded by the
    caller); ``clock`` (default: the system's) stamps and ages everything built here;
    ``journal`` replaces the in-memory one (a fleet's shared journal).
    Raises ``ScenarioError`` for start-up scenarios that cannot be served."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    if startup is None:
        startup = load_startup(settings)
    if store is None:
        if dataset is None:
            dataset = generate(*data_size(settings, startup))
        store = Store(dataset, clock=clock.now)
    clocks = Clocks(clock, settings.max_tenants)
    if store.clock_for is None:
        store.clock_for = clocks.stamper
    sessions = Sessions(clock=clock.seconds, max_sessions=settings.max_sessions, clocks=clocks)
    if journal is None:
        journal = Journal(settings.journal_size, settings.base_path, settings.journal_bytes)
    journal.clocks = clocks
    state = State(
        settings=settings,
        store=store,
        sessions=sessions,
        journal=journal,
        scenario=Runtime(settings, startup, base_ttl_s=sessions.ttl_s),
        clock=clock,
        clocks=clocks,
    )
    state.on_reset.append(journal.clear)
    install(state, startup)
    return state
