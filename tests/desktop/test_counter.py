"""The Qt-free counter flow against a real register store and its store thread: taps,
amount and basket sales, the live quote and its breakdown, "use all", staff on every op."""

from __future__ import annotations

import json
import threading

import pytest

from desktop.flows.counter import CounterFlow, CounterState, parse_int
from desktop.flows.signin import StaffSession
from desktop.receipts import receipt_from_dict
from devices.cards import (
    REASON_CARD_PULLED,
    REASON_READER_BUSY,
    REASON_READER_NOT_FOUND,
    CardPresented,
    ReaderError,
    ReaderReady,
)
from loyalty.quote import QuoteError
from sync.events import EventBus
from sync.models import OutboxOp
from sync.staff import StaffBook
from sync.worker import StoreWorker
from tests.desktop.counter_support import (
    HANAKO_CARD,
    HANAKO_NO,
    JIRO_CARD,
    JIRO_NO,
    LIGHT,
    NOW,
    TOKYO,
    Recorder,
    filled_store,
)


def make_flow(tmp_path, *, program="supermarket.toml", signed_in=True, **kw):
    store = filled_store(tmp_path / "register.db", program)
    worker = StoreWorker()
    bus = EventBus()
    book = StaffBook(store, hasher=LIGHT)
    session = StaffSession(store, worker, bus, book, clock=lambda: NOW)
    worker.call(book.create, "2001", "レジ 田村", "cashier", "0000", now=NOW)
    if signed_in:
        session.sign_in("2001", "0000").result(5)
    flow = CounterFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店 渋谷店",
                       clock=lambda tz: NOW, session=session, **kw)
    return flow, Recorder(bus), store, worker


@pytest.fixture
def counter(tmp_path):
    flow, rec, store, worker = make_flow(tmp_path)
    yield flow, rec, store
    flow.close()
    worker.shutdown()
    store.close()


def op_body(store, op_id):
    with store.reading() as s:
        return s.get(OutboxOp, op_id).body


def test_tap_shows_member(counter):
    flow, rec, _ = counter
    flow.on_card_event(CardPresented("sim", HANAKO_CARD))
    (member,) = rec.wait("member_shown")
    assert member.display_name == "山田 花子" and member.balance == 1500
    assert flow.state is CounterState.MEMBER


def test_unknown_card_message_and_nothing_posted(counter):
    flow, rec, store = counter
    flow.card_presented("DEADBEEF")
    text, level = rec.wait("counter_message")
    assert level == "error" and "登録されていない" in text
    assert flow.state is CounterState.IDLE
    flow.confirm("1000")
    assert store.outbox_counts() == {}


def test_reader_error_is_shown(counter):
    flow, rec, _ = counter
    flow.on_card_event(ReaderError("pcsc", "カードの読み取り中に離されました"))
    assert rec.wait("counter_message") == ("カードの読み取り中に離されました", "error")


def messages(rec: Recorder) -> list[tuple[str, str]]:
    return [args for name, args in rec.seen if name == "counter_message"]


def test_reader_back_replaces_the_reader_not_found_message(counter):
    flow, rec, _ = counter
    flow.on_card_event(ReaderReady("pcsc"))  # at start: nothing was wrong, nothing to say
    flow.on_card_event(ReaderError("pcsc", REASON_READER_NOT_FOUND))
    assert rec.wait("counter_message") == (REASON_READER_NOT_FOUND, "error")
    mark = rec.mark()
    flow.on_card_event(ReaderReady("pcsc"))
    text, level = rec.wait("counter_message", after=mark)
    assert level == "info" and text == "カードリーダーが使えるようになりました。会員カードをタッチしてください"
    flow.on_card_event(ReaderReady("pcsc"))  # said once per outage
    assert len(messages(rec)) == 2


def test_reader_back_with_a_member_on_screen_keeps_the_sale_going(counter):
    flow, rec, _ = counter
    flow.card_presented(HANAKO_CARD)
    rec.wait("member_shown")
    flow.on_card_event(ReaderError("pcsc", REASON_READER_BUSY))
    flow.on_card_event(ReaderReady("pcsc"))
    assert messages(rec)[-1] == ("カードリーダーが使えるようになりました", "info")
    assert flow.state is CounterState.MEMBER and flow.member is not None


def test_a_card_trouble_is_not_an_outage_the_reader_clears(counter):
    flow, rec, _ = counter
    flow.on_card_event(ReaderError("pcsc", REASON_CARD_PULLED))
    flow.on_card_event(ReaderReady("pcsc"))
    # "Touch again" stays on screen: the reader never went away.
    assert messages(rec) == [(REASON_CARD_PULLED, "error")]


def test_amount_sale_recorded_after_commit_with_staff_and_receipt(counter):
    flow, rec, store = counter
    flow.card_presented(HANAKO_CARD)
    flow.confirm("3,280")
    (sale,) = rec.wait("sale_recorded")
    assert store.op_state(sale.facts.op_id) == "queued"  # committed before the event
    q = sale.facts.quote
    assert q.program_version == 1 and q.rank == "regular"
    body = op_body(store, sale.facts.op_id)
    assert body["staff_id"] == "2001"
    assert body["payload"]["amount_yen"] == 3280
    assert body["payload"].get("lines") is None  # amount only: no basket sent
    assert body["payload"]["points_earned"] == q.points_earned
    receipt = receipt_from_dict(store.receipt(sale.facts.op_id))
    assert receipt.qr_payload == "TR:R01-000001"
    assert flow.state is CounterState.DONE and flow.lines == ()


def test_basket_lines_quote_with_breakdown_and_go_into_the_op(counter):
    flow, rec, store = counter
    flow.card_presented(HANAKO_CARD)
    rec.wait("member_shown")
    flow.add_line("2,000", "2", name="コシヒカリ 5kg", category="rice")
    flow.add_line("600", name="たばこ", category="tobacco")
    q = flow.quote("1400")  # the amount field counts as one more line
    assert q.amount_yen == 4000
    assert [ln.earns for ln in q.lines] == [True, False, True]  # tobacco earns nothing
    sources = [b.source for b in q.breakdown]
    assert sources[:2] == ["base", "rank"]
    assert {"tuesday", "days-10-20"} <= set(sources)  # a Tuesday the 10th at store S001
    assert q.points_earned == sum(b.points for b in q.breakdown)
    flow.confirm("1400")
    (sale,) = rec.wait("sale_recorded")
    lines = op_body(store, sale.facts.op_id)["payload"]["lines"]
    assert [(ln["name"], ln["category"], ln["quantity"], ln["amount_yen"]) for ln in lines] == [
        ("コシヒカリ 5kg", "rice", 2, 2000), ("たばこ", "tobacco", 1, 600), ("", "", 1, 1400)]
    assert sum(ln["amount_yen"] for ln in lines) == sale.facts.quote.amount_yen


def test_basket_editing(counter):
    flow, rec, _ = counter
    flow.card_presented(HANAKO_CARD)
    flow.add_line("100")
    flow.add_line("200")
    flow.remove_line(0)
    assert [ln.amount_yen for ln in flow.lines] == [200]
    with pytest.raises(QuoteError, match="数字で"):
        flow.add_line("abc")
    with pytest.raises(QuoteError, match="数量"):
        flow.add_line("100", "0")
    assert len(flow.lines) == 1
    flow.clear_lines()
    with pytest.raises(QuoteError, match="明細を追加"):
        flow.quote("")


def test_use_all_is_the_quotes_redeem_limit(counter):
    flow, _, _ = counter
    flow.card_presented(HANAKO_CARD)
    assert flow.redeem_max("1000") == 1000  # bounded by what points may pay for
    assert flow.quote("1000").redeem_limit.reason == "eligible"
    assert flow.redeem_max("5000") == 1500  # bounded by the balance
    flow.add_line("3000", category="gift_card")  # points cannot pay for gift cards
    assert flow.redeem_max("") == 0


def test_member_flags(counter):
    flow, rec, _ = counter
    flow.card_presented(HANAKO_CARD)
    (hanako,) = rec.wait("member_shown")
    flags = flow.member_flags(hanako)
    assert flags.birthday_month  # born in November; NOW is in November
    assert flags.blocked_cards == 1 and flags.debt == 0
    assert flags.expiring_points == 200
    mark = rec.mark()
    flow.card_presented(JIRO_CARD)
    (jiro,) = rec.wait("member_shown", after=mark)
    flags = flow.member_flags(jiro)
    assert (flags.birthday_month, flags.blocked_cards, flags.debt) == (False, 0, 120)
    assert flags.expiring_points == 0


def test_another_member_over_the_same_sale_keeps_the_basket(counter):
    flow, rec, _ = counter
    flow.card_presented(HANAKO_CARD)
    flow.add_line("500")
    flow.card_presented(JIRO_CARD)
    assert flow.member.display_name == "鈴木 次郎"
    assert [ln.amount_yen for ln in flow.lines] == [500]


@pytest.mark.parametrize(("amount", "redeem", "message"), [
    ("-500", "", "数字で"), ("abc", "", "数字で"), ("0", "", "1円以上"),
    ("100000000", "", "大きすぎ"), ("1000", "1600", "残高"), ("", "", "明細を追加"),
])
def test_bad_input_is_explained_and_nothing_posted(counter, amount, redeem, message):
    flow, rec, store = counter
    flow.card_presented(HANAKO_CARD)
    rec.wait("member_shown")
    flow.confirm(amount, redeem)
    text, level = rec.wait("counter_message")
    assert level == "error" and message in text
    assert store.outbox_counts() == {}
    assert flow.state is CounterState.MEMBER  # the cashier can correct and retry


def test_a_refusal_is_announced_with_the_flow_unlocked(counter):
    """A screen hearing a refusal may ask the flow again at once (the counter redoes its
    quote): the announcement must not come while the flow holds its lock."""
    flow, rec, store = counter
    flow.card_presented(HANAKO_CARD)
    rec.wait("member_shown")
    asked: list[object] = []
    done = threading.Event()

    def requote(_text, _level):
        try:
            asked.append(flow.quote("1000"))
        finally:
            done.set()

    flow.events.subscribe("counter_message", requote)
    worker = threading.Thread(target=flow.confirm, args=("1000", "1600"), daemon=True)
    worker.start()
    assert done.wait(5), "the flow's lock was held while it announced"
    worker.join(5)
    assert asked and asked[0].amount_yen == 1000
    assert store.outbox_counts() == {}


def test_confirm_without_member(counter):
    flow, rec, store = counter
    flow.confirm("1000")
    assert "タッチ" in rec.wait("counter_message")[0]
    assert store.outbox_counts() == {}


def test_nobody_signed_in_nothing_is_identified_or_recorded(tmp_path):
    flow, rec, store, worker = make_flow(tmp_path, signed_in=False)
    try:
        assert flow.card_presented(HANAKO_CARD) is None
        assert "サインイン" in rec.wait("counter_message")[0]
        assert flow.state is CounterState.IDLE and store.outbox_counts() == {}
    finally:
        flow.close()
        worker.shutdown()
        store.close()


def test_cancel_and_next_customer(counter):
    flow, rec, store = counter
    flow.card_presented(HANAKO_CARD)
    flow.add_line("100")
    assert flow.cancel()
    rec.wait("counter_reset")
    assert flow.state is CounterState.IDLE and flow.member is None and flow.lines == ()
    flow.card_presented(HANAKO_CARD)
    flow.confirm("100")
    rec.wait("sale_recorded")
    assert flow.cancel()  # "next customer": the recorded sale stays
    assert store.outbox_counts() == {"queued": 1}


def test_scans_identify_through_the_store_thread(counter):
    flow, rec, _ = counter
    outcome = flow.scan("TR:R01-000009").result(5)
    assert outcome.reason == "receipt"
    assert "返品画面" in rec.wait("counter_message")[0]
    flow.enter_member_no(HANAKO_NO).result(5)
    assert rec.wait("member_shown")[0].member_no == HANAKO_NO


def test_full_width_digits():
    assert parse_int("１，２３４", "金額") == 1234
    with pytest.raises(QuoteError):
        parse_int("12a", "金額")


def test_messages_keep_their_template_for_translation(counter):
    flow, rec, _ = counter
    flow.card_presented(HANAKO_CARD)
    flow.confirm("12x")
    text, _ = rec.wait("counter_message")
    assert text == "金額は数字で入力してください"
    assert text.template == "{what}は数字で入力してください"
    assert json.dumps(text.params, ensure_ascii=False) == '{"what": "金額"}'


def test_a_card_profile_member_number_identifies_the_member(counter):
    flow, rec, _ = counter
    flow.on_card_event(CardPresented("pcsc", "0123456789ABCDEF", JIRO_NO))
    (member,) = rec.wait("member_shown")
    assert member.display_name == "鈴木 次郎"
