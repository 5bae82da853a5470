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
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from hq.admin_tokens import create_admin_token, list_admin_tokens, revoke_admin_token
from hq.audit import Actor
from hq.cli_reports import DB_COMMANDS, ReportCliError, add_commands, run_db_command, run_simulate
from hq.db import SchemaError, head_revision, make_engine, migrate, require_schema
from hq.demo import DEMO_DEVICE_ID, DEMO_STORE_ID, run_demo
from hq.directory import DirectoryError, add_member, load_program
from hq.holds import sweep
from hq.keys import list_keys, rotate_key
from hq.provisioning import (
    IssuedCode,
    provision,
    provision_register,
    reregister,
    revoke_register,
)
from loyalty.program import ProgramError
from sync.protocol import TokenKey

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
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM, with its "
                                              "chain); without it, put HQ behind a TLS proxy")
    serve.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")

    prov = sub.add_parser(
        "provision", help="allow a register to sync; prints a one-time code to activate with"
    )
    prov.add_argument("--store", required=True)
    prov.add_argument("--device", required=True)
    prov.add_argument("--company", help="default: the newest program's company")
    prov.add_argument("--token", action="store_true", help="print a bearer token now instead")
    prov.add_argument("--ttl-hours", type=int, default=24, help="code lifetime (default 24)")
    prov.add_argument("--json", action="store_true")

    revoke = sub.add_parser("revoke", help="refuse a register's token")
    revoke.add_argument("--device", required=True)

    rereg = sub.add_parser(
        "reregister", help="new registration epoch for a register restored from a backup"
    )
    rereg.add_argument("--device", required=True)
    rereg.add_argument("--reason")
    rereg.add_argument("--token", action="store_true", help="print a bearer token now instead")
    rereg.add_argument("--json", action="store_true")

    admin = sub.add_parser("admin-token", help="tokens for the admin API")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    create = admin_sub.add_parser("create", help="make a token; prints it (shown only now)")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("admin", "app"), default="admin")
    admin_sub.add_parser("revoke", help="refuse a token").add_argument("--name", required=True)
    admin_sub.add_parser("list", help="names, roles and states")

    keys = sub.add_parser("keys", help="member app QR token signing keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    keys_sub.add_parser("rotate", help="make a new signing key and retire the current one")
    keys_sub.add_parser("list", help="key ids, public keys and when each was retired")

    sub.add_parser("sweep-holds", help="record timed-out holds as expired")

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

    add_commands(sub)
    return parser


def _serve(url: str, host: str, port: int, log_level: str, workers: int = 1,
           certfile: str | None = None, keyfile: str | None = None) -> None:
    import uvicorn

    from hq.app import create_app

    engine = make_engine(url)
    try:
        require_schema(engine)
    finally:
        engine.dispose()
    if bool(certfile) != bool(keyfile):
        raise SystemExit("tamaru-hq serve: --ssl-certfile and --ssl-keyfile go together")
    tls = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile else {}
    if workers > 1:
        # Worker processes import the app themselves; they find the database here.
        os.environ["TAMARU_HQ_DB"] = url
        uvicorn.run("hq.app:app_from_env", factory=True, host=host, port=port,
                    log_level=log_level, workers=workers, **tls)  # type: ignore[arg-type]  # fmt: skip
        return
    uvicorn.run(create_app(url), host=host, port=port, log_level=log_level, **tls)  # type: ignore[arg-type]


def _run(args: argparse.Namespace) -> None:
    url: str = args.db or default_db_url()
    if not args.db:
        _prepare_sqlite_folder(url)

    if args.command == "migrate":
        migrate(url)
        print(f"{_safe_url(url)}: schema at revision {head_revision()}")
        return
    if args.command == "serve":
        _serve(url, args.host, args.port, args.log_level, args.workers, args.ssl_certfile,
               args.ssl_keyfile)
        return
    if args.command == "simulate":
        # A program file needs no database; a published version number reads it.
        run_simulate(args, lambda: make_engine(url))
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
        _run_admin(engine, args)
    finally:
        engine.dispose()


def _print_code(args: argparse.Namespace, issued: IssuedCode) -> None:
    if args.json:
        out = {
            "device_id": issued.device_id,
            "store_id": issued.store_id,
            "company_id": issued.company_id,
            "code": issued.code,
            "expires_at": issued.expires_at.isoformat(),
        }
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(issued.code)
        print(
            f"one-time code for register {issued.device_id} (store {issued.store_id}), valid "
            f"until {issued.expires_at:%Y-%m-%d %H:%M} UTC",
            file=sys.stderr,
        )


def _print_key(key: TokenKey) -> None:
    retired = f" retired {key.retired_at:%Y-%m-%d %H:%M} UTC" if key.retired_at else " signing"
    print(f"{key.key_id} {key.public_key}{retired}")


def _provision(engine: Engine, args: argparse.Namespace, actor: Actor) -> None:
    if args.token:
        token = provision_register(
            engine, args.store, args.device, args.company, actor=actor
        )
        if args.json:
            out = {"device_id": args.device, "store_id": args.store, "token": token}
            print(json.dumps(out, ensure_ascii=False))
        else:
            print(token)
    else:
        if args.ttl_hours < 1:
            raise CliError("--ttl-hours: at least 1")
        issued = provision(
            engine, args.store, args.device, args.company, actor=actor,
            ttl=timedelta(hours=args.ttl_hours),
        )  # fmt: skip
        _print_code(args, issued)


def _run_admin(engine: Engine, args: argparse.Namespace) -> None:
    actor = Actor.cli()
    if args.command in DB_COMMANDS:
        run_db_command(engine, args, actor)
    elif args.command == "provision":
        _provision(engine, args, actor)
    elif args.command == "revoke":
        revoke_register(engine, args.device, actor=actor)
        print(f"register {args.device} revoked")
    elif args.command == "reregister":
        result = reregister(
            engine, args.device, actor=actor, reason=args.reason, with_token=args.token
        )
        if isinstance(result, str):
            print(json.dumps({"device_id": args.device, "token": result}) if args.json else result)
        else:
            _print_code(args, result)
    elif args.command == "admin-token":
        if args.admin_command == "create":
            print(create_admin_token(engine, args.name, role=args.role, actor=actor))
        elif args.admin_command == "revoke":
            revoke_admin_token(engine, args.name, actor=actor)
            print(f"admin token {args.name} revoked")
        else:
            for row in list_admin_tokens(engine):
                state = "revoked" if row.revoked_at else "active"
                print(f"{row.name}\t{row.role}\t{state}\t{row.created_at:%Y-%m-%d}")
    elif args.command == "keys":
        if args.keys_command == "rotate":
            _print_key(rotate_key(engine, actor))
        else:
            for key in list_keys(engine):
                _print_key(key)
    elif args.command == "sweep-holds":
        print(f"{sweep(engine)} holds expired")
    elif args.command == "load-program":
        try:
            text = args.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
        program = load_program(engine, text, actor=actor)
        print(f"program version {program.version} ({program.name}) published")
    elif args.command == "add-member":
        info = add_member(
            engine,
            member_no=args.member_no,
            display_name=args.name,
            card_uid=args.card_uid,
            initial_points=args.points,
            member_id=args.member_id,
            actor=actor,
        )
        state = "added" if info.created else "already present"
        print(f"member {info.member_id} ({info.member_no}, card {info.card_uid}) {state}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except (CliError, DirectoryError, ProgramError, SchemaError, ReportCliError) as exc:
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
