"""Phone numbers as the register may hold them: a keyed hash to search by, never the number.

HQ computes `MemberState.phone_hash` with the same normalization and key
(`RegisterInfo.phone_hash_key`), so a number typed at the counter finds the member
without the register ever storing a phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

SEPARATORS = (" ", "-", "(", ")", ".")


def normalize_phone(phone: str) -> str:
    """The digits of a Japanese phone number in domestic form (0 and 9 or 10 digits).

    Full-width digits (typed through an IME), hyphens, spaces and brackets are ignored,
    and +81 becomes the domestic 0: "+81 90-1234-5678" and "０９０１２３４５６７８" are the
    same number. Anything else is refused with a message for the cashier.
    """
    cleaned = unicodedata.normalize("NFKC", phone).strip()
    for sep in SEPARATORS:
        cleaned = cleaned.replace(sep, "")
    if cleaned.startswith("+81"):
        cleaned = "0" + cleaned[3:]
    if not (cleaned.isascii() and cleaned.isdigit() and cleaned.startswith("0")
            and len(cleaned) in (10, 11)):
        raise ValueError("電話番号は市外局番から10桁または11桁で入力してください")
    return cleaned


def phone_lookup_hash(key: bytes | str, phone: str) -> str:
    """HMAC-SHA256 (hex) of the normalized number. `key` is the raw key or its hex form
    as HQ distributes it. Keyed, so a copied register database cannot be reversed by
    hashing every possible number without also having the key."""
    raw = bytes.fromhex(key) if isinstance(key, str) else key
    if not raw:
        raise ValueError("phone hash key is empty")
    return hmac.new(raw, normalize_phone(phone).encode("ascii"), hashlib.sha256).hexdigest()
