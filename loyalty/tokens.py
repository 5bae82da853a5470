"""Member QR tokens: short-lived, Ed25519-signed by HQ, verified offline at the register.

A token is ``TM1:`` followed by base32 (no padding) of a compact binary payload and its
signature, so it is QR alphanumeric and types the same through any keyboard-wedge
scanner. The payload carries the key id (for rotation), the member number, the time of
issue, the validity in seconds and a nonce; the register remembers nonces it has seen to
refuse replays. Verification refuses, with distinct reasons: malformed, unknown_key,
forged, expired and not_yet_valid — checking time only after the signature, so nothing
unsigned is ever reported as merely expired.
"""

from __future__ import annotations

import base64
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from loyalty.dates import require_aware
from loyalty.wedge import normalize

TOKEN_PREFIX = "TM1:"
VERSION = 1
MAX_TTL_SECONDS = 600  # a screenshot of the app's code must be useless within minutes
MAX_SKEW_SECONDS = 300
KEY_ID = re.compile(r"[A-Z0-9-]{1,16}")
MEMBER_NO = re.compile(r"[0-9]{1,20}")
NONCE = re.compile(r"[A-Z0-9]{8,32}")
_BASE32 = re.compile(r"[A-Z2-7]+")
_SIG_LEN = 64
_HEAD = struct.Struct(">BIH")  # version, issued_at (unix seconds), ttl seconds
_DOMAIN = b"TAMARU-MEMBER-TOKEN\x00"  # a signature made for anything else never verifies here

Reason = Literal["malformed", "unknown_key", "forged", "expired", "not_yet_valid"]

MESSAGES: dict[str, str] = {
    "malformed": "会員コードを読み取れませんでした。もう一度読み取ってください",
    "unknown_key": "この会員コードを確認できません。同期してからもう一度読み取ってください",
    "forged": "無効な会員コードです",
    "expired": "会員コードの有効期限が切れています。アプリで新しいコードを表示してください",
    "not_yet_valid": "会員コードの時刻が正しくありません。レジの時計を確認してください",
}


class TokenError(ValueError):
    """A token the register must refuse; `reason` is the code, the message is for the cashier."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(MESSAGES[reason])
        self.reason: Reason = reason
        self.detail = detail


@dataclass(frozen=True)
class TokenClaims:
    member_no: str
    key_id: str
    issued_at: datetime
    expires_at: datetime
    nonce: str


def _field(text: str) -> bytes:
    raw = text.encode("ascii")
    return bytes([len(raw)]) + raw


def _payload(key_id: str, member_no: str, issued: int, ttl: int, nonce: str) -> bytes:
    return (_HEAD.pack(VERSION, issued, ttl) + _field(key_id) + _field(member_no)
            + _field(nonce))


def issue_token(private_key: Ed25519PrivateKey, key_id: str, member_no: str, now: datetime,
                ttl_seconds: int = 60, nonce: str | None = None) -> str:
    """A token for `member_no`, valid from `now` for `ttl_seconds`, signed with `key_id`."""
    require_aware(now, "now")
    if not KEY_ID.fullmatch(key_id):
        raise ValueError(f"key_id must match {KEY_ID.pattern}, got {key_id!r}")
    if not MEMBER_NO.fullmatch(member_no):
        raise ValueError(f"member_no must be digits, got {member_no!r}")
    if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl_seconds must be 1–{MAX_TTL_SECONDS}, got {ttl_seconds}")
    if nonce is None:
        nonce = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    if not NONCE.fullmatch(nonce):
        raise ValueError(f"nonce must match {NONCE.pattern}, got {nonce!r}")
    issued = int(now.timestamp())
    if not 0 <= issued < 2**32:
        raise ValueError(f"now is out of range: {now.isoformat()}")
    payload = _payload(key_id, member_no, issued, ttl_seconds, nonce)
    signature = private_key.sign(_DOMAIN + payload)
    body = base64.b32encode(payload + signature).decode("ascii").rstrip("=")
    return TOKEN_PREFIX + body


def _take(data: bytes, at: int, pattern: re.Pattern[str]) -> tuple[str, int]:
    if at >= len(data):
        raise TokenError("malformed", "truncated")
    n = data[at]
    raw = data[at + 1:at + 1 + n]
    if len(raw) != n:
        raise TokenError("malformed", "truncated")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError("malformed", "not ascii") from None
    if not pattern.fullmatch(text):
        raise TokenError("malformed", f"bad field {text!r}")
    return text, at + 1 + n


_TO_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")


def b32decode_canonical(body: str) -> bytes | None:
    """Unpadded RFC 4648 base32 to bytes, or None if it is not the one canonical spelling.

    Python's own decoder is slow and accepts stray trailing bits; reading the text as a
    base-32 integer is exact, fast, and lets us refuse a second spelling of one token.
    """
    # Only these lengths mod 8 come out of an encoder; others leave a whole spare character.
    if len(body) % 8 not in (0, 2, 4, 5, 7) or not _BASE32.fullmatch(body):
        return None
    bits = 5 * len(body)
    spare = bits % 8
    value = int(body.translate(_TO_DIGITS), 32)
    if value & ((1 << spare) - 1):
        return None
    return (value >> spare).to_bytes(bits // 8, "big")


def _decode(token: str) -> tuple[bytes, bytes]:
    if not isinstance(token, str):
        raise TokenError("malformed", "not text")
    text = normalize(token, (TOKEN_PREFIX,))
    if not text.startswith(TOKEN_PREFIX):
        raise TokenError("malformed", "no prefix")
    body = text[len(TOKEN_PREFIX):]
    data = b32decode_canonical(body) if len(body) <= 400 else None
    if data is None:
        raise TokenError("malformed", "not canonical base32")
    if len(data) <= _HEAD.size + _SIG_LEN:
        raise TokenError("malformed", "too short")
    return data[:-_SIG_LEN], data[-_SIG_LEN:]


def verify_token(token: str, public_keys: Mapping[str, Ed25519PublicKey], now: datetime,
                 skew_seconds: int = 30) -> TokenClaims:
    """The claims of a valid token, or TokenError with why not.

    `skew_seconds` tolerates the register's clock being that far off HQ's, both ways.
    """
    require_aware(now, "now")
    if not 0 <= skew_seconds <= MAX_SKEW_SECONDS:
        raise ValueError(f"skew_seconds must be 0–{MAX_SKEW_SECONDS}, got {skew_seconds}")
    payload, signature = _decode(token)
    version, issued, ttl = _HEAD.unpack_from(payload)
    if version != VERSION:
        raise TokenError("malformed", f"version {version}")
    if not 1 <= ttl <= MAX_TTL_SECONDS:
        raise TokenError("malformed", f"ttl {ttl}")
    key_id, at = _take(payload, _HEAD.size, KEY_ID)
    member_no, at = _take(payload, at, MEMBER_NO)
    nonce, at = _take(payload, at, NONCE)
    if at != len(payload):
        raise TokenError("malformed", "trailing bytes")
    key = public_keys.get(key_id)
    if key is None:
        raise TokenError("unknown_key", key_id)
    try:
        key.verify(signature, _DOMAIN + payload)
    except InvalidSignature:
        raise TokenError("forged", key_id) from None
    issued_at = datetime.fromtimestamp(issued, UTC)
    expires_at = issued_at + timedelta(seconds=ttl)
    skew = timedelta(seconds=skew_seconds)
    if now < issued_at - skew:
        raise TokenError("not_yet_valid", issued_at.isoformat())
    if now >= expires_at + skew:
        raise TokenError("expired", expires_at.isoformat())
    return TokenClaims(member_no, key_id, issued_at, expires_at, nonce)
