"""The sale at the counter, free of Qt: identify, ring up, quote, hold, record, print.

States: idle → member (a member is on screen; the cashier enters an amount or basket
lines and the points to use) → holding (an online redemption asks HQ for a hold) →
recording (the store thread commits the sale) → done (committed; the receipt prints) →
idle again on "next customer", or member on the next tap.

The receipt is built inside the sale's commit with what it needs to say: the staff
signed in, the program (footer, campaign names), the member's rank and what the next
rank still needs (desktop/flows/counter_rank.py) and, when HQ could not be reached
(offline, or a hold that timed out), the provisional mark.

Card readers report here (`on_card_event`): a reader outage stays on screen until the
reader reports ReaderReady, and is then replaced by a sentence saying it is back.

With the POS link (`desktop.poslink`, the methods in desktop/flows/counter_pos.py), a
POS sale waiting at the counter fills the basket (`pos_sale_shown(PosSale)`); confirming
records it through the link's receipt builder, so the POS's answer is stamped in the same
commit, and cancelling refuses it, so the POS hears why (`pos_sale_cleared(sale_id,
state)` when it leaves the counter).

Redemption follows DESIGN §3 (desktop/flows/counter_holds.py): online, the points are
first held at HQ and the sale names the hold; when HQ cannot be asked (timeout, outage)
the offline policy decides — up to `loyalty.ledger.offline_allowance(last HQ balance,
local pending redemptions, cap)`. A cancelled sale voids its hold.

Methods may be called from any thread (readers and scanners call in on theirs); results are announced as events: `member_shown`,
`counter_message(text, level)`, `counter_busy(text)`, `counter_reset`, `sale_recorded`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from desktop.flows.basket import (
    MemberFlags,
    member_flags,
    parse_int,
    sale_lines,
    with_amount,
)
from desktop.flows.counter_holds import HoldingCounter, HoldService
from desktop.flows.counter_pos import (
    POS_AMOUNT_DIFFERS,
    POS_CANCELLED,
    PosCounter,
    PosDesk,
    yen,
)
from desktop.flows.counter_rank import Purchases, local_purchases, rank_after_sale
from desktop.flows.counter_state import ConfirmedSale, CounterState, PendingHold
from desktop.flows.identify import Identifier, Outcome, Refused
from desktop.flows.messages import (
    BUSY,
    HOLDING,
    LINE_AMOUNT,
    LINE_QUANTITY,
    NO_PROGRAM,
    NOT_RECORDED,
    QT_TRANSLATE_NOOP,
    REDEEM_POINTS,
    SIGN_IN_FIRST,
    TOUCH_CARD,
    Message,
)
from desktop.flows.signin import StaffSession
from desktop.receipts import build_sale_receipt, receipt_to_dict
from devices.cards import (
    REASON_READER_BUSY,
    REASON_READER_NOT_FOUND,
    CardEvent,
    CardPresented,
    CardRemoved,
    ReaderError,
    ReaderReady,
)
from loyalty.basket import HeldLot, Line, MemberContext, check_basket
from loyalty.ledger import offline_allowance
from loyalty.program import Program
from loyalty.quote import Quote, QuoteError, quote
from sync.events import EventBus
from sync.protocol import DEFAULT_HOLD_TTL_S
from sync.store import (
    MemberView,
    ReceiptBuilder,
    RecordedSale,
    RegisterStore,
    SaleFacts,
    StoreError,
)
from sync.worker import StoreWorker

if TYPE_CHECKING:
    from desktop.poslink.counter_adapter import PosSale

log = logging.getLogger(__name__)

# Reader errors that last until the reader reports ReaderReady (not one card's trouble).
READER_OUTAGES = frozenset({REASON_READER_NOT_FOUND, REASON_READER_BUSY})
READER_BACK = QT_TRANSLATE_NOOP("core", "カードリーダーが使えるようになりました")
READER_BACK_TOUCH = QT_TRANSLATE_NOOP(
    "core", "カードリーダーが使えるようになりました。会員カードをタッチしてください")

class CounterFlow(HoldingCounter, PosCounter):
    def __init__(
        self,
        store: RegisterStore,
        worker: StoreWorker,
        events: EventBus,
        *,
        tz: ZoneInfo,
        store_name: str,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        session: StaffSession | None = None,
        identifier: Identifier | None = None,
        holds: HoldService | None = None,
        online: Callable[[], bool | None] = lambda: None,
        hold_ttl: int = DEFAULT_HOLD_TTL_S,
        pos: PosDesk | None = None,
        purchases: Purchases | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events
        self.tz = tz
        self.store_name = store_name
        self.clock = clock
        self.session = session
        self.identifier = identifier or Identifier(store, clock=lambda: clock(tz))
        self.holds = holds
        self.online = online
        self.hold_ttl = hold_ttl
        self.pos = pos
        # The member's sales known here, for the rank progress on receipts (counter_rank).
        self.purchases = purchases if purchases is not None else local_purchases(store)
        identity = store.identity()
        self.store_id = identity[1] if identity else None
        self._lock = threading.Lock()
        self._hold_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamaru-holds")
        self.state = CounterState.IDLE
        self.member: MemberView | None = None
        self.program: Program | None = None
        self.last_sale: RecordedSale | None = None
        self.pos_sale: PosSale | None = None  # the POS sale waiting at the counter
        self._lines: list[Line] = []
        self._hold: PendingHold | None = None
        # Set when HQ could not be reached for a hold; the next successful sync clears it.
        self._unreachable = False
        # The reader outage the cashier was last told of; cleared when the reader is back.
        self._reader_down: str | None = None
        events.subscribe("synced", self._on_synced)
        if pos is not None:
            events.subscribe("pos_sale_waiting", self.pos_sale_waiting)
            events.subscribe("pos_sale_closed", self.pos_sale_closed)
            events.subscribe("pos_request_expired", self.pos_request_expired)

    def close(self) -> None:
        self.events.unsubscribe("synced", self._on_synced)
        if self.pos is not None:
            self.events.unsubscribe("pos_sale_waiting", self.pos_sale_waiting)
            self.events.unsubscribe("pos_sale_closed", self.pos_sale_closed)
            self.events.unsubscribe("pos_request_expired", self.pos_request_expired)
        self._hold_pool.shutdown(wait=True)

    def _on_synced(self, *_: object) -> None:
        self._unreachable = False

    @property
    def offline(self) -> bool:
        """True while redemptions follow the offline policy (no HQ to hold points)."""
        return self.holds is None or self.online() is False or self._unreachable

    @property
    def provisional(self) -> bool:
        """True while HQ cannot be reached: a receipt printed now says its points are
        provisional (HQ confirms them when the queue is sent)."""
        return self.online() is False or self._unreachable

    @property
    def lines(self) -> tuple[Line, ...]:
        with self._lock:
            return tuple(self._lines)

    # -- identification ---------------------------------------------------------------

    def on_card_event(self, event: CardEvent) -> None:
        if isinstance(event, CardPresented):
            self.card_presented(event.uid, event.member_no)
        elif isinstance(event, ReaderError):
            if event.reason in READER_OUTAGES:
                self._reader_down = event.reason
            self.events.emit("counter_message", event.reason, "error")
        elif isinstance(event, ReaderReady):
            self._reader_ready()
        elif isinstance(event, CardRemoved):
            pass  # the member stays on screen until the sale is done or cancelled

    def _reader_ready(self) -> None:
        """The reader is back: replace the outage message, which would otherwise stay on
        screen until the next tap. A reader that was never out says nothing."""
        if self._reader_down is None:
            return
        self._reader_down = None
        with self._lock:
            waiting = self.state in (CounterState.IDLE, CounterState.DONE)
        self.events.emit("counter_message",
                         Message(READER_BACK_TOUCH if waiting else READER_BACK), "info")

    def card_presented(self, uid: str, member_no: str | None = None) -> Outcome | None:
        if self._refuse_identification():
            return None
        outcome = self.identifier.identify_card(uid, member_no)
        self._apply(outcome)
        return outcome

    def scan(self, text: str) -> Future[Outcome | None]:
        """A scanner's text. Identification runs on the store thread (tokens are noted)."""
        return self.worker.submit(self._identify, self.identifier.identify_scan, text)

    def enter_member_no(self, text: str) -> Future[Outcome | None]:
        """A member number (or code) typed by the cashier."""
        return self.worker.submit(self._identify, self.identifier.identify_member_no, text)

    def _identify(self, how: Callable[[str], Outcome], text: str) -> Outcome | None:
        if self._refuse_identification():
            return None
        outcome = how(text)
        self._apply(outcome)
        return outcome

    def _refuse_identification(self) -> bool:
        with self._lock:
            busy = self.state in (CounterState.HOLDING, CounterState.RECORDING)
        if busy:
            self.events.emit("counter_message", Message(BUSY), "info")
        elif self.session is not None and self.session.current is None:
            self.events.emit("counter_message", Message(SIGN_IN_FIRST), "error")
            return True
        return busy

    def _apply(self, outcome: Outcome) -> None:
        if isinstance(outcome, Refused):
            # Nothing is recorded and whoever is on screen stays there.
            self.events.emit("counter_message", outcome.message, "error")
            return
        program = self.store.program()
        with self._lock:
            if self.state in (CounterState.HOLDING, CounterState.RECORDING):
                return
            stale = self._hold if self._hold and \
                self._hold.member_id != outcome.member.member_id else None
            if stale is not None:
                self._hold = None
            if self.state is not CounterState.MEMBER:
                # A new customer: the POS's basket when one waits, else an empty one. A
                # member switch keeps the basket.
                self._lines = list(self.pos_sale.basket) if self.pos_sale else []
            self.member, self.program = outcome.member, program
            self.state = CounterState.MEMBER
        if stale is not None:
            self._void(stale)
        self.events.emit("member_shown", outcome.member)

    def member_flags(self, member: MemberView) -> MemberFlags:
        """Birthday month, blocked cards, debt and points expiring soon."""
        return member_flags(member, self.clock(self.tz), self.store.blocked_cards(member.member_id))

    # -- the basket -----------------------------------------------------------------------

    def add_line(self, amount_text: str, quantity_text: str = "1", *, name: str = "",
                 category: str = "", sku: str = "") -> Line:
        """Add a line (its amount is the line total, tax included); QuoteError if bad."""
        amount = parse_int(amount_text, LINE_AMOUNT)
        quantity = parse_int(quantity_text, LINE_QUANTITY) if quantity_text.strip() else 1
        line = Line(sku=sku.strip()[:64], amount_yen=amount, category=category.strip()[:32],
                    quantity=quantity, name=name.strip()[:100])
        check_basket([*self.lines, line])  # the checks the quote will make, said now
        with self._lock:
            self._lines.append(line)
        return line

    def remove_line(self, index: int) -> None:
        with self._lock:
            if 0 <= index < len(self._lines):
                del self._lines[index]

    def clear_lines(self) -> None:
        with self._lock:
            self._lines = []

    def _basket(self, amount_text: str) -> list[Line]:
        return with_amount(self.lines, amount_text)

    # -- the quote --------------------------------------------------------------------------

    def _context(self, member: MemberView, program: Program, offline: bool) -> MemberContext:
        allowance = None
        if offline:
            allowance = offline_allowance(member.hq_balance,
                                          self.store.pending_redemptions(member.member_id),
                                          program.redeem.offline_cap,
                                          self.store.offline_redemptions(member.member_id))
        return MemberContext(
            balance=member.balance, rank=member.rank or None, birth_month=member.birth_month,
            lots=tuple(HeldLot(lot.kind, lot.points, lot.expires_at)  # type: ignore[arg-type]
                       for lot in member.lots),
            offline_allowance=allowance,
        )

    def _quote_for(self, member: MemberView, program: Program | None, basket: Sequence[Line],
                   redeem: int, *, offline: bool) -> Quote:
        if program is None:
            raise QuoteError(Message(NO_PROGRAM))
        return quote(program, basket, self._context(member, program, offline),
                     at=self.clock(self.tz), store_id=self.store_id, redeem_points=redeem)

    def quote(self, amount_text: str = "", redeem_text: str = "") -> Quote:
        """The live quote of what is on screen; QuoteError says what is wrong with it."""
        member, program = self.member, self.program
        if member is None:
            raise QuoteError(Message(TOUCH_CARD))
        return self._quote_for(member, program, self._basket(amount_text),
                               parse_int(redeem_text, REDEEM_POINTS), offline=self.offline)

    def redeem_max(self, amount_text: str = "") -> int:
        """"Use all": the most this sale may redeem (the quote's redeem limit)."""
        return self.quote(amount_text, "").redeem_limit.max_points

    # -- confirm ------------------------------------------------------------------------------

    def confirm(self, amount_text: str = "", redeem_text: str = "") -> None:
        """Record the sale; announces `sale_recorded` only after the commit."""
        refusal: object = None
        with self._lock:
            refusal, sale, online_hold = self._decide(amount_text, redeem_text)
        # Announced with the lock released: a listener may call back into the flow.
        if refusal is not None:
            self.events.emit("counter_message", refusal, "error")
            return
        assert sale is not None
        if online_hold:
            self.events.emit("counter_busy", Message(HOLDING))
            self._hold_pool.submit(self._hold_then_record, sale)
        else:
            self._submit_record(sale, None, None)

    def _decide(self, amount_text: str, redeem_text: str
                ) -> tuple[object, ConfirmedSale | None, bool]:
        """Under the lock: (why not, None, False), or (None, the sale, whether it asks HQ
        for a hold first) with the state moved on."""
        if self.state is not CounterState.MEMBER or self.member is None:
            return (Message(BUSY) if self.state in (CounterState.HOLDING, CounterState.RECORDING)
                    else Message(TOUCH_CARD)), None, False
        staff = self.session.current if self.session is not None else None
        if self.session is not None and staff is None:
            return Message(SIGN_IN_FIRST), None, False
        member, program, pos = self.member, self.program, self.pos_sale
        try:
            basket = with_amount(self._lines, amount_text)
            redeem = parse_int(redeem_text, REDEEM_POINTS)
            offline = self.offline
            q = self._quote_for(member, program, basket, redeem, offline=offline)
        except QuoteError as exc:
            return exc.args[0], None, False
        if pos is not None and q.amount_yen != pos.amount_yen:
            # The POS's total is what the customer pays: settle it as sent, or not at all.
            return Message(POS_AMOUNT_DIFFERS, pos=yen(pos.amount_yen),
                           basket=yen(q.amount_yen)), None, False
        sale = ConfirmedSale(member, program, basket, q,
                             sale_lines(basket) if self._lines else None,
                             staff.staff_id if staff is not None else None,
                             staff.display_name if staff is not None else None,
                             pos.sale_id if pos is not None else None)
        online_hold = redeem > 0 and not offline
        self.state = CounterState.HOLDING if online_hold else CounterState.RECORDING
        return None, sale, online_hold

    def _back_to_member(self, message: str) -> None:
        with self._lock:
            self.state = CounterState.MEMBER
        self.events.emit("counter_message", message, "error")

    def _submit_record(self, sale: ConfirmedSale, hold: PendingHold | None,
                       notice: Message | None, *, provisional: bool | None = None) -> None:
        if provisional is None:
            provisional = self.provisional
        future = self.worker.submit(self._record, sale, hold, provisional)
        future.add_done_callback(lambda f: self._recorded(f, sale, notice))

    def _record(self, sale: ConfirmedSale, hold: PendingHold | None,
                provisional: bool) -> RecordedSale:
        """Store thread: the sale, its receipt, the record of the hold it posts and (with
        the POS link) the POS's answer, in one commit."""
        program = sale.program
        footer = program.receipt_footer if program is not None else ""

        def build(facts: SaleFacts) -> dict[str, object]:
            rank = rank_after_sale(program, facts.member, amount_yen=facts.quote.amount_yen,
                                   at=facts.local_time, tz=self.tz, purchases=self.purchases)
            return receipt_to_dict(build_sale_receipt(
                facts, store_name=self.store_name, footer=footer, tz=self.tz,
                offline=provisional, staff_name=sale.staff_name, program=program,
                rank_status=rank))

        linked = sale.pos_sale_id is not None and self.pos is not None
        builder: ReceiptBuilder = build
        if linked:
            assert self.pos is not None
            builder = self.pos.receipt_builder(build, sale_id=sale.pos_sale_id)
        try:
            return self.store.record_sale(sale.member.member_id, sale.quote,
                                          staff_id=sale.staff_id,
                                          local_time=self.clock(self.tz), build_receipt=builder,
                                          hold_id=hold.hold_id if hold else None,
                                          hold_expires_at=hold.expires_at if hold else None,
                                          lines=sale.lines)
        except BaseException:
            if linked:
                assert self.pos is not None
                self.pos.recording_failed()  # the POS may cancel it again
            raise

    def _recorded(self, future: Future[RecordedSale], pending: ConfirmedSale,
                  notice: Message | None) -> None:
        error = future.exception()
        if error is not None:
            # A hold taken for this sale stays pending at HQ and in memory (the commit
            # that would have recorded it here rolled back): confirming again reuses it,
            # and cancelling voids it.
            message = str(error) if isinstance(error, StoreError) else Message(NOT_RECORDED)
            if not isinstance(error, StoreError):
                log.error("sale not recorded", exc_info=error)
            self._back_to_member(message)
            return
        sale = future.result()
        with self._lock:
            self.state = CounterState.DONE
            self.last_sale = sale
            self.member = None
            self._lines = []
            self._hold = None
        # Only now, after the commit, does the screen say done and the printer start.
        # With the POS link, the bridge confirms the POS sale on this event.
        self.events.emit("sale_recorded", sale)
        if pending.pos_sale_id is not None:
            with self._lock:
                stale = self.pos_sale is not None and \
                    self.pos_sale.sale_id == pending.pos_sale_id
                if stale:
                    self.pos_sale = None
            if stale:
                # The link could not mark it confirmed (it said why); the sale stands.
                self.events.emit("pos_sale_cleared", pending.pos_sale_id, "confirmed")
        if notice is not None:
            self.events.emit("counter_message", notice, "warning")

    # -- cancel -------------------------------------------------------------------------------

    def cancel(self) -> bool:
        """Drop the sale on screen (or end a finished one); a pending hold is voided.

        A POS sale on screen is refused, so the POS hears that the counter cancelled it;
        after a finished sale, "next customer" leaves a POS sale waiting for its member.
        """
        with self._lock:
            if self.state in (CounterState.HOLDING, CounterState.RECORDING):
                busy = True
            else:
                busy = False
                pos = self.pos_sale if self.state is not CounterState.DONE else None
                hold, self._hold = self._hold, None
                self.state = CounterState.IDLE
                self.member = None
                if pos is not None:
                    self.pos_sale = None
                self._lines = list(self.pos_sale.basket) if self.pos_sale else []
        if busy:
            self.events.emit("counter_message", Message(BUSY), "info")
            return False
        if hold is not None:
            self._void(hold)
        self.events.emit("counter_reset")
        if pos is not None:
            self._refuse_pos(pos, "cancelled_at_counter", Message(
                POS_CANCELLED, amount=yen(pos.amount_yen)))
        return True
