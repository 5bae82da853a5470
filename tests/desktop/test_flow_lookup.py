"""The Qt-free member look-up: search, history from HQ or from this register, and the
manager's corrections recorded as ops."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import httpx
import pytest

from desktop.flows.lookup import (
    EVENTS,
    MANAGER_ONLY,
    LookupFlow,
    parse_points,
)
from desktop.hq_lookup import HqLookup
from devices.cards import CardPresented
from loyalty.quote import quote_sale
from sync import ops
from sync.events import EventBus
from sync.protocol import CardState, HistoryEntry, HistoryPage, MemberLookup
from sync.staff import StaffView
from sync.store import StoreError
from sync.worker import StoreWorker
from tests.support.seed import CARD_UID, NOW, PHONE, PHONE_KEY, TOKYO, seeded_store, yamada

MANAGER = StaffView("M01", "店長 佐藤", "manager", True, 0, None)
CASHIER = StaffView("C01", "鈴木", "cashier", True, 0, None)
NEW_CARD = "04CAFE00112233"


class Recorder:
    def __init__(self, bus: EventBus) -> None:
        self.seen: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        for name in EVENTS:
            bus.subscribe(name, lambda *a, n=name: self._add(n, a))

    def _add(self, name, args):
        with self._cond:
            self.seen.append((name, args))
            self._cond.notify_all()

    def wait(self, name, pred=lambda *a: True, timeout=5.0):
        def found():
            return next((a for n, a in reversed(self.seen) if n == name and pred(*a)), None)

        with self._cond:
            assert self._cond.wait_for(lambda: found() is not None, timeout), \
                f"no {name}; saw {self.seen}"
            return found()

    def messages(self):
        return [a[0] for n, a in self.seen if n == "lookup_message"]


def hq_transport(pages, calls):
    """HQ's member and history routes, answering from `pages` (newest first)."""

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        assert request.headers["authorization"] == "Bearer tok"
        if request.url.path.endswith("/history"):
            before = request.url.params.get("before")
            page = pages[1] if before else pages[0]
            return httpx.Response(200, content=page.model_dump_json())
        return httpx.Response(200, content=MemberLookup(
            member=yamada(500), cards=[CardState(uid=CARD_UID, member_id="M1", status="active")],
            held=100, available=400).model_dump_json())

    return httpx.MockTransport(handle)


def entry(i, kind, points, balance):
    return HistoryEntry(entry_id=i, at=NOW - timedelta(days=10 - i), kind=kind, points=points,
                        balance_after=balance)


@pytest.fixture
def env(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    worker = StoreWorker()
    bus = EventBus()
    printed: list[str] = []
    flows: list[LookupFlow] = []

    def make(**kw):
        kw.setdefault("staff", MANAGER)
        flow = LookupFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店 渋谷店",
                          print_receipt=printed.append, phone_key=PHONE_KEY,
                          clock=lambda tz: NOW, **kw)
        flows.append(flow)
        return flow

    yield make, Recorder(bus), store, printed
    for flow in flows:
        flow.close()
    worker.shutdown()
    store.close()


def test_search_by_number_card_and_phone(env):
    make, rec, store, _ = env
    flow = make()
    assert [m.member_id for m in flow.find(store.member("M1").member_no)] == ["M1"]
    with pytest.raises(StoreError, match="該当する会員"):  # all digits, yet a card uid
        flow.find("04112233445566")
    assert [m.member_id for m in flow.find("04:a1:b2:c3:d4:e5:f6")] == ["M1"]
    assert [m.member_id for m in flow.find("０９０ー１２３４ー５６７８".replace("ー", "-"))] == ["M1"]
    assert [m.member_id for m in flow.find(PHONE)] == ["M1"]
    with pytest.raises(StoreError, match="見つかりません"):
        flow.find("0311112222")
    with pytest.raises(StoreError, match="13桁"):
        flow.find("山田")
    flow.phone_key = None
    with pytest.raises(StoreError, match="レジの登録"):
        flow.find(PHONE)


def test_blocked_members_are_found_for_managers(env):
    make, rec, store, _ = env
    ops.record_card_block(store, CARD_UID, "紛失", staff_id="M01", local_time=NOW)
    flow = make()
    flow.search(CARD_UID)
    (detail,) = rec.wait("lookup_member")
    assert detail.cards == ((CARD_UID, "blocked"),)
    assert [(lot.kind, lot.points) for lot in detail.member.lots] == [("limited", 200),
                                                                      ("normal", 300)]


def test_history_from_this_register_pages_when_hq_is_not_configured(env):
    make, rec, store, _ = env
    for amount in (1000, 2000, 3000):
        q = quote_sale(store.program(), amount)
        store.record_sale("M1", q, staff_id="C01", local_time=NOW, build_receipt=lambda f: {})
    flow = make(page_size=2)
    flow.select("M1")
    (history,) = rec.wait("lookup_history")
    assert history.source == "local" and history.label == "このレジの記録のみ"
    assert [(r.kind, r.points, r.state, r.note) for r in history.rows] == [
        ("販売", 30, "未送信", "R01-000003"), ("販売", 20, "未送信", "R01-000002")]
    assert history.more
    flow.more_history()
    (history,) = rec.wait("lookup_history", lambda h: len(h.rows) == 3)
    assert history.rows[-1].note == "R01-000001" and not history.more


def test_history_from_hq_with_paging(env):
    make, rec, _, _ = env
    pages = [HistoryPage(member_no="2900000000017", entries=[entry(3, "redeem", -100, 500),
                                                             entry(2, "earn", 100, 600)],
                         next_before=2),
             HistoryPage(member_no="2900000000017", entries=[entry(1, "initial", 500, 500)])]
    calls: list[str] = []
    flow = make(hq=HqLookup("http://127.0.0.1:9", "tok", transport=hq_transport(pages, calls)),
                page_size=2)
    flow.select("M1")
    (history,) = rec.wait("lookup_history")
    assert history.label == "HQ" and history.more
    assert [(r.kind, r.points, r.balance_after) for r in history.rows] == [
        ("利用", -100, 500), ("獲得", 100, 600)]
    (detail,) = rec.wait("lookup_member", lambda d: d.hq is not None)
    assert (detail.hq.held, detail.hq.available) == (100, 400)
    flow.more_history()
    (history,) = rec.wait("lookup_history", lambda h: len(h.rows) == 3)
    assert history.rows[-1].kind == "移行" and not history.more
    assert "before=2" in calls[-1] and "limit=2" in calls[-1]


def test_hq_unreachable_falls_back_to_this_register(env):
    make, rec, _, _ = env

    def down(request):
        raise httpx.ConnectError("refused", request=request)

    flow = make(hq=HqLookup("http://127.0.0.1:9", "tok", transport=httpx.MockTransport(down)))
    flow.select("M1")
    (history,) = rec.wait("lookup_history")
    assert history.source == "local" and "本部に接続できません" in history.notice
    flow2 = make(hq=HqLookup("http://127.0.0.1:9", "tok", transport=httpx.MockTransport(down)),
                 online=lambda: False)
    flow2.select("M1")
    (history,) = rec.wait("lookup_history", lambda h: "オフライン" in h.notice)
    assert history.label == "このレジの記録のみ"


def test_a_provisional_member_shows_this_register_only(env):
    make, rec, store, _ = env
    new = ops.record_enroll(store, "新規", "シンキ", None, None, NEW_CARD, staff_id="C01",
                            local_time=NOW)
    calls: list[str] = []
    flow = make(hq=HqLookup("http://127.0.0.1:9", "tok", transport=hq_transport([], calls)))
    flow.search(NEW_CARD)
    (detail,) = rec.wait("lookup_member")
    assert detail.provisional and detail.member.member_id == new.op.member_id
    (history,) = rec.wait("lookup_history")
    assert [r.kind for r in history.rows] == ["入会"] and "確定するまで" in history.notice
    assert calls == []


def test_corrections_need_a_manager(env):
    make, rec, store, printed = env
    flow = make(staff=CASHIER)
    flow.select("M1")
    assert flow.adjust("+100", "お詫び") is None
    assert flow.block_card(CARD_UID, "紛失") is None
    assert flow.merge_source(CARD_UID) is None
    assert rec.messages() == [MANAGER_ONLY] * 3
    assert store.outbox_counts() == {} and printed == []


def test_adjust_records_prints_and_refreshes(env):
    make, rec, store, printed = env
    flow = make()
    flow.select("M1")
    assert flow.adjust("0", "x") is None
    recorded = flow.adjust("＋１２０", "レシート紛失分").result(timeout=5)
    (_, done) = rec.wait("lookup_done")
    assert done == "ポイントを +120 pt 調整しました"
    assert recorded.op.payload.points == 120 and recorded.op.staff_id == "M01"
    assert printed == [recorded.op.op_id]
    slip = json.dumps(store.receipt(recorded.op.op_id), ensure_ascii=False)
    assert "ポイント調整" in slip and "+120 pt" in slip and "店長 佐藤" in slip
    rec.wait("lookup_member", lambda d: d.member.balance == 620)


def test_block_then_reissue_by_tapping_the_new_card(env):
    make, rec, store, printed = env
    flow = make()
    flow.select("M1")
    flow.start_reissue(CARD_UID, "破損")
    rec.wait("lookup_waiting_card")
    flow.on_card_event(CardPresented("sim", NEW_CARD))
    (recorded, _) = rec.wait("lookup_done")
    assert recorded.op.kind == "card_reissue" and printed == [recorded.op.op_id]
    assert store.member_by_card(NEW_CARD).member_id == "M1"
    with pytest.raises(StoreError, match="利用停止中"):
        store.member_by_card(CARD_UID)
    flow.block_card(NEW_CARD, "盗難").result(timeout=5)
    assert ops.cards_of(store, "M1") == [(CARD_UID, "blocked"), (NEW_CARD, "blocked")]
    assert len(printed) == 1  # a block prints nothing: the member may not be there


def test_merge_after_confirming_the_source(env):
    make, rec, store, _ = env
    other = ops.record_enroll(store, "山田 花子", "ヤマダ ハナコ", None, None, NEW_CARD,
                              staff_id="C01", local_time=NOW)
    ops.record_adjust(store, other.op.member_id, 40, "入会特典", staff_id="M01", local_time=NOW)
    flow = make()
    flow.select("M1")
    source = flow.merge_source(NEW_CARD)
    assert source.member_id == other.op.member_id
    flow.merge(source.member_id, "二重登録").result(timeout=5)
    rec.wait("lookup_member", lambda d: d.member.balance == 540)
    assert store.member_by_card(NEW_CARD).member_id == "M1"


def test_parse_points():
    assert parse_points("+1,000") == 1000
    assert parse_points("－５０") == -50
    assert parse_points("30pt") == 30
    for bad in ("", "0", "abc", "1.5"):
        with pytest.raises(StoreError):
            parse_points(bad)


def test_history_labels_are_the_registers_names_marked_for_translation():
    import ast
    from pathlib import Path

    from desktop.flows import lookup
    from desktop.flows.lookup import OP_KINDS

    # The screen shows this register's op kinds with the names receipts and reports use.
    assert OP_KINDS == ops.KIND_NAMES
    # Every label table is made of QT_TRANSLATE_NOOP("History", …) calls, so lupdate
    # collects them (a plain string would stay Japanese in English).
    tree = ast.parse(Path(lookup.__file__).read_text(encoding="utf-8"))
    tables = {"SOURCE_LABELS", "HQ_KINDS", "OP_KINDS", "STATE_LABELS"}
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id in tables:  # type: ignore[attr-defined]
            for value in node.value.values:  # type: ignore[attr-defined]
                assert isinstance(value, ast.Call) and value.func.id == "QT_TRANSLATE_NOOP"
                assert value.args[0].value == "History"
            tables.discard(node.targets[0].id)  # type: ignore[attr-defined]
    assert not tables, f"tables not found: {tables}"
