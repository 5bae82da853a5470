"""Sample receipts of every layout, from realistic facts: for previews and the docs.

    python -m desktop.receipts.samples docs/screenshots
        # receipt-<layout>.png (80 mm, 512 dots) and receipt-<layout>-58mm.png (384 dots)

tests/desktop/test_receipts_previews.py fails when the committed previews are not what
this module draws now: run the command above and look at the result.

The sale is quoted by the real rules of resources/programs/drugstore.toml (a Sunday, so
the weekend cosmetics campaign grants limited-time points), for a member whose name,
full number and phone are in the facts, so a reader of the previews can check that
none of them is printed. Each is drawn as the print queue prints it, with the store's
lines (`STORE_OPTIONS`: address and phone under the name, a footer line); the store copy
(お店控え) of the return is the `return-copy` preview.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from desktop.receipts.corrections import (
    AdjustFacts,
    ReturnFacts,
    build_adjust_receipt,
    build_return_receipt,
)
from desktop.receipts.model import (
    build_reprint,
    build_store_copy,
    receipt_to_dict,
    with_store_lines,
)
from desktop.receipts.options import CORRECTION_KINDS, ReceiptOptions
from desktop.receipts.sale import build_sale_receipt
from devices.receipt import Receipt
from loyalty.program import Program, parse_program
from loyalty.quote import HeldLot, Line, MemberContext, quote
from loyalty.ranks import RankStatus, Shortfall
from resources import RESOURCES
from sync.store import SaleFacts
from sync.store_views import LotView, MemberView

TOKYO = ZoneInfo("Asia/Tokyo")
STORE_NAME = "たまるドラッグ 渋谷道玄坂店"
STAFF = "佐藤"
MANAGER = "店長 鈴木"
MEMBER_NO = "2900000000017"
PHONE = "090-1234-5678"
SALE_AT = datetime(2026, 11, 22, 14, 32, tzinfo=TOKYO)  # a Sunday
LIMITED_OLD = datetime(2026, 12, 1, tzinfo=TOKYO)  # usable through 30 November
NORMAL_OLD = datetime(2027, 10, 15, tzinfo=TOKYO)
LAYOUTS = ("sale", "sale-offline", "return", "return-copy", "adjust", "reprint")
STORE_OPTIONS = ReceiptOptions(header_lines=("東京都渋谷区道玄坂2-10-7", "TEL 03-3461-0925"),
                               footer_line="このレシートは返品時に必要です",
                               store_copy_kinds=CORRECTION_KINDS)


def drugstore() -> Program:
    return parse_program((RESOURCES / "programs" / "drugstore.toml").read_text(encoding="utf-8"))


def member(balance: int = 1500, lots: tuple[LotView, ...] | None = None) -> MemberView:
    """山田 花子 as the register caches her; by default 150 limited-time points lapse at
    the end of November and the rest are normal points."""
    if lots is None:
        limited = min(150, balance)
        lots = tuple(lot for lot in (LotView("limited", limited, LIMITED_OLD),
                                     LotView("normal", balance - limited, NORMAL_OLD))
                     if lot.points)
    return MemberView(
        member_id="M1", member_no=MEMBER_NO, display_name="山田 花子", status="active",
        hq_balance=balance, pending_delta=0, kana="ヤマダ ハナコ", rank="silver",
        birth_month=5, phone_masked="090-****-5678", phone_hash="f" * 64, lots=lots,
    )


def member_after_sale(facts: SaleFacts) -> MemberView:
    """The member as HQ summarises her once the sale has synced."""
    lots = tuple(LotView(e.kind, e.points, e.expires_at) for e in facts.quote.expiries)
    return member(facts.balance_after, lots)


def sale_facts(program: Program, *, at: datetime = SALE_AT, redeem: int = 100,
               basket: tuple[Line, ...] | None = None, seq: int = 123,
               who: MemberView | None = None) -> SaleFacts:
    who = who or member()
    basket = basket or (
        Line("4901234567894", 2480, "cosmetics", name="化粧水"),
        Line("4902345678901", 1280, "food", tax_rate=8, name="お茶"),
    )
    ctx = MemberContext(balance=who.balance, rank=who.rank, birth_month=who.birth_month,
                        lots=tuple(HeldLot(lot.kind, lot.points, lot.expires_at)  # type: ignore[arg-type]
                                   for lot in who.lots))
    q = quote(program, basket, ctx, at=at, store_id="S001", redeem_points=redeem)
    return SaleFacts(op_id=f"00000000-0000-4000-8000-{seq:012d}", device_id="R02",
                     store_id="S001", device_seq=seq, receipt_no=f"R02-{seq:06d}",
                     local_time=at, member=who, quote=q, balance_after=who.balance + q.net_change)


def silver_progress(program: Program) -> RankStatus:
    silver, gold = program.ranking.find("silver"), program.ranking.find("gold")
    assert silver is not None and gold is not None
    return RankStatus(rank=silver, spend_yen=72_000, visits=18, years=2, next_rank=gold,
                      to_next=(Shortfall("spend", 28_000), Shortfall("visits", 6)))


def sample_receipts() -> dict[str, Receipt]:
    """One receipt per layout as it is printed, keyed as the preview files are named."""
    stored = stored_samples()
    return {"sale": with_store_lines(stored["sale"], STORE_OPTIONS),
            "sale-offline": with_store_lines(stored["sale-offline"], STORE_OPTIONS),
            "return": with_store_lines(stored["return"], STORE_OPTIONS),
            "return-copy": build_store_copy(receipt_to_dict(stored["return"]),
                                            options=STORE_OPTIONS),
            "adjust": with_store_lines(stored["adjust"], STORE_OPTIONS),
            "reprint": build_reprint(receipt_to_dict(stored["sale"]),
                                     reprinted_at=SALE_AT + timedelta(days=1, hours=-4),
                                     tz=TOKYO, options=STORE_OPTIONS)}


def stored_samples() -> dict[str, Receipt]:
    """The receipts of each transaction as the register stores them (the store's lines
    are added when printed)."""
    program = drugstore()
    footer = program.receipt_footer
    first = sale_facts(program)
    sale = build_sale_receipt(first, store_name=STORE_NAME, footer=footer, tz=TOKYO,
                              staff_name=STAFF, program=program,
                              rank_status=silver_progress(program))
    tuesday = SALE_AT + timedelta(days=2, hours=-5)
    second = sale_facts(program, at=tuesday, redeem=0, seq=131, who=member_after_sale(first),
                        basket=(Line("4903456789012", 1280, "", name="目薬"),))
    offline = build_sale_receipt(second, store_name=STORE_NAME, footer=footer, tz=TOKYO,
                                 staff_name=STAFF, program=program, offline=True)
    returned = build_return_receipt(
        ReturnFacts(op_id="00000000-0000-4000-8000-000000000140", device_id="R02",
                    receipt_no="R02-000140", local_time=tuesday + timedelta(hours=3),
                    member=replace(member(1545), lots=()), original_receipt_no="R02-000123",
                    original_time=SALE_AT, returned_yen=2480, sale_yen=3760,
                    points_reversed=85, points_restored=60, balance_after=1520),
        store_name=STORE_NAME, footer=footer, tz=TOKYO, staff_name=STAFF)
    adjusted = build_adjust_receipt(
        AdjustFacts(op_id="00000000-0000-4000-8000-000000000141", device_id="R02",
                    receipt_no="R02-000141", local_time=tuesday + timedelta(hours=3, minutes=8),
                    member=member(1520), points=200,
                    reason="11月15日の5倍デー分が付与されていなかったため",
                    approved_by=MANAGER, balance_after=1720,
                    expires_at=datetime(2027, 11, 25, tzinfo=TOKYO)),
        store_name=STORE_NAME, footer=footer, tz=TOKYO, staff_name=STAFF)
    return {"sale": sale, "sale-offline": offline, "return": returned, "adjust": adjusted}


PREVIEW_WIDTHS = {"": 512, "-58mm": 384}  # file name suffix → paper width in dots


def previews() -> dict[str, bytes]:
    """Every preview file, by name: each layout on 80 mm and on 58 mm paper."""
    from devices.receipt_raster import render_png

    return {f"receipt-{name}{suffix}.png": render_png(receipt, width)
            for name, receipt in sample_receipts().items()
            for suffix, width in PREVIEW_WIDTHS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a preview PNG of every receipt layout, on 80 mm and 58 mm paper.")
    parser.add_argument("out", type=Path, help="folder for receipt-<layout>[-58mm].png")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, png in previews().items():
        path = args.out / name
        path.write_bytes(png)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
