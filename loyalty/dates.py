"""Calendar arithmetic in the program's local time: days, months, month ends.

Point rules speak in local calendar days ("valid through 31 March", "5× on the 5th"),
while the ledger stores instants. A day ends at the next local midnight, and that
midnight is the instant at which points dated that day expire.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
# A sort key for "no date", comparable with aware times.
FAR_PAST = datetime.min.replace(tzinfo=UTC)

_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


def parse_utc_offset(text: str) -> timezone:
    """'+09:00' → a fixed offset. Japan has no daylight saving, so an offset suffices."""
    m = _OFFSET.fullmatch(text)
    if not m:
        raise ValueError(f'must look like "+09:00", got {text!r}')
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes > 59:
        raise ValueError(f"{text!r} is not a UTC offset")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if m.group(1) == "-" else delta)


def require_aware(at: datetime, what: str = "time") -> datetime:
    # A naive time read as local on one machine and UTC on another shifts expiry and
    # campaign days by hours; refuse it at the boundary.
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")
    return at


def local_date(at: datetime, tz: timezone) -> date:
    return require_aware(at).astimezone(tz).date()


def midnight(day: date, tz: timezone) -> datetime:
    """The instant a local day begins."""
    return datetime.combine(day, time(0), tzinfo=tz)


def end_of(day: date, tz: timezone) -> datetime:
    """The instant after the last moment of a local day: points valid through `day` expire here."""
    return midnight(day + timedelta(days=1), tz)


def last_valid_day(expires_at: datetime, tz: timezone) -> date:
    """The last local day on which points expiring at `expires_at` can still be used."""
    return (require_aware(expires_at).astimezone(tz) - timedelta(microseconds=1)).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's length (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def month_end_after(day: date, months: int) -> date:
    """The last day of the month `months` after `day`'s month."""
    first = add_months(day.replace(day=1), months)
    return first.replace(day=monthrange(first.year, first.month)[1])
