"""What a store's registers read back from HQ's ledger of record: the store summary behind
the manager's reports, and a sale found by its receipt number, so a return can be taken
at any register of the store that sold it.

The summary follows the register's own report (`desktop.flows.reports`) figure for
figure, over every register of the store: ops are chosen by the register's clock
(`local_time`, half-open `[start, end)`), refused ops are only counted, a sale counts its
yen and HQ's earned and used points and breakdown, a return its yen and HQ's reversal,
an adjustment its signed points, an enrolment its staff member. Where the register shows
its own estimate until HQ answers, HQ has its answer — except for a return still waiting
for its sale, which counts with no points (`parked`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, select

from hq.auth import RegisterIdentity
from hq.batch import Refused
from hq.db import read_only
from hq.errors import ConflictError, DirectoryError, NotFoundError
from hq.ingest_prepare import current_members
from hq.models import Member, OpRecord, PurchaseRow, Register
from hq.ops_sale import basket
from hq.programs import Programs
from loyalty.basket import MemberContext, QuoteError
from loyalty.quote import quote
from sync.protocol import (
    SaleLine,
    SaleLookup,
    SaleReturnInfo,
    StoreSummary,
    SummaryCampaign,
    SummaryHour,
    SummaryRegister,
    SummaryStaff,
)

MAX_SUMMARY_DAYS = 400  # a year's figures and then some; longer windows are reports' work
_ops = cast(Table, OpRecord.__table__)
_purchases = cast(Table, PurchaseRow.__table__)
_members = cast(Table, Member.__table__)
_registers = cast(Table, Register.__table__)


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise DirectoryError("from and to need a time zone offset (2026-12-01T00:00:00+09:00)")
    if end <= start:
        raise DirectoryError(f"the window is empty: to ({end.isoformat()}) must be after "
                             f"from ({start.isoformat()})")  # fmt: skip
    if end - start > timedelta(days=MAX_SUMMARY_DAYS):
        raise DirectoryError(f"a window of at most {MAX_SUMMARY_DAYS} days, please")


class _Tally:
    """Adds up a store's ops as the register's report adds up its own."""

    def __init__(self, start: datetime) -> None:
        self.tz = start.tzinfo
        self.n: Counter[str] = Counter()
        self.registers: Counter[str] = Counter()
        self.members: set[str] = set()
        self.staff: Counter[str] = Counter()
        self.campaigns: Counter[tuple[str, str]] = Counter()
        self.issued: Counter[int] = Counter()
        self.redeemed: Counter[int] = Counter()

    def add(self, device_id: str, kind: str, status: str, op: dict[str, Any],
            result: dict[str, Any], local_time: datetime) -> None:  # fmt: skip
        self.registers[device_id] += 1
        if status == "rejected":
            self.n["rejected"] += 1
            return
        payload = op.get("payload") or {}
        if kind == "sale":
            earned, used = _int(result.get("points_earned")), _int(result.get("points_redeemed"))
            self.n["sales"] += 1
            self.n["sales_yen"] += _int(payload.get("amount_yen"))
            self.n["issued"] += earned
            self.n["redeemed"] += used
            self.members.add(str(op.get("member_id")))
            hour = local_time.astimezone(self.tz).hour
            self.issued[hour] += earned
            self.redeemed[hour] += used
            for part in result.get("breakdown") or ():
                self.campaigns[(str(part["source"]), str(part["name"]))] += _int(part["points"])
        elif kind == "return":
            self.n["returns"] += 1
            self.n["returns_yen"] += _int(payload.get("returned_yen"))
            if status == "parked":
                self.n["parked"] += 1
            else:
                self.n["reversed"] += _int(result.get("points_reversed"))
                self.n["restored"] += _int(result.get("points_restored"))
        elif kind == "adjust":
            self.n["adjustments"] += 1
            self.n["adjusted"] += _int(payload.get("points"))
        elif kind == "enroll":
            self.staff[op.get("staff_id") or ""] += 1

    def summary(self, store_id: str, start: datetime, end: datetime, now: datetime) -> StoreSummary:
        n = self.n
        # Most first, as the register lists them; ties in a fixed order.
        staff = sorted(self.staff.items(), key=lambda kv: (-kv[1], kv[0]))
        campaigns = sorted(self.campaigns.items(), key=lambda kv: (-kv[1], kv[0]))
        return StoreSummary(
            store_id=store_id, start=start, end=end, as_of=now,
            registers=[SummaryRegister(device_id=d, ops=c) for d, c in sorted(self.registers.items())],
            sales=n["sales"], sales_yen=n["sales_yen"], members=len(self.members),
            points_issued=n["issued"], points_redeemed=n["redeemed"], returns=n["returns"],
            returns_yen=n["returns_yen"], points_reversed=n["reversed"],
            points_restored=n["restored"], adjustments=n["adjustments"],
            points_adjusted=n["adjusted"], enrolments=sum(self.staff.values()),
            enrolments_by_staff=[SummaryStaff(staff_id=s, enrolments=c) for s, c in staff],
            campaigns=[SummaryCampaign(source=src, name=name, points=pts)
                       for (src, name), pts in campaigns],
            hours=[SummaryHour(hour=h, issued=self.issued[h], redeemed=self.redeemed[h])
                   for h in range(24)],
            parked=n["parked"], rejected=n["rejected"],
        )  # fmt: skip


def store_summary(engine: Engine, store_id: str, start: datetime, end: datetime, *,
                  now: datetime) -> StoreSummary:  # fmt: skip
    """The store's figures over `[start, end)` by the registers' clocks."""
    check_window(start, end)
    with read_only(engine).connect() as conn:
        known = conn.execute(select(_registers.c.device_id)
                             .where(_registers.c.store_id == store_id).limit(1)).first()  # fmt: skip
        if known is None:
            raise NotFoundError(f"no register belongs to store {store_id!r}")
        rows = conn.execute(
            select(_ops.c.device_id, _ops.c.kind, _ops.c.status, _ops.c.op, _ops.c.result,
                   _ops.c.local_time)
            .where(_ops.c.store_id == store_id, _ops.c.local_time >= start,
                   _ops.c.local_time < end)
        )  # fmt: skip
        tally = _Tally(start)
        for r in rows:
            tally.add(r.device_id, r.kind, r.status, r.op, r.result or {}, r.local_time)
    return tally.summary(store_id, start, end, now)


# -- a sale by its receipt number ---------------------------------------------------------


def mask_name(name: str) -> str:
    """Enough of a name for the member to recognise it, not for a bystander to learn it:
    the family name of "山田 花子" ("山田 ＊＊"), else the first character."""
    parts = name.split()
    if not parts:
        return ""
    if len(parts) > 1:
        return " ".join([parts[0], *("＊" * len(p) for p in parts[1:])])
    word = parts[0]
    return word[0] + "＊" * (len(word) - 1)


def _lines(raw: Any) -> list[SaleLine] | None:
    return [SaleLine.model_validate(ln) for ln in raw] if raw else None


def _earn_base(conn: Connection, programs: Programs, op: dict[str, Any]) -> int | None:
    """The yen the sale earned on, quoted again with its program version: it follows from
    the lines, the points used and the program alone, not from the member."""
    payload = op["payload"]
    program = programs.get(conn, int(op["program_version"]))
    if program is None:
        return None
    lines = _lines(payload.get("lines"))
    used = _int(payload.get("points_redeemed"))
    try:
        q = quote(program, basket(lines, int(payload["amount_yen"])), MemberContext(balance=used),
                  at=datetime.fromisoformat(op["local_time"]), store_id=op.get("store_id"),
                  redeem_points=used)  # fmt: skip
    except (QuoteError, Refused, ValueError):
        return None
    return q.earn_base_yen


def sale_by_receipt(engine: Engine, programs: Programs, register: RegisterIdentity,
                    receipt_no: str) -> SaleLookup:  # fmt: skip
    """The sale of the register's own store with this receipt number.

    NotFoundError when the store has none (another store's sale is not shown: its
    receipt number says nothing to this store); ConflictError for a sale HQ refused.
    A register restored from a backup may have reused a receipt number: the newest wins.
    """
    store = register.store_id
    with read_only(engine).connect() as conn:
        row = conn.execute(
            select(_ops.c.op_id, _ops.c.device_id, _ops.c.status, _ops.c.op, _ops.c.result,
                   _ops.c.local_time)
            .where(_ops.c.store_id == store, _ops.c.receipt_no == receipt_no,
                   _ops.c.kind == "sale")
            .order_by(_ops.c.received_at.desc(), _ops.c.epoch.desc(), _ops.c.device_seq.desc())
            .limit(1)
        ).first()  # fmt: skip
        if row is None:
            raise NotFoundError(f"no sale with receipt number {receipt_no} at store {store} "
                                "(a sale still queued at its register has not reached HQ yet)")  # fmt: skip
        if row.status != "applied":
            reason = (row.result or {}).get("reason") or row.status
            raise ConflictError(f"sale {receipt_no} was refused by HQ ({reason}): "
                                "it has no points to return")  # fmt: skip
        op, result = row.op, row.result or {}
        payload = op["payload"]
        purchase = conn.execute(select(_purchases.c.member_id, _purchases.c.returned_yen)
                                .where(_purchases.c.op_id == row.op_id)).first()  # fmt: skip
        sold_to = purchase.member_id if purchase is not None else op["member_id"]
        holder = current_members(conn, {sold_to})[sold_to]
        member = conn.execute(select(_members.c.member_no, _members.c.display_name,
                                     _members.c.status)
                              .where(_members.c.member_id == holder)).one()  # fmt: skip
        returns = [
            SaleReturnInfo(
                op_id=r.op_id, receipt_no=r.op["payload"]["receipt_no"], device_id=r.device_id,
                local_time=r.op["local_time"], returned_yen=int(r.op["payload"]["returned_yen"]),
                points_reversed=_int(r.result.get("points_reversed")),
                points_restored=_int(r.result.get("points_restored")),
                lines=_lines(r.op["payload"].get("lines")))
            for r in conn.execute(
                select(_ops.c.op_id, _ops.c.device_id, _ops.c.op, _ops.c.result)
                .where(_ops.c.parent_op_id == row.op_id, _ops.c.kind == "return",
                       _ops.c.status == "applied")
                .order_by(_ops.c.local_time, _ops.c.op_id))
        ]  # fmt: skip
        earn_base = _earn_base(conn, programs, op)
    amount = int(payload["amount_yen"])
    returned = (int(purchase.returned_yen) if purchase is not None
                else sum(r.returned_yen for r in returns))  # fmt: skip
    return SaleLookup(
        op_id=row.op_id, receipt_no=payload["receipt_no"], store_id=store,
        device_id=row.device_id, staff_id=op.get("staff_id"), member_id=holder,
        member_no=member.member_no, member_display_name=mask_name(member.display_name) or None,
        member_status=member.status, local_time=op["local_time"],
        program_version=int(op["program_version"]), amount_yen=amount, earn_base_yen=earn_base,
        points_earned=_int(result.get("points_earned")),
        points_redeemed=_int(result.get("points_redeemed", payload.get("points_redeemed"))),
        returned_yen=returned, remaining_yen=amount - returned, lines=_lines(payload.get("lines")),
        returned_lines=[ln for r in returns for ln in r.lines or ()], returns=returns,
    )  # fmt: skip
