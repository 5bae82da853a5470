"""Phone search on a keyed hash: the register never holds the number."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from sync.phone import normalize_phone, phone_lookup_hash
from sync.protocol import Change, PullResponse
from tests.support.seed import PHONE, PHONE_KEY, yamada


@pytest.mark.parametrize("typed", ["090-1234-5678", "09012345678", "０９０－１２３４－５６７８",
                                   "+81 90-1234-5678", " (090) 1234 5678 "])
def test_the_ways_a_number_is_typed_hash_the_same(typed):
    assert normalize_phone(typed) == "09012345678"
    assert phone_lookup_hash(PHONE_KEY, typed) == phone_lookup_hash(bytes.fromhex(PHONE_KEY),
                                                                    PHONE)


def test_the_hash_is_hmac_sha256_of_the_digits():
    # The exact definition HQ must share: HMAC-SHA256(key, domestic digits), hex.
    expected = hmac.new(bytes.fromhex(PHONE_KEY), b"09012345678", hashlib.sha256).hexdigest()
    assert phone_lookup_hash(PHONE_KEY, PHONE) == expected


def test_another_key_gives_another_hash():
    assert phone_lookup_hash(b"other", PHONE) != phone_lookup_hash(PHONE_KEY, PHONE)


@pytest.mark.parametrize("typed", ["1234-5678", "090-1234-56789", "abc", ""])
def test_numbers_that_are_not_japanese_phone_numbers_are_refused(typed):
    with pytest.raises(ValueError, match="電話番号"):
        phone_lookup_hash(PHONE_KEY, typed)


def test_search_by_phone_finds_the_family_and_the_file_holds_no_number(store):
    child = yamada().model_copy(update={"member_id": "M2", "member_no": "2900000000024",
                                        "display_name": "山田 太郎", "status": "blocked"})
    store.apply_pull(PullResponse(cursor=9, has_more=False, changes=[
        Change(server_seq=9, kind="member", member=child)]))
    found = store.members_by_phone(PHONE_KEY, "０９０１２３４５６７８")
    assert [(m.member_id, m.status) for m in found] == [("M1", "active"), ("M2", "blocked")]
    assert store.members_by_phone(PHONE_KEY, "080-0000-0000") == []
    store.close()
    assert not store.path.with_name("register.db-wal").exists()  # merged on close
    data = store.path.read_bytes()
    assert b"12345678" not in data and b"5678" in data  # only the masked form

