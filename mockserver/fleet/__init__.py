"""A fleet: several processes (workers, replicas) that behave as one server, their state shared
through Redis (``--state redis://HOST:PORT/DB``).

What is shared, and how: every change is a request appended to one log in Redis and replayed
by every process in the log's order (``member``); the journal is one capped stream
(``journal``); the keys are ``link``'s. ``open_fleet`` joins a fleet at start-up (refusing one
whose seed or sizes differ); ``FleetMiddleware`` (``middleware``) puts requests through it.
Needs the ``redis`` extra; without a fleet nothing here is imported.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..replay import PIN, Pin
from ..scenarios import activate, data_size
from ..settings import REDIS_EXTRA, shown_state
from . import link
from .journal import FleetJournal
from .member import Fleet, FleetFull, FleetJoinError, FleetUnavailable

if TYPE_CHECKING:
    from ..scenarios import Scenario
    from ..settings import Settings
    from ..state import State

__all__ = [
    "Fleet",
    "FleetFull",
    "FleetJoinError",
    "FleetJournal",
    "FleetUnavailable",
    "join_fleet",
    "open_fleet",
    "restart_state",
]

JOIN_WAIT_S = 10.0


def join_fleet(settings: Settings, startup: Scenario | None) -> str:
    """Join the fleet ``settings.state`` names: its seed, sizes and base path must be this
    process's (the first process records them). The fleet's epoch; FleetJoinError (a
    ValueError: the command line's exit status 2) with one line otherwise, or when Redis
    cannot be reached within ``JOIN_WAIT_S``, or without the redis extra. The command line
    calls it before it serves (and before its workers start); ``open_fleet`` again."""
    shown = shown_state(settings.state)
    try:
        import redis
    except ImportError:
        raise FleetJoinError(
            f"--state {shown} needs the Redis client, the redis extra: {REDIS_EXTRA}"
        ) from None
    mine = _meta(settings, startup)
    client = link.sync_client(settings.state)
    try:
        epoch, theirs = _join(client, link.Keys(settings.state_prefix).meta, mine, shown)
    finally:
        with contextlib.suppress(redis.RedisError):
            client.close()
    if epoch is None:
        differ = ", ".join(
            f"{name} {theirs.get(name, '?')} (this process: {value})"
            for name, value in mine.items()
            if theirs.get(name) != value
        )
        raise FleetJoinError(
            f"cannot join the fleet on {shown} (prefix {settings.state_prefix!r}): it was "
            f"started with {differ}; start with the same --seed, --customers, --invoices, "
            "--base-path and scenario, or another --state-prefix"
        )
    return epoch


def _meta(settings: Settings, startup: Scenario | None) -> dict[str, str]:
    seed, customers, invoices = data_size(settings, startup)
    return {
        "format": link.FORMAT,
        "seed": str(seed),
        "customers": str(customers),
        "invoices": str(invoices),
        "base_path": settings.base_path,
    }


def open_fleet(settings: Settings, startup: Scenario | None) -> tuple[Fleet, FleetJournal]:
    """This process's membership of the fleet (joined: ``join_fleet``) and its journal."""
    epoch = join_fleet(settings, startup)
    fleet = Fleet(
        settings.state,
        settings.state_prefix,
        settings.fleet_log,
        restart=lambda at: None,  # create_app binds it to the state (restart_state)
        journal_size=settings.journal_size,
        meta=_meta(settings, startup),
        epoch=epoch,
    )
    journal = FleetJournal(fleet, settings.journal_size, settings.base_path, settings.journal_bytes)
    fleet.journal = journal
    return fleet, journal


def _join(
    client: Any, key: str, mine: dict[str, str], shown: str
) -> tuple[str | None, dict[str, str]]:
    """(the fleet's epoch, {}) when joined; (None, the fleet's meta) when it differs."""
    import redis

    script = client.register_script(link.JOIN)
    args = [secrets.token_hex(8), *(part for pair in mine.items() for part in pair)]
    deadline = time.monotonic() + JOIN_WAIT_S
    while True:
        try:
            answer = script(keys=[key], args=args)
            break
        except redis.AuthenticationError as error:
            raise FleetJoinError(f"cannot use --state {shown}: {error}") from None
        except redis.RedisError as error:
            if time.monotonic() > deadline:
                raise FleetJoinError(
                    f"cannot reach --state {shown} within {JOIN_WAIT_S:.0f} s: {error}"
                ) from None
            time.sleep(0.2)
    parts = [part.decode() if isinstance(part, bytes) else str(part) for part in answer[1:]]
    if int(answer[0]) == 1:
        return parts[0], {}
    return None, dict(zip(parts[::2], parts[1::2], strict=True))


def restart_state(state: State, at: float) -> None:
    """Return a process's state to the fleet's start, as a reset of everything with the
    start-up scenario active leaves it (what the log dropped before ``at`` had done)."""
    runtime = state.scenario
    token = PIN.set(Pin(datetime.fromtimestamp(int(at), UTC), at, ""))
    try:
        if runtime.active is not runtime.startup:
            activate(state, None)
        state.reset(None)
    finally:
        PIN.reset(token)
