"""The wedge-scanner event filter through QTest: a burst is taken back out of the field it
typed into, its Enter confirms nothing, and a person typing is left alone.

QTest events carry no timestamp, so the filter times them itself; a scanner burst is
`keyClicks` (microseconds a key), a person is `keyClick(..., delay=70)`. Real X key events
are in test_wedge_x11.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.scanning import WedgeFilter
from loyalty.scan import make_member_no

CODE = make_member_no(7)


@pytest.fixture
def form(qtbot):
    root = QWidget()
    layout = QVBoxLayout(root)
    field = QLineEdit()
    other = QLineEdit()
    button = QPushButton("OK")
    for w in (field, other, button):
        layout.addWidget(w)
    qtbot.addWidget(root)
    root.show()
    wedge = WedgeFilter(parent=root)
    QApplication.instance().installEventFilter(wedge)
    scans: list[str] = []
    wedge.scanned.connect(scans.append)
    entered: list[str] = []
    field.returnPressed.connect(lambda: entered.append(field.text()))
    yield field, other, button, scans, entered
    QApplication.instance().removeEventFilter(wedge)


def person_types(widget, text):
    for ch in text:
        QTest.keyClick(widget, ch, delay=70)


def test_a_burst_is_a_scan_and_the_field_gets_its_text_back(qtbot, form):
    field, _, _, scans, entered = form
    person_types(field, "1500")
    field.setCursorPosition(2)
    qtbot.wait(250)
    QTest.keyClicks(field, CODE)
    assert field.text() != "1500"  # the burst really typed into the field …
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert scans == [CODE]
    assert field.text() == "1500" and field.cursorPosition() == 2  # … and is taken back
    assert entered == []  # its Enter was the scanner's: nothing was confirmed


def test_a_person_typing_is_not_a_scan(qtbot, form):
    field, _, _, scans, entered = form
    person_types(field, CODE[:8])
    QTest.keyClick(field, Qt.Key.Key_Return, delay=70)
    assert scans == [] and entered == [CODE[:8]]


def test_too_short_a_burst_is_typing(qtbot, form):
    field, _, _, scans, entered = form
    qtbot.wait(150)
    QTest.keyClicks(field, "123")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert scans == [] and entered == ["123"]


def test_a_key_passed_on_to_parents_counts_once(qtbot, form):
    _, _, button, scans, _ = form
    # A button does not want digits: each key is offered to its parents too.
    qtbot.wait(150)
    QTest.keyClicks(button, CODE)
    QTest.keyClick(button, Qt.Key.Key_Return)
    assert scans == [CODE]


def test_modifier_keys_alone_do_not_break_a_burst(qtbot, form):
    field, _, _, scans, _ = form
    qtbot.wait(150)
    for ch in "TR:R01-000042":
        if ch.isupper() or ch == ":":
            QTest.keyPress(field, Qt.Key.Key_Shift)  # scanners press Shift for capitals
        QTest.keyClick(field, ch)
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert scans == ["TR:R01-000042"] and field.text() == ""


def test_editing_keys_end_a_run(qtbot, form):
    field, _, _, scans, entered = form
    qtbot.wait(150)
    QTest.keyClicks(field, CODE[:6])
    QTest.keyClick(field, Qt.Key.Key_Backspace)
    QTest.keyClicks(field, CODE[6:])
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert scans == []  # the tail alone is too short, and it followed an edit


def test_a_burst_into_another_field_restores_that_field(qtbot, form):
    field, other, _, scans, _ = form
    field.setText("keep")
    other.setText("mine")
    qtbot.wait(150)
    QTest.keyClicks(other, CODE)
    QTest.keyClick(other, Qt.Key.Key_Return)
    assert scans == [CODE] and other.text() == "mine" and field.text() == "keep"
