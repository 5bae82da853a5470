"""The first-run screen: HQ address, register and store ids, and the one-time code.

A standalone widget (`ProvisionPanel`) and a dialog around it (`ProvisionDialog`). The
work is `desktop.provisioning.provision`, run on a background thread because an
unreachable HQ takes the whole timeout to say so; the answer comes back through a Qt
signal, so only the GUI thread touches the widgets. Texts are translated like every
screen's (`self.tr`); provisioning's own sentences go through `desktop.i18n.core`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import core
from desktop.provisioning import Activation, ProvisioningError, provision


class _Relay(QObject):
    """Carries the worker thread's answer to the GUI thread (queued by Qt)."""

    done = Signal(object)
    failed = Signal(str, str)


class ProvisionPanel(QWidget):
    """Asks for what activation needs and activates; emits `provisioned` on success."""

    provisioned = Signal(object)  # Activation
    failed = Signal(str, str)  # message, reason

    def __init__(self, home: Path, *, hq_url: str = "", device_id: str = "",
                 store_id: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self._thread: threading.Thread | None = None
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)

        title = QLabel(self.tr("レジの初期設定"))
        title.setObjectName("heading")
        intro = QLabel(self.tr("本部から受け取った HQ のアドレスとプロビジョニングコードを"
                               "入力してください。コードは一度だけ使えます。"))
        intro.setWordWrap(True)
        self.url = QLineEdit(hq_url)
        self.url.setPlaceholderText("https://hq.example.co.jp")
        self.device = QLineEdit(device_id)
        self.device.setPlaceholderText("R01")
        self.store = QLineEdit(store_id)
        self.store.setPlaceholderText(self.tr("S001（空欄なら本部の登録に従う）"))
        self.code = QLineEdit()
        self.code.setPlaceholderText("XXXX-XXXX-XXXX")
        self.submit = QPushButton(self.tr("登録する"))
        self.submit.setObjectName("primary")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow(self.tr("HQ のアドレス"), self.url)
        form.addRow(self.tr("レジ番号"), self.device)
        form.addRow(self.tr("店舗コード"), self.store)
        form.addRow(self.tr("プロビジョニングコード"), self.code)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.submit)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.submit.clicked.connect(self.start)
        self.code.returnPressed.connect(self.start)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Activate with what is typed; the answer arrives as `provisioned` or `failed`."""
        if self.busy:
            return
        fields = (self.url.text(), self.device.text(), self.code.text(), self.store.text())
        self._set_busy(True)
        self._show(self.tr("HQ に接続しています…"), "info")
        self._thread = threading.Thread(target=self._work, args=fields,
                                        name="tamaru-provision", daemon=True)
        self._thread.start()

    def _work(self, url: str, device: str, code: str, store: str) -> None:
        try:
            activation = provision(self.home, url, device, code, store_id=store or None)
        except ProvisioningError as exc:
            self._relay.failed.emit(core(exc), exc.reason)
        except Exception as exc:  # the installer must see something, never a frozen form
            self._relay.failed.emit(self.tr("登録できませんでした: {error}").format(error=exc),
                                    "answer")
        else:
            self._relay.done.emit(activation)

    def _on_done(self, activation: Activation) -> None:
        self._set_busy(False)
        self.code.clear()
        self._show(self.tr("登録しました: レジ {device}（店舗 {store}）").format(
            device=activation.device_id, store=activation.store_id), "info")
        self.provisioned.emit(activation)

    def _on_failed(self, message: str, reason: str) -> None:
        self._set_busy(False)
        self._show(message, "error")
        if reason in ("unknown_code", "expired_code", "used_code"):
            self.code.selectAll()
            self.code.setFocus()
        self.failed.emit(message, reason)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.url, self.device, self.store, self.code, self.submit):
            widget.setEnabled(not busy)

    def _show(self, text: str, level: str) -> None:
        self.message.setObjectName(f"message_{level}")
        self.message.setText(text)
        # The object name picks the style sheet rule; re-polish to apply it now.
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)


class ProvisionDialog(QDialog):
    """`ProvisionPanel` as a modal dialog; accepted once the register is provisioned."""

    def __init__(self, home: Path, *, hq_url: str = "", device_id: str = "",
                 store_id: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Tamaru — 初期設定"))
        self.activation: Activation | None = None
        self.panel = ProvisionPanel(home, hq_url=hq_url, device_id=device_id,
                                    store_id=store_id, parent=self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        self.panel.provisioned.connect(self._accept)
        self.resize(560, 360)

    def _accept(self, activation: Activation) -> None:
        self.activation = activation
        self.accept()

    def reject(self) -> None:
        if not self.panel.busy:  # closing mid-request would leave the answer unheard
            super().reject()
