"""Shared set-up for the counter flow tests: a register store filled as HQ's pull feed
would fill it (members, cards, a program, token keys), an event recorder, and HQ holds
that a test can make answer, refuse or time out."""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from loyalty.scan import make_member_no
from resources import RESOURCES
from sync.client import HoldRefused, SyncError
from sync.events import EventBus
from sync.protocol import (
    CardState,
    Change,
    HoldState,
    LotSummary,
    MemberState,
    ProgramDoc,
    PullResponse,
    TokenKey,
)
from sync.store import RegisterStore

TOKYO = ZoneInfo("Asia/Tokyo")
# A Tuesday the 10th: the supermarket program's 火曜市 2× and 10日 5× (store S001) apply.
NOW = datetime(2026, 11, 10, 10, 30, tzinfo=TOKYO)
LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

HANAKO_NO = make_member_no(1)
TARO_NO = make_member_no(2)  # blocked
JIRO_NO = make_member_no(3)  # owes points (debt), one card blocked
UNCACHED_NO = make_member_no(99)
HANAKO_CARD = "04A1B2C3D4E5F6"
HANAKO_LOST_CARD = "04AAAAAAAAAAAA"  # blocked
TARO_CARD = "04112233445566"
JIRO_CARD = "04C0FFEE123456"
SOON = NOW + timedelta(days=20)
LATER = NOW + timedelta(days=400)

SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEY_ID = "K20261101-A1B2C3"


def public_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def token_key(key_id: str = KEY_ID, key: Ed25519PrivateKey = SIGNING_KEY,
              retired_at: datetime | None = None) -> TokenKey:
    return TokenKey(key_id=key_id, public_key=public_text(key),
                    created_at=NOW - timedelta(days=9), retired_at=retired_at)


def members() -> list[MemberState]:
    return [
        MemberState(member_id="M1", member_no=HANAKO_NO, display_name="山田 花子",
                    status="active", balance=1500, kana="ヤマダ ハナコ", rank="regular",
                    birth_month=11, lots=[
                        LotSummary(kind="limited", points=200, expires_at=SOON),
                        LotSummary(kind="normal", points=1300, expires_at=LATER)]),
        MemberState(member_id="M2", member_no=TARO_NO, display_name="佐藤 太郎",
                    status="blocked", balance=300),
        MemberState(member_id="M3", member_no=JIRO_NO, display_name="鈴木 次郎",
                    status="active", balance=0, debt=120, birth_month=4),
    ]


def pull_page(program: str = "supermarket.toml", *, keys: list[TokenKey] | None = None,
              cursor: int = 10) -> PullResponse:
    toml = (RESOURCES / "programs" / program).read_text(encoding="utf-8")
    changes = [Change(server_seq=1, kind="program", program=ProgramDoc(version=1, toml=toml))]
    changes += [Change(server_seq=2 + n, kind="member", member=m)
                for n, m in enumerate(members())]
    cards = [(HANAKO_CARD, "M1", "active"), (HANAKO_LOST_CARD, "M1", "blocked"),
             (TARO_CARD, "M2", "active"), (JIRO_CARD, "M3", "active")]
    changes += [Change(server_seq=6 + n, kind="card",
                       card=CardState(uid=uid, member_id=mid, status=status))
                for n, (uid, mid, status) in enumerate(cards)]
    for n, key in enumerate(keys if keys is not None else [token_key()]):
        changes.append(Change(server_seq=20 + n, kind="token_key", token_key=key))
    return PullResponse(cursor=cursor, has_more=False, changes=changes)


def filled_store(path: Path, program: str = "supermarket.toml") -> RegisterStore:
    store = RegisterStore(path)
    store.initialise("R01", "S001")
    store.apply_pull(pull_page(program))
    return store


class Recorder:
    """Collects bus events; a test waits for one with a bound."""

    NAMES = ("member_shown", "counter_message", "counter_busy", "sale_recorded",
             "counter_reset", "staff_changed", "sign_in_refused")

    def __init__(self, bus: EventBus) -> None:
        self.seen: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        for name in self.NAMES:
            bus.subscribe(name, lambda *a, n=name: self._add(n, a))

    def _add(self, name, args):
        with self._cond:
            self.seen.append((name, args))
            self._cond.notify_all()

    def wait(self, name, timeout=5.0, after=0):
        with self._cond:
            ok = self._cond.wait_for(
                lambda: any(n == name for n, _ in self.seen[after:]), timeout)
            assert ok, f"no {name} event; saw {self.seen}"
            return next(a for n, a in self.seen[after:] if n == name)

    def mark(self) -> int:
        with self._cond:
            return len(self.seen)

    def names(self) -> list[str]:
        with self._cond:
            return [n for n, _ in self.seen]


class FakeHolds:
    """HQ's holds as the counter sees them: `mode` is "ok", "timeout", "refuse" or "404"."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.available: int | None = None
        self.created: list[tuple[str, str, int, int]] = []
        self.voided: list[str] = []
        self.lock = threading.Lock()

    def create_hold(self, member_id: str, points: int, ttl: int = 120, *,
                    hold_id: str | None = None) -> HoldState:
        hold_id = hold_id or str(uuid.uuid4())
        with self.lock:
            self.created.append((hold_id, member_id, points, ttl))
        if self.mode == "timeout":
            raise SyncError("HQ の応答がタイムアウトしました", retry=True)
        if self.mode == "refuse":
            raise HoldRefused("insufficient", status=409, available=self.available)
        if self.mode == "404":
            raise HoldRefused("unknown member", status=404)
        now = datetime.now(UTC)
        return HoldState(hold_id=hold_id, member_id=member_id, points=points, status="pending",
                         created_at=now, expires_at=now + timedelta(seconds=ttl),
                         balance=1500, available=1500 - points)

    def void_hold(self, hold_id: str) -> HoldState:
        with self.lock:
            self.voided.append(hold_id)
        now = datetime.now(UTC)
        return HoldState(hold_id=hold_id, member_id="M1", points=1, status="voided",
                         created_at=now, expires_at=now, balance=1500, available=1500)
