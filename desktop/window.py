"""The application shell: status bar, error banner, the screens, the function-key bar.

The window applies the language setting, the style sheet and the wedge-scanner filter,
builds the screens' services (`desktop.services`, before the register starts) and the
screens listed in `desktop.screens.registry`, and gates them behind the sign-in screen.
Function keys (a data table in the registry) switch screens; a manager-only screen asks
a cashier for a manager's code and PIN first; F12 signs out. Scans (the wedge, a serial
scanner, the camera when `devices.camera` names one) and card taps go to the shown
screen first and otherwise identify a member at the counter.

The status bar's figures (ops waiting, the last sync) are read from SQLite on a thread of
the window's own and come back by signal: the GUI thread opens no database connection.
What needs someone to act is said in the banner: HQ unreachable, a printer problem, an op
HQ refused, syncing stopped (a refused or revoked register token), and a return HQ has
held too long because its sale never arrived.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.app import Register
from desktop.bridge import QtBridge
from desktop.flows.signin import Approval
from desktop.scanning import WedgeFilter
from desktop.screens.approval import ask_manager
from desktop.screens.base import Screen, ShellContext
from desktop.screens.registry import FUNCTION_KEYS, SCREENS, SIGN_OUT, key_name
from desktop.screens.signin import SignInScreen
from desktop.screens.statusbar import Banner, StatusBar, fkey_bar
from desktop.services import build_services
from resources import RESOURCES
from sync.staff import StaffView

log = logging.getLogger(__name__)

STYLE = RESOURCES / "styles" / "tamaru.qss"
REFRESH_MS = 5000
SYNC_POLL_MS = 250  # how often "sync now" looks whether its round has ended
SYNC_WAIT_MS = 30_000  # after this the button is given back whatever happened


@dataclass(frozen=True)
class StatusSnapshot:
    """What the status bar shows from the register's database, read off the GUI thread."""

    waiting: int  # ops not yet answered by HQ
    last_pull: datetime | None
    pull_cursor: int  # 0: nothing has come from HQ yet


def parked_receipts(ops: object) -> list[str]:
    """Receipt numbers of parked ops (`sync.store.ParkedOp`), for the banner."""
    numbers = []
    for op in ops if isinstance(ops, tuple | list) else ():
        try:
            numbers.append(str(json.loads(op.body)["payload"]["receipt_no"]))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return numbers


class MainWindow(QMainWindow):
    # A serial scanner's code, from the scanner's thread: queued to the GUI thread.
    serial_scanned = Signal(str)
    # The status bar's figures, from the status thread: queued to the GUI thread.
    status_read = Signal(object)

    def __init__(self, register: Register, bridge: QtBridge) -> None:
        super().__init__()
        i18n.install(register.settings.get("locale.language"))
        self.register = register
        self.bridge = bridge
        self.tz = register.flow.tz
        self.setWindowTitle("Tamaru")
        self.setStyleSheet(STYLE.read_text(encoding="utf-8"))
        self.resize(1280, 800)
        # Built before the register starts: the card router must be the reader it starts.
        self.services = build_services(register)
        ctx = ShellContext(register, bridge, self.show_screen, self.show_error, self.sign_out,
                           self.services, refresh_status=self.refresh)

        s = register.settings
        self.status = StatusBar(
            store_line=self.tr("{store}　レジ {device}").format(
                store=s.get("register.store_name"), device=s.get("register.device_id")),
            sync_now=self.sync_now, change_staff=self.change_staff,
            sign_out=self.sign_out)
        self.banner = Banner()
        self.stack = QStackedWidget()
        self.signin = SignInScreen(ctx)
        self.stack.addWidget(self.signin)
        self.screens: dict[str, Screen] = {}
        for cls in SCREENS:
            screen = cls(ctx)
            self.screens[cls.screen_id] = screen
            self.stack.addWidget(screen)
        self.fkeys, row = fkey_bar()
        self.fkey_buttons: dict[str, QPushButton] = {}
        for key, target in FUNCTION_KEYS:
            if target != SIGN_OUT and target not in self.screens:
                continue  # that screen is not built yet
            title = (self.tr("サインアウト") if target == SIGN_OUT
                     else self.screens[target].display_title())
            button = QPushButton(f"{key_name(key)}  {title}")
            button.setObjectName("fkey")
            button.setCheckable(target != SIGN_OUT)
            button.clicked.connect(lambda _=False, t=target: self.function_key(t))
            row.addWidget(button)
            self.fkey_buttons[target] = button
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(lambda t=target: self.function_key(t))
        row.addStretch(1)

        root = QWidget()
        v = QVBoxLayout(root)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        v.addWidget(self.status)
        v.addWidget(self.banner)
        v.addWidget(self.stack, 1)
        v.addWidget(self.fkeys)
        self.setCentralWidget(root)

        self.wedge = WedgeFilter(register.wedge_rules(), self)
        self.wedge.scanned.connect(self.route_scan)
        self.serial_scanned.connect(self.route_scan)
        register.scan_route = self.serial_scanned.emit
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self.wedge)

        bridge.staff_changed.connect(self.staff_changed)
        bridge.online_changed.connect(self.online_changed)
        bridge.synced.connect(lambda *_: self.synced())
        bridge.sale_recorded.connect(lambda *_: self.refresh())
        bridge.bootstrap_progress.connect(self.status.show_bootstrap)
        bridge.push_progress.connect(self.push_progress)
        bridge.print_failed.connect(self.print_failed)
        bridge.print_waiting.connect(self.print_waiting)
        bridge.receipt_printed.connect(lambda *_: self.banner.dismiss("print"))
        bridge.op_rejected.connect(self.op_rejected)
        bridge.sync_halted.connect(self.sync_halted)
        bridge.parked_changed.connect(self.parked_changed)
        bridge.reader_removed.connect(self.reader_removed)
        bridge.reader_added.connect(self.reader_added)
        self._halted = False
        self._synced_once = False
        self.status_read.connect(self._status_arrived)
        self._status_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamaru-status")
        self._status_busy = False  # a read is on its way: a second one would only repeat it
        self._status_again = False
        self.camera = self._start_camera()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(REFRESH_MS)
        self._sync_poll = QTimer(self)
        self._sync_poll.setInterval(SYNC_POLL_MS)
        self._sync_poll.timeout.connect(self._sync_round_ended)
        self._sync_mark: tuple[int, float | None] = (0, None)
        self._sync_waited = 0
        self.refresh()
        self.staff_changed(register.session.current)

    def _start_camera(self) -> object | None:
        """The camera scanner `devices.camera` asks for, routed like any scanner; None when
        it is off. A camera that cannot start says so in the banner and never stops the
        counter."""
        setting = str(self.register.settings.get("devices.camera")).strip()
        if not setting:
            return None
        try:
            from desktop.camera_scan import PROBLEMS, camera_from_setting
        except ImportError:  # the optional extra is not installed
            self.show_error(self.tr("カメラ読み取りを使えません"),
                            self.tr("このパソコンにはカメラ読み取りの機能が入っていません。"
                                    "設定（F9）でカメラを「使わない」にしてください"))
            return None
        try:
            camera = camera_from_setting(setting, parent=self)
        except ValueError as exc:
            self.show_error(self.tr("カメラを開けません: {reason}").format(reason=i18n.core(exc)),
                            self.tr("設定（F9）でカメラを選び直してください"))
            return None
        if camera is None:
            return None
        camera.scanned.connect(self.route_scan)

        def status(state: object, text: str) -> None:
            if state in PROBLEMS:
                self.banner.show_problem("camera", text, self.tr(
                    "カードや会員バーコードはそのまま読み取れます。"
                    "カメラの接続を確認するか、設定（F9）でカメラを選び直してください"),
                    level="warning")
            else:
                self.banner.dismiss("camera")

        camera.status_changed.connect(status)
        return camera

    # -- screens -----------------------------------------------------------------------------

    def current(self) -> Screen:
        widget = self.stack.currentWidget()
        assert isinstance(widget, Screen)
        return widget

    def show_screen(self, screen_id: str) -> bool:
        """Show a screen; False when the one shown cannot be left now."""
        target = self.signin if screen_id == SignInScreen.screen_id else self.screens.get(
            screen_id)
        if target is None:
            return False
        current = self.current()
        if target is not current:
            if not current.can_leave():
                self.show_error(self.tr("記録が終わるまでお待ちください"), "")
                return False
            current.deactivated()
        self.wedge.reset()
        self.stack.setCurrentWidget(target)
        self.services.route_cards(target.card_handler())
        self._check_fkeys()
        target.activated()
        return True

    def function_key(self, target: str) -> None:
        staff = self.register.session.current
        if staff is None:
            return  # the sign-in screen has no function keys
        if target == SIGN_OUT:
            self.sign_out()
            return
        screen = self.screens.get(target)
        if screen is None:
            return
        if screen is self.current():
            self._check_fkeys()  # a second press keeps it shown
            return
        approval: Approval | None = None
        if screen.manager_only and not staff.is_manager:
            approval = ask_manager(
                self.register.session, action=f"open:{target}", parent=self,
                reason=self.tr("「{title}」は店長の承認が必要です").format(
                    title=screen.display_title()))
            if approval is None:
                self._check_fkeys()
                return
        if not self.show_screen(target):
            self._check_fkeys()
        elif approval is not None:
            screen.approved(approval)

    def _check_fkeys(self) -> None:
        """The function-key bar shows the screen that is shown (a click toggles a key)."""
        shown = self.current().screen_id
        for sid, button in self.fkey_buttons.items():
            button.setChecked(sid == shown)

    def staff_changed(self, staff: StaffView | None) -> None:
        self.services.set_staff(staff)
        self.status.set_staff(staff)
        self.fkeys.setEnabled(staff is not None)
        if staff is None:
            self.show_screen(SignInScreen.screen_id)
        elif self.current() is self.signin:
            self.show_screen(SCREENS[0].screen_id)

    def change_staff(self) -> None:
        if self.current().can_leave():
            self.show_screen(SignInScreen.screen_id)

    def sign_out(self) -> None:
        if not self.current().can_leave():
            self.show_error(self.tr("記録が終わるまでお待ちください"), "")
            return
        self.register.flow.cancel()
        self.register.session.sign_out()

    # -- scans ---------------------------------------------------------------------------------

    def route_scan(self, text: str) -> None:
        if self.register.session.current is None:
            self.signin.message.setText(self.tr("先にサインインしてください"))
            return
        if not self.current().handle_scan(text):
            self.register.flow.scan(text)

    # -- status and problems -------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the status bar's figures again, off the GUI thread (`_status_arrived`)."""
        if not self.isVisible():
            return  # closed: the register may be stopped already
        if self._status_busy:
            self._status_again = True
            return
        self._status_busy = True
        try:
            self._status_pool.submit(self._read_status)
        except RuntimeError:  # the pool was shut down: the window is closing
            self._status_busy = False

    def _read_status(self) -> None:
        """The status thread: the register's reader connections, never the GUI thread."""
        store = self.register.store
        try:
            counts = store.outbox_counts()
            snapshot = StatusSnapshot(counts.get("queued", 0) + counts.get("sent", 0),
                                      store.sync_times()[1], store.pull_cursor())
        except Exception:
            log.exception("status not read")
            snapshot = None
        self.status_read.emit(snapshot)

    def _status_arrived(self, snapshot: StatusSnapshot | None) -> None:
        self._status_busy = False
        if snapshot is not None:
            self.status.set_queue(snapshot.waiting)
            last = self.register.sync.last_sync_at
            when = datetime.fromtimestamp(last, UTC) if last is not None else snapshot.last_pull
            self.status.set_last_sync(when, self.tz)
            if snapshot.pull_cursor == 0 and not self._synced_once:
                self.status.show_first_sync()  # nothing from HQ yet: the first pull is coming
        if self._status_again:
            self._status_again = False
            self.refresh()

    def synced(self) -> None:
        self._synced_once = True
        self.status.hide_progress()
        if self._halted:
            self._halted = False
            self.banner.dismiss("halted")
            self.status.set_online(True, "")
        self.refresh()

    def sync_now(self) -> None:
        """"今すぐ同期": wake the sync thread and show it working until its round ends."""
        sync = self.register.sync
        self._sync_mark = (sync.failures, sync.last_sync_at)
        self._sync_waited = 0
        self.status.set_syncing(True)
        self._sync_poll.start()
        sync.sync_now()

    def _sync_round_ended(self) -> None:
        # A round ends in a new last-sync time or one more failure; offline, a failure
        # announces nothing (the state did not change), so the poll watches for both.
        sync = self.register.sync
        self._sync_waited += SYNC_POLL_MS
        if (sync.failures, sync.last_sync_at) == self._sync_mark and \
                self._sync_waited < SYNC_WAIT_MS:
            return
        self._sync_poll.stop()
        self.status.set_syncing(False)
        self.refresh()

    def push_progress(self, sent: int, counts: object) -> None:
        waiting = 0
        if isinstance(counts, dict):
            waiting = int(counts.get("queued", 0)) + int(counts.get("sent", 0))
        self.status.show_drain(sent, waiting)

    def online_changed(self, online: bool, reason: str) -> None:
        self.status.set_online(online, i18n.core(reason), halted=self._halted and not online)
        self.refresh()
        if online:
            self.banner.dismiss("offline")
            return
        if self._halted or self.register.sync.halted:
            return  # the banner says syncing stopped, which says more than "offline"
        self.status.hide_progress()
        self.banner.show_problem(
            "offline", self.tr("HQ に接続できません（{reason}）").format(reason=i18n.core(reason)),
            self.tr("販売はそのまま続けられます。ポイントの利用はオフラインの上限までです。"
                    "ネットワークのケーブルとルーターを確認してください"), level="warning")

    def print_failed(self, _op_id: str, reason: str) -> None:
        self.banner.show_problem(
            "print", self.tr("レシートを印刷できませんでした: {reason}").format(
                reason=i18n.core(reason)),
            self.tr("お買い上げは記録済みです。プリンターの電源・用紙・ケーブルを確認してください。"
                    "レシートはあとで再印刷できます"))

    def print_waiting(self, _op_id: str, reason: str) -> None:
        retry = getattr(self.register.prints, "retry", None)
        self.banner.show_problem(
            "print", self.tr("プリンターを確認してください: {reason}").format(
                reason=i18n.core(reason)),
            self.tr("直したら「印刷を再開」を押してください。お買い上げは記録済みです"),
            action=(self.tr("印刷を再開"), retry) if callable(retry) else None)

    def op_rejected(self, _op_id: str, reason: str) -> None:
        self.banner.show_problem(
            "rejected", self.tr("HQ が取引を受け付けませんでした（{reason}）").format(
                reason=i18n.core(reason or "")),
            self.tr("この取引はポイントに反映されていません。店長に連絡してください"))

    def sync_halted(self, reason: str) -> None:
        """Syncing stopped until someone acts: a register token HQ refuses (revoked, or
        this register re-registered elsewhere), or HQ and this register disagreeing."""
        self._halted = True
        self.status.set_online(False, i18n.core(reason), halted=True)
        self.status.hide_progress()
        self.banner.show_problem(
            "halted", self.tr("HQ との同期を止めています: {reason}").format(
                reason=i18n.core(reason)),
            self.tr("販売は続けられ、取引はこのレジに残ります。レジの登録が取り消された場合は、"
                    "店長が設定（F9）の「初期設定（プロビジョニング）」で本部から受け取った"
                    "コードを入力し直してください"),
            action=(self.tr("もう一度試す"), self.sync_now))

    def parked_changed(self, status: object) -> None:
        """Returns HQ holds until their sale arrives; one held too long needs someone."""
        count = int(getattr(status, "count", 0))
        overdue = tuple(getattr(status, "overdue", ()))
        self.status.set_parked(count)
        if not overdue:
            self.banner.dismiss("parked")
            return
        numbers = parked_receipts(overdue)
        since = min(op.parked_since for op in overdue)
        hours = max(1, int((datetime.now(UTC) - since).total_seconds() // 3600))
        if numbers:
            title = self.tr("返品 {n} 件が {hours} 時間以上 HQ で保留のままです（{numbers}）").format(
                n=len(overdue), hours=hours,
                numbers=self.tr("、", "between receipt numbers").join(numbers[:3]))
        else:
            title = self.tr("返品 {n} 件が {hours} 時間以上 HQ で保留のままです").format(
                n=len(overdue), hours=hours)
        self.banner.show_problem(
            "parked", title,
            self.tr("元のお買上げがまだ HQ に届いていないため、ポイントが戻せません。お買上げをした"
                    "レジが HQ に接続しているか確かめ、そのレジで「今すぐ同期」を押してください。"
                    "解決しないときは本部に連絡してください"), level="warning")

    def reader_removed(self, name: str, _spec: str, configured: bool) -> None:
        """The counter's own card reader was unplugged (others come and go unannounced)."""
        if not configured:
            return
        self.banner.show_problem(
            "reader", self.tr("カードリーダー（{name}）が外れました").format(name=name),
            self.tr("USB ケーブルを差し直してください。つながると自動で使えるようになります。"
                    "その間は会員 QR の読み取りか、会員番号の入力で続けられます"),
            level="warning")

    def reader_added(self, _name: str, _spec: str, configured: bool) -> None:
        if configured:
            self.banner.dismiss("reader")

    def show_error(self, text: str, advice: str) -> None:
        self.banner.show_problem("screen", text, advice)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        # The register is stopped after the window closes: nothing here may touch it again.
        self._timer.stop()
        self._sync_poll.stop()
        self._status_pool.shutdown(wait=True, cancel_futures=True)
        camera = self.camera
        stop = getattr(camera, "stop", None)
        if callable(stop):
            stop()
        self.register.scan_route = None
        self.services.close()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
        super().closeEvent(event)


# `tamaru` (desktop/main.py) builds the window under its first name.
CounterWindow = MainWindow

