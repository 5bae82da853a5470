"""Phone numbers as HQ keeps them: a keyed hash to search by and a masked form to show.

The plain number is never stored. The hash key is made when the schema is created and is
shared with the company's registers (see `RegisterInfo.phone_hash_key`) so a counter
can search its cache by a typed number. Japanese numbers are ten or eleven digits, so
anyone holding the key could recover a number by trying them all: the key protects the
numbers from someone with a copy of a database, not from a compromised register.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import Session

from hq.errors import DirectoryError
from hq.models import HqSetting

PHONE_HASH_KEY = "phone_hash_key"


def normalize_phone(text: str) -> str:
    """The number's digits in domestic form: full-width digits, +81 and separators accepted."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    for sep in (" ", "-", "(", ")", "."):
        cleaned = cleaned.replace(sep, "")
    if cleaned.startswith("+81"):
        cleaned = "0" + cleaned[3:]
    if not (cleaned.isascii() and cleaned.isdigit() and cleaned.startswith("0") and len(cleaned) in (10, 11)):
        raise DirectoryError(
            f"phone {text!r}: expected a Japanese number of 10 or 11 digits starting with 0"
        )
    return cleaned


def mask_phone(digits: str) -> str:
    """090-****-5678: enough for a member to recognise their number at the counter."""
    return f"{digits[:-8]}-****-{digits[-4:]}"


def phone_hash(key: str, digits: str) -> str:
    return hmac.new(bytes.fromhex(key), digits.encode("ascii"), hashlib.sha256).hexdigest()


def phone_hash_key(session: Session) -> str:
    row = session.get(HqSetting, PHONE_HASH_KEY)
    if row is None:  # made by migration 0002; only a hand-edited database lacks it
        raise RuntimeError("hq_settings has no phone_hash_key: run `tamaru-hq migrate`")
    return row.value


def phone_hash_key_conn(conn: Connection) -> str:
    """`phone_hash_key` for code working on a Core connection."""
    table = HqSetting.__table__
    assert isinstance(table, Table)
    value = conn.execute(select(table.c.value).where(table.c.name == PHONE_HASH_KEY)).scalar()
    if value is None:
        raise RuntimeError("hq_settings has no phone_hash_key: run `tamaru-hq migrate`")
    return str(value)
