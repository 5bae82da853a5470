"""`tamaru`: start the counter application.

With no HQ configured it starts the embedded HQ (SQLite, demo program and members) and
uses simulated devices, so a fresh install runs as a complete demo. The store build has
no embedded HQ: there, and whenever HQ is configured but no token is kept, the first-run
screen asks for HQ's address and a one-time provisioning code.

Other modes: `--self-test` (checks the installation and exits), `--diagnostics` (writes
a support bundle), `--ready-probe` (prints when the counter screen is up, for the
start-up benchmark).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from desktop.settings import Settings, SettingsError, default_home

READY_MARK = "TAMARU_READY"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tamaru", description="Tamaru ポイントレジ")
    p.add_argument("--home", type=Path, default=None,
                   help="データと設定のフォルダ（既定: $TAMARU_HOME または ~/.local/share/tamaru）")
    p.add_argument("--reader", help="カードリーダー（設定 devices.reader を上書き）")
    p.add_argument("--printer", help="プリンター（設定 devices.printer を上書き）")
    p.add_argument("--diagnostics", nargs="?", const="", metavar="ZIP",
                   help="サポート用の診断ファイル（個人情報・秘密情報なし）を書き出して終了")
    p.add_argument("--self-test", action="store_true",
                   help="この PC のインストールを点検して終了（問題がなければ終了コード 0）")
    p.add_argument("--provision", action="store_true",
                   help="HQ のアドレスとプロビジョニングコードを入力し直す（初期設定画面）。"
                        "--code を付けると画面なしで登録して終了")
    p.add_argument("--hq-url", help="--provision: HQ のアドレス（https://…）")
    p.add_argument("--device", help="--provision: レジ番号")
    p.add_argument("--store", help="--provision: 店舗コード（確認用、省略可）")
    p.add_argument("--code", help="--provision: 本部が発行したプロビジョニングコード")
    p.add_argument("--ca-file", type=Path,
                   help="--provision: 本部独自の CA 証明書（PEM）。以後の接続もこの CA で確認する")
    p.add_argument("--ready-probe", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


class StartupError(Exception):
    pass


def _with_token(settings: Settings) -> Settings:
    """Give the composition root the token from the secret store.

    Set in memory only: config.toml keeps no token once a secret store holds one.
    """
    from desktop.secrets import SecretError, load_token

    if settings.get("hq.url"):
        try:
            token = load_token(settings.home, settings)
        except SecretError as exc:
            raise StartupError(str(exc)) from exc
        if token:
            settings.set("hq.token", token)
    return settings


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
        settings = _with_token(Settings.load(args.home or default_home()))
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


def _first_run(args: argparse.Namespace, home: Path) -> bool:
    """Move an old config token into the secret store, and show the first-run screen
    when this register is not provisioned. False when the installer closed it."""
    from desktop.provisioning import needs_provisioning
    from desktop.secrets import SecretError, adopt_config_token

    try:
        settings = Settings.load(home)
        adopt_config_token(settings)
    except (SettingsError, SecretError) as exc:
        raise StartupError(str(exc)) from exc
    frozen = bool(getattr(sys, "frozen", False))
    if not (args.provision or needs_provisioning(settings, frozen=frozen)):
        return True
    if args.ready_probe:
        raise StartupError("not provisioned: the probe needs a configured register")
    from PySide6.QtWidgets import QApplication, QDialog

    from desktop.screens.provision import ProvisionDialog

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tamaru")
    dialog = ProvisionDialog(home, hq_url=settings.get("hq.url"),
                             device_id=settings.get("register.device_id"),
                             store_id=settings.get("register.store_id"))
    return bool(dialog.exec() == QDialog.DialogCode.Accepted)


def _provision_headless(args: argparse.Namespace, home: Path) -> int:
    """`tamaru --provision --hq-url … --device … --code …`: for installs over ssh."""
    from desktop.provisioning import ProvisioningError, provision
    from desktop.secrets import SecretError

    try:
        settings = Settings.load(home)
    except SettingsError as exc:
        print(f"tamaru: {exc}", file=sys.stderr)
        return 2
    url = args.hq_url or settings.get("hq.url")
    device = args.device or settings.get("register.device_id")
    try:
        activation = provision(home, url, device, args.code, store_id=args.store,
                               ca_file=args.ca_file)
    except (ProvisioningError, SecretError) as exc:
        print(f"tamaru: 登録できませんでした: {exc}", file=sys.stderr)
        return 4
    print(f"registered: device {activation.device_id}, store {activation.store_id}, "
          f"company {activation.company_id}, HQ {activation.hq_url}")
    return 0


def _import_core_before_qt() -> None:
    """Load the Qt-free core first: once PySide6 is loaded, its import hook inspects every
    module imported after it, which made the same start-up a third slower (bench_startup)."""
    # httpx imports its command-line tool (click, rich, pygments: a third of a second at
    # start-up) whenever those happen to be installed; the register never runs it, and
    # httpx falls back to a stub when the import fails.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    import desktop.app  # noqa: F401
    import desktop.provisioning  # noqa: F401


def _rss_kb() -> tuple[int, int]:
    """(resident, peak resident) KiB of this process, from /proc; zeros elsewhere."""
    found = {"VmRSS": 0, "VmHWM": 0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in found:
                found[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return found["VmRSS"], found["VmHWM"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = args.home or default_home()
    if args.self_test:
        from desktop import selftest

        return selftest.main()
    if args.provision and args.code:
        return _provision_headless(args, home)
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
    _import_core_before_qt()
    # Qt is imported here, not at module level, so `tamaru --help` works without a display.
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    try:
        if not _first_run(args, home):
            print("tamaru: 初期設定が完了していないため終了します", file=sys.stderr)
            return 3
        app, register, window = create(args)
    except StartupError as exc:
        _ = QApplication.instance() or QApplication(sys.argv[:1])
        print(f"tamaru: 起動できませんでした: {exc}", file=sys.stderr)
        if not args.ready_probe:
            QMessageBox.critical(None, "Tamaru", f"起動できませんでした:\n{exc}")
        return 2
    # An upgrade or a shutdown stops the app with SIGTERM: close the database cleanly so
    # the next start runs the quick check, not the full one. Python runs signal handlers
    # only between its own bytecodes, so a timer wakes it while Qt waits for events.
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(500)
    window.show()
    register.start()
    if args.ready_probe:
        def ready() -> None:
            window.grab()  # the whole screen laid out and painted once
            rss, peak = _rss_kb()
            print(f"{READY_MARK} {time.time_ns()} rss_kb={rss} peak_kb={peak}", flush=True)
            app.quit()

        QTimer.singleShot(0, ready)
    try:
        return int(app.exec())
    finally:
        register.stop()


if __name__ == "__main__":
    sys.exit(main())
