"""Who the customer is: a card tap, a scanned code or a typed member number → a member.

Qt-free. A scan is first repaired (`loyalty.wedge`) and classified (`loyalty.scan`):

- an app QR token is verified offline with the public keys pulled from HQ
  (`loyalty.tokens`), then its nonce is remembered so the same code cannot be used twice;
- a printed member barcode (EAN-13 with check digit) is looked up by number;
- a receipt QR belongs to the returns screen.

Every refusal has its own reason and sentence (unknown, blocked, forged, expired,
replayed, malformed, …) and nothing is ever recorded for it. `identify_scan` writes the
nonce, so it runs on the store thread; the other look-ups only read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from desktop.flows.messages import (
    CARD_BLOCKED,
    KEY_RETIRED,
    MEMBER_BLOCKED,
    MEMBER_NOT_CACHED,
    RECEIPT_SCANNED,
    REPLAYED,
    UNKNOWN_CARD,
    UNKNOWN_MEMBER_NO,
    Message,
)
from loyalty.scan import MEMBER_PREFIXES, ScanKind, classify_scan, member_no_is_valid
from loyalty.tokens import MAX_TTL_SECONDS, TokenError, verify_token
from loyalty.wedge import normalize
from sync.store import MemberView, RegisterStore, StoreError, TokenKeyView

log = logging.getLogger(__name__)

# Why a scan was refused, by kind of input problem. Each has its own sentence.
_SCAN_REASONS = {
    "empty": "malformed", "too_long": "malformed", "malformed_token": "malformed",
    "malformed_receipt": "malformed", "ime_on": "ime_on",
    "bad_check_digit": "bad_check_digit", "not_member": "not_member",
    "unrecognized": "unknown",
}


@dataclass(frozen=True)
class Identified:
    member: MemberView
    via: str  # "card", "card_file", "app_token", "member_barcode", "member_no"


@dataclass(frozen=True)
class Refused:
    """Nobody was identified. `reason` is a code for tests and logs; `message` is for the
    cashier and says what to do."""

    reason: str
    message: str
    detail: str = ""


Outcome = Identified | Refused


class Identifier:
    """Turns what was presented into a member of the register's cache, or a refusal."""

    def __init__(self, store: RegisterStore, *, clock: Callable[[], datetime] | None = None,
                 skew_seconds: int = 30,
                 member_prefixes: tuple[str, ...] = MEMBER_PREFIXES) -> None:
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.skew = timedelta(seconds=skew_seconds)
        self.member_prefixes = member_prefixes
        self._keys_cache: tuple[tuple[str, ...], dict[str, Ed25519PublicKey]] = ((), {})

    # -- entry points ---------------------------------------------------------------------

    def identify_scan(self, text: str) -> Outcome:
        """A scanner's text (wedge or serial). Store thread: app tokens write their nonce."""
        scan = classify_scan(text, member_prefixes=self.member_prefixes)
        if scan.kind is ScanKind.APP_TOKEN and scan.token is not None:
            return self._token(scan.token)
        if scan.kind is ScanKind.MEMBER_BARCODE and scan.member_no is not None:
            return self._by_number(scan.member_no, "member_barcode")
        if scan.kind is ScanKind.RECEIPT:
            return Refused("receipt", Message(RECEIPT_SCANNED), scan.text)
        reason = scan.reason or "unrecognized"
        return Refused(_SCAN_REASONS.get(reason, "unknown"), scan.message, reason)

    def identify_card(self, uid: str, member_no: str | None = None) -> Outcome:
        """A card tap; the member number read from the card's file wins when present.

        A card HQ has blocked (reported lost, replaced) is refused whatever its file
        says: the number on a lost card is still its member's. A card whose UID is not
        registered (yet) is found by the number on it.
        """
        refused = self.store.refusal()
        if refused is not None:
            # A store being rebuilt has an empty cache: "unknown card" would mislead.
            return Refused("store_refused", str(refused))
        card = self.store.find_card(uid)
        if card is not None and card[1] != "active":
            return Refused("blocked", Message(CARD_BLOCKED))
        if member_no:
            found = self._by_number(member_no, "card_file")
            if isinstance(found, Identified) or found.reason == "blocked":
                return found
            # A number the cache does not know (yet): the card's UID may still be known.
        if card is None:
            return Refused("unknown", Message(UNKNOWN_CARD))
        member_id, _ = card
        member = self.store.member(member_id)
        if member is None:
            return Refused("unknown", Message(MEMBER_NOT_CACHED))
        if member.status != "active":
            return Refused("blocked", Message(MEMBER_BLOCKED))
        return Identified(member, "card")

    def identify_member_no(self, text: str) -> Outcome:
        """A member number typed at the keyboard (or a barcode read by a manual scanner)."""
        number = normalize(text, ())
        if not number.isdigit():
            return self.identify_scan(text)
        if len(number) == 13 and not member_no_is_valid(number, self.member_prefixes):
            return self.identify_scan(number)  # says which check failed
        return self._by_number(number, "member_no")

    # -- the parts --------------------------------------------------------------------------

    def _by_number(self, member_no: str, via: str) -> Outcome:
        refused = self.store.refusal()
        if refused is not None:
            return Refused("store_refused", str(refused))
        try:
            member = self.store.find_member_by_number(member_no)
        except StoreError as exc:
            return Refused("unknown", str(exc))
        if member is None:
            message = MEMBER_NOT_CACHED if via == "app_token" else UNKNOWN_MEMBER_NO
            return Refused("unknown", Message(message))
        if member.status != "active":
            return Refused("blocked", Message(MEMBER_BLOCKED))
        return Identified(member, via)

    def _token(self, token: str) -> Outcome:
        now = self.clock()
        keys = self.store.token_keys()
        try:
            claims = verify_token(token, self._public_keys(keys), now,
                                  skew_seconds=int(self.skew.total_seconds()))
        except TokenError as exc:
            return Refused(exc.reason, str(exc), exc.detail)
        key = next(k for k in keys if k.key_id == claims.key_id)
        if key.retired_at is not None and claims.issued_at > key.retired_at + self.skew:
            # HQ never signs with a retired key: whoever made this token has the old key.
            return Refused("forged", Message(KEY_RETIRED), claims.key_id)
        fresh = self.store.remember_token(claims.key_id, claims.nonce,
                                          expires_at=claims.expires_at, now=now,
                                          keep_for=self.skew)
        if not fresh:
            return Refused("replayed", Message(REPLAYED), claims.nonce)
        return self._by_number(claims.member_no, "app_token")

    def _public_keys(self, keys: list[TokenKeyView]) -> dict[str, Ed25519PublicKey]:
        """Keys that can still verify a token now; a key retired long enough ago that every
        token it signed has expired is left out."""
        now = self.clock()
        horizon = timedelta(seconds=MAX_TTL_SECONDS) + self.skew
        usable = [k for k in keys if k.retired_at is None or now < k.retired_at + horizon]
        signature = tuple(f"{k.key_id}:{k.public_key.hex()}" for k in usable)
        cached_signature, cached = self._keys_cache
        if signature != cached_signature:
            cached = {k.key_id: Ed25519PublicKey.from_public_bytes(k.public_key)
                      for k in usable}
            self._keys_cache = (signature, cached)
        return cached
