"""What a member holds after a sale, by kind and expiry: the receipt's balance buckets.

The register knows HQ's last lot summary (`MemberView.lots`) and the sale's quote. From
those it plays the sale forward the way the ledger will (DESIGN §5): points are used
soonest expiry first, limited-time before normal on the same day, points without expiry
last; the new lots are added; debt is paid from them. No buckets are returned when they
cannot be known exactly — the member has ops HQ has not answered (only their net effect
is known here), or the result does not add up to the balance the receipt prints (lots
past expiry that HQ has not expired yet): a receipt never shows numbers that contradict
each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from loyalty.dates import FAR_PAST
from loyalty.quote import Quote
from sync.store_views import MemberView


@dataclass(frozen=True)
class Bucket:
    kind: str  # "normal" or "limited"
    points: int
    expires_at: datetime | None  # None: these points do not expire


@dataclass(frozen=True)
class Holdings:
    buckets: tuple[Bucket, ...]  # soonest expiry first
    debt: int

    def expiring_by(self, when: datetime) -> int:
        """Points that lapse at or before `when` unless used."""
        return sum(b.points for b in self.buckets
                   if b.expires_at is not None and b.expires_at <= when)


def _spend_key(bucket: Bucket) -> tuple[bool, datetime, bool]:
    # Aware datetimes compare as instants, whatever offset each lot carries.
    return (bucket.expires_at is None, bucket.expires_at or FAR_PAST, bucket.kind != "limited")


def _take(buckets: list[Bucket], points: int) -> tuple[list[Bucket], int]:
    """Use `points` in spending order; returns what is left and how much was taken."""
    left = points
    out: list[Bucket] = []
    for b in sorted(buckets, key=_spend_key):
        use = min(left, b.points)
        left -= use
        if b.points - use:
            out.append(Bucket(b.kind, b.points - use, b.expires_at))
    return out, points - left


def _merge(buckets: list[Bucket]) -> tuple[Bucket, ...]:
    merged: dict[tuple[str, datetime | None], int] = {}
    for b in buckets:
        key = (b.kind, b.expires_at)
        merged[key] = merged.get(key, 0) + b.points
    out = [Bucket(kind, points, when) for (kind, when), points in merged.items() if points]
    return tuple(sorted(out, key=_spend_key))


def holdings_after_sale(member: MemberView, quote: Quote, *, at: datetime, balance_after: int,
                        normal_expiry: datetime | None = None,
                        rolling_expiry: datetime | None = None) -> Holdings | None:
    """The member's buckets after this sale, or None when they cannot be known exactly.

    `normal_expiry` dates the sale's normal points when the quote did not (a quote made
    without a time); `rolling_expiry`, under a rolling policy, is the date every normal
    point now lapses together, when the quote's `rolling_expires_at` does not say.
    """
    if member.pending_delta:
        # Ops HQ has not answered are not in its summary yet, and only their net effect
        # is known here: which buckets they used or added is not.
        return None
    buckets = [Bucket(lot.kind, lot.points, lot.expires_at) for lot in member.lots
               if lot.points > 0 and (lot.expires_at is None or lot.expires_at > at)]
    new_normal = next((g.expires_at for g in quote.grants if g.kind == "normal"), None)
    new_normal = new_normal or normal_expiry
    buckets, _ = _take(buckets, quote.redeem_points)
    for grant in quote.grants:
        if grant.points > 0:
            expiry = grant.expires_at if grant.kind == "limited" else new_normal
            buckets.append(Bucket(grant.kind, grant.points, expiry))
    buckets, paid = _take(buckets, member.debt)
    debt = member.debt - paid
    rolling_expiry = quote.rolling_expires_at or rolling_expiry
    if rolling_expiry is not None:
        buckets = [Bucket(b.kind, b.points, rolling_expiry) if b.kind == "normal" else b
                   for b in buckets]
    held = _merge(buckets)
    if sum(b.points for b in held) - debt != balance_after:
        return None
    return Holdings(held, debt)


def month_end(at: datetime, tz: tzinfo) -> datetime:
    """The instant the local month of `at` ends (the next month's first midnight)."""
    local = at.astimezone(tz)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # Day 1 + 32 days is always in the next month; its day 1 is the month's end instant.
    return (first + timedelta(days=32)).replace(day=1)
