"""Which screens the application has, and which function key opens which.

To add a screen: write `desktop/screens/<name>.py` with one `Screen` subclass and add the
class to `SCREENS`::

    class ReturnsScreen(Screen):
        screen_id = "returns"                           # its key in FUNCTION_KEYS: F2
        title = QT_TRANSLATE_NOOP("Screens", "返品")    # the function-key bar's label
        manager_only = False                            # True: a manager's PIN first

        def __init__(self, ctx: ShellContext) -> None:  # register, bridge, shell services
            super().__init__(ctx)
            self.flow = ctx.services.returns            # its flow, built in desktop.services
            ...

If its id is in `FUNCTION_KEYS`, that key opens it and the function-key bar lists it; a
key whose screen is not registered does nothing and is not shown. F12 always signs out.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.screens.base import Screen
from desktop.screens.counter import CounterScreen
from desktop.screens.enrol import EnrolScreen
from desktop.screens.lookup import LookupScreen
from desktop.screens.reports import ReportsScreen
from desktop.screens.returns import ReturnsScreen
from desktop.screens.settings import SettingsScreen

# The screens, in function-key-bar order. The first one is shown after sign-in.
SCREENS: tuple[type[Screen], ...] = (
    CounterScreen,
    ReturnsScreen,
    EnrolScreen,
    LookupScreen,
    ReportsScreen,
    SettingsScreen,
)

SIGN_OUT = "sign_out"

# Function keys of the register, by screen id (or SIGN_OUT). Data, not code: a screen
# listed here but not yet in SCREENS is simply absent.
FUNCTION_KEYS: tuple[tuple[Qt.Key, str], ...] = (
    (Qt.Key.Key_F1, "counter"),
    (Qt.Key.Key_F2, "returns"),
    (Qt.Key.Key_F3, "enrolment"),
    (Qt.Key.Key_F4, "lookup"),
    (Qt.Key.Key_F5, "reports"),
    (Qt.Key.Key_F9, "settings"),
    (Qt.Key.Key_F12, SIGN_OUT),
)


def key_name(key: Qt.Key) -> str:
    return f"F{int(key) - int(Qt.Key.Key_F1) + 1}"
