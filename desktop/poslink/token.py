"""The POS link's per-install token: made at first start, kept in a 0600 file in the
register's home, shown in settings for the integrator, rotated on demand.

Apart from the HTTP server so the link can be built (and the counter start) without
loading the web framework; the server is only imported when its port is set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TOKEN_FILE = "poslink-token"


def load_or_create_token(home: Path) -> str:
    """This install's token: made at first start, kept readable by this user only."""
    path = home / TOKEN_FILE
    if path.exists():
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 32:
            return token
    return rotate_token(home)


def rotate_token(home: Path) -> str:
    """A new token (the settings screen's 再発行): the old one stops working at once."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / TOKEN_FILE
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{TOKEN_FILE}.{os.getpid()}.tmp")
    # Created 0600 rather than chmod-ed afterwards: never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return token
