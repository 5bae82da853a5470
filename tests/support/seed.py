"""Register test data: a pull page as HQ would send it, a seeded register store, and an
empty register database at an older schema revision."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from resources import RESOURCES
from sync.phone import phone_lookup_hash
from sync.protocol import CardState, Change, LotSummary, MemberState, ProgramDoc, PullResponse
from sync.store import RegisterStore
from sync.store_db import connect, migrate, writer_engine

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 22, 10, 30, tzinfo=TOKYO)
CARD_UID = "04A1B2C3D4E5F6"
# The key HQ shares with its registers for phone hashes (a test value, hex as distributed).
PHONE_KEY = "6b65792d666f722d70686f6e652d68617368696e672d696e2d7465737473"
PHONE = "090-1234-5678"
LIMITED_EXPIRY = datetime(2026, 12, 31, 23, 59, tzinfo=TOKYO)
NORMAL_EXPIRY = datetime(2027, 11, 30, 23, 59, tzinfo=TOKYO)


def yamada(balance: int = 500) -> MemberState:
    """山田 花子 as HQ sends her: the lot summary adds up to the balance."""
    limited = min(200, balance)
    lots = [LotSummary(kind="limited", points=limited, expires_at=LIMITED_EXPIRY)]
    if balance > limited:
        lots.append(LotSummary(kind="normal", points=balance - limited, expires_at=NORMAL_EXPIRY))
    return MemberState(
        member_id="M1", member_no="2900000000017", display_name="山田 花子", status="active",
        balance=balance, kana="ヤマダ ハナコ", rank="gold", birth_month=11,
        phone_masked="090-****-5678", phone_hash=phone_lookup_hash(PHONE_KEY, PHONE),
        lots=lots if balance > 0 else [],
    )


def seed_page(cursor: int = 3, balance: int = 500) -> PullResponse:
    toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
    return PullResponse(cursor=cursor, has_more=False, changes=[
        Change(server_seq=1, kind="program", program=ProgramDoc(version=1, toml=toml)),
        Change(server_seq=2, kind="member", member=yamada(balance)),
        Change(server_seq=3, kind="card", card=CardState(uid=CARD_UID, member_id="M1",
                                                         status="active")),
    ])


def seeded_store(path: Path) -> RegisterStore:
    store = RegisterStore(path)
    store.initialise("R01", "S001")
    store.apply_pull(seed_page())
    return store


def build_at(path: Path, revision: str) -> None:
    """An empty register database at schema `revision`, as that build created it."""
    con = connect(path)
    engine = writer_engine(con)
    migrate(engine, revision)
    engine.dispose()
    con.close()
