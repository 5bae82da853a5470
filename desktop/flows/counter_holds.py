"""Online redemption at the counter: the hold at HQ before the sale, and what happens
when HQ cannot be asked.

Part of `desktop.flows.counter.CounterFlow` (a mixin, like `counter_pos.PosCounter`, so
the flow stays one object with one lock and one state). Following DESIGN §3, a sale that
uses points online first takes a hold at HQ (`HoldService.create_hold`, with an id made
here) and names it; the register keeps the hold (`PendingHold`) until the sale is
recorded, so a failed recording is confirmed again with the same hold and a cancelled
sale gives it back (`void_hold`). A hold is reused only while HQ keeps it a while longer
(`HOLD_REUSE_MARGIN`). When HQ cannot be asked (timeout, outage) or does not know the
member yet, the offline policy decides: up to `loyalty.ledger.offline_allowance(last HQ
balance, local pending redemptions, cap)`, and the receipt says the points are
provisional.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from desktop.flows.counter_state import ConfirmedSale, CounterState, PendingHold
from desktop.flows.messages import (
    HOLD_REFUSED,
    HOLD_SHORT,
    OFFLINE_TOO_MANY,
    OFFLINE_USED,
    Message,
)
from loyalty.basket import Line
from loyalty.ledger import offline_allowance
from loyalty.program import Program
from loyalty.quote import Quote, QuoteError
from sync.client import HoldRefused, SyncError
from sync.protocol import DEFAULT_HOLD_TTL_S, HoldState
from sync.store import MemberView, RegisterStore
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

# A hold kept from a failed try is reused only if HQ keeps it this much longer (HQ's
# clock and this one differ by a little).
HOLD_REUSE_MARGIN = timedelta(seconds=10)


class HoldService(Protocol):
    """HQ's online holds (`sync.client.SyncClient`)."""

    def create_hold(self, member_id: str, points: int, ttl: int = DEFAULT_HOLD_TTL_S, *,
                    hold_id: str | None = None) -> HoldState: ...

    def void_hold(self, hold_id: str) -> HoldState: ...


class HoldingCounter:
    """The online holds' methods of `CounterFlow`; the attributes are the flow's."""

    store: RegisterStore
    worker: StoreWorker
    holds: HoldService | None
    hold_ttl: int
    _lock: threading.Lock
    _hold: PendingHold | None
    _hold_pool: ThreadPoolExecutor
    _unreachable: bool
    state: CounterState

    def _quote_for(self, member: MemberView, program: Program | None, basket: Sequence[Line],
                   redeem: int, *, offline: bool) -> Quote:
        raise NotImplementedError

    def _submit_record(self, sale: ConfirmedSale, hold: PendingHold | None,
                       notice: Message | None, *, provisional: bool | None = None) -> None:
        raise NotImplementedError

    def _back_to_member(self, message: str) -> None:
        raise NotImplementedError

    def _hold_then_record(self, sale: ConfirmedSale) -> None:
        """Hold pool thread: take (or reuse) the hold, then hand the sale to the store."""
        assert self.holds is not None
        member, q = sale.member, sale.quote
        with self._lock:
            hold, stale = self._hold, None
            if hold is not None and ((hold.member_id, hold.points) != (
                    member.member_id, q.redeem_points) or hold.expires_at
                    <= datetime.now(UTC) + HOLD_REUSE_MARGIN):
                stale, hold, self._hold = hold, None, None
        if stale is not None:
            # The cashier changed the points since that hold was taken, or HQ lets it
            # lapse within moments: a sale naming a lapsed hold is not covered by it.
            self._void(stale)
        if hold is None:
            hold_id = str(uuid.uuid4())
            try:
                state = self.holds.create_hold(member.member_id, q.redeem_points,
                                               self.hold_ttl, hold_id=hold_id)
            except HoldRefused as exc:
                if exc.status == 404:
                    # HQ does not know the member yet (enrolled here, still queued).
                    self._offline_fallback(sale)
                else:
                    self._back_to_member(_refusal_message(exc))
                return
            except SyncError as exc:
                # The request may have reached HQ with the answer lost: let the hold go.
                self._void_at_hq(hold_id)
                self._unreachable = True
                # Whoever keeps the online state (the sync client) should look now, not at
                # its next round: the status bar would say online through an outage.
                self.events.emit("hq_unreachable", exc.args[0] if exc.args else str(exc))
                self._offline_fallback(sale)
                return
            except Exception:
                log.exception("hold request failed")
                self._back_to_member(Message(HOLD_REFUSED))
                return
            # Recorded with the sale, in its commit: a commit of its own would cost as
            # much as the sale's, and a pending record left by a crash would help nothing
            # (HQ lets the hold lapse at its expiry; nothing here would void it).
            hold = PendingHold(state.hold_id, member.member_id, q.redeem_points,
                               state.expires_at)
            with self._lock:
                self._hold = hold
        with self._lock:
            self.state = CounterState.RECORDING
        self._submit_record(sale, hold, None)

    def _offline_fallback(self, sale: ConfirmedSale) -> None:
        member, program = sale.member, sale.program
        try:
            offline_q = self._quote_for(member, program, sale.basket, sale.quote.redeem_points,
                                        offline=True)
        except QuoteError:
            allowance = 0 if program is None else offline_allowance(
                member.hq_balance, self.store.pending_redemptions(member.member_id),
                program.redeem.offline_cap, self.store.offline_redemptions(member.member_id))
            self._back_to_member(Message(OFFLINE_TOO_MANY, allowance=allowance))
            return
        allowance = offline_q.redeem_limit.max_points
        with self._lock:
            self.state = CounterState.RECORDING
        self._submit_record(replace(sale, quote=offline_q), None,
                            Message(OFFLINE_USED, allowance=allowance), provisional=True)

    def _void(self, hold: PendingHold) -> None:
        """Give a hold back at HQ, off the caller's thread. The register has no record of
        it to void: one is written only with the sale that posts it."""
        self._hold_pool.submit(self._void_at_hq, hold.hold_id)

    def _void_at_hq(self, hold_id: str) -> None:
        if self.holds is None:
            return
        try:
            self.holds.void_hold(hold_id)
        except SyncError as exc:
            # HQ lets the hold expire by itself (its TTL); nothing else to do.
            log.info("hold %s not voided at HQ: %s", hold_id, exc)


def _refusal_message(exc: HoldRefused) -> Message:
    if exc.status == 409 and exc.available is not None:
        return Message(HOLD_SHORT, available=max(0, exc.available))
    return Message(HOLD_REFUSED)
