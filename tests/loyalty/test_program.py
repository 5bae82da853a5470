"""Program file parsing: valid documents load, invalid ones name the field."""

import pytest

from loyalty.program import ProgramError, Rounding, parse_program
from resources import RESOURCES

VALID = """
[program]
version = 3
name = "テスト"
company_id = "C9"
[earn]
points = 1
per_yen = 200
rounding = "round"
[redeem]
unit = 10
minimum = 100
"""


def test_demo_program_loads():
    program = parse_program((RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8"))
    assert program.version == 1
    assert program.earn.per_yen == 100
    assert program.receipt_footer


def test_fields_are_read():
    p = parse_program(VALID)
    assert (p.version, p.company_id, p.earn.per_yen, p.earn.rounding) == (3, "C9", 200, Rounding.ROUND)
    assert (p.redeem.unit, p.redeem.minimum) == (10, 100)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("per_yen = 200", "per_yen = 0"), "earn.per_yen: must be at least 1"),
        (("per_yen = 200", 'per_yen = "200"'), "earn.per_yen: must be an integer"),
        (("per_yen = 200", "per_yen = 1.5"), "earn.per_yen: must be an integer"),
        (('rounding = "round"', 'rounding = "bankers"'), "earn.rounding: must be one of"),
        (("version = 3", ""), "program.version: required"),
        (("unit = 10", "unit = true"), "redeem.unit: must be an integer"),
        (("[earn]", "[earnings]"), "[earn]: missing section"),
    ],
)
def test_errors_name_the_field(change, message):
    with pytest.raises(ProgramError) as err:
        parse_program(VALID.replace(*change))
    assert message in str(err.value)


def test_not_toml():
    with pytest.raises(ProgramError, match="not valid TOML"):
        parse_program("[program\nversion=")
