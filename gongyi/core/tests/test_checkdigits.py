from datetime import date

import pytest

from gongyi.core.checkdigits import IdNumberError, check_uscc, id_check_char, parse_id_number, uscc_check_char
from gongyi.core.masking import mask_id_number, mask_name, mask_payer, mask_phone
from gongyi.core.money import format_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("9144030071526726X", "G"), ("91330100716105852", "F")],
)
def test_uscc_check_char_matches_published_codes(first17, expected):
    assert uscc_check_char(first17) == expected


def test_uscc_pilot_code_fails_check_but_is_well_formed():
    result = check_uscc("91350100M0001TGQXM")
    assert result.well_formed and not result.check_ok
    assert "校验位应为 1" in result.message


def test_uscc_rejects_forbidden_letters_and_length():
    assert not check_uscc("9144030071526726XI").well_formed
    assert not check_uscc("914403").well_formed
    assert check_uscc(" 9144030071526726xg ").check_ok  # spaces and lower case are normalised


@pytest.mark.parametrize(("first17", "expected"), [("11010519491231002", "X"), ("44052418800101001", "4")])
def test_id_check_char_textbook_examples(first17, expected):
    assert id_check_char(first17) == expected


def test_parse_id_number_derives_birth_date_and_sex():
    parsed = parse_id_number("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.male is False
    assert parsed.region_code == "110105"


@pytest.mark.parametrize(
    ("number", "reason"),
    [("110105194912310021", "校验位"), ("11010519491331002X", "格式"), ("1101051949", "17位")],
)
def test_parse_id_number_refuses_bad_numbers(number, reason):
    with pytest.raises(IdNumberError):
        parse_id_number(number)


def test_impossible_birth_date_is_refused():
    first17 = "11010519490230002"  # 30 February
    with pytest.raises(IdNumberError, match="出生日期"):
        parse_id_number(first17 + id_check_char(first17))


def test_masks():
    assert mask_name("王小明") == "王**"
    assert mask_name("李四") == "李*"
    assert mask_name("") == "爱心人士"
    assert mask_name("Alice") == "A***"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_payer("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == "****eS6o"


def test_money_text():
    assert format_yuan(1000) == "¥10.00"
    assert format_yuan(123456789) == "¥1,234,567.89"
    assert format_yuan(-5, symbol=False) == "-0.05"
    assert yuan_to_fen("10") == 1000
    assert yuan_to_fen("0.5") == 50
    with pytest.raises(ValueError, match="两位小数"):
        yuan_to_fen("1.005")
    with pytest.raises(ValueError, match="格式"):
        yuan_to_fen("abc")
    with pytest.raises(ValueError, match="格式"):
        yuan_to_fen("NaN")
