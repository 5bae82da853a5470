"""The counter's states, the sale on its way to the store and the hold it may wait on,
shared by the counter's modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from loyalty.basket import Line
from loyalty.program import Program
from loyalty.quote import Quote
from sync.protocol import SaleLine
from sync.store_views import MemberView


class CounterState(Enum):
    IDLE = "idle"
    MEMBER = "member"
    HOLDING = "holding"
    RECORDING = "recording"
    DONE = "done"


@dataclass(frozen=True)
class PendingHold:
    """A hold HQ granted for the sale on screen, until the sale that posts it is
    recorded: confirming again reuses it (while HQ keeps it), cancelling voids it."""

    hold_id: str
    member_id: str
    points: int
    expires_at: datetime  # HQ's: the hold lapses then unless a sale posted it


@dataclass(frozen=True)
class ConfirmedSale:
    """A confirmed sale on its way to the store: what the record and its receipt need."""

    member: MemberView
    program: Program | None
    basket: list[Line]
    quote: Quote
    lines: list[SaleLine] | None
    staff_id: str | None
    staff_name: str | None
    pos_sale_id: str | None  # the POS sale this settles, through the POS link
