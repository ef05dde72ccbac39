"""The mock's time: one ``Clocks`` per server, read by everything that reads "now".

A clock setting is real time or a mock time: an anchor (the mock's time at one reading of the
base clock) that stands still (frozen) or runs on from there at the base clock's pace. The
server-wide setting applies to every tenant that has none of its own; ``now(tenant)`` stamps
records (whole UTC seconds, as the real API answers them) and ``seconds(tenant)`` ages
sessions, both on the tenant's clock. ``mocked`` is False while no setting exists at all:
the hot paths test that one attribute and read the base clock as before.

A tenant's ``seconds`` measure time passing on its clock, on the base clock's scale: they run
while the clock runs, stand still while it is frozen and jump by an ``advance``, but setting
the clock to another date (``set``) does not move them, since a jump in the date is not time
passing. So a session logged in before a test freezes the clock still expires 30 minutes of
``advance`` later. Dropping a setting returns the tenant to the scale it falls back to (the
server-wide one, or the base clock's): live sessions lose or gain the time the setting did.

Also here: ISO 8601 durations (``PT31M``), strictly parsed and formatted. This module knows
nothing of HTTP, of the store or of the sessions: they call it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

# Mock times a clock may be set to: a margin inside datetime's range, so that a running
# clock and any advance stay representable.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class TimeSource(Protocol):
    """The base clock (``mockserver.state.Clock``): real time, or a test's fake one."""

    def now(self) -> datetime: ...

    def seconds(self) -> float: ...


class ClockError(ValueError):
    """A clock setting the server refuses (out of range, too many tenants): the message
    says why."""


class ClockLimitError(ClockError):
    """One more tenant's clock would pass the server's limit (``--max-tenants``)."""


@dataclass(frozen=True, slots=True)
class Setting:
    """A mock time: ``anchor`` at base seconds ``since``, standing still when ``frozen``."""

    anchor: datetime  # aware, UTC; may hold microseconds
    since: float  # the base clock's seconds when anchored
    frozen: bool
    start: float  # the tenant's seconds when anchored (what ages its sessions)


@dataclass(frozen=True, slots=True)
class Reading:
    """What ``GET /_mock/clock`` shows: the time, whether it stands still, whether it is
    real time, and whose setting it is (``tenant``, ``server`` or ``real``)."""

    now: datetime
    frozen: bool
    real: bool
    source: str


class Clocks:
    """The server-wide clock setting and each tenant's own (at most ``max_tenants`` of
    them, 0: no limit), over one base clock."""

    def __init__(self, base: TimeSource, max_tenants: int = 0) -> None:
        self.base = base
        self.max_tenants = max_tenants
        self.server: Setting | None = None
        self.tenants: dict[str, Setting] = {}
        self.mocked = False  # any setting at all

    # --- reading ------------------------------------------------------------------------

    def setting(self, tenant: str | None) -> Setting | None:
        """The setting a tenant's clock follows (its own, else the server-wide one); for
        None, the server-wide one. None: real time."""
        if tenant is not None:
            own = self.tenants.get(tenant)
            if own is not None:
                return own
        return self.server

    def _moment(self, setting: Setting) -> datetime:
        if setting.frozen:
            return setting.anchor
        return setting.anchor + timedelta(seconds=self.base.seconds() - setting.since)

    def moment(self, tenant: str | None = None) -> datetime:
        """The tenant's time, to the microsecond."""
        setting = self.setting(tenant) if self.mocked else None
        if setting is None:
            return self.base.now()
        return self._moment(setting)

    def now(self, tenant: str | None = None) -> datetime:
        """The tenant's time in whole UTC seconds: what a write stamps."""
        return self.moment(tenant).replace(microsecond=0)

    def seconds(self, tenant: str | None = None) -> float:
        """Time passed on the tenant's clock, on the base clock's scale: what ages its
        sessions (the module says how a setting moves it)."""
        setting = self.setting(tenant) if self.mocked else None
        if setting is None:
            return self.base.seconds()
        if setting.frozen:
            return setting.start
        return setting.start + (self.base.seconds() - setting.since)

    def stamper(self, tenant: str, fallback: Callable[[], datetime]) -> Callable[[], datetime]:
        """What a tenant's writes stamp with: its mock time, or ``fallback`` (the store's own
        clock) while the tenant runs on real time."""

        def stamp() -> datetime:
            setting = self.setting(tenant) if self.mocked else None
            if setting is None:
                return fallback()
            return self._moment(setting).replace(microsecond=0)

        return stamp

    def journal_time(self, tenant: str, latency_s: float) -> float | None:
        """The tenant's time (epoch seconds) when a request that took ``latency_s`` arrived;
        None on real time (the journal's real time then says it)."""
        setting = self.setting(tenant) if self.mocked else None
        if setting is None:
            return None
        if setting.frozen:
            return setting.anchor.timestamp()
        return self._moment(setting).timestamp() - latency_s

    def reading(self, tenant: str | None = None) -> Reading:
        own = self.tenants.get(tenant) if tenant is not None else None
        setting = own or self.server
        if setting is None:
            return Reading(self.base.now(), False, True, "real")
        return Reading(self._moment(setting), setting.frozen, False, "tenant" if own else "server")

    # --- changing -----------------------------------------------------------------------

    def make(
        self, moment: datetime, frozen: bool = True, tenant: str | None = None, step: float = 0.0
    ) -> Setting:
        """A setting at ``moment`` (naive: UTC) from now on, for ``tenant`` (None: the
        server-wide one), whose seconds go on from the clock's current ones (plus ``step``,
        an advance); ``ClockError`` out of range."""
        moment = _utc(moment)
        if not EARLIEST <= moment < LATEST:
            raise ClockError(out_of_range(moment))
        return Setting(moment, self.base.seconds(), frozen, self.seconds(tenant) + step)

    def replace_server(self, setting: Setting | None) -> None:
        """The server-wide setting, whole (a scenario's, or one swapped back)."""
        self.server = setting
        self.mocked = setting is not None or bool(self.tenants)

    def set(self, tenant: str | None, moment: datetime, frozen: bool = True) -> None:
        """Set the tenant's clock (None: the server-wide one) to ``moment`` (naive: UTC),
        standing still or running on. ``ClockError`` for a moment out of range, or a new
        tenant past the limit."""
        self._put(tenant, self.make(moment, frozen, tenant))

    def _put(self, tenant: str | None, setting: Setting) -> None:
        if tenant is None:
            self.server = setting
        else:
            limit = self.max_tenants
            if limit and tenant not in self.tenants and len(self.tenants) >= limit:
                raise ClockLimitError(
                    f"The server holds clocks of its maximum of {limit} tenants "
                    "(--max-tenants); DELETE /_mock/clock?tenant=NAME frees one."
                )
            self.tenants[tenant] = setting
        self.mocked = True

    def advance(self, tenant: str | None, by: timedelta) -> None:
        """Move the tenant's clock (None: the server-wide one) forward by ``by``, keeping it
        frozen or running; real time becomes a running mock time. ``ClockError`` for a
        negative step or one past the range."""
        if by < timedelta(0):
            raise ClockError(BACKWARDS)
        setting = self.setting(tenant) if self.mocked else None
        try:
            target = self.moment(tenant) + by
        except OverflowError:
            target = LATEST
        if target >= LATEST:
            raise ClockError(out_of_range(None))
        frozen = setting.frozen if setting is not None else False
        self._put(tenant, self.make(target, frozen, tenant, by.total_seconds()))

    def reset(self, tenant: str | None) -> None:
        """Drop a tenant's own setting (it follows the server-wide one again), or, for None,
        the server-wide setting (real time for every tenant without its own)."""
        if tenant is None:
            self.server = None
        else:
            self.tenants.pop(tenant, None)
        self.mocked = self.server is not None or bool(self.tenants)

    def clear(self) -> None:
        """Every setting gone: real time everywhere."""
        self.server = None
        self.tenants.clear()
        self.mocked = False


BACKWARDS = "The clock moves forward only; set an earlier time with PUT /_mock/clock."


def out_of_range(moment: datetime | None) -> str:
    shown = f"'{iso(moment)}' is" if moment is not None else "The result would be"
    return f"{shown} outside the clock's range {iso(EARLIEST)} to {iso(LATEST)} (exclusive)."


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """``2025-07-01T12:00:00Z``, with microseconds only when it has them."""
    return _utc(moment).isoformat().replace("+00:00", "Z")


# --- ISO 8601 durations -------------------------------------------------------------------

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)(?:[.,](?P<fraction>\d+))?S)?)?",
    re.ASCII,
)
MAX_DURATION_DIGITS = 12  # per component: far past any clock's range, never a huge int


def parse_duration(text: str) -> timedelta:
    """A non-negative ISO 8601 duration ``PnWnDTnHnMnS`` (weeks, days, hours, minutes and
    seconds, the seconds with up to six decimals) as a ``timedelta``. Years and months
    (their length varies) and signs are refused: ``ValueError`` saying why."""
    match = _DURATION.fullmatch(text)
    parts = match.groupdict() if match is not None else {}
    if match is None or not any(parts.values()) or text.endswith("T"):
        if text[:1] == "-":
            raise ValueError(BACKWARDS)
        if re.fullmatch(r"P(?:\d+[YM])+.*", text, re.ASCII):
            raise ValueError(
                f"'{text}' has years or months, whose length varies: give weeks, days, hours, "
                "minutes or seconds (such as P30D)."
            )
        raise ValueError(
            f"'{text}' is not an ISO 8601 duration such as PT31M, P1DT2H or PT90.5S "
            "(weeks W, days D, then T and hours H, minutes M, seconds S)."
        )
    for name, digits in parts.items():
        if digits is not None and len(digits) > MAX_DURATION_DIGITS:
            raise ValueError(f"'{text}' is too long a duration ({name}).")
    fraction = parts["fraction"] or ""
    if len(fraction) > 6:
        raise ValueError(f"'{text}' has more than six decimals of seconds (microseconds).")
    try:
        return timedelta(
            weeks=int(parts["weeks"] or 0),
            days=int(parts["days"] or 0),
            hours=int(parts["hours"] or 0),
            minutes=int(parts["minutes"] or 0),
            seconds=int(parts["seconds"] or 0),
            microseconds=int(fraction.ljust(6, "0")) if fraction else 0,
        )
    except OverflowError:
        raise ValueError(f"'{text}' is too long a duration.") from None


def format_duration(delta: timedelta) -> str:
    """A non-negative ``timedelta`` as an ISO 8601 duration (``P1DT2H3M4.5S``; ``PT0S``)."""
    if delta < timedelta(0):
        raise ValueError("an ISO 8601 duration here is never negative")
    days = delta.days
    minutes, seconds = divmod(delta.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or delta.microseconds:
        fraction = f"{delta.microseconds:06d}".rstrip("0")
        clock += f"{seconds}.{fraction}S" if fraction else f"{seconds}S"
    if clock:
        text += "T" + clock
    return text if text != "P" else "PT0S"
