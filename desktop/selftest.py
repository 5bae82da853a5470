"""`tamaru --self-test`: does this installation have everything a counter needs?

Run on a freshly installed or upgraded register (and by the build's own test on the
frozen app). It starts Qt offscreen, opens a register database in a temporary folder
through the start-up path (integrity check, migrations), writes to it and reads back,
renders a Japanese receipt both ways a printer takes it (raster and kanji text), checks
the files the store build must carry (Qt platform plugins, fonts, translations,
python-escpos capabilities, pyscard's extension, CA certificates, time zones), and lists
the devices it can see. It never touches the real data folder, HQ or a printer.

Exit status 0 when every check passes; otherwise 1, and the report names each failing
check with its reason.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

JAPANESE_SAMPLE = "お買上げ金額 ￥1,234 ポイント残高 山田花子様"
TEST_CARD = "04A1B2C3D4E5F6"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float


# -- the checks; each returns a one-line detail or raises with the reason -----------------


def check_qt() -> str:
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtGui import QFontDatabase
    from PySide6.QtWidgets import QApplication, QLabel

    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    wanted = {"offscreen": "libqoffscreen.so", "xcb": "libqxcb.so"}
    missing = [name for name, lib in wanted.items() if not (plugins / lib).is_file()]
    if missing:
        raise RuntimeError(f"Qt platform plugins missing in {plugins}: {', '.join(missing)}")
    _app = QApplication.instance() or QApplication(["tamaru-self-test"])
    families = QFontDatabase.families(QFontDatabase.WritingSystem.Japanese)
    if not families:
        raise RuntimeError("Qt sees no Japanese font (install fonts-noto-cjk; check fontconfig)")
    label = QLabel(JAPANESE_SAMPLE)
    label.adjustSize()
    image = label.grab().toImage()
    inked = sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
                if image.pixelColor(x, y).lightness() < 128)
    if inked == 0:
        raise RuntimeError("a Japanese label rendered blank")
    return (f"platform {QApplication.platformName()}; plugins offscreen and xcb present; "
            f"{len(families)} Japanese font families, e.g. {families[0]}")


def check_translations() -> str:
    from PySide6.QtCore import QLibraryInfo, QTranslator

    from resources import RESOURCES

    qt_dir = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    loaded = []
    if not QTranslator().load("qtbase_ja", str(qt_dir)):
        raise RuntimeError(f"Qt's Japanese translation qtbase_ja.qm is missing in {qt_dir}")
    loaded.append("qtbase_ja")
    ours = RESOURCES / "translations"
    if ours.is_dir():
        sources = sorted(ours.glob("*.ts"))
        compiled = sorted(ours.glob("*.qm"))
        stale = [ts.name for ts in sources if not ts.with_suffix(".qm").exists()]
        if stale:
            raise RuntimeError(f"translations not compiled: {', '.join(stale)}")
        for qm in compiled:
            if not QTranslator().load(str(qm)):
                raise RuntimeError(f"cannot load translation {qm.name}")
            loaded.append(qm.stem)
    return "loaded " + ", ".join(loaded)


def check_escpos() -> str:
    from devices.escpos_out import DEFAULT_PROFILE, prepare_escpos_import

    prepare_escpos_import()
    from escpos.capabilities import CAPABILITIES

    profiles = CAPABILITIES.get("profiles", {})
    if DEFAULT_PROFILE not in profiles:
        raise RuntimeError(f"python-escpos capabilities lack the {DEFAULT_PROFILE} profile")
    return f"{len(profiles)} printer profiles, {DEFAULT_PROFILE} included"


def check_database(folder: Path) -> str:
    from resources import RESOURCES
    from sync.protocol import CardState, Change, MemberState, ProgramDoc, PullResponse
    from sync.store import RegisterStore
    from sync.store_db import current_revision, head_revision

    path = folder / "register.db"
    store = RegisterStore.open_checked(path)
    try:
        store.initialise("SELFTEST", "SELFTEST")
        toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
        store.apply_pull(PullResponse(cursor=3, has_more=False, changes=[
            Change(server_seq=1, kind="program", program=ProgramDoc(version=1, toml=toml)),
            Change(server_seq=2, kind="member", member=MemberState(
                member_id="M1", member_no="2900000000017", display_name="山田 花子",
                status="active", balance=1200)),
            Change(server_seq=3, kind="card", card=CardState(uid=TEST_CARD, member_id="M1",
                                                             status="active")),
        ]))
        member = store.member_by_card(TEST_CARD)
        if (member.display_name, member.balance) != ("山田 花子", 1200):
            raise RuntimeError(f"read back {member.display_name!r} {member.balance}")
        if store.program() is None:
            raise RuntimeError("the program written is not read back")
        problems = store.integrity_problems()
        if problems:
            raise RuntimeError("; ".join(problems))
    finally:
        store.close()
    # The second open is the everyday one: a cleanly closed file, the quick check.
    store = RegisterStore.open_checked(path)
    store.close()
    import sqlite3

    with sqlite3.connect(path) as con:
        revision = current_revision(con)
    if revision != head_revision():
        raise RuntimeError(f"schema at {revision}, expected {head_revision()}")
    return f"opened, migrated to {revision}, written and read back, integrity ok"


def _sample_receipt() -> Any:
    from devices.receipt import Receipt, ReceiptLine

    line = ReceiptLine
    return Receipt(
        header=(line("たまる商店 自己診断", bold=True, size="large", align="center"),
                line(datetime.now(UTC).strftime("%Y年%m月%d日 %H:%M")),
                line("レジ SELFTEST", "取引番号 0000-000001")),
        body=(line("会員番号", "※※※※0017"), line("お買上げ金額", "￥1,234", bold=True),
              line("今回獲得ポイント", "12 pt"),
              line("ポイント残高", "1,212 pt", bold=True, size="large")),
        qr_payload="TR:SELFTEST-000001",
        footer=(line("ご来店ありがとうございました", align="center"),),
    )


def check_receipt() -> str:
    from devices.escpos_out import COLUMNS_80MM, escpos_kanji, escpos_raster
    from devices.fonts import find_font
    from devices.receipt_raster import WIDTH_80MM, render_image

    font = find_font("regular")
    receipt = _sample_receipt()
    image = render_image(receipt, WIDTH_80MM)
    gray = image.convert("L")
    inked = sum(gray.histogram()[:128])
    if inked < 1000:
        raise RuntimeError(f"the receipt image is nearly blank ({inked} dark pixels)")
    raster = escpos_raster(receipt, WIDTH_80MM)
    kanji = escpos_kanji(receipt, COLUMNS_80MM)
    if not raster.startswith(b"\x1b@") or b"\x1dv0" not in raster:
        raise RuntimeError("the raster receipt lacks its ESC/POS init or image commands")
    if "ポイント残高".encode("cp932") not in kanji:
        raise RuntimeError("the kanji receipt is not Shift_JIS text")
    return (f"raster {image.width}×{image.height} px, {len(raster):,} bytes; kanji mode "
            f"{len(kanji):,} bytes; font {Path(font.path).name}")


def check_pcsc() -> str:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        # No pcscd running is a setup matter, not a broken build: the library loaded.
        return f"pyscard loaded; PC/SC service: {scard.SCardGetErrorMessage(hresult)}"
    scard.SCardReleaseContext(context)
    return "pyscard loaded; PC/SC service running"


def check_poslink() -> str:
    """The POS link's server stack: uvicorn picks its loop and HTTP protocol by name at run
    time, which a build can leave out without any import failing until a POS calls."""
    import uvicorn

    import desktop.poslink.server  # noqa: F401

    async def app(scope: object, receive: object, send: object) -> None:
        return None

    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    config.load()
    return f"uvicorn {uvicorn.__version__}; {config.http_protocol_class.__name__}"


def check_runtime() -> str:
    from zoneinfo import ZoneInfo

    import certifi

    ca = Path(certifi.where())
    if not ca.is_file():
        raise RuntimeError(f"CA certificates missing ({ca}): HTTPS to HQ would fail")
    tokyo = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo")).utcoffset()
    if tokyo is None or tokyo.total_seconds() != 9 * 3600:
        raise RuntimeError("time zone data for Asia/Tokyo is wrong")
    return f"CA certificates {ca.name}; time zone Asia/Tokyo"


def seen_devices() -> dict[str, list[str]]:
    """What is plugged in now; information, not a check (a test machine has nothing)."""
    from devices.printer_usb import usb_support_missing
    from devices.registry import default_registry
    from devices.serial_scanner import list_serial_ports

    registry = default_registry()
    out: dict[str, list[str]] = {
        "card readers": [r.spec for r in registry.readers()],
        "scanners": [s.spec for s in registry.scanners()],
    }
    printers = [f"file:{p}" for p in sorted(Path("/dev/usb").glob("lp*"))]
    printers += [f"serial:{p}" for p in list_serial_ports()]
    missing = usb_support_missing()
    printers.append("usb: " + ("available" if missing is None else f"unavailable ({missing})"))
    out["printers"] = printers
    return out


# -- running them ----------------------------------------------------------------------


def _run(name: str, fn: Callable[[], str]) -> Check:
    start = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        if os.environ.get("TAMARU_SELFTEST_TRACE"):
            detail += "\n" + traceback.format_exc()
        ok = False
    return Check(name, ok, detail, time.perf_counter() - start)


def run_checks(folder: Path) -> list[Check]:
    return [
        _run("qt", check_qt),
        _run("translations", check_translations),
        _run("escpos", check_escpos),
        _run("database", lambda: check_database(folder)),
        _run("receipt", check_receipt),
        _run("pcsc", check_pcsc),
        _run("poslink", check_poslink),
        _run("runtime", check_runtime),
    ]


def main(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    # Offscreen whatever the machine has: the check must not need a display or a user.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from devices.escpos_out import prepare_escpos_import

    prepare_escpos_import()
    frozen = bool(getattr(sys, "frozen", False))
    try:
        from importlib.metadata import version

        ver = version("tamaru")
    except Exception:
        ver = "unknown"
    started = time.perf_counter()
    out.write(f"Tamaru self-test {ver} ({'store build' if frozen else 'source'}, "
              f"Python {sys.version.split()[0]})\n")
    with tempfile.TemporaryDirectory(prefix="tamaru-selftest-") as tmp:
        checks = run_checks(Path(tmp))
    for c in checks:
        out.write(f"  {'ok  ' if c.ok else 'FAIL'} {c.name:<13} {c.detail}  "
                  f"[{c.seconds * 1000:.0f} ms]\n")
    try:
        devices = seen_devices()
    except Exception as exc:
        devices = {"devices": [f"could not enumerate: {exc}"]}
    out.write("devices seen:\n")
    for kind, found in devices.items():
        out.write(f"  {kind}: {', '.join(found) if found else 'none'}\n")
    failed = [c.name for c in checks if not c.ok]
    took = time.perf_counter() - started
    if failed:
        out.write(f"self-test FAILED: {', '.join(failed)} ({took:.1f} s)\n")
        return 1
    out.write(f"self-test passed: {len(checks)} checks ({took:.1f} s)\n")
    return 0
