"""Fuzzing what a scanner can type: the scan classifier and the member token verifier.

Seeded, bounded runs (the same inputs every time, so a failure reproduces): 12,000 scanner
inputs for `classify_scan` — junk, near-misses of every recognised form, keyboard-wedge
damage — and 10,000 mutations of one valid member token for `verify_token`. Nothing may
raise anything but the documented errors, and nothing may be accepted that should not be:

- a member barcode is only ever the 13 digits that were scanned, with a member prefix and
  a check digit that an independent implementation of the JAN rule agrees with;
- one changed digit in a member number is never taken for another member;
- a mutated token verifies only when the wedge repairs (case, full width, the ':' after
  the prefix, surrounding blanks) give back the very token HQ signed.

tests/loyalty/test_loyalty_tokens.py adds hypothesis properties over arbitrary text.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty.scan import (
    MAX_SCAN_CHARS,
    MEMBER_PREFIXES,
    MESSAGES,
    RECEIPT_PREFIX,
    Scan,
    ScanKind,
    classify_scan,
    make_member_no,
)
from loyalty.tokens import TOKEN_PREFIX, TokenError, issue_token, verify_token
from loyalty.wedge import normalize

SCAN_INPUTS = 12_000
TOKEN_MUTATIONS = 10_000

HQ_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEYS = {"K1": HQ_KEY.public_key()}
NOW = datetime(2025, 4, 5, 3, 0, tzinfo=UTC)
MEMBER = make_member_no(42)
VALID = issue_token(HQ_KEY, "K1", MEMBER, NOW, nonce="ABCDEFGH23")

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
QR_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
JUNK = QR_ALNUM + "abcxyz'\";_=#@!?\t\r\n　ａＺ０９：＋ーアあｱ漢\x00\u200b\ufeff\udcff"


def jan_ok(digits: str) -> bool:
    """The JAN/EAN-13 rule written out again, independently of loyalty.scan."""
    odd = sum(int(c) for c in digits[0:12:2])
    even = sum(int(c) for c in digits[1:12:2])
    return (odd + 3 * even + int(digits[12])) % 10 == 0


def full_width(text: str) -> str:
    return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


# -- generators: each returns one scanner input -----------------------------------------


def random_junk(rng: random.Random) -> str:
    return "".join(rng.choice(JUNK) for _ in range(rng.randint(0, 60)))


def random_unicode(rng: random.Random) -> str:
    # Any code point, surrogates included: whatever the input method or a broken
    # scanner profile produces.
    return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 20)))


def random_digits(rng: random.Random) -> str:
    prefix = rng.choice(["29", "29", "49", "45", "20", ""])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(rng.randint(10, 14)))
    return body


def valid_member(rng: random.Random) -> str:
    return make_member_no(rng.randrange(10**10))


def member_with_wrong_digit(rng: random.Random) -> str:
    number = valid_member(rng)
    pos = rng.randrange(13)
    digit = rng.choice([d for d in "0123456789" if d != number[pos]])
    return number[:pos] + digit + number[pos + 1:]


def member_transposed(rng: random.Random) -> str:
    number = valid_member(rng)
    pos = rng.randrange(12)
    return number[:pos] + number[pos + 1] + number[pos] + number[pos + 2:]


def member_as_codabar(rng: random.Random) -> str:
    number = rng.choice([valid_member(rng), member_with_wrong_digit(rng), random_digits(rng)])
    start, stop = rng.choice("ABCDabcdEZ"), rng.choice("ABCDabcdEZ")
    return start + number + stop


def member_damaged(rng: random.Random) -> str:
    number = rng.choice([valid_member(rng), member_with_wrong_digit(rng)])
    damage = rng.choice([full_width, lambda s: f"  {s}\r\n", lambda s: s + "\t",
                         lambda s: s[:-1], lambda s: s + rng.choice("0123456789"),
                         lambda s: s[:6] + " " + s[6:], lambda s: s.replace("2", "２", 1)])
    return damage(number)


def receipt_like(rng: random.Random) -> str:
    device = "".join(rng.choice(QR_ALNUM[:36]) for _ in range(rng.randint(0, 18)))
    seq = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 14)))
    head = rng.choice(["TR:", "tr:", "TR+", "TR'", "TR", "ＴＲ：", "TR::"])
    return head + device + rng.choice(["-", "", "--", "_"]) + seq


def token_like(rng: random.Random) -> str:
    body = "".join(rng.choice(rng.choice([BASE32, QR_ALNUM, "0189"]))
                   for _ in range(rng.randint(0, 420)))
    head = rng.choice(["TM1:", "tm1:", "TM1+", "TM1'", "TM1", "ＴＭ１：", "TM2:"])
    return head + body


def mutated_token(rng: random.Random) -> str:
    return mutate(VALID, rng)


def overlong(rng: random.Random) -> str:
    length = rng.randint(MAX_SCAN_CHARS - 2, MAX_SCAN_CHARS + 40)
    return (rng.choice(["9", "A", "あ", "TM1:" + "A" * length]) * length)[:length]


GENERATORS = [random_junk, random_unicode, random_digits, valid_member,
              member_with_wrong_digit, member_transposed, member_as_codabar, member_damaged,
              receipt_like, token_like, mutated_token, overlong]


def scan_inputs(count: int, seed: int = 20250405) -> list[str]:
    rng = random.Random(seed)
    return [GENERATORS[i % len(GENERATORS)](rng) for i in range(count)]


# -- classify_scan ------------------------------------------------------------------------


def check_scan(text: str, scan: Scan) -> None:
    """What every classification must satisfy, whatever the input."""
    assert isinstance(scan, Scan)
    if scan.kind is ScanKind.UNKNOWN:
        assert scan.reason in MESSAGES and scan.message == MESSAGES[scan.reason]
        assert scan.member_no is scan.token is scan.device_id is scan.seq is None
        return
    assert scan.reason is None and scan.message == ""
    assert len(text) <= MAX_SCAN_CHARS
    repaired = normalize(text, (TOKEN_PREFIX, RECEIPT_PREFIX))
    assert scan.text == repaired
    if scan.kind is ScanKind.MEMBER_BARCODE:
        number = scan.member_no
        assert number is not None and re.fullmatch(r"[0-9]{13}", number)
        assert number.startswith(MEMBER_PREFIXES) and jan_ok(number)
        # The number is what was scanned, less Codabar's start and stop letters at most.
        assert repaired == number or (len(repaired) == 15 and repaired[1:14] == number
                                      and repaired[0] in "ABCD" and repaired[14] in "ABCD")
        assert scan.token is scan.device_id is scan.seq is None
    elif scan.kind is ScanKind.APP_TOKEN:
        assert scan.token == repaired and repaired.startswith(TOKEN_PREFIX)
        assert re.fullmatch(f"[{BASE32}]{{40,400}}", repaired[len(TOKEN_PREFIX):])
        assert scan.member_no is None
    elif scan.kind is ScanKind.RECEIPT:
        m = re.fullmatch(r"TR:([A-Z0-9]{1,16})-([0-9]{1,12})", repaired)
        assert m is not None and scan.device_id == m.group(1) and scan.seq == int(m.group(2))
        assert scan.member_no is scan.token is None


def test_fuzz_classify_never_raises_and_accepts_only_what_it_should() -> None:
    kinds: Counter[str] = Counter()
    for text in scan_inputs(SCAN_INPUTS):
        scan = classify_scan(text)
        check_scan(text, scan)
        kinds[scan.reason or scan.kind.value] += 1
    # The generators reach every outcome, so the checks above were not vacuous.
    assert set(kinds) >= {"member_barcode", "app_token", "receipt", *MESSAGES}, kinds
    assert sum(kinds.values()) == SCAN_INPUTS


def test_fuzz_one_wrong_digit_is_never_another_member() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        number = valid_member(rng)
        pos = rng.randrange(13)
        digit = rng.choice([d for d in "0123456789" if d != number[pos]])
        typo = number[:pos] + digit + number[pos + 1:]
        for text in (typo, full_width(typo), f"A{typo}B", typo + "\r\n"):
            scan = classify_scan(text)
            assert scan.kind is ScanKind.UNKNOWN, (number, text)
            assert scan.reason in {"bad_check_digit", "not_member"} or (
                scan.reason == "ime_on" and text != typo)


def test_fuzz_every_valid_member_number_is_accepted_however_it_arrives() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        number = valid_member(rng)
        for text in (number, full_width(number), f" {number}\r\n", f"c{number}d"):
            scan = classify_scan(text)
            assert (scan.kind, scan.member_no) == (ScanKind.MEMBER_BARCODE, number), text


def test_fuzz_non_member_prefixes_are_refused_even_with_a_good_check_digit() -> None:
    rng = random.Random(13)
    for _ in range(2000):
        body = "".join(rng.choice("0123456789") for _ in range(12))
        if body.startswith(MEMBER_PREFIXES):
            continue
        total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
        code = body + str((10 - total % 10) % 10)
        assert classify_scan(code).reason == "not_member"
        assert classify_scan(code, member_prefixes=(body[:2],)).member_no == code


def test_non_text_input_is_refused_not_raised() -> None:
    for value in (None, b"2900000000018", 2900000000018, ["TM1:"], object()):
        scan = classify_scan(value)  # type: ignore[arg-type]
        assert (scan.kind, scan.reason) == (ScanKind.UNKNOWN, "unrecognized")


# -- the token verifier -------------------------------------------------------------------


def mutate(token: str, rng: random.Random) -> str:
    """One to three edits of the kinds a bad print, a scanner or an attacker makes."""
    s = token
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        pos = rng.randrange(len(s) + 1)
        edit = rng.randrange(10)
        alphabet = rng.choice([BASE32, QR_ALNUM, "abcxyz:+ 　ＡＺ２"])
        if edit == 0 and pos < len(s):  # substitute
            s = s[:pos] + rng.choice(alphabet) + s[pos + 1:]
        elif edit == 1 and pos < len(s):  # delete
            s = s[:pos] + s[pos + 1:]
        elif edit == 2:  # insert
            s = s[:pos] + rng.choice(alphabet) + s[pos:]
        elif edit == 3 and pos < len(s) - 1:  # swap neighbours
            s = s[:pos] + s[pos + 1] + s[pos] + s[pos + 2:]
        elif edit == 4:  # truncate
            s = s[:pos]
        elif edit == 5:  # a stretch read twice
            end = min(len(s), pos + rng.randint(1, 8))
            s = s[:end] + s[pos:end] + s[end:]
        elif edit == 6 and pos < len(s):  # flip bits in one base32 character's value
            ch = s[pos]
            if ch in BASE32:
                s = s[:pos] + BASE32[BASE32.index(ch) ^ (1 << rng.randrange(5))] + s[pos + 1:]
        elif edit == 7:  # wedge damage the register repairs
            s = rng.choice([str.lower, full_width, lambda t: t.replace(":", "+", 1),
                            lambda t: f" {t}\r\n"])(s)
        elif edit == 8:  # another key id, or another token's tail
            s = s[:pos] + VALID[pos:] if rng.random() < 0.5 else s.replace("TM1:", "TM2:", 1)
        else:  # a stretch of the same character
            s = s[:pos] + rng.choice(BASE32) * rng.randint(1, 6) + s[pos:]
    return s


def test_fuzz_mutated_tokens_never_verify_unless_repaired_to_the_original() -> None:
    rng = random.Random(99)
    outcomes: Counter[str] = Counter()
    for _ in range(TOKEN_MUTATIONS):
        text = mutate(VALID, rng)
        repaired = normalize(text, (TOKEN_PREFIX,)) if len(text) <= 2 * len(VALID) else ""
        try:
            claims = verify_token(text, KEYS, NOW)
        except TokenError as err:
            assert err.reason in {"malformed", "unknown_key", "forged"}, (text, err.reason)
            assert repaired != VALID, f"the repaired original was refused: {text!r}"
            outcomes[err.reason] += 1
        else:
            assert repaired == VALID, f"a changed token verified: {text!r}"
            assert claims.member_no == MEMBER
            outcomes["repaired"] += 1
        # Whatever the verifier says, the classifier holds to its own rules.
        check_scan(text, classify_scan(text))
    assert sum(outcomes.values()) == TOKEN_MUTATIONS
    # Signature checks were reached (not every mutation dies as malformed base32).
    assert outcomes["forged"] > 100 and outcomes["malformed"] > 100, outcomes


def test_fuzz_tokens_far_from_their_time_are_refused_for_time_only_after_the_signature() -> None:
    rng = random.Random(5)
    for _ in range(500):
        text = mutate(VALID, rng)
        offset = timedelta(seconds=rng.choice([-10**6, -31, 91, 10**6]))
        with pytest.raises(TokenError) as err:
            verify_token(text, KEYS, NOW + offset)
        if normalize(text, (TOKEN_PREFIX,)) != VALID:
            assert err.value.reason in {"malformed", "unknown_key", "forged"}
        else:
            assert err.value.reason in {"expired", "not_yet_valid"}


def test_the_generators_are_bounded_and_deterministic() -> None:
    first, again = scan_inputs(500), scan_inputs(500)
    assert first == again
    assert max(len(t) for t in first) <= MAX_SCAN_CHARS + 40
    assert any(unicodedata.category(ch) == "Cs" for t in first for ch in t)  # surrogates too
