"""Admin operations: programs, members with cards, registers and their tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.auth import AuthError, authenticate, hash_token
from hq.demo import DEMO_PROGRAM_PATH
from hq.directory import (
    DirectoryError,
    add_member,
    ledger_sum,
    load_program,
    provision_register,
    revoke_register,
)
from hq.models import Card, FeedEntry, LedgerEntry, Member, ProgramVersion, Register
from loyalty.program import ProgramError

DEMO_TOML = DEMO_PROGRAM_PATH.read_text(encoding="utf-8")


def feed(engine: Engine) -> list[tuple[int, str, str]]:
    with Session(engine) as session:
        return [
            (f.server_seq, f.kind, f.key)
            for f in session.scalars(select(FeedEntry).order_by(FeedEntry.server_seq))
        ]


def test_load_program_publishes_once_and_versions_are_immutable(engine: Engine) -> None:
    program = load_program(engine, DEMO_TOML)
    assert (program.version, program.company_id) == (1, "C001")
    assert feed(engine) == [(1, "program", "1")]
    # Same text again: nothing new.
    load_program(engine, DEMO_TOML)
    assert feed(engine) == [(1, "program", "1")]

    changed = DEMO_TOML.replace("per_yen = 100", "per_yen = 200")
    with pytest.raises(ProgramError, match="version 1 is already published"):
        load_program(engine, changed)
    load_program(engine, changed.replace("version = 1", "version = 2"))
    assert feed(engine)[-1] == (2, "program", "2")
    with Session(engine) as session:
        assert session.get(ProgramVersion, 1).toml == DEMO_TOML  # type: ignore[union-attr]


def test_bad_program_files_surface_the_program_error(engine: Engine) -> None:
    with pytest.raises(ProgramError, match=r"earn.per_yen: must be at least 1"):
        load_program(engine, DEMO_TOML.replace("per_yen = 100", "per_yen = 0"))
    with pytest.raises(ProgramError, match="not valid TOML"):
        load_program(engine, "[program\n")
    assert feed(engine) == []


def test_add_member_enrols_with_card_opening_points_and_feed_rows(engine: Engine) -> None:
    info = add_member(
        engine,
        member_no="2900000000998",
        display_name=" 伊藤 さくら ",
        card_uid="04:aa:bb:cc:dd:ee:ff",
        initial_points=300,
    )
    assert info.created and info.card_uid == "04AABBCCDDEEFF" and info.balance == 300
    with Session(engine) as session:
        member = session.get(Member, info.member_id)
        assert member is not None
        assert (member.display_name, member.status, member.balance) == ("伊藤 さくら", "active", 300)
        card = session.get(Card, "04AABBCCDDEEFF")
        assert card is not None and card.member_id == info.member_id
        [entry] = session.scalars(select(LedgerEntry)).all()
        assert (entry.kind, entry.points, entry.op_id) == ("adjust", 300, None)
    assert ledger_sum(engine, info.member_id) == 300
    assert feed(engine) == [(1, "member", info.member_id), (2, "card", "04AABBCCDDEEFF")]

    again = add_member(
        engine, member_no="2900000000998", display_name="x", card_uid="04AABBCCDDEEFF", initial_points=300
    )
    assert not again.created and again.member_id == info.member_id and again.balance == 300
    assert ledger_sum(engine, info.member_id) == 300 and len(feed(engine)) == 2


@pytest.mark.parametrize(
    ("member_no", "card_uid", "points", "message"),
    [
        ("12345", "04AABBCCDDEEFF", 0, "expected 13 digits"),
        ("290000000099X", "04AABBCCDDEEFF", 0, "expected 13 digits"),
        ("2900000000998", "04AABB", 0, "hex digits"),
        ("2900000000998", "ZZAABBCCDDEEFF", 0, "hex digits"),
        ("2900000000998", "04AABBCCDDEEFF", -1, "must not be negative"),
    ],
)
def test_add_member_refuses_bad_input(
    engine: Engine, member_no: str, card_uid: str, points: int, message: str
) -> None:
    with pytest.raises(DirectoryError, match=message):
        add_member(
            engine, member_no=member_no, display_name="名前", card_uid=card_uid, initial_points=points
        )
    assert feed(engine) == []


def test_a_card_belongs_to_one_member(engine: Engine) -> None:
    add_member(engine, member_no="2900000000998", display_name="A", card_uid="04AABBCCDDEEFF")
    with pytest.raises(DirectoryError, match="already belongs to member"):
        add_member(engine, member_no="2900000000999", display_name="B", card_uid="04AABBCCDDEEFF")
    with pytest.raises(DirectoryError, match="already exists with another card"):
        add_member(engine, member_no="2900000000998", display_name="A", card_uid="04AABBCCDDEE00")


def test_provision_stores_only_the_token_hash_and_rotation_revokes(engine: Engine) -> None:
    with pytest.raises(DirectoryError, match="no program is loaded"):
        provision_register(engine, "S001", "R01")
    load_program(engine, DEMO_TOML)
    first = provision_register(engine, "S001", "R01")
    assert len(first) >= 40
    with Session(engine) as session:
        register = session.get(Register, "R01")
        assert register is not None
        assert register.token_hash == hash_token(first) != first
        assert (register.company_id, register.last_device_seq, register.revoked) == ("C001", 0, False)
    assert authenticate(engine, first).store_id == "S001"

    second = provision_register(engine, "S001", "R01")
    assert second != first
    with pytest.raises(AuthError, match="unknown register token"):
        authenticate(engine, first)
    assert authenticate(engine, second).device_id == "R01"

    revoke_register(engine, "R01")
    with pytest.raises(AuthError, match="revoked"):
        authenticate(engine, second)
    third = provision_register(engine, "S001", "R01")
    assert authenticate(engine, third).device_id == "R01"

    with pytest.raises(DirectoryError, match="belongs to store S001, not S002"):
        provision_register(engine, "S002", "R01")
    with pytest.raises(DirectoryError, match="unknown register"):
        revoke_register(engine, "R77")
