"""What every screen is to the shell: a widget with an id, a title and a function key.

A screen gets a `ShellContext` (the register, the Qt bridge, and the shell's own
services: show another screen, show an error with what to do, ask a manager). It
reacts to bridge signals and calls the register's typed operations; it never opens a
database session or a device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from desktop.bridge import QtBridge

if TYPE_CHECKING:
    from desktop.app import Register


@dataclass
class ShellContext:
    register: Register
    bridge: QtBridge
    show_screen: Callable[[str], None]
    # (what happened, what to do) in the screen's language
    show_error: Callable[[str, str], None]
    sign_out: Callable[[], None]


class Screen(QWidget):
    """Subclass, set the class attributes, and add the class to `registry.SCREENS`."""

    screen_id: ClassVar[str] = ""
    # Japanese source text, translated in the "Screens" context (mark it with
    # QT_TRANSLATE_NOOP("Screens", "…") so lupdate collects it).
    title: ClassVar[str] = ""
    manager_only: ClassVar[bool] = False

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName(f"screen_{self.screen_id}")

    @classmethod
    def display_title(cls) -> str:
        return QCoreApplication.translate("Screens", cls.title)

    def activated(self) -> None:
        """The screen was just shown (put the focus where the cashier starts)."""

    def can_leave(self) -> bool:
        """False while leaving would lose work in progress (a sale being recorded)."""
        return True

    def handle_scan(self, text: str) -> bool:
        """A scanner code arrived while this screen is shown; True if it took it.

        The default leaves it to the counter flow (member identification).
        """
        return False


def label(text: str = "", name: str = "", *, wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    return widget


def panel(name: str = "panel") -> QFrame:
    frame = QFrame()
    frame.setObjectName(name)
    return frame


def restyle(widget: QWidget, name: str) -> None:
    """Change a widget's style class (objectName) and apply the style sheet again."""
    if widget.objectName() != name:
        widget.setObjectName(name)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
