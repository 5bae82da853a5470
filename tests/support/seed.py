"""Register test data: a pull page as HQ would send it, and a seeded register store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from resources import RESOURCES
from sync.protocol import CardState, Change, MemberState, ProgramDoc, PullResponse
from sync.store import RegisterStore

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 22, 10, 30, tzinfo=TOKYO)
CARD_UID = "04A1B2C3D4E5F6"


def seed_page(cursor: int = 3, balance: int = 500) -> PullResponse:
    toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
    return PullResponse(cursor=cursor, has_more=False, changes=[
        Change(server_seq=1, kind="program", program=ProgramDoc(version=1, toml=toml)),
        Change(server_seq=2, kind="member", member=MemberState(
            member_id="M1", member_no="2900000000017", display_name="山田 花子",
            status="active", balance=balance)),
        Change(server_seq=3, kind="card", card=CardState(uid=CARD_UID, member_id="M1",
                                                         status="active")),
    ])


def seeded_store(path: Path) -> RegisterStore:
    store = RegisterStore(path)
    store.initialise("R01", "S001")
    store.apply_pull(seed_page())
    return store
