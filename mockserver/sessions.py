"""Login sessions: which tenant a ``Session-Id`` belongs to, and until when.

A session lives a fixed time after its login or its last renew (not sliding), 30 minutes
unless a scenario says otherwise.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_TTL_S = 30 * 60.0


@dataclass
class Session:
    session_id: str
    tenant: str
    expires: float  # on the sessions' clock


class Sessions:
    def __init__(
        self, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._live: dict[str, Session] = {}
        self._purge_at = 1024

    def login(self, tenant: str) -> Session:
        if len(self._live) >= self._purge_at:
            self.purge()
        session = Session(secrets.token_hex(16), tenant, self.clock() + self.ttl_s)
        self._live[session.session_id] = session
        return session

    def purge(self) -> None:
        """Forget expired sessions (a client that logs in per request never looks its old
        ones up again), and let the table grow before the next purge."""
        now = self.clock()
        self._live = {k: s for k, s in self._live.items() if s.expires > now}
        self._purge_at = max(1024, 2 * len(self._live))

    def lookup(self, session_id: str) -> Session | None:
        """The live session with this id; an expired one is forgotten and gives None."""
        session = self._live.get(session_id)
        if session is not None and session.expires <= self.clock():
            del self._live[session_id]
            return None
        return session

    def renew(self, session: Session) -> Session:
        session.expires = self.clock() + self.ttl_s
        return session

    def invalidate(self, session_id: str) -> None:
        self._live.pop(session_id, None)

    def clear(self, tenant: str | None = None) -> None:
        """Forget every session (of one tenant)."""
        if tenant is None:
            self._live.clear()
        else:
            self._live = {k: s for k, s in self._live.items() if s.tenant != tenant}
