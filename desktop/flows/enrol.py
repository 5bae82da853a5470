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
CONSENT_TEXT = "個人情報の取り扱いに同意します"
CONSENT_NOTICE = ("ご登録の情報は、ポイントサービスの提供とご本人確認のためにのみ利用し、"
                  "法令に基づく場合を除き第三者に提供しません。")
MAX_NAME = 50
_KANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fb ]+")
APP_ALREADY_MEMBER = "アプリの会員証です。すでに会員登録済みのため、入会手続きは不要です"


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
        if self.card_uid:
            return f"カード …{self.card_uid[-4:]}"
        if self.member_no:
            return f"会員カード …{self.member_no[-4:]}"
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
        errors["display_name"] = "お名前を入力してください"
    elif len(name) > MAX_NAME:
        errors["display_name"] = f"お名前は{MAX_NAME}文字以内で入力してください"
    kana = normalize_kana(form.kana)
    if not kana:
        errors["kana"] = "フリガナを入力してください"
    elif not _KANA.fullmatch(kana):
        errors["kana"] = "フリガナはカタカナで入力してください"
    elif len(kana) > MAX_NAME:
        errors["kana"] = f"フリガナは{MAX_NAME}文字以内で入力してください"
    month = unicodedata.normalize("NFKC", form.birth_month).strip().removesuffix("月")
    if month and not (month.isdecimal() and 1 <= int(month) <= 12):
        errors["birth_month"] = "誕生月は1〜12の数字で選んでください"
    if form.phone.strip():
        try:
            normalize_phone(form.phone)
        except ValueError as exc:
            errors["phone"] = str(exc)
    if not form.consent:
        errors["consent"] = "個人情報の取り扱いへの同意が必要です"
    if binding.card_uid is None and binding.member_no is None:
        errors["binding"] = "カードをタッチするか、会員カードのバーコードを読み取ってください"
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
            self._message("このカードはすでに登録されています。別のカードをタッチしてください")
            return
        self._bind(Binding(card_uid=uid))

    def scan(self, text: str) -> None:
        """A scanned member barcode (a pre-printed card) or, by mistake, an app QR."""
        scan = classify_scan(text)
        if scan.kind is ScanKind.APP_TOKEN:
            self._message(APP_ALREADY_MEMBER, "info")
        elif scan.kind is ScanKind.MEMBER_BARCODE and scan.member_no:
            try:
                taken = self.store.find_member_by_number(scan.member_no) is not None
            except StoreError as exc:
                self._message(str(exc))
                return
            if taken:
                self._message("この会員番号はすでに登録されています")
                return
            self._bind(Binding(member_no=scan.member_no))
        elif scan.kind is ScanKind.RECEIPT:
            self._message("レシートではなく、会員カードのバーコードを読み取ってください")
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
                self._message("記録中です。しばらくお待ちください", "info")
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
            self._message(str(error) if isinstance(error, StoreError) else "登録できませんでした")
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
