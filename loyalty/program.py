"""The program file: one versioned TOML document that says how points are earned and used.

Parsing is strict: every problem names the field and what is wrong with it, so an HQ
operator uploading a program sees exactly what to fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import Enum
from typing import Any


class ProgramError(ValueError):
    """A program document that cannot be used; the message names the field."""


class Rounding(Enum):
    FLOOR = "floor"
    ROUND = "round"
    CEIL = "ceil"


@dataclass(frozen=True)
class EarnRule:
    """Points per yen as an exact fraction: `points` points for every `per_yen` yen."""

    points: int
    per_yen: int
    rounding: Rounding


@dataclass(frozen=True)
class RedeemRule:
    unit: int
    minimum: int


@dataclass(frozen=True)
class Program:
    version: int
    name: str
    company_id: str
    earn: EarnRule
    redeem: RedeemRule
    receipt_footer: str


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    if not isinstance(value, dict):
        raise ProgramError(f"[{name}]: missing section")
    return value


def _int(section: dict[str, Any], where: str, key: str, *, minimum: int, default: int | None = None) -> int:
    value = section.get(key, default)
    if value is None:
        raise ProgramError(f"{where}.{key}: required")
    # bool is an int in Python; a program saying `unit = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgramError(f"{where}.{key}: must be an integer, got {value!r}")
    if value < minimum:
        raise ProgramError(f"{where}.{key}: must be at least {minimum}, got {value}")
    return value


def _str(section: dict[str, Any], where: str, key: str, *, default: str | None = None) -> str:
    value = section.get(key, default)
    if value is None:
        raise ProgramError(f"{where}.{key}: required")
    if not isinstance(value, str):
        raise ProgramError(f"{where}.{key}: must be a string, got {value!r}")
    return value


def parse_program(text: str) -> Program:
    """Parse and validate a program document."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError(f"not valid TOML: {exc}") from exc
    prog = _section(doc, "program")
    earn = _section(doc, "earn")
    redeem = doc.get("redeem", {})
    if not isinstance(redeem, dict):
        raise ProgramError("[redeem]: must be a table")
    rounding_name = _str(earn, "earn", "rounding", default="floor")
    try:
        rounding = Rounding(rounding_name)
    except ValueError:
        allowed = ", ".join(r.value for r in Rounding)
        raise ProgramError(f"earn.rounding: must be one of {allowed}, got {rounding_name!r}") from None
    receipt = doc.get("receipt", {})
    if not isinstance(receipt, dict):
        raise ProgramError("[receipt]: must be a table")
    return Program(
        version=_int(prog, "program", "version", minimum=1),
        name=_str(prog, "program", "name"),
        company_id=_str(prog, "program", "company_id"),
        earn=EarnRule(
            points=_int(earn, "earn", "points", minimum=0),
            per_yen=_int(earn, "earn", "per_yen", minimum=1),
            rounding=rounding,
        ),
        redeem=RedeemRule(
            unit=_int(redeem, "redeem", "unit", minimum=1, default=1),
            minimum=_int(redeem, "redeem", "minimum", minimum=0, default=1),
        ),
        receipt_footer=_str(receipt, "receipt", "footer", default=""),
    )
