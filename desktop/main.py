"""`tamaru`: start the counter application.

With no HQ configured it starts the embedded HQ (SQLite, demo program and members) and
uses simulated devices, so a fresh install runs as a complete demo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.settings import Settings, SettingsError, default_home


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tamaru", description="Tamaru ポイントレジ")
    p.add_argument("--home", type=Path, default=None,
                   help="データと設定のフォルダ（既定: $TAMARU_HOME または ~/.local/share/tamaru）")
    p.add_argument("--reader", help="カードリーダー（設定 devices.reader を上書き）")
    p.add_argument("--printer", help="プリンター（設定 devices.printer を上書き）")
    p.add_argument("--diagnostics", nargs="?", const="", metavar="ZIP",
                   help="サポート用の診断ファイル（個人情報・秘密情報なし）を書き出して終了")
    return p.parse_args(argv)


class StartupError(Exception):
    pass


def create(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Build the application, the register and its window (not yet started)."""
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_register
    from desktop.bridge import QtBridge
    from desktop.window import CounterWindow
    from sync.events import EventBus

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tamaru")
    try:
        settings = Settings.load(args.home or default_home())
        if args.reader:
            settings.set("devices.reader", args.reader)
        if args.printer:
            settings.set("devices.printer", args.printer)
        events = EventBus()
        bridge = QtBridge(events)
        register = build_register(settings, events=events)
    except (SettingsError, ValueError, RuntimeError, OSError) as exc:
        raise StartupError(str(exc)) from exc
    window = CounterWindow(register, bridge)
    return app, register, window


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = args.home or default_home()
    if args.diagnostics is not None:
        from desktop.diagnostics import write_bundle

        try:
            settings = Settings.load(home)
        except SettingsError as exc:
            print(f"tamaru: {exc}", file=sys.stderr)
            return 2
        path = write_bundle(settings, Path(args.diagnostics) if args.diagnostics else None)
        print(path)
        return 0
    from desktop.logs import setup_logging

    setup_logging(home)
    # Qt is imported here, not at module level, so `tamaru --help` works without a display.
    from PySide6.QtWidgets import QApplication, QMessageBox

    try:
        app, register, window = create(args)
    except StartupError as exc:
        _ = QApplication.instance() or QApplication(sys.argv[:1])
        print(f"tamaru: 起動できませんでした: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "Tamaru", f"起動できませんでした:\n{exc}")
        return 2
    window.show()
    register.start()
    try:
        return int(app.exec())
    finally:
        register.stop()


if __name__ == "__main__":
    sys.exit(main())
