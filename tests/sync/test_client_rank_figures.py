"""The figures behind a member's rank travel from a real HQ process to the register over
HTTP: the sync client asks for them, the register caches them with the last device_seq
HQ had answered, and a sale, once answered, comes back counted in them."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import create_engine

from hq.directory import load_program
from resources import RESOURCES

MEMBER = "M0000001"


def publish_ranked_program(db_url: str) -> None:
    """The drugstore program (with ranks), as a version newer than the demo's."""
    toml = (RESOURCES / "programs" / "drugstore.toml").read_text(encoding="utf-8")
    engine = create_engine(db_url)
    try:
        load_program(engine, toml.replace("version = 1\n", "version = 90\n", 1))
    finally:
        engine.dispose()


def hq_figures(reg, member_no: str) -> dict:
    r = httpx.get(f"{reg.url}/v1/members/{member_no}", params={"rank_progress": "true"},
                  headers={"Authorization": f"Bearer {reg.token}"}, timeout=5)
    r.raise_for_status()
    figures: dict = r.json()["member"]["rank_progress"]
    return figures


def test_the_register_caches_hqs_rank_figures_and_a_sale_comes_back_counted(sqlite_hq, make_reg):
    _, db_url = sqlite_hq
    publish_ranked_program(db_url)
    reg = make_reg()  # its first sync pulls every member, asking for the figures
    member = reg.store.member(MEMBER)
    assert member is not None and member.rank_figures is not None
    before = member.rank_figures
    at_hq = hq_figures(reg, member.member_no)
    assert (before.spend_yen, before.visits) == (at_hq["spend_yen"], at_hq["visits"])
    assert before.member_since == date.fromisoformat(at_hq["member_since"])
    assert before.seq == reg.store.next_device_seq() - 1  # nothing of this register yet

    op_id = reg.sell(MEMBER, 12_000)
    reg.client.sync_once()  # pushed, applied, and the member comes back in the feed
    assert reg.store.op_state(op_id) == "applied"
    after = reg.store.member(MEMBER).rank_figures
    assert after is not None
    assert after.spend_yen == before.spend_yen + 12_000
    assert after.visits in (before.visits, before.visits + 1)  # a new day, or not
    assert after.seq == reg.store.next_device_seq() - 1  # the sale is in HQ's figures
    assert after.as_of >= before.as_of
