"""The test page a settings screen prints to check a printer: Japanese text in every script
the receipts use, a right-aligned amount, a QR code, and how the printer is set up.

A page that prints legibly, with the QR code readable by the counter's scanner, shows
the mode, width and font are right for that printer.
"""

from __future__ import annotations

from datetime import datetime

from devices.printers import EscposPrinter, Printer, SimulatedPrinter
from devices.receipt import Receipt, ReceiptLine

TEST_QR_PAYLOAD = "TAMARU-PRINT-TEST"
_MODE_NAMES = {"raster": "ラスター（画像）", "kanji": "漢字テキスト"}


def test_page(printer: Printer, when: datetime | None = None) -> Receipt:
    """The test page for this printer, dated ``when`` (default: now, local time)."""
    when = when or datetime.now().astimezone()
    line = ReceiptLine
    setup: list[ReceiptLine] = [line("プリンター", printer.name)]
    if isinstance(printer, EscposPrinter):
        fmt = printer.format
        setup += [
            line("印字方式", _MODE_NAMES[fmt.mode]),
            line("機種設定", fmt.profile),
            line("幅", f"{fmt.width_px} ドット" if fmt.mode == "raster" else f"{fmt.columns} 桁"),
        ]
    elif isinstance(printer, SimulatedPrinter):
        setup += [line("印字方式", "画面表示"), line("幅", f"{printer.width_px} ドット")]
    return Receipt(
        header=(
            line("テスト印字", size="large", bold=True, align="center"),
            line(f"{when:%Y年%m月%d日 %H:%M}", align="center"),
            line(""),
        ),
        body=(
            *setup,
            line(""),
            line("漢字・ひらがな・カタカナ"),
            line("半角ｶﾀｶﾅ ABC abc 0123456789"),
            line("記号 ￥※〒「」（）ー～"),
            line("合計", "￥1,234", bold=True, size="large"),
            line("ポイント残高", "12,345 pt", bold=True),
            line(""),
        ),
        qr_payload=TEST_QR_PAYLOAD,
        footer=(line("この用紙が読めれば設定は完了です", align="center"),),
    )


def test_print(printer: Printer, when: datetime | None = None) -> None:
    """Print the test page; raises PrinterError (with the cashier's reason) on failure."""
    printer.print_receipt(test_page(printer, when))


# Not tests, whatever pytest's name patterns think.
test_page.__test__ = False  # type: ignore[attr-defined]
test_print.__test__ = False  # type: ignore[attr-defined]
