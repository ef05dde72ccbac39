"""The dataset's fixed time window: a reference "today" and the five years before it.

Knows how generated moments are expressed (whole seconds since the epoch, day indexes counted
from the window's first day) and turns them into UTC date-times. Knows nothing of records or of
randomness: every moment is computed with integers, so no clock, time zone database or locale
of the machine enters the data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

REFERENCE_DATE: Final = datetime(2025, 7, 1, tzinfo=UTC)
"""The dataset's fixed "today": every generated moment lies in the five years before it."""

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
START: Final = datetime(2020, 7, 2, tzinfo=UTC)  # first day of the five-year window
DAYS: Final = (REFERENCE_DATE - START).days  # 1825: day indexes 0..DAYS-1 are in the past
DAY: Final = 86_400  # seconds
START_TS: Final = int((START - EPOCH).total_seconds())
REF_TS: Final = int((REFERENCE_DATE - EPOCH).total_seconds())
# Day indexes reach past the window (due dates, agreement ends): precomputed up to 800 days on.
DAY_DATES: Final = tuple(START + timedelta(days=d) for d in range(DAYS + 800))


def moment(ts: int) -> datetime:
    """A whole-second UTC date-time from seconds since the epoch."""
    return EPOCH + timedelta(seconds=ts)


def day_date(day: int) -> datetime:
    """Midnight UTC of day index ``day`` (0 is the window's first day)."""
    return DAY_DATES[day] if 0 <= day < len(DAY_DATES) else START + timedelta(days=day)


def seconds(when: datetime) -> int:
    """Whole seconds since the epoch of an aware date-time."""
    return int((when - EPOCH).total_seconds())
