"""Strict readers for the fields of a parsed TOML table.

Every reader takes `where`, the dotted path of the table (``earn``, ``campaigns[2]``), so
an error names the exact field an HQ operator has to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from loyalty.ratio import Ratio, RatioError

E = TypeVar("E", bound=Enum)


class ProgramError(ValueError):
    """A program document that cannot be used; the message names the field."""


Table = Mapping[str, Any]


def path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def table(doc: Table, where: str, key: str, *, required: bool = False) -> Table:
    value = doc.get(key)
    if value is None:
        if required:
            raise ProgramError(f"[{path(where, key)}]: missing section")
        return {}
    if not isinstance(value, Mapping):
        raise ProgramError(f"[{path(where, key)}]: must be a table")
    return value


def tables(doc: Table, key: str) -> list[Table]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ProgramError(f"[[{key}]]: must be an array of tables")
    return value


def no_unknown_keys(section: Table, where: str, known: set[str]) -> None:
    # A misspelt key (`per_yem`) silently falling back to a default would mint the wrong
    # points for a whole chain; refuse it instead.
    unknown = sorted(set(section) - known)
    if unknown:
        raise ProgramError(f"{path(where, unknown[0])}: unknown field (known: {', '.join(sorted(known))})")


def integer(section: Table, where: str, key: str, *, minimum: int, maximum: int | None = None,
            default: int | None = None) -> int:
    value = section.get(key, default)
    if value is None:
        raise ProgramError(f"{path(where, key)}: required")
    # bool is an int in Python; `unit = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgramError(f"{path(where, key)}: must be an integer, got {value!r}")
    if value < minimum:
        raise ProgramError(f"{path(where, key)}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ProgramError(f"{path(where, key)}: must be at most {maximum}, got {value}")
    return value


def optional_integer(section: Table, where: str, key: str, *, minimum: int,
                     maximum: int | None = None) -> int | None:
    if key not in section:
        return None
    return integer(section, where, key, minimum=minimum, maximum=maximum)


def string(section: Table, where: str, key: str, *, default: str | None = None,
           pattern: str | None = None) -> str:
    value = section.get(key, default)
    if value is None:
        raise ProgramError(f"{path(where, key)}: required")
    if not isinstance(value, str):
        raise ProgramError(f"{path(where, key)}: must be a string, got {value!r}")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise ProgramError(f"{path(where, key)}: {value!r} does not match {pattern}")
    return value


def boolean(section: Table, where: str, key: str, *, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ProgramError(f"{path(where, key)}: must be true or false, got {value!r}")
    return value


def choice(section: Table, where: str, key: str, enum: type[E], *, default: E) -> E:
    value = string(section, where, key, default=default.value)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(e.value) for e in enum)
        raise ProgramError(f"{path(where, key)}: must be one of {allowed}, got {value!r}") from None


def strings(section: Table, where: str, key: str, *, pattern: str | None = None) -> tuple[str, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProgramError(f"{path(where, key)}: must be a list of strings, got {value!r}")
    for v in value:
        if pattern is not None and not re.fullmatch(pattern, v):
            raise ProgramError(f"{path(where, key)}: {v!r} does not match {pattern}")
    if len(set(value)) != len(value):
        raise ProgramError(f"{path(where, key)}: lists a value twice")
    return tuple(value)


def integers(section: Table, where: str, key: str, *, minimum: int, maximum: int) -> tuple[int, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ProgramError(f"{path(where, key)}: must be a list of integers, got {value!r}")
    for v in value:
        if not minimum <= v <= maximum:
            raise ProgramError(f"{path(where, key)}: {v} is outside {minimum}–{maximum}")
    if len(set(value)) != len(value):
        raise ProgramError(f"{path(where, key)}: lists a value twice")
    return tuple(value)


def ratio(section: Table, where: str, key: str, *, default: Ratio | None = None,
          minimum: Ratio | None = None) -> Ratio:
    value = section.get(key)
    if value is None:
        if default is None:
            raise ProgramError(f"{path(where, key)}: required")
        return default
    if isinstance(value, float):
        # TOML floats are binary: 1.1 is not 11/10. Points must be exact.
        raise ProgramError(f'{path(where, key)}: write it as a string ("{value}") or an integer, '
                           f"not a float, so it is exact")
    try:
        r = Ratio.parse(value)
    except RatioError as exc:
        raise ProgramError(f"{path(where, key)}: {exc}") from None
    if minimum is not None and r < minimum:
        raise ProgramError(f"{path(where, key)}: must be at least {minimum}, got {r}")
    return r


def day(section: Table, where: str, key: str) -> date | None:
    value = section.get(key)
    if value is None:
        return None
    # TOML has its own date type; a datetime here would carry a time the rules ignore.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ProgramError(f"{path(where, key)}: must be a date like 2025-04-01, got {value!r}")
    return value
