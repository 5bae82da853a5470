"""What a receipt printer says about itself, and the errors printing raises.

ESC/POS printers answer real-time status queries (DLE EOT n) with one byte, even in the
middle of a job. Tamaru asks three of them:

- n = 1, printer status: bit 3 offline;
- n = 2, offline cause: bit 2 cover open, bit 5 stopped at paper end, bit 6 error;
- n = 4, roll paper sensor: bits 2–3 paper near its end, bits 5–6 paper out.

Every answer has bits 1 and 4 set and bits 0 and 7 clear; a byte not of that shape is not
an answer and proves nothing. Printers that answer nothing (many USB-parallel adapters,
some clones) are told apart from printers that went silent by whether they ever answered.
Pure: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

REASON_UNREACHABLE = "プリンターに接続できません"
REASON_NOT_FOUND = "プリンターが見つかりません"
REASON_NO_PERMISSION = "プリンターを使う権限がありません"
REASON_BUSY = "プリンターが他のアプリで使用中です"
REASON_NO_ANSWER = "プリンターが応答しません"
REASON_OFFLINE = "プリンターがオフラインです。電源とケーブルを確認してください"
REASON_CONNECTION_LOST = "印刷中にプリンターとの接続が切れました"
REASON_PAPER_OUT = "用紙切れです"
REASON_COVER_OPEN = "プリンターのカバーが開いています"
REASON_PRINTER_FAULT = "プリンターでエラーが発生しました"
REASON_NO_FONT = "レシート用の日本語フォントがありません"
REASON_USB_SUPPORT_MISSING = "USBプリンターを使うためのソフトウェアが入っていません"

PAPER_NEAR_END_NOTE = "用紙が残りわずかです"
READY_MESSAGE = "印刷できます"
NO_STATUS_MESSAGE = "接続できました（このプリンターは状態を返しません）"

STATUS_PRINTER = 1
STATUS_OFFLINE_CAUSE = 2
STATUS_PAPER = 4


def status_query(n: int) -> bytes:
    """DLE EOT n."""
    return bytes((0x10, 0x04, n))


STATUS_QUERY = status_query(STATUS_OFFLINE_CAUSE)  # asked around every job

_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
_OFFLINE = 0x08
_COVER_OPEN, _PAPER_END_STOP, _ERROR = 0x04, 0x20, 0x40
_NEAR_END, _PAPER_OUT = 0x0C, 0x60


class PrinterError(Exception):
    """A receipt could not be printed. ``reason`` is for the cashier, ``detail`` for logs."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def is_status_byte(value: int) -> bool:
    return value & _FIXED_MASK == _FIXED_BITS


def check_status(status: int, during: str) -> None:
    """Raise the PrinterError an offline-cause byte (DLE EOT 2) calls for, if any."""
    if not is_status_byte(status):
        return
    if status & _PAPER_END_STOP:
        raise PrinterError(REASON_PAPER_OUT, f"paper end reported {during}")
    if status & _COVER_OPEN:
        raise PrinterError(REASON_COVER_OPEN, f"cover open reported {during}")
    if status & _ERROR:
        raise PrinterError(REASON_PRINTER_FAULT, f"error reported {during}")


@dataclass(frozen=True)
class PrinterStatus:
    """A printer's state for the settings screen; ``reason`` says what stops printing."""

    printer: str
    reachable: bool
    answered: bool = False  # it answered status queries, so the flags below are known
    offline: bool = False
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False
    reason: str | None = None
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.reachable and self.reason is None

    @property
    def message(self) -> str:
        """One line for the cashier or the settings screen, Japanese."""
        if self.reason is not None:
            return self.reason
        if not self.answered:
            return NO_STATUS_MESSAGE
        if self.paper_near_end:
            return f"{READY_MESSAGE}（{PAPER_NEAR_END_NOTE}）"
        return READY_MESSAGE

    @classmethod
    def unreachable(cls, printer: str, error: PrinterError) -> PrinterStatus:
        return cls(printer, reachable=False, reason=error.reason, detail=error.detail)


def status_from_answers(printer: str, answers: dict[int, int | None]) -> PrinterStatus:
    """The status the answers to DLE EOT 1, 2 and 4 describe (None: not answered)."""
    valid = {n: b for n, b in answers.items() if b is not None and is_status_byte(b)}
    if not valid:
        return PrinterStatus(printer, reachable=True, answered=False)
    printer_byte = valid.get(STATUS_PRINTER, _FIXED_BITS)
    cause = valid.get(STATUS_OFFLINE_CAUSE, _FIXED_BITS)
    paper = valid.get(STATUS_PAPER, _FIXED_BITS)
    cover_open = bool(cause & _COVER_OPEN)
    paper_out = bool(cause & _PAPER_END_STOP) or paper & _PAPER_OUT == _PAPER_OUT
    error = bool(cause & _ERROR)
    offline = bool(printer_byte & _OFFLINE)
    reason = None
    if cover_open:
        reason = REASON_COVER_OPEN
    elif paper_out:
        reason = REASON_PAPER_OUT
    elif error:
        reason = REASON_PRINTER_FAULT
    elif offline:
        reason = REASON_OFFLINE
    detail = ", ".join(f"DLE EOT {n}: {b:#04x}" for n, b in sorted(valid.items()))
    return PrinterStatus(
        printer,
        reachable=True,
        answered=True,
        offline=offline,
        cover_open=cover_open,
        paper_out=paper_out,
        paper_near_end=paper & _NEAR_END == _NEAR_END,
        error=error,
        reason=reason,
        detail=detail,
    )


def reason_status(printer: str, reason: str | None) -> PrinterStatus:
    """The status a printer that knows only a failure reason (the simulator) reports."""
    return PrinterStatus(
        printer,
        reachable=reason not in (REASON_UNREACHABLE, REASON_NOT_FOUND),
        answered=True,
        offline=reason == REASON_OFFLINE,
        cover_open=reason == REASON_COVER_OPEN,
        paper_out=reason == REASON_PAPER_OUT,
        error=reason == REASON_PRINTER_FAULT,
        reason=reason,
    )
