"""Card profiles: settings strings, the APDUs they send, and how answers become numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devices.card_profile import CardGone, CardProfile, decode_member_no, read_member_no

AID = bytes.fromhex("F0544D5255000001")
OK = b"\x90\x00"


def card(answers: dict[bytes, bytes], log: list[bytes]) -> Callable[[bytes], bytes]:
    """A transmit function answering by command prefix (longest first); 6D00 otherwise."""

    def transmit(apdu: bytes) -> bytes:
        log.append(apdu)
        for prefix in sorted(answers, key=len, reverse=True):
            if apdu.startswith(prefix):
                return answers[prefix]
        return b"\x6d\x00"

    return transmit


def test_profile_from_settings_and_back() -> None:
    profile = CardProfile.parse("aid=F0544D5255000001&file=0101&length=10&encoding=bcd")
    assert profile == CardProfile(aid=AID, file_id=b"\x01\x01", length=10, encoding="bcd")
    assert CardProfile.parse(profile.spec) == profile
    assert CardProfile.parse("  ") is None
    assert CardProfile(aid="f0:54:4d:52:55:00:00:01").aid == AID  # type: ignore[arg-type]
    ff = CardProfile.parse("file=1008&cla=FF&offset=16")
    assert ff is not None and (ff.cla, ff.offset, ff.aid) == (0xFF, 16, None)
    assert "cla=FF" in ff.spec and "offset=16" in ff.spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("length=16", "needs an aid, a file id"),
        ("aid=F054", "5 to 16"),
        ("file=010203", "has 2"),
        ("file=0101&length=0", "length=0"),
        ("file=0101&length=2000", "length=2000"),
        ("file=0101&offset=32767&length=16", "outside the file"),
        ("file=0101&encoding=utf16", "encoding='utf16'"),
        ("file=zz", "hex digits"),
        ("file=0101&colour=red", "unknown option colour"),
        ("file=0101&length=ten", "not a number"),
        ("file", "bad card profile"),
    ],
)
def test_bad_profiles_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CardProfile.parse(text)


def test_the_commands_are_iso_7816_4() -> None:
    profile = CardProfile(aid=AID, file_id=b"\x01\x01", length=16)
    assert profile.select_aid() == bytes.fromhex("00A4040008F0544D525500000100")
    assert profile.select_file() == bytes.fromhex("00A4000C020101")
    assert profile.read_binary(0x0123, 16) == bytes.fromhex("00B0012310")


def test_reads_the_number_through_select_and_read_binary() -> None:
    sent: list[bytes] = []
    transmit = card(
        {
            bytes.fromhex("00A40400"): b"\x6f\x00" + OK,  # an FCI, ignored
            bytes.fromhex("00A4000C"): OK,
            bytes.fromhex("00B0"): b"0012345678\x00\x00\x00\x00\x00\x00" + OK,
        },
        sent,
    )
    profile = CardProfile(aid=AID, file_id=b"\x01\x01", length=16)
    assert read_member_no(profile, transmit) == "0012345678"
    assert [apdu[:2] for apdu in sent] == [b"\x00\xa4", b"\x00\xa4", b"\x00\xb0"]


@pytest.mark.parametrize(
    "answers",
    [
        {bytes.fromhex("00A40400"): b"\x6a\x82"},  # no such application
        {bytes.fromhex("00A40400"): OK, bytes.fromhex("00A4000C"): b"\x6a\x82"},  # no file
        {bytes.fromhex("00A40400"): OK, bytes.fromhex("00A4000C"): OK},  # read refused (6D00)
        {bytes.fromhex("00A40400"): OK, bytes.fromhex("00A4000C"): OK, b"\x00\xb0": b"\x69\x82"},
    ],
    ids=["no-application", "no-file", "no-read-binary", "security-status"],
)
def test_a_card_without_the_file_has_no_member_number(answers: dict[bytes, bytes]) -> None:
    profile = CardProfile(aid=AID, file_id=b"\x01\x01")
    assert read_member_no(profile, card(answers, [])) is None


def test_t0_select_answers_with_61xx_count_as_selected() -> None:
    transmit = card({bytes.fromhex("00A40400"): b"\x61\x1c", b"\x00\xb0": b"A123456" + OK}, [])
    assert read_member_no(CardProfile(aid=AID, length=7), transmit) == "A123456"


def test_wrong_length_is_asked_again_with_the_length_the_card_gives() -> None:
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> bytes:
        sent.append(apdu)
        if apdu[1] == 0xA4:
            return OK
        return b"\x6c\x08" if apdu[4] != 8 else b"87654321" + OK

    assert read_member_no(CardProfile(file_id=b"\x00\x01", length=32), transmit) == "87654321"
    assert [apdu[4] for apdu in sent[1:]] == [32, 8]


def test_a_file_shorter_than_the_profile_is_read_to_its_end() -> None:
    transmit = card({b"\x00\xa4": OK, b"\x00\xb0": b"99887766" + b"\x62\x82"}, [])
    assert read_member_no(CardProfile(file_id=b"\x00\x01", length=64), transmit) == "99887766"


def test_long_files_are_read_in_chunks() -> None:
    data = b"M" * 300 + b"\x00" * 100
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> bytes:
        sent.append(apdu)
        if apdu[1] == 0xA4:
            return OK
        offset, size = (apdu[2] << 8) | apdu[3], apdu[4] or 256
        return data[offset : offset + size] + OK

    profile = CardProfile(file_id=b"\x00\x01", length=400)
    assert read_member_no(profile, transmit) == "M" * 300
    reads = [((a[2] << 8) | a[3], a[4]) for a in sent if a[1] == 0xB0]
    assert reads == [(0, 240), (240, 160)]


def test_a_card_falling_silent_mid_read_is_gone() -> None:
    transmit = card({b"\x00\xa4": OK, b"\x00\xb0": b""}, [])
    with pytest.raises(CardGone):
        read_member_no(CardProfile(file_id=b"\x00\x01"), transmit)


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        (b"0012345678\x00\x00", "ascii", "0012345678"),
        (b"  M-0042  ", "ascii", "M-0042"),
        (b"\xff\xff\xff", "ascii", None),
        (b"12\x0134", "ascii", None),
        (b"\x00\x12\x34\x56\x78\x9f\xff", "bcd", "00123456789"),
        (b"\x12\x3a", "bcd", None),
        (b"\xff\xff", "bcd", None),
        (b"\x01\x02\xab", "hex", "0102AB"),
        (b"\x00\x00", "hex", None),
    ],
)
def test_decoding_member_numbers(data: bytes, encoding: str, expected: str | None) -> None:
    assert decode_member_no(data, encoding) == expected  # type: ignore[arg-type]


def test_a_file_without_a_number_is_logged_by_its_size_not_its_bytes(caplog) -> None:
    phone = b"\x01" + b"09012345678"
    answers = iter([b"\x90\x00", b"\x90\x00", phone + b"\x90\x00"])
    profile = CardProfile(aid=bytes.fromhex("F0544D5255000001"), file_id=b"\x01\x01",
                          length=len(phone))
    with caplog.at_level("DEBUG", logger="devices.card_profile"):
        assert read_member_no(profile, lambda _apdu: next(answers)) is None
    assert "12 bytes" in caplog.text
    assert "09012345678" not in caplog.text and phone.hex(" ") not in caplog.text
    assert phone.hex() not in caplog.text
