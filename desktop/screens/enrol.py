"""The enrolment screen (F3): name, reading, optional birth month and phone, consent, and
a card to bind by a tap or a member card's barcode.

Over `desktop.flows.enrol.EnrolFlow` (from the shell's services); while it is shown the
shell sends card taps to the flow (`card_handler`) and scans here (`handle_scan`), so a
new card is bound instead of being looked up at the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from desktop.flows.enrol import (
    CONSENT_CONTEXT,
    CONSENT_NOTICE,
    CONSENT_TEXT,
    EVENTS,
    Binding,
    EnrolFlow,
    EnrolForm,
)
from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.i18n import core
from desktop.screens.base import EventRelay, Screen, ShellContext, label, restyle
from devices.cards import CardEvent
from sync.ops import RecordedOp
from sync.staff import StaffView

FIELDS = ("display_name", "kana", "birth_month", "phone", "consent", "binding")


class EnrolScreen(Screen):
    screen_id = "enrolment"
    title = QT_TRANSLATE_NOOP("Screens", "入会")
    manager_only = False

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__(ctx)
        self.flow: EnrolFlow = ctx.services.enrol
        self.setWindowTitle(self.tr("入会"))
        self._relay = EventRelay(ctx.services.events, EVENTS, self)
        self._relay.fired.connect(self._on_event)
        ctx.bridge.staff_changed.connect(self._staff_changed)
        body = QHBoxLayout(self)
        body.addWidget(self._form_panel(), 3)
        body.addWidget(self._card_panel(), 2)
        self.clear()

    # -- layout -----------------------------------------------------------------------

    def _form_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("panel")
        v = QVBoxLayout(panel)
        v.addWidget(label(self.tr("会員登録（店頭）"), "heading"))
        v.addWidget(label(self.tr("お名前とフリガナだけで登録できます。誕生月と電話番号は任意です。"),
                           "hint"))
        grid = QGridLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("例 山田 花子"))
        self.kana = QLineEdit()
        self.kana.setPlaceholderText(self.tr("例 ヤマダ ハナコ"))
        self.month = QComboBox()
        self.month.addItem(self.tr("答えない"), "")
        for m in range(1, 13):
            self.month.addItem(self.tr("{m}月").format(m=m), str(m))
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(self.tr("任意 例 090-1234-5678"))
        self.phone.setInputMethodHints(Qt.InputMethodHint.ImhDialableCharactersOnly)
        self.errors: dict[str, QLabel] = {}
        rows = ((self.tr("お名前"), self.name, "display_name"),
                (self.tr("フリガナ"), self.kana, "kana"),
                (self.tr("誕生月（任意）"), self.month, "birth_month"),
                (self.tr("電話番号（任意）"), self.phone, "phone"))
        for i, (text, widget, key) in enumerate(rows):
            grid.addWidget(label(text), 2 * i, 0)
            grid.addWidget(widget, 2 * i, 1)
            self.errors[key] = label("", "message_error")
            grid.addWidget(self.errors[key], 2 * i + 1, 1)
        grid.setColumnStretch(1, 1)
        v.addLayout(grid)

        consent = QFrame()
        consent.setObjectName("demo_hint")
        c = QVBoxLayout(consent)
        c.addWidget(label(QCoreApplication.translate(CONSENT_CONTEXT, CONSENT_NOTICE), "hint"))
        self.consent = QCheckBox(QCoreApplication.translate(CONSENT_CONTEXT, CONSENT_TEXT))
        self.consent.setStyleSheet("QCheckBox { font-size: 19px; min-height: 44px; }"
                                   "QCheckBox::indicator { width: 30px; height: 30px; }")
        c.addWidget(self.consent)
        self.errors["consent"] = label("", "message_error")
        c.addWidget(self.errors["consent"])
        v.addWidget(consent)
        v.addStretch(1)

        buttons = QHBoxLayout()
        self.clear_button = QPushButton(self.tr("クリア"))
        self.clear_button.setObjectName("secondary")
        self.clear_button.clicked.connect(self.flow.reset)
        self.submit_button = QPushButton(self.tr("登録する"))
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        buttons.addWidget(self.clear_button, 1)
        buttons.addWidget(self.submit_button, 2)
        v.addLayout(buttons)
        self.message = label("", "message_info")
        v.addWidget(self.message)
        return panel

    def _card_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("panel")
        v = QVBoxLayout(panel)
        v.addWidget(label(self.tr("カード"), "heading"))
        self.card_prompt = label("", "prompt")
        self.card_prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card = label("", "balance")
        self.card.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.errors["binding"] = label("", "message_error")
        self.errors["binding"].setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addStretch(1)
        for w in (self.card_prompt, self.card, self.errors["binding"]):
            v.addWidget(w)
        v.addStretch(1)
        v.addWidget(label(self.tr("登録したカードはこのレジですぐに使えます。オフラインでも"
                                   "登録でき、HQ に接続したときに会員番号が発行されます。"), "hint"))
        return panel

    # -- actions ----------------------------------------------------------------------

    def form(self) -> EnrolForm:
        return EnrolForm(display_name=self.name.text(), kana=self.kana.text(),
                         birth_month=str(self.month.currentData() or ""),
                         phone=self.phone.text(), consent=self.consent.isChecked())

    def submit(self) -> None:
        self.submit_button.setEnabled(False)
        if self.flow.submit(self.form()) is None:
            self.submit_button.setEnabled(True)

    def activated(self) -> None:
        self.name.setFocus()

    def can_leave(self) -> bool:
        """Not while an enrolment is being written."""
        return not self.flow.recording

    def handle_scan(self, text: str) -> bool:
        """A scan while this screen is shown: a pre-printed member card's barcode."""
        self.flow.scan(text)
        return True

    def card_handler(self) -> Callable[[CardEvent], None]:
        """A tap while this screen is shown is the new member's card."""
        return self.flow.on_card_event

    def _staff_changed(self, staff: StaffView | None) -> None:
        if staff is None:
            self.flow.reset()  # nobody's personal details stay on screen after sign-out

    def clear(self) -> None:
        for w in (self.name, self.kana, self.phone):
            w.clear()
        self.month.setCurrentIndex(0)
        self.consent.setChecked(False)
        self.show_errors({})
        self.show_binding(Binding())
        self.name.setFocus()

    # -- reactions --------------------------------------------------------------------

    def _on_event(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "enrol_binding":
            self.show_binding(args[0])
        elif name == "enrol_errors":
            self.show_errors(args[0])
        elif name == "enrol_recorded":
            self.recorded(args[0])
        elif name == "enrol_message":
            self.show_message(core(args[0]), args[1])
            self.submit_button.setEnabled(not self.flow.recording)
        elif name == "enrol_reset":
            self.clear()
            self.show_message("")

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, widget in self.errors.items():
            widget.setText(core(errors.get(key, "")))
            widget.setVisible(key in errors)
        if errors:
            self.show_message(self.tr("入力内容を確認してください"), "error")
            self.submit_button.setEnabled(True)

    def show_binding(self, binding: Binding) -> None:
        if binding.label:
            self.card_prompt.setText(self.tr("このカードを登録します"))
            self.card.setText(core(binding.label))
            self.errors["binding"].setVisible(False)
        else:
            self.card_prompt.setText(self.tr("新しいカードをタッチするか、会員カードのバーコードを"
                                             "読み取ってください"))
            self.card.setText("")

    def show_message(self, text: str, level: str = "info") -> None:
        restyle(self.message, f"message_{level if level in ('error', 'warning') else 'info'}")
        self.message.setText(text)

    def recorded(self, recorded: RecordedOp) -> None:
        self.ctx.refresh_status()
        self.clear()
        self.submit_button.setEnabled(True)
        self.show_message(self.tr("登録しました（取引番号 {no}）。入会受付票を印刷しています。"
                                  "カードはすぐに使えます").format(no=recorded.facts.receipt_no))
