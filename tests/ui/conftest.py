"""The application shell for pytest-qt: one HQ process for the session (the embedded HQ
`make run` starts, on SQLite), and per test a register of its own with the demo staff,
in the window `tamaru` opens."""

from __future__ import annotations

import itertools

import pytest

from desktop.app import build_register
from desktop.bridge import QtBridge
from desktop.embedded_hq import EmbeddedHQ
from desktop.flows.signin import seed_demo_staff
from desktop.settings import Settings
from desktop.window import MainWindow
from sync.events import EventBus

_devices = itertools.count(1)


@pytest.fixture(scope="session")
def shared_hq(tmp_path_factory):
    hq = EmbeddedHQ(tmp_path_factory.mktemp("shared-hq"))
    hq.prepare_demo("R99", "S001")
    hq.start()
    yield hq
    hq.stop()


@pytest.fixture
def open_window(qtbot, shared_hq, tmp_path):
    """open_window(**settings) → a started register in its shown main window."""
    made = []

    def open_(**values):
        device = f"U{next(_devices):02d}"
        token = shared_hq.prepare_demo(device, "S001").token
        settings = Settings(tmp_path / device, {
            "hq.url": shared_hq.url, "hq.token": token, "register.device_id": device,
            **values})
        bus = EventBus()
        bridge = QtBridge(bus)
        register = build_register(settings, events=bus)
        register.worker.call(seed_demo_staff, register.staff)
        win = MainWindow(register, bridge)
        made.append((win, register))
        qtbot.addWidget(win)
        win.show()
        register.start()
        counter = win.screens["counter"]
        qtbot.waitUntil(lambda: len(counter.devices.button_texts()) > 1, timeout=20000)
        return win

    yield open_
    for win, register in made:
        win.close()  # as `tamaru` does: the window closes, then the register stops
        register.stop()

