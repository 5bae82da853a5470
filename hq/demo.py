"""Demo data for trying Tamaru at a counter without a real HQ.

The constants here are the reference values: the desktop app and its tests use the same
card UIDs and member numbers (the desktop cannot import `hq`, so it mirrors them). Member
numbers are valid EAN-13 in-store codes (`loyalty.scan.make_member_no(1)` … `(5)`), so
the printed barcode of a demo member scans.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.db import make_engine, migrate
from hq.directory import add_member, load_program, provision_register
from hq.keys import rotate, signing_key
from resources import RESOURCES

DEMO_PROGRAM_PATH = RESOURCES / "programs" / "demo.toml"
DEMO_DEVICE_ID = "R01"
DEMO_STORE_ID = "S001"


@dataclass(frozen=True)
class DemoMember:
    member_id: str
    member_no: str
    display_name: str
    card_uid: str
    initial_points: int


DEMO_MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("M0000001", "2900000000018", "山田 花子", "04A1B2C3D4E5F6", 1200),
    DemoMember("M0000002", "2900000000025", "佐藤 太郎", "04112233445566", 0),
    DemoMember("M0000003", "2900000000032", "鈴木 一郎", "04C0FFEE123456", 350),
    DemoMember("M0000004", "2900000000049", "高橋 美咲", "0455AA66BB77CC", 5000),
    # A FeliCa IDm (8 bytes), as read from a transit or Osaifu-Keitai card.
    DemoMember("M0000005", "2900000000056", "田中 健太", "012E4CD3A1B2C3D4", 80),
)


@dataclass(frozen=True)
class DemoSetup:
    device_id: str
    store_id: str
    company_id: str
    token: str
    program_version: int


def seed_demo(engine: Engine, *, device_id: str, store_id: str) -> DemoSetup:
    """Load the demo program and members (once), make sure a QR signing key exists, and
    give the register a fresh token."""
    actor = Actor("cli", "demo")
    program = load_program(engine, DEMO_PROGRAM_PATH.read_text(encoding="utf-8"), actor=actor)
    for m in DEMO_MEMBERS:
        add_member(
            engine,
            member_no=m.member_no,
            display_name=m.display_name,
            card_uid=m.card_uid,
            initial_points=m.initial_points,
            member_id=m.member_id,
            actor=actor,
        )
    with Session(engine) as session, session.begin():
        if signing_key(session) is None:
            rotate(session, actor)
    token = provision_register(engine, store_id, device_id, program.company_id, actor=actor)
    return DemoSetup(device_id, store_id, program.company_id, token, program.version)


def run_demo(db_url: str, *, device_id: str = DEMO_DEVICE_ID, store_id: str = DEMO_STORE_ID) -> DemoSetup:
    """Migrate the database at `db_url` and seed it; safe to run again."""
    migrate(db_url)
    engine = make_engine(db_url)
    try:
        return seed_demo(engine, device_id=device_id, store_id=store_id)
    finally:
        engine.dispose()
