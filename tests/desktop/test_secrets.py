"""The register token: kept in the keyring where there is a usable one, else in a 0600
file; never left in config.toml once a secret store holds it."""

from __future__ import annotations

import stat
import sys
import types

import pytest

from desktop import secrets
from desktop.secrets import (
    SecretError,
    adopt_config_token,
    delete_token,
    load_token,
    read_token,
    save_token,
    token_path,
)
from desktop.settings import Settings

TOKEN = "yt8PbGgvW7PqJmqLNsjAE-Miq4tLFakCXt3GTUnY-us"


class MemoryKeyring:
    """A keyring backend that keeps secrets in a dict, as the OS keyring would."""

    def __init__(self, fail_set: bool = False) -> None:
        self.items: dict[tuple[str, str], str] = {}
        self.fail_set = fail_set

    def set_password(self, service: str, user: str, password: str) -> None:
        if self.fail_set:
            raise RuntimeError("the keyring is locked")
        self.items[(service, user)] = password

    def get_password(self, service: str, user: str) -> str | None:
        return self.items.get((service, user))

    def delete_password(self, service: str, user: str) -> None:
        self.items.pop((service, user))


def install_keyring(monkeypatch, backend: object) -> None:
    module = types.ModuleType("keyring")
    module.get_keyring = lambda: backend  # type: ignore[attr-defined]
    module.set_password = backend.set_password  # type: ignore[attr-defined]
    module.get_password = backend.get_password  # type: ignore[attr-defined]
    module.delete_password = backend.delete_password  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.setitem(sys.modules, "keyring", None)  # import keyring → ImportError
    monkeypatch.delenv(secrets.STORE_ENV, raising=False)


def test_without_a_keyring_the_token_is_a_0600_file(tmp_path, no_keyring):
    home = tmp_path / "home"
    stored = save_token(home, TOKEN)
    path = token_path(home)
    assert (stored.where, stored.detail) == ("file", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_token(home) == TOKEN
    assert not list(path.parent.glob("*.tmp"))
    save_token(home, "second-token-value")  # a re-activation replaces it
    assert read_token(home) == "second-token-value"
    delete_token(home)
    assert read_token(home) is None and not path.exists()


def test_a_widened_token_file_is_narrowed_when_read(tmp_path, no_keyring):
    home = tmp_path / "home"
    save_token(home, TOKEN)
    token_path(home).chmod(0o644)
    assert read_token(home) == TOKEN
    assert stat.S_IMODE(token_path(home).stat().st_mode) == 0o600


def test_a_usable_keyring_holds_the_token_and_no_file_remains(tmp_path, monkeypatch):
    monkeypatch.delenv(secrets.STORE_ENV, raising=False)
    home = tmp_path / "home"
    save_token(home, "older-token-in-a-file")  # before the keyring existed here
    assert token_path(home).exists()
    backend = MemoryKeyring()
    install_keyring(monkeypatch, backend)
    stored = save_token(home, TOKEN)
    assert stored.where == "keyring"
    assert list(backend.items.values()) == [TOKEN]
    assert not token_path(home).exists()
    assert read_token(home) == TOKEN
    # Two data folders on one PC keep two tokens.
    save_token(tmp_path / "other", "other-token")
    assert read_token(home) == TOKEN and read_token(tmp_path / "other") == "other-token"


def test_a_locked_keyring_falls_back_to_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv(secrets.STORE_ENV, raising=False)
    install_keyring(monkeypatch, MemoryKeyring(fail_set=True))
    stored = save_token(tmp_path / "home", TOKEN)
    assert stored.where == "file"
    assert read_token(tmp_path / "home") == TOKEN


def test_the_no_keyring_backend_is_not_used(tmp_path, monkeypatch):
    monkeypatch.delenv(secrets.STORE_ENV, raising=False)
    fail = types.new_class("Keyring", (MemoryKeyring,))
    fail.__module__ = "keyring.backends.fail"
    install_keyring(monkeypatch, fail())
    assert save_token(tmp_path / "home", TOKEN).where == "file"


def test_file_mode_is_forced_by_the_environment(tmp_path, monkeypatch):
    backend = MemoryKeyring()
    install_keyring(monkeypatch, backend)
    monkeypatch.setenv(secrets.STORE_ENV, "file")
    assert save_token(tmp_path / "home", TOKEN).where == "file"
    assert backend.items == {}
    monkeypatch.setenv(secrets.STORE_ENV, "sometimes")
    with pytest.raises(SecretError, match="TAMARU_SECRET_STORE"):
        save_token(tmp_path / "home", TOKEN)


def test_keyring_mode_without_a_keyring_is_an_error(tmp_path, no_keyring, monkeypatch):
    monkeypatch.setenv(secrets.STORE_ENV, "keyring")
    with pytest.raises(SecretError, match="キーリング"):
        save_token(tmp_path / "home", TOKEN)


def test_an_old_install_token_in_config_is_read_then_moved(tmp_path, no_keyring):
    home = tmp_path / "home"
    Settings(home, {"hq.url": "https://hq.example.co.jp", "hq.token": TOKEN}).save()
    assert load_token(home) == TOKEN  # an old install keeps working before the move
    stored = adopt_config_token(Settings.load(home))
    assert stored is not None and stored.where == "file"
    assert TOKEN not in (home / "config.toml").read_text(encoding="utf-8")
    assert Settings.load(home).get("hq.url") == "https://hq.example.co.jp"
    assert load_token(home) == TOKEN
    assert adopt_config_token(Settings.load(home)) is None  # nothing left to move


def test_the_secret_store_wins_over_a_stale_config_token(tmp_path, no_keyring):
    home = tmp_path / "home"
    save_token(home, "fresh-token-from-activation")
    Settings(home, {"hq.url": "https://hq.example.co.jp", "hq.token": "stale-token"}).save()
    assert load_token(home) == "fresh-token-from-activation"
    adopt_config_token(Settings.load(home))
    assert read_token(home) == "fresh-token-from-activation"
    assert "stale-token" not in (home / "config.toml").read_text(encoding="utf-8")


def test_no_token_anywhere(tmp_path, no_keyring):
    assert load_token(tmp_path / "nothing") is None
    with pytest.raises(SecretError):
        save_token(tmp_path / "home", "  ")


# -- the installed keyring library, with a backend registered the way a plug-in is -------


@pytest.fixture
def real_keyring(monkeypatch):
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class ProcessKeyring(KeyringBackend):
        """A keyring backend living in this process, registered through keyring's own
        API as a Secret Service or KWallet backend would be."""

        priority = 10  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def delete_password(self, service: str, username: str) -> None:
            self.items.pop((service, username))

    monkeypatch.delenv(secrets.STORE_ENV, raising=False)
    previous = keyring.get_keyring()
    backend = ProcessKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_the_installed_keyring_library_keeps_the_token(tmp_path, real_keyring):
    home = tmp_path / "home"
    stored = save_token(home, TOKEN)
    assert stored.where == "keyring"
    assert TOKEN in real_keyring.items.values()
    assert not token_path(home).exists()
    assert read_token(home) == TOKEN
    delete_token(home)
    assert read_token(home) is None and not real_keyring.items


def test_this_machine_without_a_secret_service_uses_the_file(tmp_path, monkeypatch):
    # A counter PC with no desktop session: keyring finds no backend that keeps secrets.
    keyring = pytest.importorskip("keyring")
    from keyring.backends import fail

    monkeypatch.delenv(secrets.STORE_ENV, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        stored = save_token(tmp_path / "home", TOKEN)
    finally:
        keyring.set_keyring(previous)
    assert stored.where == "file"
    assert stat.S_IMODE(token_path(tmp_path / "home").stat().st_mode) == 0o600
