import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from totalquota.lib import uscc

ALPHABET = uscc.ALPHABET


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # a market-regulation code (published example)
        uscc.complete("91320594MA1MWW0A8"),
        uscc.complete("52320594MJ5742635"),  # civil affairs (social organisation)
        uscc.complete("Y1320594MA1NNNNN3"),  # letter-initial "other" registrar
        uscc.complete("N2320594MA1AAAA19"),  # agriculture registrar, letter-initial
    ],
)
def test_it_accepts_valid_codes_including_letter_initial_ones(code):
    assert uscc.validate(code) == code
    assert uscc.is_valid(code.lower())


def test_python_stdnum_rejects_letter_initial_codes_that_gb32100_allows():
    code = uscc.complete("Y1320594MA1NNNNN3")
    assert uscc.is_valid(code)
    assert not stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("9111000060003734", "18 位"),
        ("91110000600037341I", "不允许的字符"),
        ("91110000600037341O", "不允许的字符"),
        ("9111A000600037341L", "行政区划"),
        ("91110000600037341M", "校验位错误：应为 L"),
    ],
)
def test_it_refuses_bad_codes_saying_why(code, fragment):
    with pytest.raises(uscc.USCCError, match=fragment):
        uscc.validate(code)


def test_it_ignores_spaces_and_hyphens_people_type():
    assert uscc.validate(" 9111-0000 6000 37341l ") == "91110000600037341L"


@given(
    st.text(alphabet="0123456789", min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)
def test_it_agrees_with_stdnum_on_digit_initial_codes(head, region, org):
    code = uscc.complete(head + region + org)
    assert stdnum_uscc.is_valid(code)
    wrong = code[:17] + ALPHABET[(ALPHABET.index(code[17]) + 1) % 31]
    assert not uscc.is_valid(wrong)
    assert not stdnum_uscc.is_valid(wrong)
