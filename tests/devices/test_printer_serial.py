"""Serial printers through pyserial on a pseudo-terminal, read back with the ESC/POS decoder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.printer_serial import SerialPrinter
from devices.printer_status import (
    REASON_CONNECTION_LOST,
    REASON_COVER_OPEN,
    REASON_NOT_FOUND,
    REASON_OFFLINE,
    REASON_PAPER_OUT,
    PrinterError,
)
from devices.printer_testpage import TEST_QR_PAYLOAD, test_print
from devices.printers import open_printer, query_printer_status
from tests.support.escpos_decode import decode
from tests.support.pty_devices import FakeSerialPrinter
from tests.support.receipts import QR_PAYLOAD, sample_receipt

MakePrinter = Callable[..., FakeSerialPrinter]
PAPER_END_STOP = 0x12 | 0x20  # DLE EOT 2: printing stopped at the paper end
COVER_OPEN = 0x12 | 0x04


@pytest.fixture
def fake_printer(tmp_path: Path) -> Iterator[MakePrinter]:
    made: list[FakeSerialPrinter] = []

    def make(**options: object) -> FakeSerialPrinter:
        printer = FakeSerialPrinter(tmp_path / f"p{len(made)}", **options)  # type: ignore[arg-type]
        made.append(printer)
        return printer

    for index in range(4):
        (tmp_path / f"p{index}").mkdir()
    yield make
    for printer in made:
        printer.close()


@pytest.mark.parametrize("mode", ["kanji", "raster"])
def test_a_receipt_reaches_the_printer_and_reads_back(fake_printer: MakePrinter, mode: str) -> None:
    sink = fake_printer()
    printer = open_printer(f"serial:{sink.path}?baud=9600&mode={mode}")
    assert isinstance(printer, SerialPrinter)
    printer.print_receipt(sample_receipt())
    result = decode(sink.take())
    assert result.qr_payloads == [QR_PAYLOAD]
    assert result.cuts == 1
    assert result.status_queries == 2  # before the job, and after it as its receipt
    if mode == "kanji":
        assert "山田 花子 様" in result.lines
    else:
        assert len(result.images) == 1 and result.images[0].width == 512


def test_serial_transfer_time_is_why_kanji_mode_is_recommended(fake_printer: MakePrinter) -> None:
    sink = fake_printer()
    raster = SerialPrinter(sink.path, 9600, "raster")
    kanji = SerialPrinter(sink.path, 9600, "kanji")
    raster_bytes = len(raster.format.encode(sample_receipt()))
    kanji_bytes = len(kanji.format.encode(sample_receipt()))
    # 10 bits a byte at 9600 baud: the raster receipt takes the best part of a minute.
    assert 30 <= raster.transfer_seconds(raster_bytes) <= 90
    assert kanji.transfer_seconds(kanji_bytes) < 1.5
    assert SerialPrinter(sink.path, 115200).transfer_seconds(raster_bytes) < 8


def test_paper_out_is_reported_before_the_job_is_sent(fake_printer: MakePrinter) -> None:
    sink = fake_printer(statuses={2: PAPER_END_STOP})
    printer = SerialPrinter(sink.path, mode="kanji", timeout=3)
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_PAPER_OUT == "用紙切れです"
    assert sink.take() == b"\x10\x04\x02"  # only the question, no receipt

    sink.statuses[2] = COVER_OPEN
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_COVER_OPEN

    sink.statuses[2] = 0x12  # paper loaded, cover shut: the same printer object prints
    printer.print_receipt(sample_receipt())
    assert "山田 花子 様" in decode(sink.take()).lines


def test_paper_running_out_during_the_job_is_reported(fake_printer: MakePrinter) -> None:
    sink = fake_printer()
    printer = SerialPrinter(sink.path, mode="kanji", timeout=3)
    printer.print_receipt(sample_receipt())  # learns that this printer answers
    sink.take()

    class RunsOut(dict[int, int]):
        asked = 0

        def get(self, n: int, default: int | None = None) -> int:  # type: ignore[override]
            self.asked += 1
            return 0x12 if self.asked == 1 else PAPER_END_STOP

    sink.statuses = RunsOut({1: 0x12, 2: 0x12, 4: 0x12})
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_PAPER_OUT
    assert "after printing" in caught.value.detail


def test_printer_disappearing_mid_job(fake_printer: MakePrinter) -> None:
    sink = fake_printer(vanish_after=3000)
    printer = SerialPrinter(sink.path, mode="raster", timeout=3)
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_CONNECTION_LOST
    assert len(sink.received) >= 3000
    # Gone for good until plugged back in: the next job says it cannot be found.
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_NOT_FOUND


def test_a_printer_that_never_answers_still_prints(fake_printer: MakePrinter) -> None:
    sink = fake_printer(answers=False)
    printer = SerialPrinter(sink.path, mode="kanji", timeout=3, status_timeout=0.2)
    printer.print_receipt(sample_receipt())
    assert decode(sink.take(quiet=0.2)).status_queries == 1  # asked once, then remembered
    printer.print_receipt(sample_receipt())
    second = decode(sink.take(quiet=0.2))
    assert second.status_queries == 0 and "山田 花子 様" in second.lines


def test_a_printer_that_falls_silent_is_offline_and_its_job_is_not_sent(
    fake_printer: MakePrinter,
) -> None:
    sink = fake_printer()
    printer = SerialPrinter(sink.path, mode="kanji", timeout=3, status_timeout=0.2)
    printer.print_receipt(sample_receipt())
    sink.take()
    sink.answers = False  # switched off: the line is still there, nobody listens
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_OFFLINE
    assert sink.take() == b"\x10\x04\x02"
    status = query_printer_status(printer)
    assert (status.reachable, status.offline, status.reason) == (True, True, REASON_OFFLINE)


def test_status_for_the_settings_screen(fake_printer: MakePrinter) -> None:
    sink = fake_printer()
    printer = SerialPrinter(sink.path, mode="kanji")
    status = query_printer_status(printer)
    assert status.ready and status.answered and status.message == "印刷できます"
    assert sink.status_queries == [1, 2, 4]

    sink.statuses = {1: 0x12, 2: 0x12, 4: 0x12 | 0x0C}
    near_end = query_printer_status(printer)
    assert near_end.ready and near_end.paper_near_end
    assert near_end.message == "印刷できます（用紙が残りわずかです）"

    sink.statuses = {1: 0x12 | 0x08, 2: 0x12 | 0x20, 4: 0x12 | 0x60}
    out = query_printer_status(printer)
    assert (out.ready, out.paper_out, out.offline, out.reason) == (
        False,
        True,
        True,
        REASON_PAPER_OUT,
    )


def test_status_of_a_missing_port(tmp_path: Path) -> None:
    status = query_printer_status(SerialPrinter(str(tmp_path / "ttyNONE")))
    assert (status.reachable, status.reason) == (False, REASON_NOT_FOUND)
    assert status.message == "プリンターが見つかりません"


@pytest.mark.parametrize("mode", ["kanji", "raster"])
def test_the_test_page_prints_in_both_modes(fake_printer: MakePrinter, mode: str) -> None:
    sink = fake_printer()
    printer = open_printer(f"serial:{sink.path}?mode={mode}&paper=58&baud=115200")
    test_print(printer)
    result = decode(sink.take())
    assert result.qr_payloads == [TEST_QR_PAYLOAD]
    if mode == "kanji":
        assert "テスト印字" in result.lines
        assert "漢字・ひらがな・カタカナ" in result.lines
        assert any(line.startswith("印字方式") and "漢字テキスト" in line for line in result.lines)
        assert max(len(line.encode("cp932")) for line in result.lines) <= 32  # 58 mm paper
    else:
        assert result.images[0].width == 384
