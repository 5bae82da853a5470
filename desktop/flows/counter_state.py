"""The counter's states and the hold a sale may wait on, shared by the counter's modules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CounterState(Enum):
    IDLE = "idle"
    MEMBER = "member"
    HOLDING = "holding"
    RECORDING = "recording"
    DONE = "done"


@dataclass(frozen=True)
class PendingHold:
    hold_id: str
    member_id: str
    points: int
