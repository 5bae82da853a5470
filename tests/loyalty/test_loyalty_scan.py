"""Scanner input: app tokens, printed member barcodes, receipt QR codes, and junk."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.scan import (
    MESSAGES,
    ScanKind,
    classify_scan,
    ean13_check_digit,
    make_member_no,
    member_no_is_valid,
)

TOKEN = "TM1:" + "A" * 60
FULL_WIDTH = "2900000000018".translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})


@pytest.mark.parametrize(("text", "kind", "field", "value"), [
    ("2900000000018", ScanKind.MEMBER_BARCODE, "member_no", "2900000000018"),
    ("2900000000018\r\n", ScanKind.MEMBER_BARCODE, "member_no", "2900000000018"),
    (FULL_WIDTH, ScanKind.MEMBER_BARCODE, "member_no", "2900000000018"),  # IME left on
    ("A2900000000025A", ScanKind.MEMBER_BARCODE, "member_no", "2900000000025"),  # NW-7 card
    ("TR:R01-000001", ScanKind.RECEIPT, "seq", 1),
    ("tr:r01-000042", ScanKind.RECEIPT, "device_id", "R01"),
    ("TR+R01-000001", ScanKind.RECEIPT, "seq", 1),  # US scanner, JIS keyboard
    (TOKEN, ScanKind.APP_TOKEN, "token", TOKEN),
    (TOKEN.lower().replace(":", "+"), ScanKind.APP_TOKEN, "token", TOKEN),
])
def test_recognised(text, kind, field, value):
    scan = classify_scan(text)
    assert scan.kind is kind and getattr(scan, field) == value and scan.reason is None


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"),
    ("   \r\n", "empty"),
    ("2900000000011", "bad_check_digit"),
    ("4901234567894", "not_member"),  # a product JAN scanned at the member prompt
    ("TR:R01", "malformed_receipt"),
    ("TR:R01-", "malformed_receipt"),
    ("TM1:ABC", "malformed_token"),
    ("TM1:" + "1" * 60, "malformed_token"),
    ("ｔｍ１：あいう", "ime_on"),
    ("てｍ１", "ime_on"),
    ("https://example.com/", "unrecognized"),
    ("290000000001", "unrecognized"),
    ("9" * 5000, "too_long"),
])
def test_refused_with_a_reason(text, reason):
    scan = classify_scan(text)
    assert (scan.kind, scan.reason) == (ScanKind.UNKNOWN, reason)
    assert scan.message == MESSAGES[reason]


def test_ean13_check_digit_matches_known_jan_codes():
    assert ean13_check_digit("490123456789") == 4
    assert ean13_check_digit("456995111617") == 9
    with pytest.raises(ValueError):
        ean13_check_digit("12345")


def test_member_numbers():
    numbers = [make_member_no(n) for n in range(1, 6)]
    assert numbers == ["2900000000018", "2900000000025", "2900000000032", "2900000000049",
                       "2900000000056"]
    assert all(member_no_is_valid(n) for n in numbers)
    assert not member_no_is_valid("2900000000011")
    assert not member_no_is_valid("4901234567894")
    assert member_no_is_valid("4901234567894", prefixes=("49",))
    with pytest.raises(ValueError):
        make_member_no(10**10)


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, 10**10 - 1), st.integers(0, 12), st.sampled_from("0123456789"))
def test_any_single_digit_error_is_caught(serial, pos, digit):
    number = make_member_no(serial)
    typo = number[:pos] + digit + number[pos + 1:]
    assert member_no_is_valid(typo) is (typo == number)
