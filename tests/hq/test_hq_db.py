"""The HQ schema: migrations from an empty database, connection settings, stored times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from hq.db import SchemaError, current_revision, head_revision, make_engine, migrate, require_schema
from hq.models import Base, Register, SeqCounter

TABLES = {
    "registers",
    "members",
    "cards",
    "programs",
    "ops",
    "ledger_entries",
    "feed",
    "dead_letters",
    "seq_counter",
    "provisioning_codes",
    "admin_tokens",
    "audit",
    "holds",
    "token_keys",
    "hq_settings",
    "idempotent_requests",
    "lots",
    "debts",
    "redemptions",
    "allocations",
    "purchases",
    "campaign_grants",
    "alembic_version",
}


def test_migrate_builds_the_schema_on_an_empty_database(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(SchemaError, match="no HQ schema"):
            require_schema(engine)
        migrate(db_url)
        assert set(inspect(engine).get_table_names()) == TABLES
        assert current_revision(engine) == head_revision()
        require_schema(engine)
        with Session(engine) as session:
            assert session.scalars(select(SeqCounter)).one().value == 0
        # Running it again is a no-op, not an error.
        migrate(db_url)
        assert current_revision(engine) == head_revision()
        # The migration and the models agree on every column.
        columns = {t: {c["name"] for c in inspect(engine).get_columns(t)} for t in TABLES - {"alembic_version"}}
        assert columns == {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def test_times_come_back_timezone_aware_utc(engine: Engine) -> None:
    tokyo = timezone(timedelta(hours=9))
    made = datetime(2026, 11, 22, 9, 0, tzinfo=tokyo)
    with Session(engine) as session, session.begin():
        session.add(
            Register(device_id="RX", store_id="S", company_id="C", token_hash="h", created_at=made)
        )
    with Session(engine) as session:
        register = session.get(Register, "RX")
        assert register is not None
        assert register.created_at == made
        assert register.created_at.tzinfo is not None
        assert register.created_at.utcoffset() == timedelta(0)
        assert register.created_at == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def test_naive_times_are_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(StatementError, match="naive datetime"):
        session.add(
            Register(
                device_id="RX",
                store_id="S",
                company_id="C",
                token_hash="h",
                created_at=datetime(2026, 1, 1),
            )
        )
        session.flush()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 1000
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_plain_postgresql_urls_use_psycopg() -> None:
    engine = make_engine("postgresql://u:p@127.0.0.1:1/x")
    assert engine.url.drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match="unsupported database URL"):
        make_engine("mysql://u@h/x")


def test_upgrading_a_0001_database_keeps_its_data(db_url: str) -> None:
    from alembic import command

    from hq.db import alembic_config

    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO registers (device_id, store_id, company_id, token_hash, revoked, "
                "last_device_seq, created_at) VALUES ('R1', 'S1', 'C1', 'h', false, 7, :now)"
            ), {"now": datetime(2026, 1, 1, tzinfo=UTC)})  # fmt: skip
            conn.execute(text(
                "INSERT INTO feed (server_seq, kind, key, created_at) VALUES (1, 'program', '1', :now)"
            ), {"now": datetime(2026, 1, 1, tzinfo=UTC)})  # fmt: skip
        migrate(db_url)
        assert current_revision(engine) == head_revision()
        with Session(engine) as session:
            register = session.get(Register, "R1")
            assert register is not None
            assert (register.token_hash, register.last_device_seq, register.epoch) == ("h", 7, 1)
        with engine.begin() as conn:
            # The widened checks accept the new kinds and still refuse unknown ones.
            conn.execute(text("INSERT INTO feed (server_seq, kind, key, created_at) "
                              "VALUES (2, 'token_key', 'K1', :now)"), {"now": datetime(2026, 1, 1, tzinfo=UTC)})  # fmt: skip
            assert conn.execute(text("SELECT count(*) FROM feed")).scalar_one() == 2
            assert len(conn.execute(text("SELECT value FROM hq_settings")).scalar_one()) == 64
        with pytest.raises(Exception, match="(?i)check"), engine.begin() as conn:
            conn.execute(text("INSERT INTO feed (server_seq, kind, key, created_at) "
                              "VALUES (3, 'nonsense', 'x', :now)"), {"now": datetime(2026, 1, 1, tzinfo=UTC)})  # fmt: skip
    finally:
        engine.dispose()


def test_upgrading_a_0002_database_turns_balances_into_lots(db_url: str) -> None:
    from alembic import command

    from hq.db import alembic_config
    from hq.models import LedgerEntry, LotRow, Member

    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
        at = datetime(2026, 1, 1, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO programs (version, toml, published_at) VALUES "
                              "(1, '[program]\nversion = 1\nname = \"P\"\ncompany_id = \"C7\"\n', :at)"), {"at": at})  # fmt: skip
            for member_id, points in (("MA", 500), ("MB", 0)):
                conn.execute(text("INSERT INTO members (member_id, member_no, display_name, status, balance, "
                                  "created_at, kana) VALUES (:m, :n, 'x', 'active', :b, :at, '')"),
                             {"m": member_id, "n": f"29000000{len(member_id)}{points:04d}", "b": points, "at": at})  # fmt: skip
            conn.execute(text("INSERT INTO ledger_entries (member_id, kind, points, created_at) "
                              "VALUES ('MA', 'adjust', 500, :at)"), {"at": at})  # fmt: skip
        migrate(db_url)
        with Session(engine) as session:
            [lot] = session.scalars(select(LotRow)).all()
            assert (lot.lot_id, lot.member_id, lot.issuer, lot.kind) == ("opening:MA", "MA", "C7", "normal")
            assert (lot.original, lot.remaining, lot.expires_at) == (500, 500, None)
            member = session.get(Member, "MA")
            assert member is not None and (member.balance, member.debt, member.rank) == (500, 0, "")
            assert session.scalars(select(LedgerEntry)).one().changes is None  # history as it was
    finally:
        engine.dispose()


def test_upgrading_a_0003_database_fills_each_ops_local_time_and_receipt(db_url: str) -> None:
    import json

    from alembic import command

    from hq.db import alembic_config
    from hq.models import OpRecord

    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003")
        at = datetime(2026, 1, 1, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO registers (device_id, store_id, company_id, revoked, "
                              "last_device_seq, epoch, created_at) VALUES ('R1', 'S1', 'C1', false, 0, 1, :at)"),
                         {"at": at})  # fmt: skip
            for op_id, body in (
                ("a", {"local_time": "2026-03-03T10:00:00+09:00", "payload": {"receipt_no": "R1-000001"}}),
                ("b", {"local_time": "2026-03-03T11:00:00+09:00", "payload": {"points": 5}}),
                ("c", {"local_time": "not a time", "payload": None}),
            ):
                conn.execute(text("INSERT INTO ops (op_id, device_id, device_seq, epoch, store_id, kind, "
                                  "payload_hash, status, result, op, received_at) VALUES "
                                  "(:id, 'R1', 1, 1, 'S1', 'sale', 'h', 'applied', '{}', :op, :at)"),
                             {"id": op_id, "op": json.dumps(body), "at": at})  # fmt: skip
        migrate(db_url)
        with Session(engine) as session:
            got = {r.op_id: (r.local_time, r.receipt_no) for r in session.scalars(select(OpRecord))}
        tokyo = timezone(timedelta(hours=9))
        assert got == {"a": (datetime(2026, 3, 3, 10, tzinfo=tokyo), "R1-000001"),
                       "b": (datetime(2026, 3, 3, 11, tzinfo=tokyo), None), "c": (None, None)}
    finally:
        engine.dispose()
