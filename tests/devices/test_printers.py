"""Printers: a fake network printer on a real socket, files, the simulator, specs, profiles,
status for the settings screen, and the test page."""

from __future__ import annotations

import io
import queue
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from devices.printer_specs import printer_profiles
from devices.printer_testpage import TEST_QR_PAYLOAD, test_page, test_print
from devices.printers import (
    REASON_CONNECTION_LOST,
    REASON_COVER_OPEN,
    REASON_NOT_FOUND,
    REASON_PAPER_OUT,
    REASON_UNREACHABLE,
    EscposFormat,
    FilePrinter,
    NetworkPrinter,
    PrinterError,
    SimulatedPrinter,
    open_printer,
    query_printer_status,
)
from tests.support.escpos_decode import Incomplete, decode, iter_commands
from tests.support.receipts import QR_PAYLOAD, sample_receipt

STATUS_OK = 0x12
STATUS_PAPER_END = 0x12 | 0x20


class FakeNetworkPrinter:
    """A raw-port printer on 127.0.0.1: keeps each connection's bytes, answers DLE EOT.

    ``close_after`` makes it drop the connection (with a reset) once it has that many
    bytes, like a printer switched off in the middle of a job; ``slow`` makes it take
    data in small bites, like a printer whose buffer is full while it prints.
    """

    def __init__(
        self, status: int | None = STATUS_OK, close_after: int | None = None, slow: bool = False
    ) -> None:
        self.status = status
        self.close_after = close_after
        self.slow = slow
        self.jobs: queue.Queue[bytes] = queue.Queue()
        self.server = socket.socket()
        if slow:
            # Set before listen() so accepted sockets advertise a small window from the start.
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self._stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            conn, _ = self.server.accept()
            with conn:
                if self._stopping:
                    return
                self.jobs.put(self._receive(conn))

    def _receive(self, conn: socket.socket) -> bytes:
        received = bytearray()
        parsed = 0
        while chunk := conn.recv(2048 if self.slow else 65536):
            received += chunk
            if self.slow:
                time.sleep(0.002)
            if self.close_after is not None and len(received) >= self.close_after:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            try:
                for command in iter_commands(bytes(received), parsed):
                    parsed = command.end
                    if command.name == "DLE EOT" and self.status is not None:
                        conn.sendall(bytes((self.status,)))
            except Incomplete:
                pass  # the rest of this command is still on its way
        return bytes(received)

    def next_job(self) -> bytes:
        return self.jobs.get(timeout=5)

    def close(self) -> None:
        # Closing a listening socket does not wake a thread blocked in accept(); a
        # last connection does.
        self._stopping = True
        socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        self.thread.join(timeout=5)
        self.server.close()


MakeFake = Callable[..., FakeNetworkPrinter]


@pytest.fixture
def fake_printer() -> Iterator[MakeFake]:
    made: list[FakeNetworkPrinter] = []

    def make(
        status: int | None = STATUS_OK, close_after: int | None = None, slow: bool = False
    ) -> FakeNetworkPrinter:
        printer = FakeNetworkPrinter(status, close_after, slow)
        made.append(printer)
        return printer

    yield make
    for printer in made:
        printer.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("mode", ["kanji", "raster"])
def test_network_printer_delivers_a_receipt_that_reads_back(
    fake_printer: MakeFake, mode: str
) -> None:
    sink = fake_printer()
    printer = NetworkPrinter("127.0.0.1", sink.port, mode=mode, timeout=5)  # type: ignore[arg-type]
    printer.print_receipt(sample_receipt())
    result = decode(sink.next_job())
    assert result.qr_payloads == [QR_PAYLOAD]
    assert result.cuts == 1
    assert result.status_queries == 2  # before the job, and after it as the receipt
    if mode == "kanji":
        assert "山田 花子 様" in result.lines
    else:
        assert len(result.images) == 1


@pytest.mark.parametrize("status", [True, False])
def test_slow_printer_gets_the_whole_job(fake_printer: MakeFake, status: bool) -> None:
    sink = fake_printer(slow=True)
    printer = NetworkPrinter("127.0.0.1", sink.port, mode="raster", timeout=5, status=status)
    printer.print_receipt(sample_receipt())
    job = sink.next_job()
    assert len(job) > 40_000
    result = decode(job)
    assert result.qr_payloads == [QR_PAYLOAD] and result.cuts == 1


def test_paper_out_is_reported_before_anything_is_sent(fake_printer: MakeFake) -> None:
    sink = fake_printer(status=STATUS_PAPER_END)
    printer = NetworkPrinter("127.0.0.1", sink.port, mode="kanji", timeout=5)
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_PAPER_OUT == "用紙切れです"
    assert sink.next_job() == b"\x10\x04\x02"


def test_printer_without_status_answers_is_remembered(fake_printer: MakeFake) -> None:
    sink = fake_printer(status=None)
    printer = NetworkPrinter("127.0.0.1", sink.port, mode="kanji", timeout=5, status_timeout=0.2)
    printer.print_receipt(sample_receipt())
    assert decode(sink.next_job()).status_queries == 1
    printer.print_receipt(sample_receipt())
    second = decode(sink.next_job())
    assert second.status_queries == 0
    assert "山田 花子 様" in second.lines


def test_printer_not_listening() -> None:
    printer = NetworkPrinter("127.0.0.1", _free_port(), timeout=2)
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_UNREACHABLE == "プリンターに接続できません"
    assert "127.0.0.1" in caught.value.detail


@pytest.mark.parametrize("status", [True, False])
def test_printer_closing_mid_job(fake_printer: MakeFake, status: bool) -> None:
    sink = fake_printer(close_after=2000)
    printer = NetworkPrinter(
        "127.0.0.1", sink.port, mode="raster", timeout=5, status=status, close_grace=5
    )
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_CONNECTION_LOST
    assert len(sink.next_job()) >= 2000


def test_file_printer_appends_jobs(tmp_path: Path) -> None:
    out = tmp_path / "printer.bin"
    printer = open_printer(f"file:{out}?mode=kanji")
    assert isinstance(printer, FilePrinter)
    printer.print_receipt(sample_receipt())
    printer.print_receipt(sample_receipt(qr_payload=None))
    result = decode(out.read_bytes())
    assert result.cuts == 2
    assert result.lines.count("山田 花子 様") == 2
    assert result.qr_payloads == [QR_PAYLOAD]


def test_file_printer_missing_device(tmp_path: Path) -> None:
    printer = FilePrinter(str(tmp_path / "no" / "lp0"), mode="kanji")
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == REASON_NOT_FOUND
    device = "/dev/usb/tamaru-test-lp9"
    with pytest.raises(PrinterError) as caught:
        FilePrinter(device, mode="kanji").print_receipt(sample_receipt())
    assert caught.value.reason == REASON_NOT_FOUND
    assert not Path(device).exists()  # no stray file where a device belongs


def test_simulated_printer_keeps_pngs_and_can_fail() -> None:
    seen: list[bytes] = []
    printer = SimulatedPrinter(width_px=384, on_printed=seen.append)
    printer.print_receipt(sample_receipt())
    assert printer.last_png is not None and printer.printed == [printer.last_png] == seen
    assert Image.open(io.BytesIO(printer.last_png)).width == 384
    printer.fail_with("用紙切れです")
    with pytest.raises(PrinterError) as caught:
        printer.print_receipt(sample_receipt())
    assert caught.value.reason == "用紙切れです"
    printer.fail_with(None)
    printer.print_receipt(sample_receipt())
    assert len(printer.printed) == 2


def test_open_printer_specs() -> None:
    simulated = open_printer("simulated")
    assert isinstance(simulated, SimulatedPrinter) and simulated.width_px == 512
    assert open_printer("simulated?width=384").width_px == 384  # type: ignore[attr-defined]
    net = open_printer("network:192.168.1.50")
    assert isinstance(net, NetworkPrinter)
    assert (net.host, net.port, net.format.mode) == ("192.168.1.50", 9100, "raster")
    net = open_printer("network:printer.local:9101?mode=kanji&columns=32&timeout=3")
    assert isinstance(net, NetworkPrinter)
    assert (net.host, net.port, net.format.mode, net.format.columns, net.timeout) == (
        "printer.local",
        9101,
        "kanji",
        32,
        3.0,
    )
    v6 = open_printer("network:[::1]:9100")
    assert isinstance(v6, NetworkPrinter) and v6.host == "::1"
    lp = open_printer("file:/dev/usb/lp0?mode=kanji")
    assert isinstance(lp, FilePrinter) and lp.path == "/dev/usb/lp0"
    assert lp.format.mode == "kanji"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "unknown printer"),
        ("cups:TM-T88V", "unknown printer"),
        ("lpt:1", "unknown printer"),
        ("simulator", "unknown printer"),
        ("network:", "bad printer address"),
        ("network:host:99999", "bad port"),
        ("network:host:abc", "bad port"),
        ("network:host:0", "bad printer address"),
        ("network:host?mode=pdf", "mode='pdf'"),
        ("network:host?colour=red", "unknown option colour"),
        ("network:host?mode=kanji&mode=raster", "given twice"),
        ("network:host?timeout=-1", "timeout"),
        ("network:host?width=wide", "width"),
        ("network:host?width=576", "wider than the TM-T88V"),
        ("network:host?profile=NOPE", "unknown printer profile"),
        ("file:", "needs a path"),
        ("file:/dev/usb/lp0?mode", "bad options"),
        ("simulated:x", "no address"),
        ("network:host?paper=76", "paper='76'"),
        ("network:host?profile=AF-240", "too narrow"),
        ("serial:", "needs a port"),
        ("serial:/dev/ttyS0?baud=fast", "baud"),
        ("serial:/dev/ttyS0?flow=dsrdtr", "flow='dsrdtr'"),
        ("serial:/dev/ttyS0?in_ep=0x82", "unknown option in_ep"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_printer(spec)


# -- profiles, status, test page -----------------------------------------------------------


def test_widths_follow_the_profile_and_the_paper() -> None:
    profiles = {profile.name: profile for profile in printer_profiles()}
    assert (profiles["TM-T88V"].width_px, profiles["TM-T88V"].paper_mm) == (512, 80)
    assert (profiles["TM-T20II"].width_px, profiles["TM-T20II"].paper_mm) == (576, 80)
    assert (profiles["NT-5890K"].width_px, profiles["NT-5890K"].paper_mm) == (384, 58)
    assert profiles["default"].width_px is None and profiles["default"].paper_mm is None

    def fmt(spec: str) -> EscposFormat:
        printer = open_printer(spec)
        assert isinstance(printer, NetworkPrinter)
        return printer.format

    assert fmt("network:p") == EscposFormat("raster", 512, "TM-T88V", 42)
    assert fmt("network:p?profile=TM-T20II") == EscposFormat("raster", 576, "TM-T20II", 48)
    assert fmt("network:p?profile=NT-5890K&mode=kanji") == EscposFormat(
        "kanji", 384, "NT-5890K", 32
    )
    assert fmt("network:p?paper=58") == EscposFormat("raster", 384, "TM-T88V", 32)
    assert fmt("network:p?paper=80mm&profile=TM-T20II").width_px == 512
    assert fmt("network:p?profile=default") == EscposFormat("raster", 512, "default", 42)
    assert fmt("network:p?paper=58&columns=30&width=360").columns == 30


def test_network_status_for_the_settings_screen(fake_printer: MakeFake) -> None:
    sink = fake_printer()
    status = query_printer_status(NetworkPrinter("127.0.0.1", sink.port, timeout=5))
    assert status.ready and status.answered and status.message == "印刷できます"
    assert decode(sink.next_job()).status_queries == 3

    out = fake_printer(status=STATUS_PAPER_END)
    status = query_printer_status(NetworkPrinter("127.0.0.1", out.port, timeout=5))
    assert (status.ready, status.paper_out, status.reason) == (False, True, REASON_PAPER_OUT)

    silent = fake_printer(status=None)
    printer = NetworkPrinter("127.0.0.1", silent.port, timeout=5, status_timeout=0.2)
    status = query_printer_status(printer)
    assert status.ready and not status.answered
    assert status.message == "接続できました（このプリンターは状態を返しません）"

    gone = query_printer_status(NetworkPrinter("127.0.0.1", _free_port(), timeout=2))
    assert (gone.reachable, gone.reason) == (False, REASON_UNREACHABLE)


def test_simulated_and_file_printers_report_status(tmp_path: Path) -> None:
    simulated = SimulatedPrinter()
    assert query_printer_status(simulated).ready
    simulated.fail_with(REASON_COVER_OPEN)
    status = query_printer_status(simulated)
    assert (status.cover_open, status.reason) == (True, REASON_COVER_OPEN)

    capture = tmp_path / "capture.bin"
    capture.write_bytes(b"")
    assert query_printer_status(FilePrinter(str(capture))).ready
    missing = query_printer_status(FilePrinter(str(tmp_path / "lp9")))
    assert (missing.reachable, missing.reason) == (False, REASON_NOT_FOUND)


@pytest.mark.parametrize("mode", ["kanji", "raster"])
def test_the_test_page_prints_in_japanese_in_both_modes(fake_printer: MakeFake, mode: str) -> None:
    sink = fake_printer()
    printer = NetworkPrinter("127.0.0.1", sink.port, mode=mode, timeout=5)  # type: ignore[arg-type]
    test_print(printer)
    result = decode(sink.next_job())
    assert result.qr_payloads == [TEST_QR_PAYLOAD] and result.cuts == 1
    if mode == "kanji":
        lines = result.lines
        assert lines[0] == "テスト印字"
        assert "半角ｶﾀｶﾅ ABC abc 0123456789" in lines
        assert any(line.startswith("プリンター") and "network:127.0.0.1" in line for line in lines)
        assert any(line.startswith("幅") and line.endswith("42 桁") for line in lines)
    else:
        assert result.images[0].width == 512


def test_the_test_page_names_the_simulator() -> None:
    page = test_page(SimulatedPrinter(width_px=384))
    texts = [(line.left, line.right) for line in page.lines()]
    assert ("印字方式", "画面表示") in texts and ("幅", "384 ドット") in texts
    printer = SimulatedPrinter()
    test_print(printer)
    assert printer.last_png is not None


def test_a_printer_without_status_is_taken_as_reachable_and_silent() -> None:
    class Bare:
        name = "bare"

        def print_receipt(self, receipt: object) -> None:
            pass

    status = query_printer_status(Bare())  # type: ignore[arg-type]
    assert status.reachable and not status.answered and status.reason is None


# -- choices for a settings screen -----------------------------------------------------------


def test_every_printer_kind_a_screen_offers_opens_from_its_example() -> None:
    from devices.printer_specs import PRINTER_KINDS, open_printer

    assert [k.key for k in PRINTER_KINDS] == ["network", "usb", "file", "serial", "simulated"]
    for kind in PRINTER_KINDS:
        if kind.key == "usb":
            continue  # opening needs pyusb's backend (the settings form's tests cover it)
        assert open_printer(kind.example).name.startswith(kind.key)
        assert "mode" in kind.options or kind.key == "simulated"


def test_profiles_are_listed_by_paper_with_readable_labels() -> None:
    from devices.printer_specs import printer_profiles

    every = printer_profiles()
    eighty = printer_profiles(80)
    fifty_eight = printer_profiles(58)
    t88 = next(p for p in every if p.name == "TM-T88V")
    assert t88.label == "Epson TM-T88V（80 mm）" and t88 in eighty and t88 not in fifty_eight
    assert len(every) >= 25 and set(eighty) | set(fifty_eight) <= set(every)
    assert all(p.paper_mm in (58, None) for p in fifty_eight)
    assert not [p for p in every if "Display" in p.model]  # customer displays print nothing
    # Every model listed for a roll takes a raster receipt as wide as that roll prints.
    for paper, models in ((58, fifty_eight), (80, eighty)):
        for profile in models:
            assert open_printer(f"file:/dev/null?profile={profile.name}&paper={paper}")
