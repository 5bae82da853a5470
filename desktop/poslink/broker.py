"""The POS link's heart: POS sales and returns waiting for the cashier, kept in SQLite.

Each request is keyed by the POS's own id with the hash of its canonical body, for ever:
the same id and body replays the stored state and result; the same id with another body
is refused (`sale_id_reused`), as the sync protocol does with op ids. One request waits
at the counter at a time; a unique partial index makes that a database fact.

The register's sale and this broker's confirmation are two commits in two databases.
The register's commit is the truth: it carries `confirmation_ref(sale_id)` in the
receipt model, written in the same commit as the sale, and `reconcile` finds it after a
crash between the two. Before the register commits, the bridge `claim`s the sale, so a
POS cancel cannot slip in between the cashier's confirm and the register's commit.

A request nobody settles expires (`refused`, reason `expired`) once it has waited
`expire_after_s` (10 minutes by default) since it arrived, so a POS that walked away, a
till switched off or a screen nobody looks at can never hold the counter for good. The
deadline is the stored arrival time, so it holds across restarts; a request the cashier
is committing right now (claimed) is never expired under them.

Qt-free; safe to call from any thread (one connection behind a lock).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from desktop.poslink.models import (
    REASONS,
    Detail,
    PosError,
    PosReturnRequest,
    PosSaleRequest,
    ReturnResult,
    ReturnView,
    SaleResult,
    SaleView,
    body_hash,
)

log = logging.getLogger(__name__)

Kind = Literal["sale", "return"]
STAMP_KEY = "pos_link"  # the receipt model's key holding the confirmation ref and result
DEFAULT_EXPIRE_S = 600.0  # a request left waiting this long is refused as `expired`

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'return')),
    id TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    sale_id TEXT NOT NULL,
    amount_yen INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'confirmed', 'cancelled', 'refused')),
    claimed INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    reason TEXT,
    detail TEXT,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_waiting ON requests (state) WHERE state = 'waiting';
CREATE INDEX IF NOT EXISTS returns_of_sale ON requests (sale_id) WHERE kind = 'return';
"""


@dataclass(frozen=True)
class Change:
    """Announced to listeners after a commit that created or moved a request."""

    kind: Kind
    id: str
    state: str
    replayed: bool = False
    reason: str | None = None  # why it was refused or cancelled (`expired`, …)


@dataclass(frozen=True)
class Submitted:
    view: SaleView | ReturnView
    replayed: bool


def confirmation_ref(sale_id: str) -> str:
    """The mark a register sale carries (in its receipt model) when it settles `sale_id`."""
    return f"POS:{sale_id}"


def return_ref(return_id: str) -> str:
    return f"POS-RETURN:{return_id}"


def stamp_receipt(model: dict[str, Any], ref: str, result: SaleResult | ReturnResult
                  ) -> dict[str, Any]:
    """The receipt model with the POS link's ref and result, to commit with the sale."""
    return {**model, STAMP_KEY: {"ref": ref, "result": result.model_dump(mode="json")}}


def read_stamp(model: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    stamp = (model or {}).get(STAMP_KEY)
    if not isinstance(stamp, dict) or not isinstance(stamp.get("ref"), str):
        return None
    result = stamp.get("result")
    return stamp["ref"], result if isinstance(result, dict) else {}


def _now_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class PosBroker:
    """POS requests and their outcome, in `<home>/poslink.db` (WAL, synchronous=FULL)."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None,
                 expire_after_s: float = DEFAULT_EXPIRE_S) -> None:
        if not expire_after_s > 0:
            raise ValueError(f"expire_after_s must be positive, not {expire_after_s!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.expire_after_s = float(expire_after_s)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Change], None]] = []
        self._con = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                    timeout=10)
        self._con.row_factory = sqlite3.Row
        self._con.execute("PRAGMA journal_mode=WAL")
        # An answer given to the POS must survive a power cut, like the sale it reports.
        self._con.execute("PRAGMA synchronous=FULL")
        self._con.executescript(_SCHEMA)
        self._con.execute("PRAGMA user_version = 1")

    @classmethod
    def open(cls, home: Path, *, expire_after_s: float = DEFAULT_EXPIRE_S) -> PosBroker:
        return cls(home / "poslink.db", expire_after_s=expire_after_s)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def add_listener(self, listener: Callable[[Change], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Change], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    confirmation_ref = staticmethod(confirmation_ref)
    return_ref = staticmethod(return_ref)

    # -- plumbing ---------------------------------------------------------------------

    @contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def _announce(self, *changes: Change) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for change in changes:
            self._announce_one(change, listeners)

    def _announce_one(self, change: Change, listeners: list[Callable[[Change], None]]) -> None:
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                # A broken screen listener must not turn a recorded answer into an error.
                log.exception("POS link listener failed")

    def _row(self, con: sqlite3.Connection, kind: Kind, id_: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = con.execute(
            "SELECT * FROM requests WHERE kind = ? AND id = ?", (kind, id_)).fetchone()
        return row

    def _view(self, row: sqlite3.Row) -> SaleView | ReturnView:
        received = datetime.fromisoformat(row["received_at"])
        common: dict[str, Any] = {
            "state": row["state"], "amount_yen": row["amount_yen"],
            "received_at": received,
            "updated_at": datetime.fromisoformat(row["updated_at"]),
            "expires_at": self._deadline(received) if row["state"] == "waiting" else None,
            "reason": row["reason"],
            "detail": Detail.model_validate_json(row["detail"]) if row["detail"] else None,
        }
        result = json.loads(row["result"]) if row["result"] else None
        if row["kind"] == "sale":
            return SaleView(sale_id=row["id"], result=result, **common)
        return ReturnView(return_id=row["id"], sale_id=row["sale_id"], result=result, **common)

    def _view_of(self, con: sqlite3.Connection, kind: Kind, id_: str) -> SaleView | ReturnView:
        row = self._row(con, kind, id_)
        if row is None:
            raise _not_found(kind, id_)
        return self._view(row)

    def _deadline(self, received: datetime) -> datetime:
        return received + timedelta(seconds=self.expire_after_s)

    def _expire(self, con: sqlite3.Connection) -> list[Change]:
        """Inside a transaction: refuse what has waited too long (announce after commit)."""
        cutoff = _now_text(self._clock() - timedelta(seconds=self.expire_after_s))
        rows = con.execute("SELECT kind, id FROM requests WHERE state = 'waiting' AND claimed = 0 "
                           "AND received_at <= ?", (cutoff,)).fetchall()
        minutes = max(1, round(self.expire_after_s / 60))
        changes = []
        for row in rows:
            kind, id_ = row["kind"], row["id"]
            field = "sale_id" if kind == "sale" else "return_id"
            log.warning("POS %s %s expired after %s s at the counter", kind, id_,
                        self.expire_after_s)
            self._close(con, kind, id_, "refused", "expired",
                        f"レジで {minutes} 分以内に確定されなかったため取り消しました。"
                        f"もう一度送るときは新しい {field} で送ってください",
                        f"Not settled at the counter within {minutes} min: expired. "
                        f"Send it again with a new {field}")
            changes.append(Change(kind, id_, "refused", reason="expired"))
        return changes

    def expire_overdue(self) -> list[Change]:
        """Refuse every request that has waited longer than `expire_after_s` (called
        periodically by the link, and before every new request)."""
        with self._txn() as con:
            changes = self._expire(con)
        self._announce(*changes)
        return changes

    def _waiting(self, con: sqlite3.Connection) -> sqlite3.Row | None:
        row: sqlite3.Row | None = con.execute(
            "SELECT * FROM requests WHERE state = 'waiting'").fetchone()
        return row

    def _insert(self, con: sqlite3.Connection, kind: Kind, id_: str, request: Any,
                sale_id: str, amount_yen: int) -> None:
        now = _now_text(self._clock())
        con.execute(
            "INSERT INTO requests (kind, id, body_hash, body, sale_id, amount_yen, state, "
            "received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?)",
            (kind, id_, body_hash(request), request.model_dump_json(), sale_id, amount_yen,
             now, now))

    def _replay_or_refuse_reuse(self, con: sqlite3.Connection, kind: Kind, id_: str,
                                request: Any) -> Submitted | None:
        row = self._row(con, kind, id_)
        if row is None:
            return None
        if row["body_hash"] != body_hash(request):
            field = "sale_id" if kind == "sale" else "return_id"
            raise PosError(409, f"{field}_reused",
                           f"この {field}（{id_}）は別の内容で使われています。新しい ID で送ってください",
                           f"{field} {id_} was already used with another body; use a new id",
                           field=field)
        return Submitted(self._view(row), replayed=True)

    def _refuse_busy(self, con: sqlite3.Connection) -> None:
        waiting = self._waiting(con)
        if waiting is not None:
            until = self._deadline(datetime.fromisoformat(waiting["received_at"]))
            raise PosError(409, "counter_busy",
                           f"レジで別の取引（{waiting['id']}）を処理中です。終わってから送ってください",
                           f"The counter is busy with {waiting['kind']} {waiting['id']}; "
                           "retry when it is settled",
                           waiting={"kind": waiting["kind"], "id": waiting["id"],
                                    "expires_at": until.isoformat()})

    # -- sales --------------------------------------------------------------------------

    def submit_sale(self, request: PosSaleRequest) -> Submitted:
        """Record a POS sale as waiting for the cashier, or replay the stored answer."""
        # Its own commit: a refusal below (busy, id reused) must not roll the expiry back.
        self.expire_overdue()
        with self._txn() as con:
            replay = self._replay_or_refuse_reuse(con, "sale", request.sale_id, request)
            if replay is None:
                self._refuse_busy(con)
                self._insert(con, "sale", request.sale_id, request, request.sale_id,
                             request.amount_yen)
                submitted = Submitted(self._view_of(con, "sale", request.sale_id), False)
        if replay is not None:
            return replay
        self._announce(Change("sale", request.sale_id, "waiting"))
        return submitted

    def get_sale(self, sale_id: str) -> SaleView | None:
        with self._lock:
            row = self._row(self._con, "sale", sale_id)
        view = self._view(row) if row is not None else None
        assert view is None or isinstance(view, SaleView)
        return view

    def sale_request(self, sale_id: str) -> PosSaleRequest | None:
        with self._lock:
            row = self._row(self._con, "sale", sale_id)
        return PosSaleRequest.model_validate_json(row["body"]) if row is not None else None

    def waiting(self) -> tuple[Kind, str] | None:
        """(kind, id) of the request at the counter now, if any."""
        with self._lock:
            row = self._waiting(self._con)
        return (row["kind"], row["id"]) if row is not None else None

    def cancel_sale(self, sale_id: str) -> SaleView:
        """The POS withdraws a sale the cashier has not confirmed."""
        view = self._cancel("sale", sale_id)
        assert isinstance(view, SaleView)
        return view

    def cancel_return(self, return_id: str) -> ReturnView:
        """The POS withdraws a return the cashier has not confirmed."""
        view = self._cancel("return", return_id)
        assert isinstance(view, ReturnView)
        return view

    def _cancel(self, kind: Kind, id_: str) -> SaleView | ReturnView:
        with self._txn() as con:
            row = self._row(con, kind, id_)
            if row is None:
                raise _not_found(kind, id_)
            if row["state"] == "confirmed":
                if kind == "sale":
                    raise PosError(409, "sale_confirmed",
                                   "確定済みの取引は取り消せません。返品（/v1/pos/returns）で処理してください",
                                   "The sale is confirmed and cannot be cancelled: use a return "
                                   "(POST /v1/pos/returns)")
                raise PosError(409, "return_confirmed",
                               "確定済みの返品は取り消せません。ポイントは戻し済みです",
                               "The return is confirmed and cannot be cancelled: its points "
                               "have been moved")
            if row["state"] == "waiting" and row["claimed"]:
                raise PosError(409, "counter_recording",
                               "レジで確定処理中です。数秒後に状態を確認してください",
                               f"The cashier is confirming this {kind} right now; "
                               "check its state in a few seconds")
            changed = row["state"] == "waiting"
            if changed:
                self._close(con, kind, id_, "cancelled", "cancelled_by_pos")
            view = self._view_of(con, kind, id_)
        if changed:
            self._announce(Change(kind, id_, "cancelled", reason="cancelled_by_pos"))
        return view

    def _close(self, con: sqlite3.Connection, kind: Kind, id_: str, state: str, reason: str,
               ja: str | None = None, en: str | None = None) -> None:
        known_ja, known_en = REASONS.get(reason, (reason, reason))
        detail = Detail(ja=ja or known_ja, en=en or known_en).model_dump_json()
        con.execute("UPDATE requests SET state = ?, reason = ?, detail = ?, claimed = 0, "
                    "updated_at = ? WHERE kind = ? AND id = ?",
                    (state, reason, detail, _now_text(self._clock()), kind, id_))

    # -- the counter's side -------------------------------------------------------------

    def claim(self, kind: Kind, id_: str) -> None:
        """The cashier is committing this request now: the POS may no longer cancel it."""
        with self._txn() as con:
            row = self._row(con, kind, id_)
            if row is None:
                raise _not_found(kind, id_)
            if row["state"] != "waiting":
                raise PosError(409, "not_waiting",
                               f"POS の取引は既に「{row['state']}」です",
                               f"The POS {kind} is already {row['state']}")
            con.execute("UPDATE requests SET claimed = 1 WHERE kind = ? AND id = ?", (kind, id_))

    def release(self, kind: Kind, id_: str) -> None:
        """The register did not commit: the request waits again, cancellable."""
        with self._txn() as con:
            con.execute("UPDATE requests SET claimed = 0 WHERE kind = ? AND id = ? "
                        "AND state = 'waiting'", (kind, id_))

    def confirm_sale(self, sale_id: str, result: SaleResult) -> SaleView:
        """The register committed the sale that settles `sale_id`: the POS gets `result`."""
        view = self._confirm("sale", sale_id, result)
        assert isinstance(view, SaleView)
        return view

    def confirm_return(self, return_id: str, result: ReturnResult) -> ReturnView:
        view = self._confirm("return", return_id, result)
        assert isinstance(view, ReturnView)
        return view

    def _confirm(self, kind: Kind, id_: str, result: SaleResult | ReturnResult
                 ) -> SaleView | ReturnView:
        with self._txn() as con:
            row = self._row(con, kind, id_)
            if row is None:
                raise _not_found(kind, id_)
            if row["state"] == "confirmed":
                stored = json.loads(row["result"])
                if stored.get("receipt_no") != result.receipt_no:
                    raise PosError(409, "already_confirmed",
                                   f"POS の取引は別のレシート（{stored.get('receipt_no')}）で確定済みです",
                                   f"Already confirmed by receipt {stored.get('receipt_no')}")
                return self._view(row)
            if row["state"] != "waiting":
                # The register's sale stands (its ledger is the truth), but the POS was
                # told otherwise: the cashier must undo it with a return.
                raise PosError(409, "not_waiting",
                               f"POS の取引は既に「{row['state']}」です。返品で取り消してください",
                               f"The POS {kind} is already {row['state']}; undo it with a return")
            con.execute("UPDATE requests SET state = 'confirmed', result = ?, claimed = 0, "
                        "updated_at = ? WHERE kind = ? AND id = ?",
                        (result.model_dump_json(), _now_text(self._clock()), kind, id_))
            view = self._view_of(con, kind, id_)
        self._announce(Change(kind, id_, "confirmed"))
        return view

    def refuse(self, kind: Kind, id_: str, reason: str = "cancelled_at_counter",
               ja: str | None = None, en: str | None = None) -> SaleView | ReturnView:
        """The cashier will not settle this request; the POS gets `reason` and its text."""
        with self._txn() as con:
            row = self._row(con, kind, id_)
            if row is None:
                raise _not_found(kind, id_)
            changed = row["state"] == "waiting"
            if changed:
                self._close(con, kind, id_, "refused", reason, ja, en)
            elif row["state"] == "confirmed":
                raise PosError(409, "already_confirmed", "確定済みです", "Already confirmed")
            view = self._view_of(con, kind, id_)
        if changed:
            self._announce(Change(kind, id_, "refused", reason=reason))
        return view

    def reconcile(self, find_receipt: Callable[[str], dict[str, Any] | None]
                  ) -> list[SaleView | ReturnView]:
        """At start-up: settle waiting requests the register committed before a crash.

        `find_receipt(ref)` returns the receipt model carrying that confirmation ref, or
        None. A claimed request with no such receipt was never committed: it waits again.
        """
        with self._lock:
            rows = self._con.execute(
                "SELECT kind, id, claimed FROM requests WHERE state = 'waiting'").fetchall()
        settled: list[SaleView | ReturnView] = []
        for row in rows:
            kind, id_ = row["kind"], row["id"]
            ref = confirmation_ref(id_) if kind == "sale" else return_ref(id_)
            stamp = read_stamp(find_receipt(ref))
            if stamp is not None and stamp[0] == ref:
                result: SaleResult | ReturnResult = (
                    SaleResult.model_validate(stamp[1]) if kind == "sale"
                    else ReturnResult.model_validate(stamp[1]))
                log.warning("POS %s %s was committed before a restart: confirming it", kind, id_)
                settled.append(self._confirm(kind, id_, result))
            elif row["claimed"]:
                self.release(kind, id_)
        return settled

    # -- returns ------------------------------------------------------------------------

    def submit_return(self, request: PosReturnRequest) -> Submitted:
        self.expire_overdue()
        with self._txn() as con:
            replay = self._replay_or_refuse_reuse(con, "return", request.return_id, request)
            if replay is None:
                sale = self._row(con, "sale", request.sale_id)
                if sale is None:
                    raise _not_found("sale", request.sale_id, field="sale_id")
                if sale["state"] != "confirmed":
                    raise PosError(409, "sale_not_confirmed",
                                   f"元の取引（{request.sale_id}）は確定していません（{sale['state']}）",
                                   f"Sale {request.sale_id} is {sale['state']}, not confirmed",
                                   field="sale_id")
                (returned,) = con.execute(
                    "SELECT coalesce(sum(amount_yen), 0) FROM requests WHERE kind = 'return' "
                    "AND sale_id = ? AND state IN ('waiting', 'confirmed')",
                    (request.sale_id,)).fetchone()
                left = sale["amount_yen"] - returned
                if request.amount_yen > left:
                    raise PosError(409, "return_exceeds_sale",
                                   f"返品できるのは残り ￥{left:,} までです",
                                   f"At most {left} yen of this sale can still be returned",
                                   field="amount_yen")
                self._refuse_busy(con)
                self._insert(con, "return", request.return_id, request, request.sale_id,
                             request.amount_yen)
                submitted = Submitted(self._view_of(con, "return", request.return_id), False)
        if replay is not None:
            return replay
        self._announce(Change("return", request.return_id, "waiting"))
        return submitted

    def get_return(self, return_id: str) -> ReturnView | None:
        with self._lock:
            row = self._row(self._con, "return", return_id)
        view = self._view(row) if row is not None else None
        assert view is None or isinstance(view, ReturnView)
        return view

    def return_request(self, return_id: str) -> PosReturnRequest | None:
        with self._lock:
            row = self._row(self._con, "return", return_id)
        return PosReturnRequest.model_validate_json(row["body"]) if row is not None else None


def _not_found(kind: str, id_: str, field: str | None = None) -> PosError:
    what = "取引" if kind == "sale" else "返品"
    extra = {"field": field} if field else {}
    return PosError(404, f"{kind}_not_found", f"POS の{what}（{id_}）が見つかりません",
                    f"No POS {kind} {id_}", **extra)
