"""Translations: every screen text of the app has its English, the committed .qm is the
compiled .ts, core sentences are translated where they are fixed,
and the flows' messages keep their values in either language."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import devices.cards
import devices.printer_status
import devices.scanner
import loyalty.scan
import loyalty.tokens
from desktop import i18n
from desktop.flows import messages
from desktop.flows.messages import Message
from sync.staff import WRONG_PIN

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "tamaru_en.ts"
QM = ROOT / "resources" / "translations" / "tamaru_en.qm"
BIN = ROOT / ".venv" / "bin"
# The files whose texts this catalog must always cover in full: every file of the app
# that marks a text for translation — the screens, and the sentences sync/ and loyalty/
# mark for them — so a new screen or sentence is covered as soon as it has one.
MARKED = re.compile(r"\btr\(|QT_TRANSLATE_NOOP\(\"")
OWN_FILES = sorted(path.relative_to(ROOT).as_posix()
                   for folder in ("desktop", "sync", "loyalty")
                   for path in (ROOT / folder).rglob("*.py")
                   if MARKED.search(path.read_text(encoding="utf-8")))
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def entries(path: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(context, source) → (translation, its type attribute)."""
    out = {}
    for ctx in ET.parse(path).getroot().iter("context"):
        name = ctx.findtext("name")
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            out[(name, msg.findtext("source"))] = (tr.text or "", tr.get("type"))
    return out


@pytest.fixture(scope="module")
def own_texts(tmp_path_factory):
    ts = tmp_path_factory.mktemp("lupdate") / "own.ts"
    subprocess.run([str(BIN / "pyside6-lupdate"), "-extensions", "py", *OWN_FILES,
                    "-ts", str(ts)], cwd=ROOT, check=True, capture_output=True)
    return set(entries(ts))


def test_every_own_text_is_translated_with_the_same_placeholders(own_texts):
    catalog = entries(TS)
    assert len(own_texts) > 350
    for key in own_texts:
        assert key in catalog, f"not in {TS.name} (run make translations): {key}"
        english, kind = catalog[key]
        assert kind is None and english, f"untranslated: {key}"
        assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(key[1])), key


def test_the_committed_qm_is_the_compiled_ts(tmp_path):
    out = tmp_path / "check.qm"
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TS), "-qm", str(out)], check=True,
                   capture_output=True)
    assert out.read_bytes() == QM.read_bytes(), "run make translations"


def core_tables() -> set[str]:
    """Fixed sentences of the core that reach the screen."""
    fixed = set(loyalty.tokens.MESSAGES.values()) | set(loyalty.scan.MESSAGES.values())
    for module in (devices.cards, devices.scanner, devices.printer_status):
        fixed |= {v for k, v in vars(module).items()
                  if k.startswith("REASON_") and isinstance(v, str)}
    fixed.add(WRONG_PIN)
    return fixed


def test_the_core_catalog_lists_every_fixed_core_sentence(own_texts):
    assert core_tables() <= set(i18n.CORE_CATALOG)
    flow_templates = {v for k, v in vars(messages).items()
                      if k.isupper() and isinstance(v, str) and k != "CORE"}
    assert {("core", t) for t in flow_templates} <= own_texts


@pytest.fixture
def english(qapp):
    assert i18n.install("en") == "en"
    yield
    i18n.install("ja")


def test_core_sentences_in_english(english):
    assert i18n.core(WRONG_PIN) == "Wrong staff code or PIN"
    assert i18n.core(Message(messages.OFFLINE_USED, allowance=1500)).startswith(
        "HQ could not be reached, so the points were used within the offline limit (1,500 pt)")
    # A value that is itself a sentence is translated too.
    assert i18n.core(Message(messages.NUMBERS_ONLY, what=Message(messages.LINE_AMOUNT))) == \
        "Enter the amount in digits"
    # A sentence the core formatted itself cannot be looked up: it stays as it came.
    assert i18n.core("ポイント残高（1,500 pt）を超えて利用できません") == \
        "ポイント残高（1,500 pt）を超えて利用できません"
    assert i18n.core(ValueError(Message(messages.TOUCH_CARD))) == "Please tap the member card"


def test_japanese_is_the_source(qapp):
    assert i18n.install("ja") == "ja"
    assert i18n.core(Message(messages.HOLD_SHORT, available=300)).startswith(
        "ほかのレジで利用中のポイントがあるため、今利用できるのは 300 pt まで")
    assert i18n.install("xx") == "ja"  # an unknown setting falls back to Japanese


def test_sentences_the_core_fills_in_are_translated_with_their_values(english):
    """Sentences made in sync/ and loyalty/ with a value inside reach an English screen
    in English: the offline reason, a lockout, a redemption over the balance."""
    import httpx

    from loyalty.basket import MemberContext, QuoteError
    from loyalty.program import parse_program
    from loyalty.quote import quote_sale
    from resources import RESOURCES
    from sync.hq_link import unreachable
    from sync.staff import StaffBook

    offline = unreachable(httpx.ConnectError("refused"))
    assert offline == "HQ に接続できません（ConnectError）"  # Japanese where it is made
    assert i18n.core(offline) == "Cannot reach HQ (ConnectError)"
    program = parse_program((RESOURCES / "programs" / "demo.toml").read_text("utf-8"))
    with pytest.raises(QuoteError) as refused:
        quote_sale(program, 5000, redeem_points=900, balance=500,
                   member=MemberContext(balance=500))
    assert i18n.core(refused.value) == "Cannot use more than the balance (500 pt)"
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    locked = StaffBook._locked_message(now + timedelta(minutes=14, seconds=30), now)
    assert i18n.core(locked) == "Locked after repeated wrong PINs. Unlocks in 15 min " \
                                "(a manager can unlock it sooner)"


def test_a_damaged_database_is_explained_in_english_with_the_kept_file(english):
    """The refusal a corrupt register database brings (sync.store_db) names the file kept
    aside in either language."""
    from sync.store_db import refusal_of

    refused = refusal_of("refusing", "/var/lib/tamaru/register.db.corrupt-20261207T0100Z")
    assert refused is not None and "販売を停止しています" in str(refused)
    assert i18n.core(refused) == ("Sales are stopped: the register's database was damaged. "
                                  "Call the store manager (file kept aside: "
                                  "register.db.corrupt-20261207T0100Z)")
    rebuilding = refusal_of("rebuilding", "/x/register.db.corrupt-1")
    assert i18n.core(rebuilding).startswith("The database is being restored")
    assert refusal_of("done", "/x/register.db.corrupt-1") is None


def test_refusals_at_provisioning_and_holds_reach_english(english):
    """Sentences with values made outside the screens: an http:// HQ refused at
    provisioning, a bad register number, a hold already posted."""
    from desktop.provisioning import ProvisioningError, check_id, normalize_url
    from sync.store_holds import _STATE_NAMES, HOLD_ALREADY

    with pytest.raises(ProvisioningError) as plain:
        normalize_url("http://hq.example.co.jp")
    assert i18n.core(plain.value).startswith("Give HQ's URL with https:// (http://hq.example")
    with pytest.raises(ProvisioningError) as bad:
        check_id("レジ番号", "R 01")
    assert i18n.core(bad.value) == 'Register number "R 01" cannot be used: use up to 64 ' \
                                   "letters, digits, - _ or ."
    held = Message(HOLD_ALREADY, state=_STATE_NAMES["posted"])
    assert i18n.core(held) == "This points hold is already posted"
