"""What a scanner typed: a member's app token, a printed member barcode, or a receipt QR.

A pure parser: it never raises, whatever arrives (a product barcode, half a QR code, text
typed with the Japanese IME on), and says why it could not classify something, so the
counter can tell the cashier what to do. Tokens are only recognised here; `tokens`
verifies their signature.

Printed member numbers are EAN-13 (JAN) in the GS1 in-store range, prefix 29 by default:
13 digits, the last a mod-10 check digit (weights 1, 3, 1, 3 … from the left). A scanner
reading a JAN symbol checks that digit itself; checking it again here catches manual
entry and NW-7 cards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from loyalty.tokens import TOKEN_PREFIX
from loyalty.wedge import looks_like_ime, normalize

RECEIPT_PREFIX = "TR:"
MEMBER_PREFIXES: tuple[str, ...] = ("29",)
MAX_SCAN_CHARS = 1000
_DIGITS13 = re.compile(r"[0-9]{13}")
_NW7 = re.compile(r"([A-D])([0-9]{13})([A-D])")  # Codabar cards send their start/stop letters
_RECEIPT = re.compile(r"TR:([A-Z0-9]{1,16})-([0-9]{1,12})")
_TOKEN_BODY = re.compile(r"[A-Z2-7]{40,400}")


class ScanKind(Enum):
    APP_TOKEN = "app_token"
    MEMBER_BARCODE = "member_barcode"
    RECEIPT = "receipt"
    UNKNOWN = "unknown"


MESSAGES: dict[str, str] = {
    "empty": "読み取れませんでした。もう一度読み取ってください",
    "too_long": "読み取ったデータが長すぎます。もう一度読み取ってください",
    "ime_on": "日本語入力がオンになっています。半角英数に切り替えてから読み取ってください",
    "bad_check_digit": "会員番号のチェックデジットが正しくありません。もう一度読み取ってください",
    "not_member": "会員バーコードではありません（商品のバーコードかもしれません）",
    "malformed_token": "会員コードを読み取れませんでした。もう一度読み取ってください",
    "malformed_receipt": "レシートのコードを読み取れませんでした",
    "unrecognized": "会員コードでもレシートでもないコードです",
}


@dataclass(frozen=True)
class Scan:
    kind: ScanKind
    text: str  # the input after undoing scanner and IME damage
    member_no: str | None = None
    token: str | None = None
    device_id: str | None = None
    seq: int | None = None
    reason: str | None = None  # set only for UNKNOWN; a key of MESSAGES

    @property
    def message(self) -> str:
        return MESSAGES[self.reason] if self.reason else ""


def ean13_check_digit(first12: str) -> int:
    """The JAN/EAN-13 check digit of twelve digits."""
    if not re.fullmatch(r"[0-9]{12}", first12):
        raise ValueError(f"need 12 digits, got {first12!r}")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def member_no_is_valid(member_no: str, prefixes: tuple[str, ...] = MEMBER_PREFIXES) -> bool:
    """13 digits, a member prefix, and a correct check digit."""
    return (isinstance(member_no, str) and bool(_DIGITS13.fullmatch(member_no))
            and member_no.startswith(prefixes)
            and ean13_check_digit(member_no[:12]) == int(member_no[12]))


def make_member_no(serial: int, prefix: str = MEMBER_PREFIXES[0]) -> str:
    """The printed member number for `serial`: prefix, zero-padded serial, check digit."""
    width = 12 - len(prefix)
    if not re.fullmatch(r"[0-9]{1,11}", prefix) or not 0 <= serial < 10**width:
        raise ValueError(f"serial {serial} does not fit after prefix {prefix!r}")
    body = f"{prefix}{serial:0{width}d}"
    return body + str(ean13_check_digit(body))


def _unknown(text: str, reason: str) -> Scan:
    return Scan(ScanKind.UNKNOWN, text, reason=reason)


def classify_scan(text: str, *, member_prefixes: tuple[str, ...] = MEMBER_PREFIXES) -> Scan:
    """Classify one scan. Never raises; UNKNOWN scans carry a reason and a message."""
    if not isinstance(text, str):
        return _unknown("", "unrecognized")
    if len(text) > MAX_SCAN_CHARS:
        return _unknown("", "too_long")
    if looks_like_ime(text):
        return _unknown(text.strip(), "ime_on")
    s = normalize(text, (TOKEN_PREFIX, RECEIPT_PREFIX))
    if not s:
        return _unknown(s, "empty")
    if s.startswith(TOKEN_PREFIX):
        if _TOKEN_BODY.fullmatch(s[len(TOKEN_PREFIX):]):
            return Scan(ScanKind.APP_TOKEN, s, token=s)
        return _unknown(s, "malformed_token")
    if s.startswith(RECEIPT_PREFIX):
        m = _RECEIPT.fullmatch(s)
        if m is None:
            return _unknown(s, "malformed_receipt")
        return Scan(ScanKind.RECEIPT, s, device_id=m.group(1), seq=int(m.group(2)))
    m13 = _NW7.fullmatch(s)
    digits = m13.group(2) if m13 else s
    if _DIGITS13.fullmatch(digits):
        if ean13_check_digit(digits[:12]) != int(digits[12]):
            return _unknown(s, "bad_check_digit")
        if not digits.startswith(member_prefixes):
            return _unknown(s, "not_member")
        return Scan(ScanKind.MEMBER_BARCODE, s, member_no=digits)
    return _unknown(s, "unrecognized")
