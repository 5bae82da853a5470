"""`tamaru-hq` commands for jobs, reports and trying a program: expire, ranks, settle,
campaign-effect, new-members, simulate.

Reports print JSON (or CSV with `--csv`) on stdout; jobs print one line (JSON with
`--json`). Dates are `YYYY-MM-DD` days in the newest program's time zone.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.jobs import evaluate_ranks, expire_points
from hq.models import ProgramVersion
from hq.reports import campaign_effect, new_members, settlement, to_csv
from loyalty.simulate import SimulateError, simulate

DB_COMMANDS = ("expire", "ranks", "settle", "campaign-effect", "new-members")


class ReportCliError(Exception):
    """A refusal to report as one line."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-04-01: {text!r}") from None


def add_commands(sub: Any) -> None:
    for name, what in (("expire", "expire points as of a date (idempotent)"),
                       ("ranks", "evaluate member ranks as of a date (idempotent)")):  # fmt: skip
        job = sub.add_parser(name, help=what)
        job.add_argument("--as-of", required=True, type=_day, metavar="DATE", dest="as_of")
        job.add_argument("--json", action="store_true")

    def period(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--from", required=True, type=_day, metavar="DATE", dest="start")
        parser.add_argument("--to", required=True, type=_day, metavar="DATE", dest="end",
                            help="last day, included")
        parser.add_argument("--csv", action="store_true", help="CSV instead of JSON")

    period(sub.add_parser("settle", help="partner settlement (原資精算) for a period"))
    campaign = sub.add_parser("campaign-effect", help="what a campaign granted and how its members spent")
    campaign.add_argument("--campaign", required=True, metavar="ID")
    period(campaign)
    joined = sub.add_parser("new-members", help="members enrolled per day and store (or staff)")
    joined.add_argument("--by", choices=("store", "staff"), default="store")
    period(joined)

    sim = sub.add_parser("simulate", help="quote a basket under a program, showing why")
    sim.add_argument("program", help="a program TOML file, or a published version number")
    sim.add_argument("basket", type=Path, help="basket JSON (docs/program.md)")
    sim.add_argument("--member", type=Path, metavar="FILE", help="member JSON")
    sim.add_argument("--at", metavar="ISO", help="date-time with offset (default: now)")
    sim.add_argument("--store", metavar="S")
    sim.add_argument("--json", action="store_true")


def _print_report(report: dict[str, Any], as_csv: bool) -> None:
    if as_csv:
        print(to_csv(report), end="")
    else:
        print(json.dumps(report, ensure_ascii=False, indent=2))


def run_db_command(engine: Engine, args: argparse.Namespace, actor: Actor) -> None:
    if args.command == "expire":
        result = expire_points(engine, args.as_of, actor=actor)
        if args.json:
            print(json.dumps({"as_of": result.as_of.isoformat(), "members": result.members,
                              "points": result.points}))  # fmt: skip
        else:
            print(f"expired {result.points} points of {result.members} members as of {args.as_of}")
    elif args.command == "ranks":
        ranks = evaluate_ranks(engine, args.as_of, actor=actor)
        if args.json:
            print(json.dumps({"as_of": ranks.as_of.isoformat(), "evaluated": ranks.evaluated,
                              "changes": [vars(c) for c in ranks.changes]}, ensure_ascii=False))  # fmt: skip
        else:
            print(f"{ranks.evaluated} members evaluated as of {args.as_of}, {len(ranks.changes)} ranks changed")
            for c in ranks.changes:
                print(f"{c.member_no}\t{c.before} → {c.after}")
    elif args.command == "settle":
        _print_report(settlement(engine, args.start, args.end), args.csv)
    elif args.command == "campaign-effect":
        _print_report(campaign_effect(engine, args.campaign, args.start, args.end), args.csv)
    elif args.command == "new-members":
        _print_report(new_members(engine, args.start, args.end, args.by), args.csv)


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportCliError(f"cannot read {what} {path}: {exc.strerror}") from None


def program_text(arg: str, engine_for: Any) -> str:
    """The program to simulate: a file, or (digits, no such file) a published version."""
    path = Path(arg)
    if path.is_file() or not arg.isdigit():
        return _read(path, "program")
    engine: Engine = engine_for()
    try:
        with Session(engine) as session:
            toml = session.scalar(select(ProgramVersion.toml).where(ProgramVersion.version == int(arg)))
    finally:
        engine.dispose()
    if toml is None:
        raise ReportCliError(f"no program file {arg} and no published version {arg}")
    return toml


def run_simulate(args: argparse.Namespace, engine_for: Any) -> None:
    toml = program_text(args.program, engine_for)
    basket = _read(args.basket, "basket")
    member = _read(args.member, "member") if args.member else None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise ReportCliError(f"--at: not an ISO date-time: {args.at!r}") from None
    else:
        at = datetime.now(UTC)
    try:
        table, data = simulate(toml, basket, member, at, args.store)
    except SimulateError as exc:
        raise ReportCliError(str(exc)) from None
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(table)
