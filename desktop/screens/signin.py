"""The sign-in screen: staff code and PIN, lockout shown with the time left, shift change.

It is the shell's gate: shown at start, after sign-out, and for a shift change (another
staff member signs in while the current one is still signed in; "戻る" returns to work).
In the embedded demo only, a hint lists the demo staff codes.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from desktop import i18n
from desktop.bridge import on_result
from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.flows.signin import DEMO_STAFF, SignInRefusal
from desktop.scanning import scan_target
from desktop.screens.approval import ask_manager
from desktop.screens.base import Screen, ShellContext, label, panel, restyle
from desktop.screens.keypad import NumericKeypad
from sync.staff import StaffView

ROLE_NAMES = {"manager": QT_TRANSLATE_NOOP("Roles", "店長"),
              "cashier": QT_TRANSLATE_NOOP("Roles", "レジ担当")}


def role_name(role: str) -> str:
    return QCoreApplication.translate("Roles", ROLE_NAMES.get(role, role))


class SignInScreen(Screen):
    screen_id = "signin"
    title = QT_TRANSLATE_NOOP("Screens", "サインイン")

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__(ctx)
        register = ctx.register
        self._refusal: SignInRefusal | None = None
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        box = panel()
        box.setMinimumWidth(820)
        box.setMaximumWidth(980)
        row.addWidget(box, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)

        columns = QHBoxLayout(box)
        columns.setContentsMargins(28, 20, 28, 20)
        columns.setSpacing(24)
        v = QVBoxLayout()
        v.setSpacing(10)
        columns.addLayout(v, 3)
        self.heading = label(self.tr("サインイン"), "member_name")
        v.addWidget(self.heading)
        s = register.settings
        v.addWidget(label(self.tr("{store}　レジ {device}").format(
            store=s.get("register.store_name"), device=s.get("register.device_id")), "hint"))
        self.shift_note = label("", "message_warning")
        self.shift_note.setVisible(False)
        v.addWidget(self.shift_note)

        form = QGridLayout()
        form.setHorizontalSpacing(12)
        self.code = scan_target(QLineEdit())
        self.code.setObjectName("staff_code")
        self.code.setMaxLength(32)
        self.code.setPlaceholderText(self.tr("例: 2001"))
        self.pin = scan_target(QLineEdit())
        self.pin.setObjectName("staff_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        form.addWidget(label(self.tr("スタッフ番号"), wrap=False), 0, 0)
        form.addWidget(self.code, 0, 1)
        form.addWidget(label(self.tr("暗証番号"), wrap=False), 1, 0)
        form.addWidget(self.pin, 1, 1)
        v.addLayout(form)

        self.keypad = NumericKeypad()
        self.keypad.set_targets([self.code, self.pin])
        pad = QVBoxLayout()
        pad.addStretch(1)
        pad.addWidget(self.keypad)
        pad.addStretch(1)
        columns.addLayout(pad, 2)

        self.message = label("", "message_error")
        v.addWidget(self.message)
        self.lock = label("", "lock")
        self.lock.setVisible(False)
        v.addWidget(self.lock)

        buttons = QHBoxLayout()
        self.back = QPushButton(self.tr("戻る"))
        self.back.setObjectName("secondary")
        self.back.clicked.connect(lambda: ctx.show_screen("counter"))
        self.unlock = QPushButton(self.tr("ロックを解除（店長）"))
        self.unlock.setObjectName("secondary")
        self.unlock.clicked.connect(self.unlock_with_manager)
        self.unlock.setVisible(False)
        self.submit_button = QPushButton(self.tr("サインイン"))
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        buttons.addWidget(self.back, 1)
        buttons.addWidget(self.unlock, 2)
        buttons.addWidget(self.submit_button, 2)
        v.addLayout(buttons)

        self.demo_hint = panel("demo_hint")
        hint = QVBoxLayout(self.demo_hint)
        hint.addWidget(label(self.tr("デモ用スタッフ（組み込み HQ のときだけ表示）"), "heading"))
        table = QGridLayout()
        table.setHorizontalSpacing(16)
        for col, title in enumerate((self.tr("スタッフ"), self.tr("スタッフ番号"),
                                     self.tr("暗証番号"))):
            table.addWidget(label(title, "hint", wrap=False), 0, col)
        for line, staff in enumerate(DEMO_STAFF, 1):
            cells = (self.tr("{name}（{role}）").format(name=staff.display_name,
                                                     role=role_name(staff.role)),
                     staff.staff_id, staff.pin)
            for col, text in enumerate(cells):
                table.addWidget(label(text, wrap=False), line, col)
        hint.addLayout(table)
        self.demo_hint.setVisible(register.demo)
        v.addWidget(self.demo_hint)

        self.code.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.submit)
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        ctx.bridge.sign_in_refused.connect(self.refused)
        ctx.bridge.staff_changed.connect(self._staff_changed)

    # -- shell hooks -----------------------------------------------------------------------

    def activated(self) -> None:
        current = self.ctx.register.session.current
        self.back.setVisible(current is not None)
        self.shift_note.setVisible(current is not None)
        if current is not None:
            self.heading.setText(self.tr("交代"))
            self.shift_note.setText(
                self.tr("{name} さんがサインイン中です。交代するスタッフがサインインしてください")
                .format(name=current.display_name))
        else:
            self.heading.setText(self.tr("サインイン"))
        self.code.setFocus()

    # -- operations --------------------------------------------------------------------------

    def submit(self) -> None:
        if not self.submit_button.isEnabled():
            return
        self.submit_button.setEnabled(False)
        restyle(self.message, "message_info")
        self.message.setText(self.tr("確認しています…"))
        future = self.ctx.register.session.sign_in(self.code.text(), self.pin.text())
        on_result(future, self._answered)

    def _answered(self, future: Future[StaffView]) -> None:
        self.submit_button.setEnabled(True)
        self.pin.clear()
        if future.exception() is None:
            self.code.clear()
            self.message.setText("")
            self._clear_lock()
        elif self._refusal is None:
            restyle(self.message, "message_error")
            self.message.setText(i18n.core(future.exception()))

    def _staff_changed(self, staff: StaffView | None) -> None:
        # The answer itself may come a moment after the news: be ready for the next one.
        self.submit_button.setEnabled(True)
        if staff is not None:
            self.code.clear()
            self.pin.clear()
            self.message.setText("")
            self._clear_lock()

    def refused(self, refusal: SignInRefusal) -> None:
        self.submit_button.setEnabled(True)
        self._refusal = refusal
        restyle(self.message, "message_error")
        self.message.setText(i18n.core(refusal.message))
        if refusal.locked_until is not None:
            self.unlock.setVisible(True)
            self._tick()
            self._countdown.start()
        else:
            self._clear_lock()
        self.pin.setFocus()

    def _tick(self) -> None:
        refusal = self._refusal
        left = refusal.remaining_seconds(datetime.now(UTC)) if refusal else 0
        if left <= 0:
            self._clear_lock()
            if refusal is not None and refusal.locked_until is not None:
                restyle(self.message, "message_info")
                self.message.setText(self.tr("ロックが解除されました。もう一度サインインしてください"))
            return
        self.lock.setVisible(True)
        self.lock.setText(self.tr("ロック中: 解除まであと {m}分{s:02d}秒").format(
            m=left // 60, s=left % 60))

    def _clear_lock(self) -> None:
        self._countdown.stop()
        self.lock.setVisible(False)
        self.unlock.setVisible(False)
        self._refusal = None

    def unlock_with_manager(self) -> None:
        refusal = self._refusal
        if refusal is None:
            return
        session = self.ctx.register.session
        staff_id = refusal.staff_id
        done: Any = ask_manager(
            session, reason=self.tr("スタッフ {code} のロックを解除します").format(code=staff_id),
            action="unlock_staff",
            operation=lambda code, pin: session.unlock(staff_id, code, pin), parent=self)
        if done is not None:
            self._clear_lock()
            restyle(self.message, "message_info")
            self.message.setText(self.tr("ロックを解除しました。サインインしてください"))
            self.code.setText(staff_id)
            self.pin.setFocus()

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return
        super().keyPressEvent(event)
