"""The Qt-free enrolment flow: minimum fields, consent, binding a card, offline record."""

from __future__ import annotations

import json
import threading

import pytest

from desktop.flows.enrol import (
    APP_ALREADY_MEMBER,
    EVENTS,
    Binding,
    EnrolFlow,
    EnrolForm,
    normalize_kana,
    validate,
)
from devices.cards import CardPresented, ReaderError
from loyalty.scan import make_member_no
from sync import ops
from sync.events import EventBus
from sync.worker import StoreWorker
from tests.support.seed import CARD_UID, NOW, PHONE_KEY, TOKYO, seeded_store

NEW_CARD = "04CAFE00112233"
GOOD = EnrolForm(display_name="佐藤 次郎", kana="さとう じろう", birth_month="4",
                 phone="０８０－１１１１－２２２２", consent=True)


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

    def wait(self, name, timeout=5.0):
        with self._cond:
            assert self._cond.wait_for(lambda: any(n == name for n, _ in self.seen), timeout), \
                f"no {name}; saw {self.seen}"
            return next(a for n, a in self.seen if n == name)

    def messages(self):
        return [a[0] for n, a in self.seen if n == "enrol_message"]


@pytest.fixture
def env(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    worker = StoreWorker()
    bus = EventBus()
    printed: list[str] = []
    flow = EnrolFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店 渋谷店",
                     print_receipt=printed.append, phone_key=PHONE_KEY, clock=lambda tz: NOW)
    yield flow, Recorder(bus), store, printed
    worker.shutdown()
    store.close()


def test_validation_messages_are_per_field_and_japanese():
    errors = validate(EnrolForm(display_name=" ", kana="Sato", birth_month="13",
                                phone="12-34", consent=False), Binding())
    assert errors == {
        "display_name": "お名前を入力してください",
        "kana": "フリガナはカタカナで入力してください",
        "birth_month": "誕生月は1〜12の数字で選んでください",
        "phone": "電話番号は市外局番から10桁または11桁で入力してください",
        "consent": "個人情報の取り扱いへの同意が必要です",
        "binding": "カードをタッチするか、会員カードのバーコードを読み取ってください",
    }
    # the minimum: a name, its reading, consent and a card; the rest is optional
    assert validate(EnrolForm(display_name="山田", kana="ヤマダ", consent=True),
                    Binding(card_uid=NEW_CARD)) == {}


def test_kana_accepts_hiragana_and_half_width():
    assert normalize_kana("やまだ　はなこ") == "ヤマダ ハナコ"
    assert normalize_kana("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダ ハナコ"


def test_tap_binds_the_card_and_the_member_is_served_offline(env):
    flow, rec, store, printed = env
    flow.on_card_event(CardPresented("sim", NEW_CARD.lower()))
    (binding,) = rec.wait("enrol_binding")
    assert binding.card_uid == NEW_CARD and binding.label == "カード …2233"
    flow.submit(GOOD).result(timeout=5)
    (recorded,) = rec.wait("enrol_recorded")
    assert printed == [recorded.op.op_id]
    member = store.member_by_card(NEW_CARD)
    assert (member.display_name, member.kana, member.birth_month) == ("佐藤 次郎",
                                                                      "サトウ ジロウ", 4)
    assert ops.is_provisional(store, member.member_id)
    assert [m.member_id for m in store.members_by_phone(PHONE_KEY, "08011112222")] == [
        member.member_id]
    slip = json.dumps(store.receipt(recorded.op.op_id), ensure_ascii=False)
    assert "入会受付" in slip and "…2233" in slip
    assert "佐藤" not in slip and "1111" not in slip  # no name or phone on paper
    assert flow.binding == Binding()  # ready for the next customer


def test_known_cards_and_app_codes_are_refused(env):
    flow, rec, _, _ = env
    flow.card_presented(CARD_UID)
    flow.card_presented("XYZ")
    flow.scan("TM1:" + "A" * 60)
    flow.on_card_event(ReaderError("pcsc", "カードリーダーが見つかりません"))
    assert rec.messages() == [
        "このカードはすでに登録されています。別のカードをタッチしてください",
        "カードの番号を読み取れませんでした。もう一度タッチしてください",
        APP_ALREADY_MEMBER,
        "カードリーダーが見つかりません",
    ]
    assert flow.binding == Binding()


def test_a_preprinted_member_card_binds_by_its_barcode(env):
    flow, rec, store, _ = env
    number = make_member_no(4242)
    flow.scan(number)
    (binding,) = rec.wait("enrol_binding")
    assert binding.member_no == number
    flow.submit(EnrolForm(display_name="田中", kana="タナカ", consent=True)).result(timeout=5)
    assert store.member_by_number(number).display_name == "田中"


def test_invalid_form_records_nothing(env):
    flow, rec, store, printed = env
    flow.card_presented(NEW_CARD)
    assert flow.submit(EnrolForm(display_name="山田", kana="ヤマダ", consent=False)) is None
    (errors,) = rec.wait("enrol_errors")
    assert list(errors) == ["consent"]
    assert store.outbox_counts() == {} and printed == []


def test_reset_forgets_the_card(env):
    flow, rec, _, _ = env
    flow.card_presented(NEW_CARD)
    flow.reset()
    rec.wait("enrol_reset")
    assert flow.binding == Binding()


def test_an_app_qr_says_the_customer_is_a_member_and_where_the_qr_goes(env):
    flow, rec, _, _ = env
    flow.scan("TM1:" + "A" * 60)
    [(text, level)] = [a for n, a in rec.seen if n == "enrol_message"]
    assert level == "warning" and text.template == APP_ALREADY_MEMBER
    assert "すでに会員" in text and "レジ画面（F1）" in text  # what it is, and what to do
    assert flow.binding == Binding()  # an existing member's token never binds a new one


def test_consent_and_messages_reach_the_translation_catalog():
    import ast
    from pathlib import Path

    from desktop.flows import enrol

    tree = ast.parse(Path(enrol.__file__).read_text(encoding="utf-8"))
    marked = {node.targets[0].id: node.value.args[0].value  # type: ignore[attr-defined]
              for node in tree.body
              if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and getattr(node.value.func, "id", "") == "QT_TRANSLATE_NOOP"}
    assert marked["CONSENT_TEXT"] == marked["CONSENT_NOTICE"] == enrol.CONSENT_CONTEXT
    assert marked["APP_ALREADY_MEMBER"] == "core"
    # Every problem validate() reports is a marked template, shown through core().
    errors = enrol.validate(enrol.EnrolForm(display_name="x" * 60, kana="abc",
                                            birth_month="13", consent=False), Binding())
    templates = {v.template for v in errors.values() if hasattr(v, "template")}
    assert set(errors) - {"phone"} and len(templates) == len(errors)
