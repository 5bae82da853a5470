"""What a sale's receipt says, built from the facts of the committed sale.

The receipt model is stored with the sale (as a dict) so it can be reprinted exactly,
whatever happens to the printer or the program afterwards.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

from devices.receipt import Receipt, ReceiptLine
from sync.store import SaleFacts


def yen(amount: int) -> str:
    return f"￥{amount:,}"


def pts(points: int) -> str:
    return f"{points:,} pt"


def receipt_qr(receipt_no: str) -> str:
    # Upper case, digits and ":-" only: QR alphanumeric mode keeps the code small, and
    # the scan parser repairs what a keyboard layout or IME changes (":" differs between
    # US and JIS layouts; an IME may turn characters full width).
    return f"TR:{receipt_no}".upper()


def build_sale_receipt(facts: SaleFacts, *, store_name: str, footer: str, tz: ZoneInfo) -> Receipt:
    when = facts.local_time.astimezone(tz).strftime("%Y年%m月%d日 %H:%M")
    q = facts.quote
    body = [
        ReceiptLine("会員番号", facts.member.masked_no),
        ReceiptLine("お買上げ金額", yen(q.amount_yen), bold=True),
    ]
    if q.redeem_points:
        body.append(ReceiptLine("ポイント利用", f"-{pts(q.redeem_points)}"))
    body += [
        ReceiptLine("今回獲得ポイント", pts(q.points_earned), bold=True),
        ReceiptLine("ポイント残高", pts(facts.balance_after), bold=True, size="large"),
    ]
    return Receipt(
        header=(
            ReceiptLine(store_name, bold=True, size="large", align="center"),
            ReceiptLine(when),
            ReceiptLine(f"レジ {facts.device_id}", f"取引番号 {facts.receipt_no}"),
        ),
        body=tuple(body),
        qr_payload=receipt_qr(facts.receipt_no),
        footer=(ReceiptLine(footer, align="center"),) if footer else (),
    )


def receipt_to_dict(receipt: Receipt) -> dict[str, Any]:
    return asdict(receipt)


def receipt_from_dict(data: dict[str, Any]) -> Receipt:
    def lines(key: str) -> tuple[ReceiptLine, ...]:
        return tuple(ReceiptLine(**line) for line in data.get(key, ()))

    extra = {k: v for k, v in data.items() if k not in ("header", "body", "footer")}
    return Receipt(header=lines("header"), body=lines("body"), footer=lines("footer"), **extra)
