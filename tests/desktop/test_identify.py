"""Identification: every kind of scan and tap, and every refusal with its own sentence.

Runs against a real register store filled by a pull page; tokens are signed with a test
key whose public half came in through the feed. Nothing identified or refused here may
write an op.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from desktop.flows.identify import Identified, Identifier, Refused
from loyalty.scan import make_member_no
from loyalty.tokens import issue_token
from tests.desktop.counter_support import (
    HANAKO_CARD,
    HANAKO_LOST_CARD,
    HANAKO_NO,
    JIRO_NO,
    KEY_ID,
    NOW,
    OTHER_KEY,
    SIGNING_KEY,
    TARO_CARD,
    TARO_NO,
    UNCACHED_NO,
    filled_store,
    pull_page,
    token_key,
)


@pytest.fixture
def store(tmp_path):
    s = filled_store(tmp_path / "register.db")
    yield s
    s.close()


@pytest.fixture
def clock():
    return {"now": NOW}


@pytest.fixture
def ident(store, clock):
    return Identifier(store, clock=lambda: clock["now"])


def token(member_no=HANAKO_NO, *, key=SIGNING_KEY, key_id=KEY_ID, at=NOW, ttl=60,
          nonce=None):
    return issue_token(key, key_id, member_no, at, ttl_seconds=ttl, nonce=nonce)


def refused(outcome, reason):
    assert isinstance(outcome, Refused), outcome
    assert outcome.reason == reason, outcome
    assert outcome.message
    return outcome.message


def test_app_token_identifies_the_member_once(store, ident):
    code = token()
    first = ident.identify_scan(code)
    assert isinstance(first, Identified)
    assert (first.member.display_name, first.via) == ("山田 花子", "app_token")
    assert store.seen_token_count() == 1
    replay = refused(ident.identify_scan(code), "replayed")
    assert "すでに使われています" in replay
    assert store.outbox_counts() == {}


def test_a_token_typed_through_a_mismatched_layout_or_ime_still_verifies(ident):
    code = token(nonce="ABCDEFGH23456")
    mangled = code.replace("TM1:", "tm1+").lower()  # US scanner on a JIS PC, Caps Lock
    assert isinstance(ident.identify_scan(mangled), Identified)


def test_forged_expired_unknown_key_and_malformed_tokens_are_refused(ident, clock):
    forged = token(key=OTHER_KEY)  # right key id, wrong key
    assert "無効" in refused(ident.identify_scan(forged), "forged")
    old = token(at=NOW - timedelta(minutes=5))
    assert "有効期限" in refused(ident.identify_scan(old), "expired")
    stranger = token(key_id="K99999999-FFFFFF")
    assert "同期して" in refused(ident.identify_scan(stranger), "unknown_key")
    body = token()[4:]
    refused(ident.identify_scan("TM1:" + body[:-10]), "malformed")  # cut short
    refused(ident.identify_scan("TM1:" + body[:-1] + "1"), "malformed")  # not base32
    future = token(at=NOW + timedelta(minutes=10))
    refused(ident.identify_scan(future), "not_yet_valid")


def test_an_expired_token_is_refused_even_if_never_seen(ident, clock):
    code = token(ttl=30)
    clock["now"] = NOW + timedelta(seconds=90)  # beyond the ttl and the 30 s skew
    refused(ident.identify_scan(code), "expired")


def test_seen_tokens_are_pruned_once_they_can_no_longer_verify(store, ident, clock):
    ident.identify_scan(token(nonce="AAAAAAAA2"))
    ident.identify_scan(token(nonce="BBBBBBBB2", member_no=JIRO_NO))
    assert store.seen_token_count() == 2
    clock["now"] = NOW + timedelta(minutes=10)
    ident.identify_scan(token(at=clock["now"], nonce="CCCCCCCC2"))
    assert store.seen_token_count() == 1


def test_token_of_a_member_this_register_has_not_pulled(ident):
    message = refused(ident.identify_scan(token(UNCACHED_NO)), "unknown")
    assert "届いていません" in message


def test_token_of_a_blocked_member(ident):
    assert "利用停止" in refused(ident.identify_scan(token(TARO_NO)), "blocked")


def test_a_retired_key_verifies_old_tokens_but_not_new_ones(store, tmp_path):
    retired_at = NOW - timedelta(minutes=2)
    store.apply_pull(pull_page(keys=[token_key(retired_at=retired_at)], cursor=11))
    ident = Identifier(store, clock=lambda: NOW)
    signed_before = token(at=NOW - timedelta(minutes=3), ttl=300)
    assert isinstance(ident.identify_scan(signed_before), Identified)
    made_after = token(at=NOW, nonce="DDDDDDDD2")
    assert "失効" in refused(ident.identify_scan(made_after), "forged")


def test_member_barcode(ident):
    found = ident.identify_scan(HANAKO_NO)
    assert isinstance(found, Identified) and found.via == "member_barcode"
    # NW-7 (Codabar) cards send start/stop letters; they are accepted too.
    assert isinstance(ident.identify_scan(f"A{HANAKO_NO}B"), Identified)


@pytest.mark.parametrize(("text", "reason", "words"), [
    (make_member_no(42)[:-1] + "0", "bad_check_digit", "チェックデジット"),
    (UNCACHED_NO, "unknown", "登録されていません"),
    (TARO_NO, "blocked", "利用停止"),
    ("4901234567894", "not_member", "会員バーコードではありません"),
    ("TR:R01-000042", "receipt", "返品画面"),
    ("ｔｍ１：あいう", "ime_on", "日本語入力"),
    ("HELLO WORLD", "unknown", "会員コードでもレシートでもない"),
    ("   ", "malformed", "読み取れません"),
    ("TM1:" + "A" * 500, "malformed", "読み取れません"),
])
def test_other_scans_are_refused_with_their_own_sentence(store, ident, text, reason, words):
    message = refused(ident.identify_scan(text), reason)
    assert words in message
    assert store.outbox_counts() == {}


def test_each_refusal_kind_has_a_distinct_sentence(ident):
    sentences = {
        "forged": ident.identify_scan(token(key=OTHER_KEY)).message,
        "expired": ident.identify_scan(token(at=NOW - timedelta(minutes=5))).message,
        "malformed": ident.identify_scan("TM1:ABC").message,
        "unknown": ident.identify_scan(UNCACHED_NO).message,
        "blocked": ident.identify_scan(TARO_NO).message,
    }
    code = token(nonce="EEEEEEEE2")
    ident.identify_scan(code)
    sentences["replayed"] = ident.identify_scan(code).message
    assert len(set(sentences.values())) == len(sentences), sentences


def test_card_taps(ident):
    assert isinstance(ident.identify_card(HANAKO_CARD), Identified)
    assert "登録されていないカード" in refused(ident.identify_card("DEADBEEF"), "unknown")
    assert "カードは利用停止" in refused(ident.identify_card(HANAKO_LOST_CARD), "blocked")
    assert "会員は利用停止" in refused(ident.identify_card(TARO_CARD), "blocked")


def test_a_member_number_read_from_the_card_file_wins(ident):
    found = ident.identify_card("0123456789ABCDEF", member_no=HANAKO_NO)
    assert isinstance(found, Identified) and found.via == "card_file"
    # A number the cache does not know yet: the UID is tried next.
    found = ident.identify_card(HANAKO_CARD, member_no=UNCACHED_NO)
    assert isinstance(found, Identified) and found.via == "card"
    refused(ident.identify_card(HANAKO_CARD, member_no=TARO_NO), "blocked")


def test_a_blocked_card_is_refused_whatever_its_file_says(ident):
    # A lost card still carries its member's number: blocking it must stop it.
    message = refused(ident.identify_card(HANAKO_LOST_CARD, member_no=HANAKO_NO), "blocked")
    assert "カードは利用停止" in message
    # An unknown number on an unknown card is an unknown card, said as such.
    assert "登録されていないカード" in refused(
        ident.identify_card("0123456789ABCDEF", member_no=UNCACHED_NO), "unknown")


def test_typed_member_numbers(ident):
    assert isinstance(ident.identify_member_no(f" {HANAKO_NO} "), Identified)
    refused(ident.identify_member_no(make_member_no(7)[:-1] + "1"), "bad_check_digit")
    refused(ident.identify_member_no("12345"), "unknown")
