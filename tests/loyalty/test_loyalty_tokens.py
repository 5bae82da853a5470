"""Member QR tokens: round trip, each refusal reason, wedge damage, and fuzzing.

The fuzz properties feed over 10,000 generated inputs in all: arbitrary text, valid
tokens with one character changed, and well-formed payloads with a signature that is not
HQ's. None may crash, and none may verify.
"""

from __future__ import annotations

import base64
import re
import struct
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.scan import ScanKind, classify_scan, member_no_is_valid
from loyalty.tokens import (
    MAX_TTL_SECONDS,
    TOKEN_PREFIX,
    TokenClaims,
    TokenError,
    b32decode_canonical,
    issue_token,
    verify_token,
)

HQ_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEYS = {"K1": HQ_KEY.public_key()}
NOW = datetime(2025, 4, 5, 3, 0, tzinfo=UTC)
MEMBER = "2900000000018"
QR_ALNUM = re.compile(r"[0-9A-Z $%*+\-./:]+")


def token(**kw) -> str:
    args = {"private_key": HQ_KEY, "key_id": "K1", "member_no": MEMBER, "now": NOW,
            "nonce": "ABCDEFGH23"} | kw
    return issue_token(**args)


def test_round_trip_and_qr_alphanumeric():
    t = token()
    assert t.startswith(TOKEN_PREFIX) and QR_ALNUM.fullmatch(t)
    claims = verify_token(t, KEYS, NOW + timedelta(seconds=10))
    assert claims == TokenClaims(MEMBER, "K1", NOW, NOW + timedelta(seconds=60), "ABCDEFGH23")


def test_a_fresh_nonce_each_time():
    a = verify_token(token(nonce=None), KEYS, NOW).nonce
    b = verify_token(token(nonce=None), KEYS, NOW).nonce
    assert a != b and len(a) == 16


@pytest.mark.parametrize(("damage", "why"), [
    (str.lower, "caps lock"),
    (lambda t: t.replace(":", "+"), "US scanner on a JIS keyboard"),
    (lambda t: t.replace(":", "'"), "JIS scanner on a US keyboard"),
    (lambda t: "  " + t + "\r\n", "scanner suffix"),
    (lambda t: t.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}), "IME full-width"),
])
def test_survives_keyboard_wedge_damage(damage, why):
    assert verify_token(damage(token()), KEYS, NOW).member_no == MEMBER, why


@pytest.mark.parametrize(("make", "keys", "now", "reason"), [
    (lambda: "hello", KEYS, NOW, "malformed"),
    (lambda: TOKEN_PREFIX, KEYS, NOW, "malformed"),
    (lambda: token() + "A", KEYS, NOW, "malformed"),
    (lambda: token()[:-8], KEYS, NOW, "malformed"),
    (lambda: token(key_id="K2"), KEYS, NOW, "unknown_key"),
    (lambda: token(private_key=OTHER_KEY), KEYS, NOW, "forged"),
    (lambda: token(), KEYS, NOW + timedelta(seconds=60 + 30), "expired"),
    (lambda: token(), KEYS, NOW - timedelta(seconds=31), "not_yet_valid"),
])
def test_refusals_have_distinct_reasons_and_japanese_messages(make, keys, now, reason):
    with pytest.raises(TokenError) as err:
        verify_token(make(), keys, now)
    assert err.value.reason == reason
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", str(err.value))


def test_clock_skew_is_tolerated_but_bounded():
    t = token()
    assert verify_token(t, KEYS, NOW + timedelta(seconds=89)).member_no == MEMBER
    assert verify_token(t, KEYS, NOW - timedelta(seconds=30)).member_no == MEMBER
    with pytest.raises(TokenError):
        verify_token(t, KEYS, NOW + timedelta(seconds=61), skew_seconds=0)
    with pytest.raises(ValueError):
        verify_token(t, KEYS, NOW, skew_seconds=3600)


def test_rotation_keeps_old_tokens_valid_while_both_keys_are_published():
    old = token(key_id="K1")
    new = token(key_id="K2", private_key=OTHER_KEY)
    both = KEYS | {"K2": OTHER_KEY.public_key()}
    assert {verify_token(t, both, NOW).key_id for t in (old, new)} == {"K1", "K2"}


@pytest.mark.parametrize("kw", [
    {"key_id": "k1"}, {"key_id": "K" * 17}, {"member_no": "29-00"}, {"ttl_seconds": 0},
    {"ttl_seconds": MAX_TTL_SECONDS + 1}, {"nonce": "short"}, {"nonce": "lower-case!"},
    {"now": datetime(2025, 4, 5)},
])
def test_issuing_refuses_bad_arguments(kw):
    with pytest.raises(ValueError):
        token(**kw)


def _signed_body(payload: bytes, key: Ed25519PrivateKey | None) -> str:
    sig = key.sign(b"TAMARU-MEMBER-TOKEN\x00" + payload) if key else bytes(64)
    return TOKEN_PREFIX + base64.b32encode(payload + sig).decode().rstrip("=")


def test_a_long_validity_is_refused_even_if_signed():
    payload = struct.pack(">BIH", 1, int(NOW.timestamp()), 3600) + b"\x02K1\x0d" + \
        MEMBER.encode() + b"\x0aABCDEFGH23"
    with pytest.raises(TokenError) as err:
        verify_token(_signed_body(payload, HQ_KEY), KEYS, NOW)
    assert err.value.reason == "malformed"


def test_a_signature_made_for_something_else_does_not_verify():
    payload = struct.pack(">BIH", 1, int(NOW.timestamp()), 60) + b"\x02K1\x0d" + \
        MEMBER.encode() + b"\x0aABCDEFGH23"
    sig = HQ_KEY.sign(payload)  # no domain tag: e.g. a signature over some other message
    forged = TOKEN_PREFIX + base64.b32encode(payload + sig).decode().rstrip("=")
    with pytest.raises(TokenError) as err:
        verify_token(forged, KEYS, NOW)
    assert err.value.reason == "forged"


# -- fuzzing: 5,000 + 3,000 + 2,000 generated inputs -------------------------------------

ALPHABET = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567:+-. $%*/019")


@settings(max_examples=5000, deadline=None)
@given(st.one_of(st.text(max_size=300),
                 st.text(ALPHABET, max_size=300).map(lambda s: TOKEN_PREFIX + s),
                 st.binary(max_size=200).map(lambda b: TOKEN_PREFIX + base64.b32encode(b)
                                             .decode().rstrip("="))))
def test_fuzz_arbitrary_text_never_crashes_and_never_verifies(text):
    with pytest.raises(TokenError) as err:
        verify_token(text, KEYS, NOW)
    assert err.value.reason in {"malformed", "unknown_key", "forged"}
    scan = classify_scan(text)
    if scan.kind is ScanKind.UNKNOWN:
        assert scan.reason and scan.message
    elif scan.kind is ScanKind.MEMBER_BARCODE:
        assert scan.member_no is not None and member_no_is_valid(scan.member_no)


VALID = token()


@settings(max_examples=3000, deadline=None)
@given(st.integers(len(TOKEN_PREFIX), len(VALID) - 1), st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
def test_fuzz_one_changed_character_never_verifies(pos, char):
    if VALID[pos] == char:
        return
    mutated = VALID[:pos] + char + VALID[pos + 1:]
    with pytest.raises(TokenError) as err:
        verify_token(mutated, KEYS, NOW)
    assert err.value.reason in {"malformed", "unknown_key", "forged"}


@settings(max_examples=2000, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, MAX_TTL_SECONDS),
       st.text("0123456789", min_size=1, max_size=20),
       st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=32),
       st.sampled_from([None, OTHER_KEY]))
def test_fuzz_well_formed_but_unsigned_never_verifies(issued, ttl, member_no, nonce, key):
    payload = (struct.pack(">BIH", 1, issued, ttl) + b"\x02K1" + bytes([len(member_no)])
               + member_no.encode() + bytes([len(nonce)]) + nonce.encode())
    when = datetime.fromtimestamp(issued, UTC)
    with pytest.raises(TokenError) as err:
        verify_token(_signed_body(payload, key), KEYS, when)
    assert err.value.reason == "forged"


@settings(max_examples=1000, deadline=None)
@given(st.binary(min_size=1, max_size=120))
def test_base32_decoder_agrees_with_the_standard_library(raw):
    body = base64.b32encode(raw).decode().rstrip("=")
    assert b32decode_canonical(body) == raw
    # Another spelling of the same bytes (stray trailing bits) is refused.
    for alt in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567":
        other = body[:-1] + alt
        if other != body and base64.b32decode(other + "=" * (-len(other) % 8)) == raw:
            assert b32decode_canonical(other) is None
    # A length no encoder produces (1, 3 or 6 mod 8) is refused.
    if len(body) % 8 in (0, 2, 5):
        assert b32decode_canonical(body + "A") is None
