"""The print queue against a real register store and a printer on a real socket.

The fake printer speaks the raw port protocol the way tests/devices/test_printers.py's
does (it keeps each connection's bytes and answers DLE EOT status queries), and can also
run out of paper, open its cover, vanish in the middle of a job and come back on the same
port. Whatever happens to the printer, the sale stays committed.
"""

from __future__ import annotations

import queue
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from desktop.printing import REASON_UNREADABLE, PrintQueue
from desktop.receipts import (
    STORE_COPY_MARK,
    AdjustFacts,
    ReceiptOptions,
    build_adjust_receipt,
    build_sale_receipt,
    receipt_from_dict,
    receipt_to_dict,
    with_store_lines,
)
from desktop.receipts.options import store_copy_kinds
from devices.printers import (
    REASON_CONNECTION_LOST,
    REASON_COVER_OPEN,
    REASON_PAPER_OUT,
    REASON_UNREACHABLE,
    NetworkPrinter,
)
from devices.receipt_raster import WIDTH_80MM, render_image
from loyalty.quote import quote_sale
from sync.events import EventBus
from sync.ops import record_adjust
from sync.store import RegisterStore
from sync.worker import StoreWorker
from tests.support.escpos_decode import Decoded, Incomplete, Line, decode, iter_commands
from tests.support.seed import NOW, TOKYO, seeded_store

STATUS_OK = 0x12
STATUS_PAPER_END = 0x12 | 0x20
STATUS_COVER_OPEN = 0x12 | 0x04


class FakePrinter:
    """A raw-port receipt printer on 127.0.0.1 that a test can unplug and plug back in."""

    def __init__(self) -> None:
        self.status = STATUS_OK
        self.vanish_after: int | None = None  # bytes into the next job: reset and go away
        self.received: queue.Queue[bytes] = queue.Queue()
        self.port = 0
        self._thread: threading.Thread | None = None
        self._running = False
        self.on()

    def on(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen()
        server.settimeout(0.05)
        self.port = server.getsockname()[1]
        self._running = True
        self._thread = threading.Thread(target=self._serve, args=(server,), daemon=True)
        self._thread.start()

    def off(self) -> None:
        self._running = False
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _serve(self, server: socket.socket) -> None:
        with server:
            while self._running:
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                conn.settimeout(None)
                with conn:
                    self.received.put(self._receive(conn))

    def _receive(self, conn: socket.socket) -> bytes:
        data = bytearray()
        parsed = 0
        while chunk := conn.recv(65536):
            data += chunk
            if self.vanish_after is not None and len(data) >= self.vanish_after:
                self.vanish_after = None
                self._running = False  # unplugged: the port refuses until on()
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            try:
                for command in iter_commands(bytes(data), parsed):
                    parsed = command.end
                    if command.name == "DLE EOT":
                        conn.sendall(bytes((self.status,)))
            except Incomplete:
                pass
        return bytes(data)

    def printed(self, timeout: float = 10.0) -> Decoded:
        """The next connection that delivered a whole receipt (status-only ones skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            job = decode(self.received.get(timeout=max(0.01, deadline - time.monotonic())))
            if job.cuts:
                return job

    def nothing_printed(self) -> bool:
        while not self.received.empty():
            if decode(self.received.get_nowait()).cuts:
                return False
        return True


class Events:
    """Every event the queue announces, in order; a test waits for one (bounded)."""

    NAMES = ("receipt_printed", "print_failed", "print_retrying", "print_waiting")

    def __init__(self, bus: EventBus) -> None:
        self.seen: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        for name in self.NAMES:
            bus.subscribe(name, lambda *a, n=name: self._add(n, a))

    def _add(self, name: str, args: tuple) -> None:
        with self._cond:
            self.seen.append((name, args))
            self._cond.notify_all()

    def wait(self, name: str, *args: object, count: int = 1, timeout: float = 10.0) -> None:
        def enough() -> bool:
            return sum(1 for n, a in self.seen if n == name and a[:len(args)] == args) >= count

        with self._cond:
            assert self._cond.wait_for(enough, timeout), f"no {name}{args}; saw {self.seen}"

    def names(self, op_id: str) -> list[str]:
        with self._cond:
            return [n for n, a in self.seen if a and a[0] == op_id]


class Register:
    """A seeded register store with its store thread, selling through the real layout."""

    def __init__(self, store: RegisterStore) -> None:
        self.store = store
        self.worker = StoreWorker()
        self.bus = EventBus()
        self.events = Events(self.bus)

    def sell(self, amount: int, *, minutes_ago: int = 0) -> str:
        program = self.store.program()
        assert program is not None
        member = self.store.member_by_card("04A1B2C3D4E5F6")
        quote = quote_sale(program, amount, balance=member.balance)

        def build(facts):
            return receipt_to_dict(build_sale_receipt(facts, store_name="たまる商店 渋谷店",
                                                      footer=program.receipt_footer, tz=TOKYO))

        sale = self.worker.call(self.store.record_sale, member.member_id, quote, staff_id="S1",
                                local_time=NOW - timedelta(minutes=minutes_ago),
                                build_receipt=build)
        return sale.facts.op_id

    def committed(self, op_id: str) -> bool:
        return self.store.op_state(op_id) == "queued" and self.store.receipt(op_id) is not None


@pytest.fixture
def register(tmp_path) -> Iterator[Register]:
    reg = Register(seeded_store(tmp_path / "register.db"))
    yield reg
    reg.worker.shutdown()
    reg.store.close()


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    fake = FakePrinter()
    yield fake
    fake.off()


@pytest.fixture
def start_queue(register, printer) -> Iterator:
    made: list[PrintQueue] = []

    def start(delays=(0.05, 0.2), mode="kanji", **options) -> PrintQueue:
        device = NetworkPrinter("127.0.0.1", printer.port, mode=mode, timeout=2,
                                status_timeout=0.5)
        q = PrintQueue(device, register.store, register.worker, register.bus,
                       tz=TOKYO, retry_delays=delays, clock=lambda: NOW + timedelta(minutes=1),
                       **options)
        made.append(q)
        return q

    yield start
    for q in made:
        q.stop(timeout=10)


def test_receipt_prints_after_the_commit_and_is_marked_printed(register, printer, start_queue):
    op_id = register.sell(3280)
    prints = start_queue(resume_within=timedelta(0))
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id)
    job = printer.printed()
    assert any("今回獲得ポイント" in line and "32 pt" in line for line in job.lines)
    assert any("ポイント残高" in line and "532 pt" in line for line in job.lines)
    assert job.qr_payloads == ["TR:R01-000001"]
    assert register.store.print_state(op_id) == ("printed", 1, None)
    assert prints.pending() == []


def test_raster_printer_gets_the_receipt_qr(register, printer, start_queue):
    op_id = register.sell(1000)
    prints = start_queue(mode="raster", resume_within=timedelta(0))
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id)
    assert printer.printed().qr_payloads == ["TR:R01-000001"]


def test_paper_out_waits_for_the_cashier_then_prints_everything_in_order(
        register, printer, start_queue):
    printer.status = STATUS_PAPER_END
    prints = start_queue(resume_within=timedelta(0))
    first = register.sell(1000)
    prints.print_receipt(first)
    register.events.wait("print_waiting", first, REASON_PAPER_OUT)
    assert ("print_failed", (first, "用紙切れです")) in register.events.seen
    assert prints.waiting == REASON_PAPER_OUT
    assert register.store.print_state(first) == ("failed", 1, REASON_PAPER_OUT)
    # Nothing retries by itself: a paper-out printer would fail the same way.
    second = register.sell(2000)
    prints.print_receipt(second)
    time.sleep(0.5)
    assert "print_retrying" not in register.events.names(first)
    assert [(p.op_id, p.state, p.queued) for p in prints.pending()] == [
        (first, "failed", True), (second, "pending", True)]
    assert register.committed(first) and register.committed(second)

    printer.status = STATUS_OK  # paper replaced
    prints.retry()
    register.events.wait("receipt_printed", second)
    assert [printer.printed().qr_payloads, printer.printed().qr_payloads] == [
        ["TR:R01-000001"], ["TR:R01-000002"]]
    assert register.store.print_state(first) == ("printed", 2, None)
    assert prints.waiting is None and prints.pending() == []


def test_cover_open_jobs_can_be_set_aside_for_later(register, printer, start_queue):
    printer.status = STATUS_COVER_OPEN
    prints = start_queue(resume_within=timedelta(0))
    first, second = register.sell(1000), register.sell(1500)
    prints.print_receipt(first)
    prints.print_receipt(second)
    register.events.wait("print_waiting", first, REASON_COVER_OPEN)
    assert sorted(prints.set_aside()) == sorted([first, second])
    assert prints.waiting is None
    assert [(p.receipt_no, p.state, p.queued) for p in prints.pending()] == [
        ("R01-000001", "failed", False), ("R01-000002", "pending", False)]
    printer.status = STATUS_OK
    prints.print_receipt(second)  # the cashier picks one from the list
    register.events.wait("receipt_printed", second)
    assert printer.printed().qr_payloads == ["TR:R01-000002"]
    assert [p.op_id for p in prints.pending()] == [first]


def test_printer_vanishing_mid_job_is_retried_until_it_is_back(register, printer, start_queue):
    printer.vanish_after = 200  # reset mid-job, then the port refuses
    prints = start_queue(delays=(0.05, 0.2), resume_within=timedelta(0))
    tries: list[tuple[str, int]] = []

    def plug_back(op_id: str, reason: str, attempt: int) -> None:
        tries.append((reason, attempt))
        if attempt == 2:
            printer.on()  # before the last pause: the third try finds it

    register.bus.subscribe("print_retrying", plug_back)
    op_id = register.sell(3280)
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id)
    assert tries == [(REASON_CONNECTION_LOST, 1), (REASON_UNREACHABLE, 2)]
    assert "print_failed" not in register.events.names(op_id)
    assert printer.printed().qr_payloads == ["TR:R01-000001"]
    assert register.store.print_state(op_id) == ("printed", 1, None)


def test_printer_gone_for_good_fails_after_bounded_tries_and_the_sale_stands(
        register, printer, start_queue):
    printer.off()
    prints = start_queue(delays=(0.05, 0.1), resume_within=timedelta(0))
    op_id = register.sell(3280)
    started = time.monotonic()
    prints.print_receipt(op_id)
    register.events.wait("print_failed", op_id, REASON_UNREACHABLE)
    assert time.monotonic() - started < 5
    assert register.events.names(op_id) == ["print_retrying", "print_retrying", "print_failed"]
    assert register.store.print_state(op_id) == ("failed", 1, REASON_UNREACHABLE)
    assert register.committed(op_id) and register.store.outbox_counts() == {"queued": 1}
    # The queue is not stuck: once the printer is back, the next receipt prints, and the
    # failed one prints from the list.
    printer.on()
    later = register.sell(500)
    prints.print_receipt(later)
    register.events.wait("receipt_printed", later)
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id)
    assert [printer.printed().qr_payloads for _ in range(2)] == [
        ["TR:R01-000002"], ["TR:R01-000001"]]


def test_reprint_prints_a_marked_copy_and_leaves_the_history_alone(
        register, printer, start_queue):
    prints = start_queue(resume_within=timedelta(0))
    op_id = register.sell(3280)
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id)
    original = printer.printed()
    assert prints.reprint("r01-000001") == op_id  # as typed; scanned ones are upper case
    register.events.wait("receipt_printed", op_id, count=2)
    copy = printer.printed()
    assert copy.lines[0] == "＊＊ 再発行 ＊＊" and copy.styled[0].large
    assert copy.lines[1] == "再発行 2026年11月22日 10:31"
    assert copy.lines[-1] == "＊＊ 再発行 ＊＊"
    assert all(line in copy.lines for line in original.lines)
    assert copy.qr_payloads == original.qr_payloads == ["TR:R01-000001"]
    assert register.store.print_state(op_id) == ("printed", 1, None)
    assert prints.reprint("R01-999999") is None
    # Asking for the original again still gives a copy: the member has the original.
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id, count=3)
    assert printer.printed().lines[0] == "＊＊ 再発行 ＊＊"


def test_calls_never_wait_for_the_printer(register, printer, start_queue):
    printer.off()
    prints = start_queue(delays=(5.0, 5.0), resume_within=timedelta(0))
    ops = [register.sell(1000 + n) for n in range(3)]
    started = time.monotonic()
    for op_id in ops:
        prints.print_receipt(op_id)
    prints.print_receipt(ops[0])  # a double click adds nothing
    assert prints.reprint("R01-000002") == ops[1]
    pending = prints.pending()
    assert time.monotonic() - started < 0.5
    assert [p.op_id for p in pending] == ops and all(p.queued for p in pending)
    register.events.wait("print_retrying", ops[0])
    started = time.monotonic()
    prints.stop(timeout=5)  # cuts the 5 s pause short
    assert time.monotonic() - started < 2
    assert all(register.committed(op_id) for op_id in ops)


def test_recent_receipts_left_by_a_crash_print_on_start_and_old_ones_wait(
        register, printer, start_queue):
    stale = register.sell(1000, minutes_ago=60)
    recent = register.sell(2000)
    prints = start_queue()  # the clock says a minute after the recent sale
    register.events.wait("receipt_printed", recent)
    assert printer.printed().qr_payloads == ["TR:R01-000002"]
    [left] = prints.pending()
    assert (left.op_id, left.state, left.queued) == (stale, "pending", False)


def test_unreadable_stored_receipt_fails_without_touching_the_printer(
        register, printer, start_queue):
    program = register.store.program()
    quote = quote_sale(program, 1000, balance=500)
    sale = register.worker.call(register.store.record_sale, "M1", quote, staff_id=None,
                                local_time=NOW, build_receipt=lambda facts: {"no": "R01"})
    prints = start_queue(resume_within=timedelta(0))
    prints.print_receipt(sale.facts.op_id)
    register.events.wait("print_failed", sale.facts.op_id, REASON_UNREADABLE)
    assert register.store.print_state(sale.facts.op_id) == ("failed", 1, REASON_UNREADABLE)
    assert printer.nothing_printed()


# -- the store's receipt options ----------------------------------------------------------

STORE_LINES = ReceiptOptions(header_lines=("東京都渋谷区宇田川町1-2", "TEL 03-3461-0925"),
                             footer_line="このレシートは返品時に必要です")


def test_receipts_print_with_the_stores_lines_and_are_stored_without(
        register, printer, start_queue):
    prints = start_queue(resume_within=timedelta(0), options=STORE_LINES)
    op_id = register.sell(3280)
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id)
    job = printer.printed()
    assert job.lines[:4] == ["たまる商店 渋谷店", "東京都渋谷区宇田川町1-2", "TEL 03-3461-0925",
                             "2026年11月22日 10:30"]
    assert job.lines[-1] == "このレシートは返品時に必要です"
    # The stored receipt is the transaction's: the store's lines are added when printed.
    stored = register.store.receipt(op_id)
    assert "宇田川町" not in str(stored)
    # A 再発行 copy carries them too.
    prints.reprint("R01-000001")
    register.events.wait("receipt_printed", op_id, count=2)
    again = printer.printed()
    assert again.lines[0] == "＊＊ 再発行 ＊＊" and "TEL 03-3461-0925" in again.lines
    assert again.lines[-3] == "このレシートは返品時に必要です"


def test_a_raster_printer_prints_the_stores_lines_too(register, printer, start_queue):
    prints = start_queue(mode="raster", resume_within=timedelta(0), options=STORE_LINES)
    op_id = register.sell(1000)
    prints.print_receipt(op_id)
    register.events.wait("receipt_printed", op_id)
    job = printer.printed()
    stored = receipt_from_dict(register.store.receipt(op_id))
    expected = render_image(with_store_lines(stored, STORE_LINES), WIDTH_80MM).convert("1")
    assert [image.tobytes() for image in job.images] == [expected.tobytes()]
    assert job.qr_payloads == ["TR:R01-000001"]


def test_a_store_copy_follows_each_sale_when_asked_and_never_a_reprint(
        register, printer, start_queue):
    prints = start_queue(resume_within=timedelta(0), options=replace(
        STORE_LINES, store_copy_kinds=store_copy_kinds(corrections=True, sales=True)))
    first, second = register.sell(1000), register.sell(2000)
    prints.print_receipt(first)
    prints.print_receipt(second)
    register.events.wait("receipt_printed", second, count=2)
    jobs = [printer.printed() for _ in range(4)]
    # Each copy comes out right after its receipt, before the next customer's.
    assert [job.qr_payloads for job in jobs] == [["TR:R01-000001"]] * 2 + [["TR:R01-000002"]] * 2
    member, copy = jobs[0], jobs[1]
    assert STORE_COPY_MARK not in member.text
    assert copy.styled[0] == Line(STORE_COPY_MARK, bold=True, large=True, centered=True)
    assert copy.lines[-1] == STORE_COPY_MARK and copy.lines[2:-1] == member.lines
    assert register.store.print_state(first) == ("printed", 1, None)
    assert prints.pending() == []
    prints.reprint("R01-000001")
    register.events.wait("receipt_printed", first, count=3)
    assert printer.printed().lines[0] == "＊＊ 再発行 ＊＊"
    time.sleep(0.3)
    assert printer.nothing_printed()  # no store copy of a 再発行


def test_an_adjustment_gets_a_store_copy_and_a_sale_does_not_by_default(
        register, printer, start_queue):
    prints = start_queue(resume_within=timedelta(0), options=replace(
        STORE_LINES, store_copy_kinds=store_copy_kinds(corrections=True, sales=False)))
    sale = register.sell(1000)

    def adjust_slip(facts):
        return receipt_to_dict(build_adjust_receipt(AdjustFacts(
            op_id=facts.op_id, device_id=facts.device_id, receipt_no=facts.receipt_no,
            local_time=facts.local_time, member=facts.member, points=200,
            reason="付与漏れのため", approved_by="店長 鈴木", balance_after=facts.balance_after),
            store_name="たまる商店 渋谷店", footer="", tz=TOKYO))

    adjusted = register.worker.call(record_adjust, register.store, "M1", 200, "付与漏れのため",
                                    staff_id="S1", local_time=NOW, build_receipt=adjust_slip)
    prints.print_receipt(sale)
    prints.print_receipt(adjusted.facts.op_id)
    register.events.wait("receipt_printed", adjusted.facts.op_id, count=2)
    jobs = [printer.printed() for _ in range(3)]
    assert [job.qr_payloads for job in jobs] == [["TR:R01-000001"], ["TR:R01-000002"],
                                                 ["TR:R01-000002"]]
    assert STORE_COPY_MARK not in jobs[0].text + jobs[1].text
    assert jobs[2].lines[0] == STORE_COPY_MARK and "ポイント調整" in jobs[2].lines
    assert "承認者" in jobs[2].text and "TEL 03-3461-0925" in jobs[2].lines


def test_a_receipt_that_waited_for_paper_still_gets_its_store_copy(
        register, printer, start_queue):
    printer.status = STATUS_PAPER_END
    prints = start_queue(resume_within=timedelta(0), options=ReceiptOptions(
        store_copy_kinds=store_copy_kinds(corrections=False, sales=True)))
    op_id = register.sell(1000)
    prints.print_receipt(op_id)
    register.events.wait("print_waiting", op_id, REASON_PAPER_OUT)
    printer.status = STATUS_OK
    prints.retry()
    register.events.wait("receipt_printed", op_id, count=2)
    member, copy = printer.printed(), printer.printed()
    assert STORE_COPY_MARK not in member.text and copy.lines[0] == STORE_COPY_MARK
    assert register.store.print_state(op_id) == ("printed", 2, None)
    assert prints.pending() == [] and prints.status().unprinted_count == 0
