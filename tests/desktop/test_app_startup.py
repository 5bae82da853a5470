"""The register starting on a damaged database: it says so, keeps the bad file, recovers
from HQ and sells again — through the same composition root `tamaru` uses."""

from __future__ import annotations

import threading

from desktop.app import build_register
from desktop.settings import Settings
from sync.events import EventBus


def test_corrupt_database_is_kept_refused_and_recovered(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "register.db"
    db.write_bytes(b"this is not a database" * 500)
    bus = EventBus()
    messages: list[str] = []
    synced = threading.Event()
    bus.subscribe("counter_message", lambda text, level: messages.append(text))
    bus.subscribe("synced", lambda *a: synced.set())
    register = build_register(Settings(home), events=bus)
    try:
        kept = [p for p in home.iterdir() if p.name.startswith("register.db.corrupt-")]
        assert len(kept) == 1
        assert kept[0].read_bytes().startswith(b"this is not a database")
        assert register.store.refusal() is not None
        register.start()
        assert any("退避" in m or "破損" in m for m in messages), messages
        assert synced.wait(30)
        # The full pull ended the refusal: the demo member can be served again.
        assert register.store.refusal() is None
        member = register.store.member_by_card("04A1B2C3D4E5F6")
        assert member.display_name == "山田 花子"
    finally:
        register.stop()
