"""Camera scanning without a camera: frames fed into the scanner's sink path by hand.

Stills (QImage) go through `feed_image`; camera-like QVideoFrames (RGB, and NV12 as
webcams send, with padded rows) go through the QVideoSink the camera would fill. A
rotated, blurred, noisy frame must be read; a code seen in frame after frame is one scan;
and a machine without QtMultimedia, a camera, or zxing-cpp gets a status, not a crash.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from PIL import Image
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

import desktop.camera_scan as camera_scan
from desktop.camera_scan import MESSAGES, CameraScanner, CameraState, load_multimedia
from devices.scanner import ScanEvent, ScannerError, ScanReceived
from tests.devices.qr_frames import PAYLOAD, in_frame, noisy, qr_image, rotated_noisy_frame

WAIT_MS = 5000


def qimage(image: Image.Image) -> QImage:
    grey = image.convert("L")
    data = grey.tobytes()
    return QImage(data, grey.width, grey.height, grey.width,
                  QImage.Format.Format_Grayscale8).copy()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_scanner(qapp, clock: Clock) -> Iterator:
    made: list[CameraScanner] = []

    def make(**kwargs) -> CameraScanner:
        scanner = CameraScanner(clock=clock, **kwargs)
        made.append(scanner)
        return scanner

    yield make
    for scanner in made:
        scanner.stop()
        scanner.deleteLater()
    assert not [t for t in threading.enumerate() if t.name == "camera-decoder"]


def feed(qtbot, scanner: CameraScanner, push) -> list[str]:
    """Push one frame and wait until it is decoded; the texts it held."""
    with qtbot.waitSignal(scanner.decoded, timeout=WAIT_MS) as got:
        assert push() is not False
    return got.args[0]


def multimedia():
    qm = load_multimedia()
    if qm is None:
        pytest.skip("QtMultimedia does not load here (PySide6-Addons or its libraries missing)")
    return qm


# -- stills --------------------------------------------------------------------------------


def test_a_still_goes_the_scan_path_of_the_other_scanners(qtbot, make_scanner) -> None:
    scanner = make_scanner()
    events: list[ScanEvent] = []
    scanner._on_event = events.append  # as start() would set it, without a camera
    with qtbot.waitSignal(scanner.scanned, timeout=WAIT_MS) as got:
        scanner.feed_image(qimage(in_frame(qr_image())))
    assert got.args == [PAYLOAD]
    assert events == [ScanReceived("camera", PAYLOAD)]


def test_a_rotated_noisy_blurred_still_is_read(qtbot, make_scanner) -> None:
    scanner = make_scanner()
    with qtbot.waitSignal(scanner.scanned, timeout=WAIT_MS) as got:
        scanner.feed_image(qimage(rotated_noisy_frame()))
    assert got.args == [PAYLOAD]


def test_a_colour_still_with_padded_rows_is_read(qtbot, make_scanner) -> None:
    scanner = make_scanner()
    frame = in_frame(qr_image()).convert("RGB").crop((0, 0, 1277, 719))  # rows not a 4-multiple
    image = QImage(frame.tobytes(), frame.width, frame.height, frame.width * 3,
                   QImage.Format.Format_RGB888).copy()
    assert image.bytesPerLine() != image.width() * 3
    assert feed(qtbot, scanner, lambda: scanner.feed_image(image)) == [PAYLOAD]


def test_a_frame_without_a_code_scans_nothing(qtbot, make_scanner) -> None:
    scanner = make_scanner()
    scanned: list[str] = []
    scanner.scanned.connect(scanned.append)
    blank = qimage(noisy(Image.new("L", (1280, 720), 180)))
    assert feed(qtbot, scanner, lambda: scanner.feed_image(blank)) == []
    assert scanned == []


def test_a_code_held_in_view_is_one_scan_and_a_new_showing_another(
    qtbot, make_scanner, clock: Clock
) -> None:
    scanner = make_scanner(repeat_window=2.0)
    scanned: list[str] = []
    scanner.scanned.connect(scanned.append)
    a, b = qimage(in_frame(qr_image("TMR1:A"))), qimage(in_frame(qr_image("TMR1:B")))
    for _ in range(4):  # frame after frame, a tenth of a second apart
        assert feed(qtbot, scanner, lambda: scanner.feed_image(a)) == ["TMR1:A"]
        clock.now += 0.1
    assert feed(qtbot, scanner, lambda: scanner.feed_image(b)) == ["TMR1:B"]
    clock.now += 3.0  # the phone was put away, then shown again
    feed(qtbot, scanner, lambda: scanner.feed_image(a))
    assert scanned == ["TMR1:A", "TMR1:B", "TMR1:A"]


def test_frames_arriving_while_one_is_decoded_are_dropped(
    qtbot, make_scanner, monkeypatch
) -> None:
    release = threading.Event()
    entered = threading.Event()
    real = camera_scan.decode_qr_frame

    def slow(buffer):
        entered.set()
        release.wait(5)
        return real(buffer)

    monkeypatch.setattr(camera_scan, "decode_qr_frame", slow)
    scanner = make_scanner()
    image = qimage(in_frame(qr_image()))
    with qtbot.waitSignal(scanner.scanned, timeout=WAIT_MS):
        assert scanner.feed_image(image) is True
        assert entered.wait(5)
        assert scanner.feed_image(image) is False  # busy: dropped, not queued
        assert scanner.feed_image(image) is False
        release.set()
    assert (scanner.frames_decoded, scanner.frames_dropped) == (1, 2)


# -- QVideoFrames through the sink, as from a camera ----------------------------------------


def test_a_video_frame_in_the_sink_is_scanned(qtbot, make_scanner) -> None:
    qm = multimedia()
    scanner = make_scanner()
    frame = qm.QVideoFrame(qimage(in_frame(qr_image())))
    with qtbot.waitSignal(scanner.scanned, timeout=WAIT_MS) as got:
        scanner.sink.setVideoFrame(frame)
    assert got.args == [PAYLOAD]


def nv12_frame(qm, image: Image.Image):
    """A webcam-style NV12 frame: the image as luma, neutral chroma, the driver's strides."""
    fmt = qm.QVideoFrameFormat(QSize(image.width, image.height),
                               qm.QVideoFrameFormat.PixelFormat.Format_NV12)
    frame = qm.QVideoFrame(fmt)
    assert frame.map(qm.QVideoFrame.MapMode.WriteOnly)
    try:
        stride, luma = frame.bytesPerLine(0), image.tobytes()
        y = frame.bits(0)
        for row in range(image.height):
            y[row * stride:row * stride + image.width] = luma[row * image.width:
                                                               (row + 1) * image.width]
        uv = frame.bits(1)
        uv[:] = b"\x80" * len(uv)
    finally:
        frame.unmap()
    return frame


def test_a_rotated_noisy_nv12_frame_in_the_sink_is_scanned(qtbot, make_scanner) -> None:
    qm = multimedia()
    scanner = make_scanner()
    still = rotated_noisy_frame().crop((0, 0, 1270, 720))  # a width the driver pads
    frame = nv12_frame(qm, still)
    assert frame.bytesPerLine(0) != frame.width()
    with qtbot.waitSignal(scanner.scanned, timeout=WAIT_MS) as got:
        scanner.sink.setVideoFrame(frame)
    assert got.args == [PAYLOAD]


def test_an_invalid_video_frame_is_ignored(qtbot, make_scanner) -> None:
    qm = multimedia()
    scanner = make_scanner()
    assert feed(qtbot, scanner, lambda: scanner.feed_frame(qm.QVideoFrame())) == []


# -- degrading -------------------------------------------------------------------------------


def test_no_such_camera_is_a_status_not_a_crash(qtbot, make_scanner) -> None:
    multimedia()
    scanner = make_scanner(device="カメラ 999 (none here)")
    events: list[ScanEvent] = []
    with qtbot.waitSignal(scanner.status_changed, timeout=WAIT_MS) as got:
        scanner.start(events.append)
    assert got.args == [CameraState.NO_CAMERA, MESSAGES[CameraState.NO_CAMERA]]
    assert scanner.state is CameraState.NO_CAMERA
    assert events == [ScannerError("camera", MESSAGES[CameraState.NO_CAMERA])]
    scanner.stop()
    assert scanner.state is CameraState.OFF


def test_without_qtmultimedia_start_reports_it_and_stills_still_scan(
    qtbot, make_scanner, monkeypatch
) -> None:
    import PySide6

    monkeypatch.delattr(PySide6, "QtMultimedia", raising=False)
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # import fails
    assert load_multimedia() is None
    scanner = make_scanner()
    assert scanner.sink is None
    events: list[ScanEvent] = []
    with qtbot.waitSignal(scanner.status_changed, timeout=WAIT_MS) as got:
        scanner.start(events.append)
    assert got.args[0] is CameraState.UNAVAILABLE
    assert events == [ScannerError("camera", MESSAGES[CameraState.UNAVAILABLE])]
    with qtbot.waitSignal(scanner.scanned, timeout=WAIT_MS):
        scanner.feed_image(qimage(in_frame(qr_image())))
    scanner.stop()
    assert scanner.state is CameraState.UNAVAILABLE  # stopping does not make it available


def test_without_zxing_the_scanner_says_so_once_and_scans_nothing(
    qtbot, make_scanner, monkeypatch
) -> None:
    def missing(_buffer):
        raise RuntimeError("camera scanning needs zxing-cpp (pip install zxing-cpp)")

    monkeypatch.setattr(camera_scan, "decode_qr_frame", missing)
    scanner = make_scanner()
    states: list[object] = []
    scanned: list[str] = []
    scanner.status_changed.connect(lambda state, _text: states.append(state))
    scanner.scanned.connect(scanned.append)
    image = qimage(in_frame(qr_image()))
    for _ in range(3):
        assert feed(qtbot, scanner, lambda: scanner.feed_image(image)) == []
    assert states == [CameraState.NO_DECODER] and scanned == []
    events: list[ScanEvent] = []
    scanner.start(events.append)  # a later start is told too
    assert events == [ScannerError("camera", MESSAGES[CameraState.NO_DECODER])]


# -- from a setting ----------------------------------------------------------------------


def test_a_camera_setting_makes_a_started_scanner_or_none(qtbot, monkeypatch) -> None:
    from desktop.camera_scan import camera_from_setting

    assert camera_from_setting("") is None
    assert camera_from_setting("   ") is None
    multimedia()
    events: list[ScanEvent] = []
    scanner = camera_from_setting("カメラ 999 (none here)", events.append)
    assert scanner is not None
    try:
        assert scanner.device == "カメラ 999 (none here)"
        # Started at once: the missing camera is a state and an event, not an exception.
        assert scanner.state is CameraState.NO_CAMERA
        assert events == [ScannerError("camera", MESSAGES[CameraState.NO_CAMERA])]
        with qtbot.waitSignal(scanner.scanned, timeout=WAIT_MS) as got:
            scanner.feed_image(qimage(in_frame(qr_image())))
        assert got.args == [PAYLOAD]
    finally:
        scanner.stop()
        scanner.deleteLater()


def test_default_names_the_systems_camera_and_bad_values_say_why() -> None:
    from desktop.camera_scan import camera_device, camera_from_setting

    assert camera_device("default") is None
    assert camera_device(" Default ") is None
    assert camera_device("USB2.0 HD UVC WebCam") == "USB2.0 HD UVC WebCam"
    with pytest.raises(ValueError, match="読み取れません"):
        camera_from_setting("cam\x00era")
    with pytest.raises(ValueError, match="読み取れません"):
        camera_device("x" * 500)
