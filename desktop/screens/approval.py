"""The manager approval dialog: a manager's code and PIN, for any flow that needs one.

`ask_manager(parent, ctx, reason=…)` shows it and returns the `Approval` (or None when
cancelled). The check is `StaffSession.approve` (Qt-free, audited); a flow with its own
manager check (unlocking a locked cashier) passes it as `operation`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.bridge import on_result
from desktop.flows.signin import StaffSession
from desktop.scanning import scan_target
from desktop.screens.base import label, restyle
from desktop.screens.keypad import NumericKeypad

Operation = Callable[[str, str], "Future[Any]"]


class ManagerApprovalDialog(QDialog):
    def __init__(self, session: StaffSession, *, reason: str, action: str,
                 operation: Operation | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("店長の承認"))
        self.setModal(True)
        self.result_value: Any = None
        self._operation: Operation = operation or (
            lambda code, pin: session.approve(code, pin, action=action))
        v = QVBoxLayout(self)
        v.addWidget(label(self.tr("店長の承認が必要です"), "heading"))
        v.addWidget(label(reason))
        form = QGridLayout()
        self.code = scan_target(QLineEdit())
        self.code.setPlaceholderText(self.tr("店長のスタッフ番号"))
        self.pin = scan_target(QLineEdit())
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("暗証番号"))
        form.addWidget(label(self.tr("スタッフ番号")), 0, 0)
        form.addWidget(self.code, 0, 1)
        form.addWidget(label(self.tr("暗証番号")), 1, 0)
        form.addWidget(self.pin, 1, 1)
        v.addLayout(form)
        self.keypad = NumericKeypad()
        self.keypad.set_targets([self.code, self.pin])
        v.addWidget(self.keypad)
        self.message = label("", "message_error")
        v.addWidget(self.message)
        buttons = QHBoxLayout()
        cancel = QPushButton(self.tr("やめる"))
        cancel.setObjectName("secondary")
        cancel.clicked.connect(self.reject)
        self.ok = QPushButton(self.tr("承認する"))
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self.submit)
        buttons.addWidget(cancel, 1)
        buttons.addWidget(self.ok, 2)
        v.addLayout(buttons)
        self.code.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.submit)
        self.code.setFocus()

    def submit(self) -> None:
        self.ok.setEnabled(False)
        restyle(self.message, "message_info")
        self.message.setText(self.tr("確認しています…"))
        on_result(self._operation(self.code.text(), self.pin.text()), self._answered)

    def _answered(self, future: Future[Any]) -> None:
        self.ok.setEnabled(True)
        error = future.exception()
        if error is not None:
            restyle(self.message, "message_error")
            self.message.setText(i18n.core(error))
            self.pin.clear()
            self.pin.setFocus()
            return
        self.result_value = future.result()
        self.accept()


def ask_manager(session: StaffSession, *, reason: str, action: str,
                operation: Operation | None = None, parent: QWidget | None = None) -> Any:
    """Show the dialog; the operation's result once a manager approved, else None."""
    dialog = ManagerApprovalDialog(session, reason=reason, action=action, operation=operation,
                                   parent=parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    if parent is not None:
        # Without a window manager (a counter PC in kiosk mode) nothing gives the focus
        # back: the function keys would stay dead until someone clicks the window.
        parent.window().activateWindow()
    return dialog.result_value if accepted else None
