"""Where the register keeps its HQ token: the OS keyring when there is a usable one,
otherwise a file only the register's user can read (`<home>/secrets/register-token`, 0600).

The token lets anyone holding it push sales as this register, so it is kept out of
`config.toml` (which support staff open and copy around) and out of diagnostics bundles.
Installs from before this module kept it in `config.toml` as `hq.token`; `load_token`
still reads that, and `adopt_config_token` moves it into the secret store.

`keyring` is optional: when it is not installed, or its backend is the "no keyring"
one (a counter PC without a desktop session has no Secret Service), the file is used.
`TAMARU_SECRET_STORE=file` forces the file even where a keyring exists: a locked desktop
keyring would otherwise ask for a password at a store counter when the app starts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from desktop.settings import Settings, SettingsError

log = logging.getLogger(__name__)

SERVICE = "tamaru"
STORE_ENV = "TAMARU_SECRET_STORE"  # auto (default) | keyring | file
SECRETS_DIR = "secrets"
TOKEN_FILE = "register-token"
# Backends that store nothing, or store in clear in a file of their own: the 0600 file
# here is no worse than those and is the one documented for support.
_UNUSABLE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null",
                      "keyrings.alt.file", "keyrings.alt.Gnome")

Where = Literal["keyring", "file"]


class SecretError(RuntimeError):
    """The token could not be stored or read; the message says what to check."""


@dataclass(frozen=True)
class StoredToken:
    where: Where
    detail: str  # the keyring backend's name or the file's path, for logs and support


def token_path(home: Path) -> Path:
    return home / SECRETS_DIR / TOKEN_FILE


def _account(home: Path) -> str:
    # One token per data folder: a test machine or a training register may have several.
    return f"register-token:{home.expanduser().resolve()}"


def _mode() -> str:
    mode = os.environ.get(STORE_ENV, "auto").strip().lower() or "auto"
    if mode not in ("auto", "keyring", "file"):
        raise SecretError(f"{STORE_ENV}={mode!r}: auto, keyring または file を指定してください")
    return mode


def usable_keyring() -> ModuleType | None:
    """The keyring module when its active backend really keeps secrets, else None."""
    if _mode() == "file":
        return None
    try:
        import keyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration must not stop a register
        log.warning("keyring unavailable: %s", exc)
        return None
    chain = getattr(backend, "backends", None)  # the chainer wraps the real ones
    backends = list(chain) if chain is not None else [backend]
    real = [b for b in backends if not type(b).__module__.startswith(_UNUSABLE_BACKENDS)]
    return keyring if real else None


def _backend_name(keyring: ModuleType) -> str:
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


# -- the file ---------------------------------------------------------------------------


def _write_file(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    # Created 0600 from the first byte: a chmod after writing leaves a window.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, token.encode("utf-8") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _read_file(path: Path) -> str | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        # Someone copied or restored it with wide permissions; narrow them, and say so.
        log.warning("register token file %s was readable by others; now 0600", path)
        os.chmod(path, 0o600)
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretError(f"レジのトークンを読めません（{path}: {exc.strerror}）") from exc
    return token or None


# -- the store ----------------------------------------------------------------------------


def save_token(home: Path, token: str) -> StoredToken:
    """Keep the token in the keyring if there is one, else in the 0600 file.

    Only one copy remains: saving to the keyring removes an older file and vice versa,
    so a token replaced by a new activation cannot come back from the other place.
    """
    token = token.strip()
    if not token:
        raise SecretError("空のトークンは保存できません")
    keyring = usable_keyring()
    if keyring is None and _mode() == "keyring":
        raise SecretError(f"{STORE_ENV}=keyring ですが、使えるキーリングがありません")
    if keyring is not None:
        try:
            keyring.set_password(SERVICE, _account(home), token)
        except Exception as exc:
            if _mode() == "keyring":
                raise SecretError(f"キーリングに保存できません: {exc}") from exc
            log.warning("keyring refused the token (%s); keeping it in a 0600 file", exc)
        else:
            with contextlib.suppress(FileNotFoundError):
                token_path(home).unlink()
            return StoredToken("keyring", _backend_name(keyring))
    path = token_path(home)
    try:
        _write_file(path, token)
    except OSError as exc:
        raise SecretError(f"レジのトークンを保存できません（{path}: {exc.strerror}）") from exc
    if keyring is not None:
        with contextlib.suppress(Exception):
            keyring.delete_password(SERVICE, _account(home))
    return StoredToken("file", str(path))


def read_token(home: Path) -> str | None:
    """The token from the keyring or the file; None when neither has one."""
    keyring = usable_keyring()
    if keyring is not None:
        try:
            token = keyring.get_password(SERVICE, _account(home))
        except Exception as exc:
            log.warning("keyring could not be read (%s); trying the token file", exc)
        else:
            if token:
                return str(token)
    return _read_file(token_path(home))


def delete_token(home: Path) -> None:
    """Forget the token everywhere (a register being decommissioned or re-provisioned)."""
    keyring = usable_keyring()
    if keyring is not None:
        with contextlib.suppress(Exception):
            keyring.delete_password(SERVICE, _account(home))
    with contextlib.suppress(FileNotFoundError):
        token_path(home).unlink()


def load_token(home: Path, settings: Settings | None = None) -> str | None:
    """The register's token: the secret store first, then `hq.token` in config.toml
    (installs from before the secret store). None when the register has none."""
    token = read_token(home)
    if token:
        return token
    if settings is None:
        try:
            settings = Settings.load(home)
        except SettingsError:
            return None
    legacy = str(settings.get("hq.token") or "").strip()
    return legacy or None


def adopt_config_token(settings: Settings) -> StoredToken | None:
    """Move a token still kept in config.toml into the secret store and blank it there.

    Returns where it went, or None when config.toml held no token. When the secret store
    already has a token, the one in config.toml is older (an activation writes only to
    the secret store) and is simply removed.
    """
    legacy = str(settings.get("hq.token") or "").strip()
    if not legacy:
        return None
    stored: StoredToken | None = None
    if read_token(settings.home) is None:
        stored = save_token(settings.home, legacy)
    settings.set("hq.token", "")
    settings.save()
    return stored or StoredToken("file" if usable_keyring() is None else "keyring", "")
