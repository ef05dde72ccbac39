"""``ClockControl``: ``api.clock`` of a ``MockServer``, a ``RemoteMockServer`` or a tenant
handle: freeze, advance, set and reset the mock's time (``mockserver.clock``) from a test.

It knows one tenant (None: the server-wide setting) and a ``ClockDriver``: the few clock
operations a local server does on its state and a remote one over ``/_mock/clock``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class ClockDriver(Protocol):
    """The clock operations of one server, for one tenant or (None) the server-wide one."""

    def clock_now(self, tenant: str | None) -> tuple[datetime, bool]: ...

    def clock_set(self, tenant: str | None, moment: datetime, frozen: bool) -> None: ...

    def clock_advance(self, tenant: str | None, step: timedelta) -> None: ...

    def clock_reset(self, tenant: str | None) -> None: ...


class ClockControl:
    """The mock's time for one tenant (``tenant=None``: the server-wide setting, which every
    tenant without its own follows). A naive ``datetime`` is read as UTC."""

    def __init__(self, driver: ClockDriver, tenant: str | None = None) -> None:
        self.driver = driver
        self.tenant = tenant

    def now(self) -> datetime:
        """The time this clock shows (aware, UTC)."""
        return self.driver.clock_now(self.tenant)[0]

    @property
    def frozen(self) -> bool:
        return self.driver.clock_now(self.tenant)[1]

    def freeze(self, moment: datetime | None = None) -> datetime:
        """Stop the clock at ``moment`` (default: where it is now); answers that time."""
        moment = _utc(moment) if moment is not None else self.now()
        self.driver.clock_set(self.tenant, moment, True)
        return moment

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        """Jump to ``moment`` (also backwards), running on from there unless ``frozen``."""
        self.driver.clock_set(self.tenant, _utc(moment), frozen)

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        milliseconds: float = 0,
        microseconds: float = 0,
    ) -> datetime:
        """Move forward by ``delta`` and/or the ``timedelta`` keywords (never backwards:
        ``ValueError``), frozen or running; answers the new time."""
        step = (delta or timedelta(0)) + timedelta(
            weeks=weeks,
            days=days,
            hours=hours,
            minutes=minutes,
            seconds=seconds,
            milliseconds=milliseconds,
            microseconds=microseconds,
        )
        if step < timedelta(0):
            raise ValueError("the clock moves forward only; set() an earlier time instead")
        self.driver.clock_advance(self.tenant, step)
        return self.now()

    def reset(self) -> None:
        """Drop this clock's setting: a tenant follows the server-wide one again, the
        server-wide one returns to real time."""
        self.driver.clock_reset(self.tenant)

    def __repr__(self) -> str:
        whose = f"tenant {self.tenant!r}" if self.tenant is not None else "server-wide"
        return f"<ClockControl {whose}>"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
