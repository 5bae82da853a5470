"""The test decoder itself: it must refuse what Tamaru does not send, or tests would lie."""

from __future__ import annotations

import pytest

from devices.escpos_out import escpos_kanji
from tests.support.escpos_decode import (
    Incomplete,
    UnknownCommand,
    decode,
    iter_commands,
    next_command,
)
from tests.support.receipts import sample_receipt

KANJI_ON = b"\x1b@\x1bR\x08\x1cC\x01\x1c&"


def test_text_and_modes_per_line() -> None:
    data = (
        KANJI_ON
        + "普通".encode("cp932")
        + b"\n\x1b\x61\x01\x1d!\x11\x1bE\x01"
        + "大きい".encode("cp932")
        + b"\n\x1bE\x00\x1d!\x00\x1b\x61\x00\x1c.abc\\\n\x1dVB\x00"
    )
    result = decode(data)
    assert result.lines == ["普通", "大きい", "abc¥"]
    assert [(line.bold, line.large, line.centered) for line in result.styled] == [
        (False, False, False),
        (True, True, True),
        (False, False, False),
    ]
    assert result.cuts == 1


def test_unknown_command_raises() -> None:
    with pytest.raises(UnknownCommand):
        decode(b"\x1b@\x1bJ\x10")  # ESC J: not something Tamaru sends
    with pytest.raises(UnknownCommand):
        decode(b"\x1d(L\x02\x0000")  # GS ( L graphics
    with pytest.raises(UnknownCommand):
        decode(b"\x1d(k\x03\x000A0")  # GS ( k for PDF417


def test_kanji_text_needs_kanji_mode_and_shift_jis() -> None:
    with pytest.raises(UnknownCommand, match="outside kanji mode"):
        decode(b"\x1b@" + "山田".encode("cp932") + b"\n")
    with pytest.raises(UnknownCommand, match="Shift_JIS"):
        decode(b"\x1b@\x1c&" + "山田".encode("cp932") + b"\n")
    with pytest.raises(UnknownCommand):
        decode(b"\x1b@\x1cC\x00")


def test_truncated_command_raises_incomplete() -> None:
    data = escpos_kanji(sample_receipt())
    qr_store = data.index(b"\x1d(k") + 20
    with pytest.raises(Incomplete):
        decode(data[:qr_store])
    with pytest.raises(Incomplete):
        decode(b"\x1dv0\x00\x02\x00\x02\x00\xff")


def test_text_without_a_line_feed_is_reported_as_unprinted() -> None:
    assert decode(KANJI_ON + "途中".encode("cp932")).unprinted == "途中"


def test_iter_commands_splits_a_stream_and_status_queries_are_counted() -> None:
    data = b"\x10\x04\x02" + escpos_kanji(sample_receipt()) + b"\x10\x04\x02"
    names = [command.name for command in iter_commands(data)]
    assert names[0] == names[-1] == "DLE EOT"
    assert names.count("GS ( k") == 5
    assert decode(data).status_queries == 2
    assert next_command(b"\x1bE\x01", 0).end == 3
