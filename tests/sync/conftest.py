"""Fixtures for the register store: a real SQLite file in a temp folder, seeded as HQ would."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from resources import RESOURCES
from sync.protocol import CardState, Change, MemberState, ProgramDoc, PullResponse
from sync.store import RegisterStore

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 22, 10, 30, tzinfo=TOKYO)


def seed_page(cursor: int = 3, balance: int = 500) -> PullResponse:
    toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
    return PullResponse(cursor=cursor, has_more=False, changes=[
        Change(server_seq=1, kind="program", program=ProgramDoc(version=1, toml=toml)),
        Change(server_seq=2, kind="member", member=MemberState(
            member_id="M1", member_no="2900000000017", display_name="山田 花子",
            status="active", balance=balance)),
        Change(server_seq=3, kind="card", card=CardState(uid="04A1B2C3D4E5F6", member_id="M1",
                                                         status="active")),
    ])


@pytest.fixture
def store(tmp_path):
    s = RegisterStore(tmp_path / "register.db")
    s.initialise("R01", "S001")
    s.apply_pull(seed_page())
    yield s
    s.close()
