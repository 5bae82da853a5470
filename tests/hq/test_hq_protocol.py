"""The protocol's additions are additive: old ops hash as before, new fields are optional."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime

from sync.protocol import Change, MemberState, Op, RankProgress, TokenKey, op_hash
from tests.hq.hq_helpers import sale


def test_an_op_without_a_hold_or_lines_hashes_exactly_as_before_the_fields_existed() -> None:
    op = Op.model_validate(sale(1, "M0000001", 1000))
    legacy = op.model_dump(mode="json")
    del legacy["payload"]["hold_id"]  # what an HQ before the fields stored
    del legacy["payload"]["lines"]
    canonical = json.dumps(legacy, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert op_hash(op) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    held = Op.model_validate(sale(1, "M0000001", 1000, hold_id=str(uuid.uuid4()), op_id=op.op_id))
    assert op_hash(held) != op_hash(op)


def test_new_fields_have_defaults_and_token_keys_travel_in_changes() -> None:
    member = MemberState.model_validate(
        {"member_id": "M1", "member_no": "2900000000018", "display_name": "x", "status": "active", "balance": 0}
    )
    assert member.merged_into is None and member.phone_hash is None
    key = TokenKey(key_id="K20261129-ABCDEF", public_key="A" * 43, created_at=datetime(2026, 11, 29, tzinfo=UTC))
    change = Change.model_validate_json(Change(server_seq=9, kind="token_key", token_key=key).model_dump_json())
    assert change.token_key == key and change.token_key.algorithm == "Ed25519"
    old_style = Change.model_validate({"server_seq": 1, "kind": "card", "card": {"uid": "04AA", "member_id": "M1", "status": "blocked"}})
    assert old_style.token_key is None


def test_rank_progress_is_left_out_of_the_json_unless_sent() -> None:
    # A register from before the field refuses fields it does not know, null ones too.
    bare = MemberState(member_id="M1", member_no="2900000000018", display_name="x", status="active", balance=0)
    assert bare.rank_progress is None and "rank_progress" not in bare.model_dump_json()
    figures = RankProgress(as_of=datetime(2026, 11, 29, tzinfo=UTC), spend_yen=12_000, visits=3,
                           last_visit_on=date(2026, 11, 28), member_since=date(2024, 4, 1))
    sent = bare.model_copy(update={"rank_progress": figures})
    assert MemberState.model_validate_json(sent.model_dump_json()) == sent
    assert '"member_since":"2024-04-01"' in sent.model_dump_json()
