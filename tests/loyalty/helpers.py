"""Shared builders for the loyalty tests: small programs, JST times, baskets."""

from __future__ import annotations

from datetime import datetime

from loyalty.dates import JST
from loyalty.program import Program, parse_program
from loyalty.quote import Line


def jst(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


def program(body: str = "", *, earn: str = "", redeem: str = "", head: str = "") -> Program:
    """A 1 pt per ¥100 program with extra TOML in its [earn], [redeem] and after them."""
    return parse_program(f"""
[program]
version = 1
name = "テスト"
company_id = "C1"
{head}
[earn]
points = 1
per_yen = 100
{earn}
[redeem]
unit = 1
minimum = 1
{redeem}
{body}
""")


def lines(*amounts: int | tuple[int, str], tax_rate: int = 10) -> list[Line]:
    """Lines from amounts, or (amount, category) pairs; skus are L1, L2, …"""
    out = []
    for n, a in enumerate(amounts, 1):
        amount, category = (a, "") if isinstance(a, int) else a
        out.append(Line(sku=f"L{n}", amount_yen=amount, category=category, tax_rate=tax_rate))
    return out


GOLD = """
[[ranks]]
code = "regular"
name = "レギュラー"
[[ranks]]
code = "gold"
name = "ゴールド"
multiplier = "1.5"
min_spend_yen = 100000
"""
