"""Try a program before publishing it: quote a basket from JSON and show why, as a table.

HQ's `tamaru-hq simulate PROGRAM BASKET [--member …] [--at …]` calls `simulate`; the
basket and member JSON shapes are documented in `docs/program.md`. Everything here is
pure: the caller reads the files and prints the result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from loyalty.basket import HeldLot, Line, MemberContext, QuoteError
from loyalty.dates import last_valid_day
from loyalty.program import Program, ProgramError, parse_program
from loyalty.quote import Quote, quote
from loyalty.table import render

__all__ = ["SimulateError", "parse_basket", "parse_member", "quote_to_dict", "simulate"]


class SimulateError(ValueError):
    """Input the simulator cannot use; the message names the file and the field."""


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SimulateError(f"{where}: must be an object, got {type(value).__name__}")
    return value


def _int(d: Mapping[str, Any], where: str, key: str, default: int | None = None,
         minimum: int | None = 0) -> int:
    value = d.get(key, default)
    if value is None:
        raise SimulateError(f"{where}.{key}: required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise SimulateError(f"{where}.{key}: must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise SimulateError(f"{where}.{key}: must be at least {minimum}, got {value}")
    return value


def _str(d: Mapping[str, Any], where: str, key: str, default: str = "") -> str:
    value = d.get(key, default)
    if not isinstance(value, str):
        raise SimulateError(f"{where}.{key}: must be a string, got {value!r}")
    return value


def _when(d: Mapping[str, Any], where: str, key: str) -> datetime | None:
    value = d.get(key)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise SimulateError(f"{where}.{key}: not an ISO date-time: {value!r}") from None
    if at.tzinfo is None:
        raise SimulateError(f"{where}.{key}: needs a UTC offset, e.g. 2025-04-01T00:00:00+09:00")
    return at


def _known(d: Mapping[str, Any], where: str, keys: set[str]) -> None:
    extra = sorted(set(d) - keys)
    if extra:
        raise SimulateError(f"{where}.{extra[0]}: unknown field (known: {', '.join(sorted(keys))})")


def _load(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SimulateError(f"{what}: not valid JSON: {exc}") from None


def parse_basket(text: str) -> tuple[list[Line], int, dict[str, int]]:
    """Lines, points to redeem, and campaign budget spent so far, from basket JSON."""
    doc = _load(text, "basket")
    if isinstance(doc, list):
        doc = {"lines": doc}
    doc = _obj(doc, "basket")
    _known(doc, "basket", {"lines", "redeem_points", "campaign_spent"})
    raw_lines = doc.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise SimulateError("basket.lines: must be a non-empty list")
    lines = []
    for i, raw in enumerate(raw_lines):
        where = f"basket.lines[{i}]"
        d = _obj(raw, where)
        _known(d, where, {"sku", "name", "category", "amount_yen", "unit_price_yen", "quantity",
                          "tax_rate"})
        qty = _int(d, where, "quantity", 1, minimum=1)
        if ("amount_yen" in d) == ("unit_price_yen" in d):
            raise SimulateError(f"{where}: give amount_yen or unit_price_yen (× quantity)")
        amount = (_int(d, where, "amount_yen") if "amount_yen" in d
                  else _int(d, where, "unit_price_yen") * qty)
        lines.append(Line(sku=_str(d, where, "sku"), amount_yen=amount,
                          category=_str(d, where, "category"), quantity=qty,
                          tax_rate=_int(d, where, "tax_rate", 10), name=_str(d, where, "name")))
    spent_doc = _obj(doc.get("campaign_spent", {}), "basket.campaign_spent")
    spent = {str(k): _int(spent_doc, "basket.campaign_spent", k) for k in spent_doc}
    return lines, _int(doc, "basket", "redeem_points", 0), spent


def parse_member(text: str) -> MemberContext:
    d = _obj(_load(text, "member"), "member")
    _known(d, "member", {"balance", "rank", "birth_month", "enrolled_on", "first_purchase",
                         "lots", "offline_allowance", "rolling_expires_at"})
    enrolled = d.get("enrolled_on")
    try:
        enrolled_on = date.fromisoformat(enrolled) if isinstance(enrolled, str) else None
    except ValueError:
        enrolled_on = None
    if enrolled is not None and enrolled_on is None:
        raise SimulateError(f"member.enrolled_on: not a date like 2024-04-01: {enrolled!r}")
    first = d.get("first_purchase", False)
    if not isinstance(first, bool):
        raise SimulateError(f"member.first_purchase: must be true or false, got {first!r}")
    lots = []
    raw_lots = d.get("lots", [])
    if not isinstance(raw_lots, list):
        raise SimulateError("member.lots: must be a list")
    for i, raw in enumerate(raw_lots):
        where = f"member.lots[{i}]"
        lot = _obj(raw, where)
        _known(lot, where, {"kind", "points", "expires_at"})
        kind = lot.get("kind", "normal")
        if kind not in ("normal", "limited"):
            raise SimulateError(f"{where}.kind: must be normal or limited, got {kind!r}")
        lots.append(HeldLot(kind, _int(lot, where, "points", minimum=1),
                            _when(lot, where, "expires_at")))
    birth = d.get("birth_month")
    if birth is not None:
        birth = _int(d, "member", "birth_month", minimum=1)
        if birth > 12:
            raise SimulateError(f"member.birth_month: must be 1–12, got {birth}")
    rank = d.get("rank")
    if rank is not None and not isinstance(rank, str):
        raise SimulateError(f"member.rank: must be a rank code string, got {rank!r}")
    allowance = d.get("offline_allowance")
    return MemberContext(
        balance=_int(d, "member", "balance", 0, minimum=None),
        rank=rank,
        birth_month=birth,
        enrolled_on=enrolled_on,
        first_purchase=first,
        lots=tuple(lots),
        offline_allowance=None if allowance is None else _int(d, "member", "offline_allowance"),
        rolling_expires_at=_when(d, "member", "rolling_expires_at"),
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _until(at: datetime | None, tz: timezone) -> str | None:
    return last_valid_day(at, tz).isoformat() if at is not None else None


def quote_to_dict(q: Quote, program: Program) -> dict[str, Any]:
    """The quote as JSON-able data; expiry instants come with their last valid local day."""
    tz = program.tz
    return {
        "program": {"version": program.version, "name": program.name,
                    "company_id": program.company_id},
        "amount_yen": q.amount_yen,
        "redeem_points": q.redeem_points,
        "earn_base_yen": q.earn_base_yen,
        "base_points": q.base_points,
        "points_earned": q.points_earned,
        "net_change": q.net_change,
        "rank": q.rank,
        "breakdown": [{"source": b.source, "name": b.name, "points": b.points,
                       "detail": b.detail, "limited": b.limited,
                       "expires_at": _iso(b.expires_at), "valid_until": _until(b.expires_at, tz)}
                      for b in q.breakdown],
        "skipped": [{"campaign_id": s.campaign_id, "name": s.name, "reason": s.reason}
                    for s in q.skipped],
        "grants": [{"kind": g.kind, "points": g.points, "source": g.source,
                    "expires_at": _iso(g.expires_at), "valid_until": _until(g.expires_at, tz)}
                   for g in q.grants],
        "lines": [{"sku": ln.sku, "name": ln.name, "category": ln.category,
                   "amount_yen": ln.amount_yen, "redeemed_yen": ln.redeemed_yen,
                   "earn_base_yen": ln.earn_base_yen, "earns": ln.earns,
                   "redeemable": ln.redeemable} for ln in q.lines],
        "redeem_limit": {"max_points": q.redeem_limit.max_points,
                         "reason": q.redeem_limit.reason, "message": q.redeem_limit.message},
        "expiries": [{"kind": e.kind, "points": e.points, "new": e.new,
                      "expires_at": _iso(e.expires_at), "valid_until": _until(e.expires_at, tz)}
                     for e in q.expiries],
        "rolling_expires_at": _iso(q.rolling_expires_at),
        "notes": list(q.notes),
    }


def simulate(program_toml: str, basket_json: str, member_json: str | None, at: datetime,
             store_id: str | None) -> tuple[str, dict[str, Any]]:
    """Quote the basket under the program and return (table, JSON-able dict).

    Raises SimulateError naming the input and field at fault; a sale the rules refuse
    (redeeming more than the balance, say) is an error too, with the cashier's message.
    """
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise SimulateError("at: needs a date-time with a UTC offset, e.g. 2025-04-05T12:00+09:00")
    try:
        program = parse_program(program_toml)
    except ProgramError as exc:
        raise SimulateError(f"program: {exc}") from None
    lines, redeem_points, spent = parse_basket(basket_json)
    member = parse_member(member_json) if member_json is not None else None
    try:
        q = quote(program, lines, member, at=at, store_id=store_id, redeem_points=redeem_points,
                  campaign_spent=spent)
    except QuoteError as exc:
        raise SimulateError(f"quote: {exc}") from None
    data = quote_to_dict(q, program)
    data["at"] = at.isoformat()
    data["store_id"] = store_id
    data["member"] = None if member is None else {"balance": member.balance, "rank": member.rank}
    return render(q, program, member, at, store_id), data
