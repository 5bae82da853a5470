"""What is always on screen: the status bar, the error banner, the function-key bar.

The status bar says whether HQ is reachable (or that syncing stopped until someone
acts), how many ops wait to be sent and how many returns HQ holds back, when the last
sync was (with the date when it was not today), who is signed in, and offers "今すぐ同期"
(which shows it is working until its round ends) and sign-out; its progress bar shows
the first sync and long drains. The banner says what went wrong in plain words and what
to do about it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout

from desktop.screens.base import label, panel, restyle
from sync.staff import StaffView


class StatusBar(QFrame):
    def __init__(self, *, store_line: str, sync_now: Callable[[], None],
                 change_staff: Callable[[], None], sign_out: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("statusbar")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        row.setSpacing(10)
        row.addWidget(label("Tamaru", "brand", wrap=False))
        row.addWidget(label(store_line, wrap=False))
        row.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        row.addWidget(self.progress)
        self.queue = label("", wrap=False)
        row.addWidget(self.queue)
        # Returns HQ holds until their sale arrives: shown only while there are some.
        self.parked = label("", "pill_parked", wrap=False)
        self.parked.setToolTip(self.tr("返品の元のお買上げが HQ に届くまで、HQ がその返品を"
                                       "保留しています。届けば自動で確定します"))
        self.parked.setVisible(False)
        row.addWidget(self.parked)
        self.last_sync = label("", wrap=False)
        row.addWidget(self.last_sync)
        self.online = label("", "pill_unknown", wrap=False)
        row.addWidget(self.online)
        self.sync_button = QPushButton(self.tr("今すぐ同期"))
        self.sync_button.setObjectName("sync_now")
        self.sync_button.clicked.connect(sync_now)
        row.addWidget(self.sync_button)
        self.staff = label("", wrap=False)
        row.addWidget(self.staff)
        self.change_button = QPushButton(self.tr("交代"))
        self.change_button.clicked.connect(change_staff)
        row.addWidget(self.change_button)
        self.sign_out_button = QPushButton(self.tr("サインアウト"))
        self.sign_out_button.clicked.connect(sign_out)
        row.addWidget(self.sign_out_button)
        self.set_online(None, "")
        self.set_staff(None)

    def set_online(self, online: bool | None, reason: str, *, halted: bool = False) -> None:
        """Reachable, not, unknown yet; `halted`: syncing stopped until someone acts."""
        if halted:
            self.online.setText(self.tr("同期停止"))
            restyle(self.online, "pill_offline")
        elif online is None:
            self.online.setText(self.tr("接続確認中"))
            restyle(self.online, "pill_unknown")
        else:
            self.online.setText(self.tr("オンライン") if online else self.tr("オフライン"))
            restyle(self.online, "pill_online" if online else "pill_offline")
        self.online.setToolTip(reason)

    def set_parked(self, count: int) -> None:
        self.parked.setText(self.tr("HQ 保留 {n} 件").format(n=f"{count:,}"))
        self.parked.setVisible(count > 0)

    def set_queue(self, waiting: int) -> None:
        self.queue.setText(self.tr("未送信 {n} 件").format(n=f"{waiting:,}"))

    def set_last_sync(self, when: datetime | None, tz: tzinfo,
                      now: datetime | None = None) -> None:
        if when is None:
            self.last_sync.setText(self.tr("最終同期 —"))
            return
        local = when.astimezone(tz)
        today = (now or datetime.now(tz)).astimezone(tz).date()
        # A sync of another day says which: "最終同期 10:15" would hide a day offline.
        shown = local.strftime("%H:%M") if local.date() == today else \
            local.strftime("%m/%d %H:%M")
        self.last_sync.setText(self.tr("最終同期 {time}").format(time=shown))

    def set_syncing(self, busy: bool) -> None:
        """"今すぐ同期" was pressed: disabled and saying so until the round ends."""
        self.sync_button.setEnabled(not busy)
        self.sync_button.setText(self.tr("同期中…") if busy else self.tr("今すぐ同期"))

    def set_staff(self, staff: StaffView | None) -> None:
        self.staff.setText(self.tr("担当: {name}").format(name=staff.display_name)
                           if staff else self.tr("サインインしていません"))
        self.change_button.setVisible(staff is not None)
        self.sign_out_button.setVisible(staff is not None)

    def show_bootstrap(self, received: int, more: bool) -> None:
        if not more:
            self.progress.setVisible(False)
            return
        self.progress.setRange(0, 0)  # HQ does not say how much is left: a busy bar
        self.progress.setFormat(self.tr("初回同期中 {n} 件").format(n=f"{received:,}"))
        self.progress.setVisible(True)

    def show_first_sync(self) -> None:
        """Nothing has come from HQ yet: a busy bar until the first pull ends."""
        self.progress.setRange(0, 0)
        self.progress.setFormat(self.tr("初回同期中…"))
        self.progress.setVisible(True)

    def show_drain(self, sent: int, waiting: int) -> None:
        if waiting <= 0:
            self.progress.setVisible(False)
            return
        self.progress.setRange(0, sent + waiting)
        self.progress.setValue(sent)
        self.progress.setFormat(self.tr("送信中 {sent}/{total}").format(
            sent=f"{sent:,}", total=f"{sent + waiting:,}"))
        self.progress.setVisible(True)

    def hide_progress(self) -> None:
        self.progress.setVisible(False)


class Banner(QFrame):
    """One problem at a time: what happened, what to do, and an optional action."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("banner_error")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 14, 8)
        text = QVBoxLayout()
        self.title = label("", "banner_title")
        self.advice = label("", "banner_advice")
        text.addWidget(self.title)
        text.addWidget(self.advice)
        row.addLayout(text, 1)
        self.action = QPushButton()
        self.action.setObjectName("secondary")
        self.action.setVisible(False)
        row.addWidget(self.action)
        close = QPushButton(self.tr("閉じる"))
        close.setObjectName("secondary")
        close.clicked.connect(self.dismiss)
        row.addWidget(close)
        self.kind = ""
        self._action: Callable[[], None] | None = None
        self.action.clicked.connect(self._run_action)
        self.setVisible(False)

    def show_problem(self, kind: str, title: str, advice: str, *, level: str = "error",
                     action: tuple[str, Callable[[], None]] | None = None) -> None:
        self.kind = kind
        restyle(self, "banner_warning" if level == "warning" else "banner_error")
        self.title.setText(title)
        self.advice.setText(advice)
        self.advice.setVisible(bool(advice))
        self._action = action[1] if action else None
        self.action.setText(action[0] if action else "")
        self.action.setVisible(action is not None)
        self.setVisible(True)

    def dismiss(self, kind: str | None = None) -> None:
        if kind is None or kind == self.kind:
            self.kind = ""
            self.setVisible(False)

    def _run_action(self) -> None:
        if self._action is not None:
            self._action()
        self.dismiss()


def fkey_bar() -> tuple[QFrame, QHBoxLayout]:
    bar = panel("fkeys")
    row = QHBoxLayout(bar)
    row.setContentsMargins(8, 6, 8, 6)
    row.setSpacing(8)
    return bar, row
