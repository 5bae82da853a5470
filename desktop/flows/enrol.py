"""Enrolment at the counter, free of Qt: the fewest fields a sign-up needs, explicit
consent, a card to bind, and a record that works offline.

The form asks for a name and its reading (kana); birth month and phone are optional.
The member is bound to a card by a tap, or to a pre-printed member card by scanning its
barcode. `submit` validates (messages in Japanese, per field) and records the enrolment
on the store thread (`sync.ops.record_enroll`): the new member is in the register's
cache from the commit on, so the card works at this counter at once, online or not.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.receipts import pts, receipt_to_dict
from desktop.receipts.text import header_lines, title_line
from devices.cards import CardEvent, CardPresented, ReaderError
from devices.receipt import Receipt, ReceiptLine
from loyalty.scan import ScanKind, classify_scan
from sync import ops
from sync.events import EventBus
from sync.ops import OpFacts, RecordedOp
from sync.phone import normalize_phone
from sync.staff import StaffView
from sync.store import RegisterStore, StoreError
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

EVENTS = ("enrol_binding", "enrol_errors", "enrol_recorded", "enrol_message", "enrol_reset")
# The consent the customer reads and ticks, translated on the enrolment screen.
CONSENT_CONTEXT = "Enrolment"
CONSENT_TEXT = QT_TRANSLATE_NOOP("Enrolment", "個人情報の取り扱いに同意します")
CONSENT_NOTICE = QT_TRANSLATE_NOOP(
    "Enrolment", "ご登録の情報は、ポイントサービスの提供とご本人確認のためにのみ利用し、"
    "法令に基づく場合を除き第三者に提供しません。")
MAX_NAME = 50
_KANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fb ]+")

# Sentences for the screen ("core" context, shown through desktop.i18n.core).
# An app QR is an existing member's: never bound to a new one, and the cashier is told
# where that QR belongs instead.
APP_ALREADY_MEMBER = QT_TRANSLATE_NOOP(
    "core", "アプリの会員証です。このお客様はすでに会員なので、入会の手続きは不要です。"
    "レジ画面（F1）でこの QR を読み取ってお会計してください")
NAME_MISSING = QT_TRANSLATE_NOOP("core", "お名前を入力してください")
NAME_TOO_LONG = QT_TRANSLATE_NOOP("core", "お名前は{max}文字以内で入力してください")
KANA_MISSING = QT_TRANSLATE_NOOP("core", "フリガナを入力してください")
KANA_NOT_KATAKANA = QT_TRANSLATE_NOOP("core", "フリガナはカタカナで入力してください")
KANA_TOO_LONG = QT_TRANSLATE_NOOP("core", "フリガナは{max}文字以内で入力してください")
BAD_MONTH = QT_TRANSLATE_NOOP("core", "誕生月は1〜12の数字で選んでください")
NO_CONSENT = QT_TRANSLATE_NOOP("core", "個人情報の取り扱いへの同意が必要です")
NO_BINDING = QT_TRANSLATE_NOOP(
    "core", "カードをタッチするか、会員カードのバーコードを読み取ってください")
CARD_TAKEN = QT_TRANSLATE_NOOP(
    "core", "このカードはすでに登録されています。別のカードをタッチしてください")
NUMBER_TAKEN = QT_TRANSLATE_NOOP(
    "core", "この会員番号はすでに登録されています。別の会員カードを読み取ってください")
RECEIPT_NOT_CARD = QT_TRANSLATE_NOOP(
    "core", "レシートではなく、会員カードのバーコードを読み取ってください")
RECORDING = QT_TRANSLATE_NOOP("core", "記録中です。しばらくお待ちください")
NOT_ENROLLED = QT_TRANSLATE_NOOP("core", "登録できませんでした。もう一度「登録する」を押してください")
CARD_LABEL = QT_TRANSLATE_NOOP("core", "カード …{last4}")
MEMBER_CARD_LABEL = QT_TRANSLATE_NOOP("core", "会員カード …{last4}")


@dataclass(frozen=True)
class EnrolForm:
    display_name: str = ""
    kana: str = ""
    birth_month: str = ""  # "" or "1"…"12", as a picker or a field gives it
    phone: str = ""
    consent: bool = False


@dataclass(frozen=True)
class Binding:
    """What identifies the new member later: a card tapped, or a printed card scanned."""

    card_uid: str | None = None
    member_no: str | None = None

    @property
    def label(self) -> str:
        """What the screen shows of the binding (a `Message`, through `core()`)."""
        if self.card_uid:
            return Message(CARD_LABEL, last4=self.card_uid[-4:])
        if self.member_no:
            return Message(MEMBER_CARD_LABEL, last4=self.member_no[-4:])
        return ""


def normalize_kana(text: str) -> str:
    """Full-width katakana with single spaces: hiragana and half-width kana are accepted."""
    s = unicodedata.normalize("NFKC", text).strip()
    s = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in s)
    return re.sub(r"\s+", " ", s)


def validate(form: EnrolForm, binding: Binding) -> dict[str, str]:
    """Problems by field ("display_name", "kana", "birth_month", "phone", "consent",
    "binding"); empty when the form can be recorded."""
    errors: dict[str, str] = {}
    name = form.display_name.strip()
    if not name:
        errors["display_name"] = Message(NAME_MISSING)
    elif len(name) > MAX_NAME:
        errors["display_name"] = Message(NAME_TOO_LONG, max=MAX_NAME)
    kana = normalize_kana(form.kana)
    if not kana:
        errors["kana"] = Message(KANA_MISSING)
    elif not _KANA.fullmatch(kana):
        errors["kana"] = Message(KANA_NOT_KATAKANA)
    elif len(kana) > MAX_NAME:
        errors["kana"] = Message(KANA_TOO_LONG, max=MAX_NAME)
    month = unicodedata.normalize("NFKC", form.birth_month).strip().removesuffix("月")
    if month and not (month.isdecimal() and 1 <= int(month) <= 12):
        errors["birth_month"] = Message(BAD_MONTH)
    if form.phone.strip():
        try:
            normalize_phone(form.phone)
        except ValueError as exc:
            errors["phone"] = str(exc)
    if not form.consent:
        errors["consent"] = Message(NO_CONSENT)
    if binding.card_uid is None and binding.member_no is None:
        errors["binding"] = Message(NO_BINDING)
    return errors


def build_enrol_receipt(facts: OpFacts, *, store_name: str, tz: ZoneInfo,
                        staff_name: str | None = None) -> dict[str, object]:
    """The enrolment slip: no name or phone on it, only what identifies the card."""
    payload = facts.payload
    body = [ReceiptLine(""), title_line("入会受付"), ReceiptLine("")]
    if payload.card_uid:
        body.append(ReceiptLine("カード", f"…{payload.card_uid[-4:]}"))
    if payload.member_no:
        body.append(ReceiptLine("会員番号", f"…{payload.member_no[-4:]}"))
    else:
        body.append(ReceiptLine("会員番号は HQ での登録後に発行されます"))
    body += [ReceiptLine("ポイント残高", pts(facts.balance_after or 0), bold=True),
             ReceiptLine("本日のお買上げからポイントが貯まります"), ReceiptLine("")]
    return receipt_to_dict(Receipt(
        header=header_lines(store_name, facts.local_time, tz, facts.device_id,
                            facts.receipt_no, staff_name),
        body=tuple(body), kind="enroll", receipt_no=facts.receipt_no,
        issued_at=facts.local_time.isoformat()))


class EnrolFlow:
    def __init__(
        self,
        store: RegisterStore,
        worker: StoreWorker,
        events: EventBus,
        *,
        tz: ZoneInfo,
        store_name: str,
        print_receipt: Callable[[str], None],
        phone_key: bytes | str | None = None,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        staff: StaffView | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events
        self.tz = tz
        self.store_name = store_name
        self.print_receipt = print_receipt
        self.phone_key = phone_key  # from activation; hashes the phone for offline search
        self.clock = clock
        self.staff = staff
        self._lock = threading.Lock()
        self.binding = Binding()
        self.recording = False
        self.last: RecordedOp | None = None

    def _message(self, text: str, level: str = "error") -> None:
        self.events.emit("enrol_message", text, level)

    # -- binding ------------------------------------------------------------------------

    def on_card_event(self, event: CardEvent) -> None:
        """Card reader events while the enrolment screen is up (the shell routes them)."""
        if isinstance(event, CardPresented):
            self.card_presented(event.uid)
        elif isinstance(event, ReaderError):
            self._message(event.reason)

    def card_presented(self, uid: str) -> None:
        try:
            uid = ops.normalize_card_uid(uid)
        except StoreError as exc:
            self._message(str(exc))
            return
        if self.store.find_card(uid) is not None:
            self._message(Message(CARD_TAKEN))
            return
        self._bind(Binding(card_uid=uid))

    def scan(self, text: str) -> None:
        """A scanned member barcode (a pre-printed card) or, by mistake, an app QR."""
        scan = classify_scan(text)
        if scan.kind is ScanKind.APP_TOKEN:
            self._message(Message(APP_ALREADY_MEMBER), "warning")
        elif scan.kind is ScanKind.MEMBER_BARCODE and scan.member_no:
            try:
                taken = self.store.find_member_by_number(scan.member_no) is not None
            except StoreError as exc:
                self._message(str(exc))
                return
            if taken:
                self._message(Message(NUMBER_TAKEN))
                return
            self._bind(Binding(member_no=scan.member_no))
        elif scan.kind is ScanKind.RECEIPT:
            self._message(Message(RECEIPT_NOT_CARD))
        else:
            self._message(scan.message)

    def _bind(self, binding: Binding) -> None:
        with self._lock:
            self.binding = binding
        self.events.emit("enrol_binding", binding)

    # -- submit -------------------------------------------------------------------------

    def submit(self, form: EnrolForm) -> Future[RecordedOp] | None:
        """Validate and record; `enrol_errors` (by field) or `enrol_recorded` follows."""
        with self._lock:
            if self.recording:
                self._message(Message(RECORDING), "info")
                return None
            binding = self.binding
            errors = validate(form, binding)
            if not errors:
                self.recording = True
        self.events.emit("enrol_errors", errors)
        if errors:
            return None
        future = self.worker.submit(self._record, form, binding, self.staff)
        future.add_done_callback(self._recorded)
        return future

    def _record(self, form: EnrolForm, binding: Binding, staff: StaffView | None) -> RecordedOp:
        staff_id = staff.staff_id if staff else None
        staff_name = staff.display_name if staff else None
        month = unicodedata.normalize("NFKC", form.birth_month).strip().removesuffix("月")

        def build(facts: OpFacts) -> dict[str, object]:
            return build_enrol_receipt(facts, store_name=self.store_name, tz=self.tz,
                                       staff_name=staff_name)

        return ops.record_enroll(
            self.store, form.display_name.strip(), normalize_kana(form.kana),
            int(month) if month else None, form.phone.strip() or None, binding.card_uid,
            member_no=binding.member_no, staff_id=staff_id, local_time=self.clock(self.tz),
            phone_key=self.phone_key, build_receipt=build)

    def _recorded(self, future: Future[RecordedOp]) -> None:
        error = future.exception()
        with self._lock:
            self.recording = False
        if error is not None:
            if not isinstance(error, StoreError):
                log.error("enrolment not recorded", exc_info=error)
            self._message(str(error) if isinstance(error, StoreError) else Message(NOT_ENROLLED))
            return
        recorded = future.result()
        with self._lock:
            self.last, self.binding = recorded, Binding()
        self.events.emit("enrol_recorded", recorded)
        self.print_receipt(recorded.op.op_id)

    def reset(self) -> None:
        with self._lock:
            if self.recording:
                return
            self.binding = Binding()
        self.events.emit("enrol_reset")
