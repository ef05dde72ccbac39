"""What makes a request's effect on the state the same wherever it runs: the seam a fleet of
processes sharing one log of changes (``mockserver.fleet``) replays requests through.

A fleet applies every state-changing request on every process, in one order. For each
process to reach the same state, what a handler reads besides the state must be the same
everywhere: the time (``Pin.now`` and ``Pin.seconds``, which ``PinnedClock`` answers while a
pin is set) and the session id a login draws (``Pin.session_id``). What a replayed request
must not do live, it notes instead (``Deferred``): the scenario rules' delay and connection
faults are the business of the one process that answers the client.

Both are context variables, so a replay pins only its own task. Without a fleet none is
ever set, and every reader pays one ``ContextVar.get``. Nothing here knows HTTP or Redis.
"""

from __future__ import annotations

import secrets
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Pin:
    """What a replayed request reads as "now" and the session id a login in it gets."""

    now: datetime  # whole UTC seconds, as stamps are
    seconds: float  # the base clock's seconds (epoch seconds in a fleet)
    session_id: str


@dataclass(slots=True)
class Deferred:
    """What a replayed request did not do live: a rule's delay and connection fault (the
    answering process delivers them), noted by the scenario rules."""

    latency_ms: float = 0.0
    fault: Any = None  # a ``mockserver.rules.Fault``


# True while a fleet serves a plain read (one that changes nothing): a tenant it names for
# the first time is lent for it, not kept (``Store.tenant``).
READ_ONLY: ContextVar[bool] = ContextVar("mockserver_read_only", default=False)
# True while a process replays a request another process took: what reaches outside the
# state (the bridge's upstream) is that process's business alone.
FOREIGN: ContextVar[bool] = ContextVar("mockserver_foreign", default=False)
PIN: ContextVar[Pin | None] = ContextVar("mockserver_pin", default=None)
DEFER: ContextVar[Deferred | None] = ContextVar("mockserver_defer", default=None)


def new_pin() -> Pin:
    """The pin of a request about to be logged: the real time and a fresh session id."""
    now = time.time()
    moment = datetime.fromtimestamp(now, UTC).replace(microsecond=0)
    return Pin(moment, now, secrets.token_hex(16))


def session_id() -> str:
    """The id a new session gets: the pinned one in a replay, else a fresh random one."""
    pin = PIN.get()
    return pin.session_id if pin is not None else secrets.token_hex(16)


class PinnedClock:
    """A fleet's base clock: the wall clock (epoch seconds, comparable between processes and
    machines, unlike the monotonic clock), or the pin of the request being replayed."""

    def now(self) -> datetime:
        pin = PIN.get()
        if pin is not None:
            return pin.now
        return datetime.now(UTC).replace(microsecond=0)

    def seconds(self) -> float:
        pin = PIN.get()
        if pin is not None:
            return pin.seconds
        return time.time()
