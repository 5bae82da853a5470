"""An on-screen numeric keypad for touch registers.

The keys never take the focus: they type into the field that had it last among the
fields the keypad serves (amount, points, PIN…), so a cashier can tap a field and then
the keys, or use the keyboard, interchangeably.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QGridLayout, QLineEdit, QPushButton, QWidget

_KEYS = (("7", "8", "9"), ("4", "5", "6"), ("1", "2", "3"), ("0", "00", "⌫"))


class NumericKeypad(QWidget):
    def __init__(self, parent: QWidget | None = None, *, with_clear: bool = True) -> None:
        super().__init__(parent)
        self._targets: list[QLineEdit] = []
        self._current: QLineEdit | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.buttons: dict[str, QPushButton] = {}
        for row, keys in enumerate(_KEYS):
            for col, key in enumerate(keys):
                grid.addWidget(self._button(key), row, col)
        if with_clear:
            clear = self._button("C")
            grid.addWidget(clear, 0, 3, 4, 1)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _button(self, key: str) -> QPushButton:
        button = QPushButton(key)
        button.setObjectName("key")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setAutoRepeat(key == "⌫")
        button.clicked.connect(lambda _=False, k=key: self.press(k))
        self.buttons[key] = button
        return button

    def set_targets(self, fields: list[QLineEdit]) -> None:
        self._targets = list(fields)
        self._current = self._targets[0] if self._targets else None

    def target(self) -> QLineEdit | None:
        return self._current

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new in self._targets:
            assert isinstance(new, QLineEdit)
            self._current = new

    def press(self, key: str) -> None:
        field = self._current
        if field is None or not field.isEnabled() or field.isReadOnly():
            return
        if key == "⌫":
            field.backspace()
        elif key == "C":
            field.clear()
        else:
            field.insert(key)
