"""Camera scanning: member QR codes read from a webcam, as a scanner would type them.

An optional extra. Frames come from QtMultimedia (``QCamera`` → ``QMediaCaptureSession``
→ ``QVideoSink``, in PySide6-Addons) and are decoded by `devices.camera.decode_qr_frame`
(zxing-cpp, QR codes only). A code is emitted once per presentation (see
`devices.camera.RepeatFilter`) through ``scanned(text)``, the signal the keyboard-wedge
filter emits, so the shell routes it like any other scan. `CameraScanner` also has the
`devices.scanner.Scanner` shape (``name``, ``start(on_event)``, ``stop()``) and reports
ScanReceived / ScannerReady / ScannerError to that callback, like serial scanners.

Frames arrive on the GUI thread at the camera's rate; decoding (some ms a frame) runs on
a thread of its own. While it is busy, new frames are dropped rather than queued, so the
decoder always works on a recent frame and the GUI thread never waits. For planar YUV
frames (what webcams send) the luma plane is the grey image zxing-cpp wants, taken
without a colour conversion.

Nothing here may take the counter down: with no QtMultimedia (the extra not installed,
or its system libraries missing), no camera, no zxing-cpp, or a camera that fails, the
scanner reports a state and a sentence for the cashier in ``status_changed`` and stays
quiet. `feed_image` and ``sink`` let code (tests, a still image) go through the same
path as camera frames.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QImage

from desktop.flows.messages import QT_TRANSLATE_NOOP
from devices.camera import RepeatFilter, decode_qr_frame
from devices.scanner import ScanCallback, ScanEvent, ScannerError, ScannerReady, ScanReceived

log = logging.getLogger(__name__)

CAMERA_OFF = QT_TRANSLATE_NOOP("core", "カメラ読み取りは設定で停止されています")
CAMERA_UNREADABLE = QT_TRANSLATE_NOOP("core", "カメラの指定が読み取れません。一覧から選び直してください")

CONTEXT = "CameraScanner"
REPEAT_WINDOW_S = 2.0
# Webcams offer 1080p and more; a QR code on a phone held at the counter needs far less,
# and zxing-cpp's time grows with the pixels.
PREFERRED_PIXELS = 1280 * 720


class CameraState(enum.Enum):
    OFF = "off"
    STARTING = "starting"
    READY = "ready"
    UNAVAILABLE = "unavailable"  # no QtMultimedia here
    NO_DECODER = "no_decoder"  # no zxing-cpp here
    NO_CAMERA = "no_camera"
    FAILED = "failed"


MESSAGES: dict[CameraState, str] = {
    CameraState.OFF: QT_TRANSLATE_NOOP("CameraScanner", "カメラ読み取りは停止中です"),
    CameraState.STARTING: QT_TRANSLATE_NOOP("CameraScanner", "カメラを準備しています"),
    CameraState.READY: QT_TRANSLATE_NOOP("CameraScanner", "カメラで会員コードを読み取れます"),
    CameraState.UNAVAILABLE: QT_TRANSLATE_NOOP(
        "CameraScanner", "このパソコンではカメラ読み取りを使えません（カメラ機能が入っていません）"),
    CameraState.NO_DECODER: QT_TRANSLATE_NOOP(
        "CameraScanner", "このパソコンではカメラ読み取りを使えません（QRコードの読み取り機能が入っていません）"),
    CameraState.NO_CAMERA: QT_TRANSLATE_NOOP(
        "CameraScanner", "カメラが見つかりません。接続を確認してください"),
    CameraState.FAILED: QT_TRANSLATE_NOOP(
        "CameraScanner", "カメラが使えなくなりました。接続を確認してください"),
}
PROBLEMS = frozenset({CameraState.UNAVAILABLE, CameraState.NO_DECODER, CameraState.NO_CAMERA,
                      CameraState.FAILED})


def status_text(state: CameraState) -> str:
    """The cashier's sentence for a state, in the installed language."""
    return str(QCoreApplication.translate(CONTEXT, MESSAGES[state]))


def load_multimedia() -> Any | None:
    """The QtMultimedia module, or None when it cannot be loaded here (logged once why)."""
    try:
        from PySide6 import QtMultimedia
    except (ImportError, OSError) as exc:
        # PySide6-Addons missing, or one of its system libraries (libpulse, …).
        log.warning("camera scanning unavailable: QtMultimedia does not load (%s)", exc)
        return None
    return QtMultimedia


def grey_frame(image: QImage) -> Any:
    """A QImage as the 8-bit grey frame decode_qr_frame reads (a shaped buffer or PIL image)."""
    if image.format() != QImage.Format.Format_Grayscale8:
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return _grey_buffer(bytes(image.constBits()), image.width(), image.height(),
                        image.bytesPerLine())


def _grey_buffer(data: bytes, width: int, height: int, stride: int) -> Any:
    if stride != width:
        # Rows are padded (to 4 bytes, or the camera's alignment): Pillow skips the padding.
        from PIL import Image

        return Image.frombuffer("L", (width, height), data, "raw", "L", stride, 1)
    return memoryview(data).cast("B", (height, width))


_LUMA_FIRST: frozenset[str] = frozenset({
    # Planar and semi-planar YUV with 8-bit luma as the whole of plane 0.
    "Format_Y8", "Format_NV12", "Format_NV21", "Format_YUV420P", "Format_YV12",
    "Format_YUV422P", "Format_IMC1", "Format_IMC2", "Format_IMC3", "Format_IMC4",
})


def frame_to_grey(frame: Any) -> Any | None:
    """A QVideoFrame as a grey buffer, or None for an invalid or unmappable frame.

    Safe off the GUI thread: QVideoFrame is implicitly shared and Qt converts with a
    per-thread context (or on the CPU).
    """
    if not frame.isValid():
        return None
    pixel = frame.pixelFormat()
    if getattr(pixel, "name", "") in _LUMA_FIRST:
        mapping = type(frame).MapMode.ReadOnly
        if frame.map(mapping):
            try:
                # Copied before unmap: the camera may reuse the buffer for a later frame.
                plane = bytes(frame.bits(0))
                return _grey_buffer(plane, frame.width(), frame.height(), frame.bytesPerLine(0))
            finally:
                frame.unmap()
    image = frame.toImage()
    if image.isNull():
        return None
    return grey_frame(image)


class _Decoder:
    """One frame at a time on a daemon thread; a frame offered while one waits is dropped."""

    def __init__(self, on_result: Callable[[list[str], float], None],
                 on_missing: Callable[[], None]) -> None:
        self._on_result = on_result
        self._on_missing = on_missing
        self._cond = threading.Condition()
        self._pending: tuple[Callable[[], Any], float] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.decoded = 0
        self.dropped = 0

    def offer(self, grey: Callable[[], Any], seen_at: float) -> bool:
        """Queue a frame (``grey`` makes its buffer, on the decoder thread); False if dropped."""
        with self._cond:
            if self._stopping:
                return False
            if self._pending is not None:
                self.dropped += 1
                return False
            self._pending = (grey, seen_at)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="camera-decoder",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()
            return True

    @property
    def idle(self) -> bool:
        with self._cond:
            return self._pending is None

    def stop(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._pending = None
            thread, self._thread = self._thread, None
            self._cond.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._cond:
            self._stopping = False

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                assert self._pending is not None
                grey, seen_at = self._pending
            try:
                buffer = grey()
                texts = decode_qr_frame(buffer) if buffer is not None else []
            except RuntimeError:
                # decode_qr_frame's "zxing-cpp is not installed"; nothing will decode.
                log.warning("camera scanning unavailable: zxing-cpp is not installed")
                try:
                    self._on_missing()
                except RuntimeError:
                    return
                texts = []
            except Exception:
                log.exception("could not decode a camera frame")
                texts = []
            with self._cond:
                # Only now is the slot free: frames offered while decoding were dropped.
                self._pending = None
                self.decoded += 1
            try:
                self._on_result(texts, seen_at)
            except RuntimeError:
                return  # the scanner's Qt object is gone (the window closed mid-decode)


class CameraScanner(QObject):
    """Member QR codes from a camera. Create and use on the GUI thread."""

    scanned = Signal(str)  # one per presentation of a code: connect like WedgeFilter.scanned
    status_changed = Signal(object, str)  # CameraState, the cashier's sentence
    decoded = Signal(list)  # the texts found in each decoded frame, repeats included
    _result = Signal(list, float)  # decoder thread → GUI thread
    _missing = Signal()

    def __init__(self, device: str | None = None, *, repeat_window: float = REPEAT_WINDOW_S,
                 clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        """``device``: the camera's id or description, None for the system's default."""
        super().__init__(parent)
        self.device = device
        self.name = "camera"
        self.clock = clock
        self.repeats = RepeatFilter(repeat_window)
        self.state = CameraState.OFF
        self._on_event: ScanCallback | None = None
        self._decoder = _Decoder(self._result.emit, self._missing.emit)
        self._result.connect(self._deliver)
        self._missing.connect(lambda: self._set_state(CameraState.NO_DECODER))
        self._qm = load_multimedia()
        self._camera: Any = None
        self._session: Any = None
        self._devices: Any = None
        self.sink: Any = None  # the QVideoSink frames arrive on; None without QtMultimedia
        if self._qm is not None:
            self.sink = self._qm.QVideoSink(self)
            self.sink.videoFrameChanged.connect(self._on_frame)

    # -- Scanner ---------------------------------------------------------------------------

    def start(self, on_event: ScanCallback | None = None) -> None:
        """Open the camera and start reading; the outcome comes as ``status_changed``."""
        self._on_event = on_event
        self.repeats.forget()
        # A decoder known missing is told first: with it missing, a camera cannot help.
        if self.state is CameraState.NO_DECODER:
            self._set_state(CameraState.NO_DECODER, force=True)
            return
        if self._qm is None:
            self._set_state(CameraState.UNAVAILABLE, force=True)
            return
        if self._devices is None:
            self._devices = self._qm.QMediaDevices(self)
            self._devices.videoInputsChanged.connect(self._inputs_changed)
        self._open_camera()

    def stop(self) -> None:
        self._close_camera()
        self._decoder.stop()
        if self._devices is not None:
            self._devices.videoInputsChanged.disconnect(self._inputs_changed)
            self._devices.deleteLater()
            self._devices = None
        if self.state not in (CameraState.UNAVAILABLE, CameraState.NO_DECODER):
            self._set_state(CameraState.OFF)  # those two stay true whatever is restarted
        self._on_event = None

    # -- frames in -------------------------------------------------------------------------

    def feed_image(self, image: QImage) -> bool:
        """Decode a still image as if the camera had sent it; False when it was dropped."""
        frozen = image.copy()  # the caller may paint on its image again
        return self._decoder.offer(lambda: grey_frame(frozen), self.clock())

    def feed_frame(self, frame: Any) -> bool:
        """Decode a QVideoFrame, as frames from the camera are; False when it was dropped."""
        return self._decoder.offer(lambda: frame_to_grey(frame), self.clock())

    def _on_frame(self, frame: Any) -> None:
        self.feed_frame(frame)

    @property
    def frames_decoded(self) -> int:
        return self._decoder.decoded

    @property
    def frames_dropped(self) -> int:
        return self._decoder.dropped

    # -- results out -----------------------------------------------------------------------

    def _deliver(self, texts: list[str], seen_at: float) -> None:
        self.decoded.emit(texts)
        if self.state is CameraState.NO_DECODER:
            return
        for text in self.repeats.fresh(texts, seen_at):
            self.scanned.emit(text)
            self._report(ScanReceived(self.name, text))

    def _set_state(self, state: CameraState, *, force: bool = False) -> None:
        """Announce a new state; ``force`` announces it again (to a new start's caller)."""
        if state is self.state and not force:
            return
        self.state = state
        message = status_text(state)
        self.status_changed.emit(state, message)
        if state is CameraState.READY:
            self._report(ScannerReady(self.name))
        elif state in PROBLEMS:
            self._report(ScannerError(self.name, message))

    def _report(self, event: ScanEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            # A ScanReceived holds the member's code: name the kind only.
            log.exception("scan event handler failed on %s", type(event).__name__)

    # -- the camera ------------------------------------------------------------------------

    def _pick_device(self) -> Any | None:
        qm = self._qm
        assert qm is not None
        inputs = list(qm.QMediaDevices.videoInputs())
        if not inputs:
            return None
        if self.device is None:
            default = qm.QMediaDevices.defaultVideoInput()
            return default if not default.isNull() else inputs[0]
        for camera in inputs:
            if self.device in (bytes(camera.id()).decode("utf-8", "replace"),
                               camera.description()):
                return camera
        return None

    def _open_camera(self) -> None:
        qm = self._qm
        assert qm is not None
        device = self._pick_device()
        if device is None:
            self._set_state(CameraState.NO_CAMERA)
            return
        self.name = f"camera:{device.description()}"
        self._set_state(CameraState.STARTING)
        camera = qm.QCamera(device, self)
        formats = [f for f in device.videoFormats()
                   if f.resolution().width() * f.resolution().height() <= PREFERRED_PIXELS]
        if formats:
            best = max(formats, key=lambda f: (f.resolution().width() * f.resolution().height(),
                                               f.maxFrameRate()))
            camera.setCameraFormat(best)
        camera.errorOccurred.connect(self._camera_error)
        camera.activeChanged.connect(self._active_changed)
        session = qm.QMediaCaptureSession(self)
        session.setCamera(camera)
        session.setVideoSink(self.sink)
        self._camera, self._session = camera, session
        camera.start()

    def _close_camera(self) -> None:
        camera, session = self._camera, self._session
        self._camera = self._session = None
        if camera is not None:
            camera.errorOccurred.disconnect(self._camera_error)
            camera.activeChanged.disconnect(self._active_changed)
            camera.stop()
            camera.deleteLater()
        if session is not None:
            session.setVideoSink(None)
            session.deleteLater()

    def _active_changed(self, active: bool) -> None:
        if active:
            self._set_state(CameraState.READY)

    def _camera_error(self, error: object, detail: str) -> None:
        log.warning("camera %s failed: %s (%s)", self.name, detail, error)
        self._close_camera()
        self._set_state(CameraState.FAILED)

    def _inputs_changed(self) -> None:
        """A camera was plugged in or out: follow it without a restart of the app."""
        if self._qm is None or self.state in (CameraState.OFF, CameraState.NO_DECODER):
            return
        device = self._pick_device()
        if self._camera is not None:
            current = self._camera.cameraDevice()
            present = any(current == d for d in self._qm.QMediaDevices.videoInputs())
            if present:
                return
            self._close_camera()
        if device is None:
            self._set_state(CameraState.NO_CAMERA)
        else:
            self.repeats.forget()
            self._open_camera()


# What a camera setting may say besides a camera's id or description.
CAMERA_OFF = ""
CAMERA_DEFAULT = "default"
_MAX_DEVICE_TEXT = 200


def camera_device(setting: str) -> str | None:
    """The ``device`` a setting value names: None for the system's default camera.

    ``""`` (off) has no device: check `camera_from_setting` first. Raises ValueError with a
    sentence for the settings screen when the value cannot name a camera.
    """
    value = setting.strip()
    if value.lower() == CAMERA_DEFAULT:
        return None
    if not value:
        raise ValueError(CAMERA_OFF)
    if len(value) > _MAX_DEVICE_TEXT or any(not ch.isprintable() for ch in value):
        raise ValueError(CAMERA_UNREADABLE)
    return value


def camera_from_setting(setting: str, on_event: ScanCallback | None = None, *,
                        parent: QObject | None = None,
                        clock: Callable[[], float] = time.monotonic) -> CameraScanner | None:
    """Create and start the camera scanner a setting value asks for; None when it is off.

    ``setting``: ``""`` off, ``"default"`` the system's default camera, or a camera's id
    or description (as `QMediaDevices.videoInputs()` lists them). The scanner is started:
    how that went arrives as ``status_changed`` (and as ScannerError / ScannerReady to
    ``on_event``), so a missing camera, QtMultimedia or zxing-cpp never raises here.
    Connect ``scanned`` to the scan routing. A value that cannot name a camera raises
    ValueError with the sentence to show.
    """
    if not setting.strip():
        return None
    scanner = CameraScanner(camera_device(setting), clock=clock, parent=parent)
    scanner.start(on_event)
    return scanner
