"""The keyboard-wedge burst classifier: scanner bursts against people typing, key by key."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.scanner import BurstClassifier, BurstRules, Scan


def type_keys(
    classifier: BurstClassifier, text: str, start: float, gaps: float | Sequence[float]
) -> float:
    """Type ``text`` from ``start`` ms, each key ``gaps`` after the one before; the last
    key's time."""
    t = start
    for index, char in enumerate(text):
        if index:
            t += gaps if isinstance(gaps, int | float) else gaps[index - 1]
        classifier.key(char, t)
    return t


def scan(text: str, gap: float = 8.0, enter_after: float = 8.0, **rules: object) -> Scan | None:
    classifier = BurstClassifier(BurstRules(**rules))  # type: ignore[arg-type]
    last = type_keys(classifier, text, 1000.0, gap)
    return classifier.enter(last + enter_after)


# -- scanner bursts ----------------------------------------------------------------------


def test_a_fast_burst_then_enter_is_a_scan_with_what_it_typed() -> None:
    assert scan("TMR1ABCDEFG") == Scan("TMR1ABCDEFG", typed=11)


def test_six_characters_is_the_shortest_scan() -> None:
    assert scan("123456") == Scan("123456", 6)
    assert scan("12345") is None


def test_the_gap_limit_is_inclusive() -> None:
    assert scan("1234567890", gap=40, enter_after=40) == Scan("1234567890", 10)
    assert scan("1234567890", gap=41) is None
    assert scan("1234567890", enter_after=41) is None


def test_keys_with_the_same_timestamp_still_count() -> None:
    assert scan("ABCDEFGH", gap=0, enter_after=0) == Scan("ABCDEFGH", 8)


@pytest.mark.parametrize("seed", range(20))
def test_jittery_scanner_timing_within_the_limit_is_a_scan(seed: int) -> None:
    rng = random.Random(seed)
    code = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(20))
    gaps = [rng.randint(0, 40) for _ in range(len(code) - 1)]
    classifier = BurstClassifier()
    last = type_keys(classifier, code, 5000, gaps)
    assert classifier.enter(last + rng.randint(0, 40)) == Scan(code, len(code))


# Key timestamps are whole milliseconds, as Qt's are.
@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=5, max_size=60),
    st.integers(min_value=0, max_value=40),
)
def test_any_run_at_scanner_speed_is_a_scan(gaps: list[int], enter_gap: int) -> None:
    classifier = BurstClassifier()
    code = "7" * (len(gaps) + 1)
    last = type_keys(classifier, code, 0.0, gaps)
    assert classifier.enter(last + enter_gap) == Scan(code, len(code))


def test_scans_back_to_back_are_each_recognised() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "11111111", 1000.0, 5)
    assert classifier.enter(last + 5) == Scan("11111111", 8)
    last = type_keys(classifier, "22222222", last + 25, 5)
    assert classifier.enter(last + 5) == Scan("22222222", 8)


def test_what_the_cashier_typed_before_a_pause_is_not_part_of_the_scan() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "12", 1000.0, 180)
    last = type_keys(classifier, "4901234567894", last + 600, 6)
    # The field holds "12" + the code: only the code's 13 characters are taken back out.
    assert classifier.enter(last + 6) == Scan("4901234567894", 13)


# -- people typing -----------------------------------------------------------------------


def test_a_fast_typist_is_not_a_scanner() -> None:
    # ~70 ms a key on average, with the 15–30 ms gaps of rolled-over keys every few keys.
    gaps = [85, 20, 95, 70, 25, 110, 65, 15, 90, 75, 30, 80, 60]
    classifier = BurstClassifier()
    last = type_keys(classifier, "yamada hanako", 1000.0, gaps)
    assert classifier.enter(last + 90) is None


def test_a_quick_roll_of_a_few_keys_and_enter_is_not_a_scan() -> None:
    assert scan("abc", gap=15, enter_after=15) is None


@given(st.lists(st.integers(min_value=41, max_value=400), min_size=5, max_size=40))
def test_no_run_slower_than_scanner_speed_is_a_scan(gaps: list[int]) -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "x" * (len(gaps) + 1), 0.0, gaps)
    assert classifier.enter(last + 10) is None


def test_enter_long_after_the_burst_is_the_cashiers() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "1234567890", 1000.0, 5)
    assert classifier.enter(last + 500) is None


def test_keys_typed_just_before_a_burst_make_it_suspect() -> None:
    classifier = BurstClassifier()
    classifier.key("a", 1000.0)
    last = type_keys(classifier, "1234567890", 1050.0, 5)
    assert classifier.enter(last + 5) is None


# -- bursts interrupted ------------------------------------------------------------------


def test_a_burst_that_stalls_midway_is_not_taken_for_a_shorter_code() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "TMR1", 1000.0, 6)
    # A 70 ms stall (a busy USB hub), then the rest of the code: the tail is long enough
    # to pass for a code of its own, but it followed keys too closely.
    last = type_keys(classifier, "ABCDEFGHJK", last + 70, 6)
    assert classifier.enter(last + 6) is None


def test_a_burst_interrupted_by_an_editing_key_is_not_a_scan() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "12345", 1000.0, 6)
    classifier.other_key(last + 6)  # Backspace
    last = type_keys(classifier, "678901", last + 12, 6)
    assert classifier.enter(last + 6) is None


def test_a_burst_cut_off_without_enter_is_forgotten() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "12345678", 1000.0, 6)
    last = type_keys(classifier, "ok", last + 2000, 150)
    assert classifier.enter(last + 100) is None


def test_reset_forgets_a_burst_in_progress() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "12345678", 1000.0, 6)
    classifier.reset()  # focus moved to another field
    assert classifier.enter(last + 6) is None


def test_input_method_text_interrupts() -> None:
    classifier = BurstClassifier()
    last = type_keys(classifier, "123", 1000.0, 6)
    classifier.key("山田", last + 6)
    last = type_keys(classifier, "4567890", last + 12, 6)
    assert classifier.enter(last + 6) is None


def test_a_clock_going_backwards_starts_over() -> None:
    classifier = BurstClassifier()
    type_keys(classifier, "12345678", 1000.0, 6)
    last = type_keys(classifier, "ABCDEFGH", 10.0, 6)
    assert classifier.enter(last + 6) is None
    last = type_keys(classifier, "ABCDEFGH", last + 500, 6)
    assert classifier.enter(last + 6) == Scan("ABCDEFGH", 8)


# -- prefix and suffix -------------------------------------------------------------------


def test_prefix_marks_a_scan_of_any_length_and_is_stripped() -> None:
    assert scan("]TMR1ABC", prefix="]") == Scan("TMR1ABC", typed=8)
    assert scan("]12", prefix="]") == Scan("12", typed=3)
    assert scan("]", prefix="]") is None


def test_with_a_prefix_configured_unprefixed_bursts_are_not_scans() -> None:
    assert scan("ABCDEFGHIJ", prefix="]") is None


def test_prefix_tolerates_slower_scanners_up_to_its_gap() -> None:
    assert scan("]4901234567894", gap=120, enter_after=120, prefix="]") == Scan("4901234567894", 14)
    assert scan("]4901234567894", gap=200, prefix="]") is None


def test_prefix_inside_the_code_is_kept() -> None:
    assert scan("##AB##CD", prefix="##") == Scan("AB##CD", 8)


def test_prefix_right_after_other_keys_is_suspect() -> None:
    classifier = BurstClassifier(BurstRules(prefix="]"))
    classifier.key("a", 1000.0)
    last = type_keys(classifier, "]ABCDEF", 1010.0, 8)
    assert classifier.enter(last + 8) is None


def test_a_stray_prefix_long_ago_does_not_swallow_the_cashiers_enter() -> None:
    classifier = BurstClassifier(BurstRules(prefix="]"))
    classifier.key("]", 1000.0)
    last = type_keys(classifier, "hello", 3000.0, 120)
    assert classifier.enter(last + 50) is None


def test_suffix_must_end_the_burst_and_is_stripped() -> None:
    assert scan("12345678$", suffix="$") == Scan("12345678", 9)
    assert scan("12345678", suffix="$") is None
    assert scan("12345$", suffix="$") is None  # five characters of code


def test_prefix_and_suffix_together() -> None:
    assert scan("[TMR1XYZ]", prefix="[", suffix="]") == Scan("TMR1XYZ", 9)
    assert scan("[TMR1XYZ", prefix="[", suffix="]") is None


@pytest.mark.parametrize(
    "rules",
    [
        {"max_gap_ms": 0},
        {"prefix_max_gap_ms": -1},
        {"quiet_ms": 10},
        {"min_length": 0},
    ],
)
def test_rules_that_cannot_work_are_refused(rules: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BurstRules(**rules)  # type: ignore[arg-type]
