"""The sync client's checks after each pull (part of `SyncClient`): parked ops asked
about again and announced when they wait too long, and members whose cached ledger may
be wrong fetched again from HQ's member look-up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from pydantic import ValidationError

from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync.events import EventBus
from sync.hq_link import SyncError, detail_of, unreachable
from sync.protocol import MAX_PUSH_BATCH, MemberLookup, OpResult
from sync.store import ParkedOp, RegisterStore
from sync.worker import StoreWorker

BAD_LOOKUP_ANSWER = QT_TRANSLATE_NOOP("core", "HQ の応答が不正です（{status}: {detail}）")
log = logging.getLogger(__name__)

MAX_RESYNC_PER_ROUND = 50


@dataclass(frozen=True)
class ParkedStatus:
    """Ops HQ holds back for now, and those held longer than the client's alert time."""

    count: int
    overdue: tuple[ParkedOp, ...]


class ChecksMixin:
    if TYPE_CHECKING:
        store: RegisterStore
        worker: StoreWorker
        events: EventBus
        clock: Callable[[], datetime]
        parked: ParkedStatus
        parked_recheck_s: float
        parked_alert_s: float
        _http: httpx.Client
        _parked_checked: float
        _parked_seen: set[str]
        _parked_alerted: set[str]
        _answered: set[str]
        _checked_all: bool

        def _post_ops(self, bodies: list[str], ids: list[str]) -> list[OpResult]: ...

    # -- parked ops -------------------------------------------------------------------

    def watch_parked(self, *, moved: bool = False, force: bool = False) -> ParkedStatus:
        """Ask HQ again about parked ops, and report the ones that wait too long.

        A parked op is asked about by pushing it again (HQ decides it then if its sale
        has arrived, and otherwise answers `parked` again), after a round that changed
        something — our ops applied, or the feed moved, which is how another register's
        sale shows — or every `parked_recheck_s` regardless. One still parked after
        `parked_alert_s` is announced once as `op_parked_overdue`; `parked_changed`
        carries the count and the overdue ones whenever they change, for the screen.
        """
        parked = self.store.parked_ops(MAX_PUSH_BATCH)
        now = time.monotonic()
        due = force or moved or now - self._parked_checked >= self.parked_recheck_s
        if parked and due:
            self._parked_checked = now
            ids = [op.op_id for op in parked]
            results = self._post_ops([op.body for op in parked], ids)
            self._answered |= self.worker.call(self.store.record_push_results, results)
            for r in results:
                if r.status != "parked":
                    self._parked_seen.discard(r.op_id)
                    self._parked_alerted.discard(r.op_id)
                    self.events.emit("parked_resolved", r.op_id, r.status, r.reason)
                    if r.status == "rejected":
                        self.events.emit("op_rejected", r.op_id, r.reason)
            parked = self.store.parked_ops(MAX_PUSH_BATCH)
        wall = self.clock()
        overdue = tuple(op for op in parked
                        if (wall - op.parked_since).total_seconds() >= self.parked_alert_s)
        for op in overdue:
            if op.op_id not in self._parked_alerted:
                self._parked_alerted.add(op.op_id)
                self.events.emit("op_parked_overdue", op.op_id, op.member_id, op.parked_since,
                                 op.sale_op_id)
        status = ParkedStatus(len(parked), overdue)
        if (status.count, [o.op_id for o in overdue]) != (
                self.parked.count, [o.op_id for o in self.parked.overdue]):
            self.events.emit("parked_changed", status)
        self.parked = status
        return status

    # -- members whose cache does not add up ------------------------------------------

    def resync_members(self, *, limit: int = MAX_RESYNC_PER_ROUND) -> dict[str, str]:
        """Fetch again from HQ the members whose cached ledger may be wrong.

        Checked: the members this round's answers touched, the ones a pull had to skip
        or an answer replayed, and on the first round every cached member (what a
        restart forgot). Each is replaced from `GET /v1/members/{member_no}`, HQ's own
        view now, announced as `member_resynced`. Returns {member_id: why}.
        """
        touched, self._answered = self._answered, set()
        suspects = self.worker.call(self.store.members_to_resync, touched,
                                    everyone=not self._checked_all, limit=limit)
        self._checked_all = True
        done: dict[str, str] = {}
        for member_id, why in suspects.items():
            member = self.store.member(member_id)
            if member is None:
                continue
            resp = self._request_member(member.member_no)
            if resp is None:
                self.worker.call(self.store.forget_stale, member_id)
                continue
            if self.worker.call(self.store.apply_member_lookup, resp):
                done[member_id] = why
                log.info("member %s fetched again from HQ (%s)", member_id, why)
                self.events.emit("member_resynced", member_id, why)
        return done

    def _request_member(self, member_no: str) -> MemberLookup | None:
        try:
            resp = self._http.get(f"/v1/members/{member_no}", params={"rank_progress": "true"})
        except httpx.HTTPError as exc:
            raise SyncError(unreachable(exc), retry=True) from exc
        if resp.status_code == 404:
            return None  # renumbered or merged away: the feed brings what replaced it
        if resp.status_code != 200:
            raise SyncError(Message(BAD_LOOKUP_ANSWER, status=resp.status_code,
                                    detail=detail_of(resp)),
                            retry=resp.status_code not in (401, 403), status=resp.status_code)
        try:
            return MemberLookup.model_validate_json(resp.content)
        except ValidationError as exc:
            raise SyncError("HQ の応答を読めません", retry=True) from exc
