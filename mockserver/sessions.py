"""Login sessions: which tenant a ``Session-Id`` belongs to, and until when.

A session lives a fixed time after its login or its last renew (not sliding), 30 minutes
unless a scenario says otherwise, on its tenant's clock (``mockserver.clock.Clocks``: a test
may freeze or advance one tenant's time). The table is bounded: at most ``max_sessions``
live at once (the oldest is evicted to make room), and expired sessions are forgotten as new
ones arrive, a few at a time (never a scan of the whole table per request). Nothing here knows HTTP.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .replay import session_id as new_session_id

if TYPE_CHECKING:
    from .clock import Clocks

DEFAULT_TTL_S = 30 * 60.0
DEFAULT_MAX_SESSIONS = 100_000


@dataclass(slots=True)
class Session:
    session_id: str
    tenant: str
    expires: float  # on its tenant's clock


class Sessions:
    """The live sessions, oldest first (by login or last renew), and the ids of each tenant's.

    The order is what makes both bounds cheap: the next to expire and the next to evict are
    at the front, so a login pops the expired ones there (each session is popped once, so the
    cost is amortized O(1)) and, when the table is full, the oldest. A session whose lifetime
    was shortened by a scenario may sit behind a longer-lived one; it is forgotten when it
    reaches the front or is looked up, whichever comes first."""

    def __init__(
        self,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        clocks: Clocks | None = None,
    ) -> None:
        self.ttl_s = ttl_s
        self.clock = clock  # real time: every tenant's while ``clocks`` sets none
        self.clocks = clocks  # tenants' mock times, over the same base as ``clock``
        self.max_sessions = max_sessions  # 0: no limit
        self._live: OrderedDict[str, Session] = OrderedDict()
        self._by_tenant: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._live)

    def login(self, tenant: str) -> Session:
        """A new session for ``tenant``; past ``max_sessions`` the oldest one ends."""
        self.purge()
        limit = self.max_sessions
        if limit:
            while len(self._live) >= limit:
                self._forget(self._live.popitem(last=False)[1])
        session = Session(new_session_id(), tenant, self._now(tenant) + self.ttl_s)
        self._live[session.session_id] = session
        ids = self._by_tenant.get(tenant)
        if ids is None:
            ids = self._by_tenant[tenant] = set()
        ids.add(session.session_id)
        return session

    def _now(self, tenant: str) -> float:
        """The tenant's time; one attribute test while no clock is mocked (the hot path)."""
        clocks = self.clocks
        if clocks is not None and clocks.mocked:
            return clocks.seconds(tenant)
        return self.clock()

    def purge(self) -> None:
        """Forget the expired sessions at the front of the table."""
        live = self._live
        if not live:
            return
        now = self.clock()
        mocked = self.clocks is not None and self.clocks.mocked
        while live:
            session = next(iter(live.values()))
            if session.expires > (self._now(session.tenant) if mocked else now):
                return
            del live[session.session_id]
            self._forget(session)

    def lookup(self, session_id: str) -> Session | None:
        """The live session with this id; an expired one is forgotten and gives None."""
        session = self._live.get(session_id)
        if session is None:
            return None
        clocks = self.clocks  # ``_now`` inlined: every API request looks its session up
        if clocks is None or not clocks.mocked:
            if session.expires > self.clock():
                return session
        elif session.expires > clocks.seconds(session.tenant):
            return session
        self.invalidate(session_id)
        return None

    def renew(self, session: Session) -> Session:
        session.expires = self._now(session.tenant) + self.ttl_s
        if session.session_id in self._live:
            self._live.move_to_end(session.session_id)  # the youngest again
        return session

    def invalidate(self, session_id: str) -> None:
        session = self._live.pop(session_id, None)
        if session is not None:
            self._forget(session)

    def _forget(self, session: Session) -> None:
        """Drop ``session`` (already out of ``_live``) from its tenant's ids."""
        ids = self._by_tenant.get(session.tenant)
        if ids is not None:
            ids.discard(session.session_id)
            if not ids:
                del self._by_tenant[session.tenant]

    def holds(self, tenant: str) -> bool:
        """Whether any session of ``tenant`` is kept."""
        return tenant in self._by_tenant

    def tenants(self) -> dict[str, int]:
        """Every tenant with live sessions, and how many (for the admin's listing: a walk
        over every kept session)."""
        live = self._live
        counts = {}
        for tenant, ids in self._by_tenant.items():
            now = self._now(tenant)
            counts[tenant] = sum(1 for session_id in ids if live[session_id].expires > now)
        return {tenant: n for tenant, n in counts.items() if n}

    def clear(self, tenant: str | None = None) -> None:
        """Forget every session (of one tenant)."""
        if tenant is None:
            self._live.clear()
            self._by_tenant.clear()
            return
        for session_id in self._by_tenant.pop(tenant, ()):
            self._live.pop(session_id, None)
