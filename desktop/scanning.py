"""Keyboard-wedge scanners in Qt: an app-wide event filter that tells a scan from typing.

A wedge scanner types its code into whichever field has focus and presses Enter. The
filter feeds every key press to `devices.scanner.BurstClassifier` (the pure rules) and,
when Enter ends a burst, takes the burst back out of the focused field, swallows that
Enter (it must not confirm a sale), and emits `scanned(text)`. What the text means is
decided by `desktop.flows.identify` through the counter flow, the same path serial
scanners take.

Two things only real X events show (devices notes): a key reaches an app-wide filter
more than once — for the window (not a widget, skipped by `isWidgetType`) and again for
each parent a widget passes an unwanted key to — so a key is counted once, at the first
widget that gets it. Modifier keys alone are not fed: a scanner presses Shift too.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget

from devices.scanner import BurstClassifier, BurstRules

_MODIFIER_KEYS = frozenset({
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta,
    Qt.Key.Key_AltGr, Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock, Qt.Key.Key_Super_L,
    Qt.Key.Key_Super_R, Qt.Key.Key_Hyper_L, Qt.Key.Key_Hyper_R,
})
_ENTER_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})
_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)
MAX_HISTORY = 1100  # longer than any code loyalty.scan accepts


W = TypeVar("W", bound=QWidget)


def scan_target(widget: W) -> W:
    """Make a field safe to scan into: no input method, which would turn the scanner's
    keys into kana or full-width text."""
    widget.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
    return widget


@dataclass
class _Before:
    widget: QWidget
    text: str
    cursor: int


def _field_state(widget: QObject) -> _Before | None:
    if isinstance(widget, QLineEdit):
        return _Before(widget, widget.text(), widget.cursorPosition())
    if isinstance(widget, QPlainTextEdit):
        return _Before(widget, widget.toPlainText(), widget.textCursor().position())
    return None


def _restore(before: _Before) -> None:
    widget = before.widget
    if not shiboken6.isValid(widget):
        return
    if isinstance(widget, QLineEdit):
        widget.setText(before.text)
        widget.setCursorPosition(before.cursor)
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(before.text)
        cursor = widget.textCursor()
        cursor.setPosition(min(before.cursor, len(before.text)))
        widget.setTextCursor(cursor)


class WedgeFilter(QObject):
    """Install on the QApplication; connect `scanned` to whatever identifies a scan."""

    scanned = Signal(str)

    def __init__(self, rules: BurstRules | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.classifier = BurstClassifier(rules)
        # The field's text before each key of the current run: a scan of n keys is undone
        # by going back to the state before its first key.
        self._before: deque[_Before | None] = deque(maxlen=MAX_HISTORY)
        self._last_key: tuple[int, int, str, int] | None = None
        self._last_widget: QWidget | None = None
        self.enabled = True

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.KeyPress or not self.enabled:
            return False
        if not obj.isWidgetType():
            return False  # the same key, delivered to the window first
        assert isinstance(event, QKeyEvent) and isinstance(obj, QWidget)
        if self._propagated(obj, event):
            return False
        key = event.key()
        if key in _MODIFIER_KEYS:
            return False
        # X events carry the server's clock; synthetic events (QTest) carry 0.
        t_ms = float(event.timestamp()) or time.monotonic() * 1000.0
        text = event.text()
        # Scanners end a code with CR (Return) or, set up so, LF.
        if key in _ENTER_KEYS or text in ("\r", "\n"):
            scan = self.classifier.enter(t_ms)
            history = list(self._before)
            self._before.clear()
            if scan is None:
                return False
            if 0 < scan.typed <= len(history):
                before = history[-scan.typed]
                if before is not None:
                    _restore(before)
            self.scanned.emit(scan.text)
            return True  # the scanner's Enter confirms nothing
        if len(text) == 1 and text.isprintable() and not (event.modifiers() & _COMMAND_MODIFIERS):
            self._before.append(_field_state(obj))
            self.classifier.key(text, t_ms)
        else:
            self._before.clear()
            self.classifier.other_key(t_ms)
        return False

    def _propagated(self, obj: QWidget, event: QKeyEvent) -> bool:
        """True for a key a child widget did not want, now offered to its parent."""
        identity = (event.timestamp(), event.key(), event.text(), event.modifiers().value)
        last = self._last_widget
        if (identity == self._last_key and last is not None and shiboken6.isValid(last)
                and obj is not last and obj.isAncestorOf(last)):
            return True
        self._last_key, self._last_widget = identity, obj
        return False

    def reset(self) -> None:
        """Forget a half-typed run (a dialog opened, the screen changed)."""
        self.classifier.reset()
        self._before.clear()
