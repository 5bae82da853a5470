"""`tamaru-hq`: run and administer the HQ server from a shell.

The database comes from `--db`, else the `TAMARU_HQ_DB` environment variable, else an
SQLite file under `TAMARU_HOME` (default `~/.local/share/tamaru`) at `hq/hq.db`.
Errors print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from hq.db import SchemaError, head_revision, make_engine, migrate, require_schema
from hq.demo import DEMO_DEVICE_ID, DEMO_STORE_ID, run_demo
from hq.directory import (
    DirectoryError,
    add_member,
    load_program,
    provision_register,
    revoke_register,
)
from loyalty.program import ProgramError

EXIT_ERROR = 2


class CliError(Exception):
    """A refusal to report as one line."""


def tamaru_home() -> Path:
    home = os.environ.get("TAMARU_HOME")
    return Path(home).expanduser() if home else Path.home() / ".local" / "share" / "tamaru"


def default_db_url() -> str:
    """The database to use when `--db` is not given. Creates nothing."""
    return os.environ.get("TAMARU_HQ_DB") or f"sqlite:///{tamaru_home() / 'hq' / 'hq.db'}"


def _prepare_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tamaru-hq", description="Tamaru HQ server")
    parser.add_argument(
        "--db", metavar="URL", help="database URL (default: $TAMARU_HQ_DB or an SQLite file)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("migrate", help="create or upgrade the database schema")

    serve = sub.add_parser("serve", help="run the HTTP server (the schema must be migrated)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--log-level", default="info")

    prov = sub.add_parser("provision", help="allow a register to sync; prints its token")
    prov.add_argument("--store", required=True)
    prov.add_argument("--device", required=True)
    prov.add_argument("--company", help="default: the newest program's company")
    prov.add_argument("--json", action="store_true")

    revoke = sub.add_parser("revoke", help="refuse a register's token")
    revoke.add_argument("--device", required=True)

    load = sub.add_parser("load-program", help="publish a program TOML file")
    load.add_argument("file", type=Path)

    member = sub.add_parser("add-member", help="enrol a member with a card")
    member.add_argument("--member-no", required=True, help="13 digits")
    member.add_argument("--name", required=True)
    member.add_argument("--card-uid", required=True, help="card UID in hex")
    member.add_argument("--points", type=int, default=0, help="opening balance")
    member.add_argument("--member-id", help="default: a new UUID")

    demo = sub.add_parser("demo", help="migrate and seed demo data; provisions a register")
    demo.add_argument("--device", default=DEMO_DEVICE_ID)
    demo.add_argument("--store", default=DEMO_STORE_ID)
    demo.add_argument("--json", action="store_true")
    return parser


def _serve(url: str, host: str, port: int, log_level: str) -> None:
    import uvicorn

    from hq.app import create_app

    engine = make_engine(url)
    try:
        require_schema(engine)
    finally:
        engine.dispose()
    uvicorn.run(create_app(url), host=host, port=port, log_level=log_level)


def _run(args: argparse.Namespace) -> None:
    url: str = args.db or default_db_url()
    if not args.db:
        _prepare_sqlite_folder(url)

    if args.command == "migrate":
        migrate(url)
        print(f"{_safe_url(url)}: schema at revision {head_revision()}")
        return
    if args.command == "serve":
        _serve(url, args.host, args.port, args.log_level)
        return
    if args.command == "demo":
        setup = run_demo(url, device_id=args.device, store_id=args.store)
        if args.json:
            print(json.dumps(dataclasses.asdict(setup), ensure_ascii=False))
        else:
            print(f"demo data ready in {_safe_url(url)}")
            print(f"register {setup.device_id} (store {setup.store_id}) token: {setup.token}")
        return

    engine = make_engine(url)
    try:
        require_schema(engine)
        if args.command == "provision":
            token = provision_register(engine, args.store, args.device, args.company)
            if args.json:
                out = {"device_id": args.device, "store_id": args.store, "token": token}
                print(json.dumps(out, ensure_ascii=False))
            else:
                print(token)
        elif args.command == "revoke":
            revoke_register(engine, args.device)
            print(f"register {args.device} revoked")
        elif args.command == "load-program":
            try:
                text = args.file.read_text(encoding="utf-8")
            except OSError as exc:
                raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
            program = load_program(engine, text)
            print(f"program version {program.version} ({program.name}) published")
        elif args.command == "add-member":
            info = add_member(
                engine,
                member_no=args.member_no,
                display_name=args.name,
                card_uid=args.card_uid,
                initial_points=args.points,
                member_id=args.member_id,
            )
            state = "added" if info.created else "already present"
            print(f"member {info.member_id} ({info.member_no}, card {info.card_uid}) {state}")
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except (CliError, DirectoryError, ProgramError, SchemaError) as exc:
        print(f"tamaru-hq: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except SQLAlchemyError as exc:
        # The driver's message is the useful part (host refused, file not writable...).
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"tamaru-hq: error: database: {reason}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:  # a malformed --db URL
        print(f"tamaru-hq: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
