"""A quote as a plain-text table with Japanese labels, for the simulator and support staff.

Columns are padded by display width (a kanji takes two columns in a terminal), so the
table lines up in a Japanese console.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from loyalty.basket import MemberContext
from loyalty.campaigns import WEEKDAY_JA
from loyalty.dates import last_valid_day
from loyalty.program import Program
from loyalty.quote import Quote

KIND_JA = {"normal": "通常", "limited": "期間限定"}


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cols: int, right: bool = False) -> str:
    gap = " " * max(0, cols - width(text))
    return gap + text if right else text + gap


def _grid(rows: list[list[str]], numeric: set[int]) -> list[str]:
    cols = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(pad(cell, cols[i], i in numeric) for i, cell in enumerate(r)).rstrip()
            for r in rows]


def _until(program: Program, at: datetime | None) -> str:
    return f"{last_valid_day(at, program.tz):%Y-%m-%d} まで" if at is not None else "無期限"


def render(q: Quote, program: Program, member: MemberContext | None, at: datetime,
           store_id: str | None) -> str:
    local = at.astimezone(program.tz)
    out = [f"プログラム  {program.name}（v{program.version}・{program.company_id}）",
           f"日時        {local:%Y-%m-%d %H:%M}（{WEEKDAY_JA[local.weekday()]}）  店舗 {store_id or '指定なし'}"]
    if member is None:
        out.append("会員        指定なし（会員条件のキャンペーンは対象外）")
    else:
        rank = program.ranking.find(q.rank) if q.rank else None
        out.append(f"会員        ランク {rank.name if rank else 'なし'} ／ 残高 {member.balance:,} pt")
    out += ["", "明細"]
    rows = [["#", "商品コード", "品名", "分類", "金額", "ポイント払い", "付与対象", ""]]
    for n, ln in enumerate(q.lines, 1):
        flag = "" if ln.earns else "付与対象外"
        if not ln.redeemable:
            flag = (flag + " " if flag else "") + "ポイント利用不可"
        rows.append([str(n), ln.sku, ln.name, ln.category, f"{ln.amount_yen:,} 円",
                     f"{ln.redeemed_yen:,}", f"{ln.earn_base_yen:,} 円", flag])
    out += _grid(rows, {0, 4, 5, 6})
    out += ["", *_grid([["お買上げ金額", f"{q.amount_yen:,} 円"],
                        ["ポイント利用", f"{q.redeem_points:,} pt"],
                        ["付与対象金額", f"{q.earn_base_yen:,} 円"]], {1})]
    out += ["", "獲得ポイント内訳"]
    rows = [[b.name, f"{b.points:,} pt", b.detail
             + (f"（期間限定・{_until(program, b.expires_at)}）" if b.limited else "")]
            for b in q.breakdown]
    rows.append(["合計", f"{q.points_earned:,} pt", f"差し引き {q.net_change:+,} pt"])
    out += _grid(rows, {1})
    if q.skipped:
        out += ["", "対象外のキャンペーン"]
        out += _grid([[s.name, s.reason] for s in q.skipped], set())
    limit = q.redeem_limit
    out += ["", f"ご利用可能  最大 {limit.max_points:,} pt（{limit.message}）"]
    if q.expiries:
        out += ["", "有効期限（このお買い物の後）"]
        out += _grid([[KIND_JA[e.kind], f"{e.points:,} pt", _until(program, e.expires_at),
                       "今回獲得" if e.new else ""] for e in q.expiries], {1})
    for note in q.notes:
        out.append(f"※ {note}")
    return "\n".join(out) + "\n"
