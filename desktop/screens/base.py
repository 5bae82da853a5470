"""What every screen is to the shell: a widget with an id, a title and a function key.

A screen gets a `ShellContext` (the register, the Qt bridge, the flows built for the
screens — `desktop.services` — and the shell's own services: show another screen, show
an error with what to do, sign out). It reacts to bridge signals and calls the typed
operations of its flow; it never opens a database session or a device.

While a screen is shown, the shell sends it the scanner's codes (`handle_scan`) and the
card reader's events (`card_handler`); what a screen does not take goes to the counter.
A flow's own events reach the screen through an `EventRelay`, on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from desktop.bridge import QtBridge
from devices.cards import CardEvent
from sync.events import EventBus

if TYPE_CHECKING:
    from desktop.app import Register
    from desktop.flows.signin import Approval
    from desktop.services import Services


@dataclass
class ShellContext:
    register: Register
    bridge: QtBridge
    show_screen: Callable[[str], None]
    # (what happened, what to do) in the screen's language
    show_error: Callable[[str, str], None]
    sign_out: Callable[[], None]
    services: Services
    # Ask the shell to show the queue count again (after a screen recorded an op).
    refresh_status: Callable[[], None] = field(default=lambda: None)


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

    def card_handler(self) -> Callable[[CardEvent], None] | None:
        """Where card reader events go while this screen is shown (called on the reader's
        thread: a flow's thread-safe method, never a widget's). None: to the counter."""
        return None

    def approved(self, approval: Approval) -> None:
        """A manager approved opening this screen for the signed-in cashier."""

    def deactivated(self) -> None:
        """Another screen is about to be shown."""


class EventRelay(QObject):
    """Re-emits a flow's bus events as `fired(name, args)` on the GUI thread.

    Flows announce from the store, reader or HQ thread; Qt queues the signal to the
    owner's thread. The listeners are removed from the bus when the owner is destroyed.
    """

    fired = Signal(str, object)

    def __init__(self, events: EventBus, names: tuple[str, ...], owner: QWidget) -> None:
        super().__init__(owner)
        listeners: list[tuple[str, Callable[..., None]]] = []
        for name in names:
            def listener(*args: Any, _name: str = name) -> None:
                self.fired.emit(_name, args)
            events.subscribe(name, listener)
            listeners.append((name, listener))

        def detach(*_: object) -> None:
            for n, f in listeners:
                events.unsubscribe(n, f)

        owner.destroyed.connect(detach)


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
