"""Exact multipliers: a 1.5× rank or a 5× day as a fraction of two integers.

Points are integers and a multiplier must never pass through a float; `Ratio` keeps the
numerator and denominator and rounds only where a rule says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import gcd


class RatioError(ValueError):
    """Text that is not an exact non-negative multiplier."""


_DECIMAL = re.compile(r"(\d{1,9})(?:\.(\d{1,6}))?")
_FRACTION = re.compile(r"(\d{1,9})/(\d{1,9})")


@dataclass(frozen=True, slots=True)
class Ratio:
    """num / den, reduced, den > 0 (build it with `of` or `parse`)."""

    num: int
    den: int

    @staticmethod
    def of(num: int, den: int = 1) -> Ratio:
        if den <= 0 or num < 0:
            raise RatioError(f"{num}/{den} is not a non-negative fraction")
        g = gcd(num, den)
        return Ratio(num // g, den // g)

    @staticmethod
    def parse(value: object) -> Ratio:
        """An integer, a decimal string ("1.5"), a fraction ("3/2") or a percent ("150%")."""
        if isinstance(value, bool):
            raise RatioError(f"must be a number like \"1.5\", got {value!r}")
        if isinstance(value, int):
            return Ratio.of(value)
        if not isinstance(value, str):
            raise RatioError(f"must be a number like \"1.5\", got {value!r}")
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        m = _FRACTION.fullmatch(text)
        if m and not percent:
            if int(m.group(2)) == 0:
                raise RatioError(f"{value!r} divides by zero")
            return Ratio.of(int(m.group(1)), int(m.group(2)))
        m = _DECIMAL.fullmatch(text)
        if not m:
            raise RatioError(f'must be a number like "1.5", "3/2" or "150%", got {value!r}')
        frac = m.group(2) or ""
        r = Ratio.of(int(m.group(1) + frac), 10 ** len(frac))
        return Ratio.of(r.num, r.den * 100) if percent else r

    def __str__(self) -> str:
        if self.den == 1:
            return str(self.num)
        whole, rest = divmod(self.num, self.den)
        # Show a terminating decimal when there is one (1.5), else the fraction (4/3).
        d = self.den
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d != 1:
            return f"{self.num}/{self.den}"
        digits = 0
        scale = 1
        while (rest * scale) % self.den:
            scale *= 10
            digits += 1
        return f"{whole}.{rest * scale // self.den:0{digits}d}"

    def __lt__(self, other: Ratio) -> bool:
        return self.num * other.den < other.num * self.den

    def __le__(self, other: Ratio) -> bool:
        return self.num * other.den <= other.num * self.den

    def __gt__(self, other: Ratio) -> bool:
        return not self <= other

    def __ge__(self, other: Ratio) -> bool:
        return not self < other

    def times(self, other: Ratio) -> Ratio:
        return Ratio.of(self.num * other.num, self.den * other.den)

    def minus_one(self) -> Ratio:
        """The bonus part of a multiplier: 1.5× adds 0.5× on top of the base."""
        if self.num < self.den:
            raise RatioError(f"{self} is below 1")
        return Ratio.of(self.num - self.den, self.den)

    def floor_of(self, n: int) -> int:
        """floor(n × self), exactly."""
        return (n * self.num) // self.den


ONE = Ratio(1, 1)

