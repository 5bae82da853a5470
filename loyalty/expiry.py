"""When points expire: a fixed term per lot, or rolling from the member's last activity.

Japanese programs differ on this and members notice: d-point keeps each grant for 48
months to the month end; Rakuten extends everything by a year from the month of the
last *earn*; Ponta from the last earn *or use*. Limited-time campaign points (期間限定)
always carry their own date and are not governed by the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

from loyalty import _fields as f
from loyalty.dates import JST, add_months, end_of, local_date, midnight, month_end_after


class ExpiryKind(Enum):
    FIXED = "fixed"  # each lot expires a fixed term after it was earned
    ROLLING = "rolling"  # all normal points expire together, a term after the last activity
    NONE = "none"  # normal points never expire


class Activity(Enum):
    """What extends a rolling expiry."""

    EARN = "earn"  # as Rakuten: only earning points
    EARN_OR_USE = "earn_or_use"  # as Ponta: earning or using points


@dataclass(frozen=True)
class ExpiryPolicy:
    kind: ExpiryKind = ExpiryKind.NONE
    months: int = 12
    end_of_month: bool = False
    counts: Activity = Activity.EARN
    tz: timezone = JST

    def term_end(self, at: datetime) -> datetime:
        """The instant points dated `at` expire under this policy's term.

        Without `end_of_month` a 12-month term from 15 March runs through 14 March of the
        next year; with it, through the last day of the month 12 months on (31 March).
        """
        day = local_date(at, self.tz)
        if self.end_of_month:
            return end_of(month_end_after(day, self.months), self.tz)
        return midnight(add_months(day, self.months), self.tz)

    def lot_expiry(self, earned_at: datetime) -> datetime | None:
        """A normal lot's own expiry: set only under a fixed term."""
        return self.term_end(earned_at) if self.kind is ExpiryKind.FIXED else None

    def counts_use(self) -> bool:
        return self.kind is ExpiryKind.ROLLING and self.counts is Activity.EARN_OR_USE

    def rolling_deadline(self, last_earn_at: datetime | None,
                         last_use_at: datetime | None) -> datetime | None:
        """When all normal points expire under a rolling policy, or None if not rolling."""
        if self.kind is not ExpiryKind.ROLLING:
            return None
        moments = [t for t in (last_earn_at, last_use_at if self.counts_use() else None) if t]
        if not moments:
            return None
        return self.term_end(max(moments))


def limited_expiry(earned_at: datetime, tz: timezone, *, days: int | None = None,
                   months: int | None = None, until: datetime | None = None) -> datetime:
    """The expiry of a limited-time grant.

    `days`: valid for that many days counting the day of grant; `months`: through the end
    of the month that many months on (1 = 翌月末); `until`: a fixed instant.
    """
    if until is not None:
        return until
    day = local_date(earned_at, tz)
    if days is not None:
        return midnight(day + timedelta(days=days), tz)
    if months is not None:
        return end_of(month_end_after(day, months), tz)
    raise ValueError("a limited grant needs days, months or until")


def parse_expiry(section: f.Table, tz: timezone) -> ExpiryPolicy:
    where = "expiry"
    f.no_unknown_keys(section, where, {"policy", "months", "end_of_month", "counts"})
    kind = f.choice(section, where, "policy", ExpiryKind, default=ExpiryKind.NONE)
    if kind is ExpiryKind.NONE:
        extra = sorted(set(section) - {"policy"})
        if extra:
            raise f.ProgramError(f"expiry.{extra[0]}: has no effect when expiry.policy is none")
        return ExpiryPolicy(kind=kind, tz=tz)
    counts = f.choice(section, where, "counts", Activity, default=Activity.EARN)
    if kind is ExpiryKind.FIXED and "counts" in section:
        raise f.ProgramError("expiry.counts: only a rolling policy counts activities")
    return ExpiryPolicy(
        kind=kind,
        months=f.integer(section, where, "months", minimum=1, maximum=240),
        end_of_month=f.boolean(section, where, "end_of_month", default=False),
        counts=counts,
        tz=tz,
    )
