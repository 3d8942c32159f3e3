"""Company-name normalisation and credit-code validation on tables of hand-checked cases."""

import pytest

from etl.company_names import (
    CompanyName,
    credit_code_check_char,
    credit_code_problem,
    is_valid_credit_code,
    normalise_company_name,
    places_conflict,
    split_company_name,
)

# Check characters computed by hand. Values: 0-9 are themselves, then A=10 B=11 C=12 D=13
# E=14 F=15 G=16 H=17 J=18 K=19 L=20 M=21 N=22 P=23 Q=24 R=25 T=26 U=27 W=28 X=29 Y=30.
# Weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28; check = 31 - (sum mod 31).
CHECK_CASES = [
    # 9*1 + 1*3 + 3*9 + 2*27 + 0 + 2*26 + 0 + 0 + M21*20 + A10*29 + 1*25 + M21*13 + X29*8
    # + 3*24 + K19*10 + 8*30 + Y30*28 = 9+3+27+54+52+420+290+25+273+232+72+190+240+840
    # = 2727; 2727 mod 31 = 30 (31*87 = 2697); 31 - 30 = 1.
    ("91320200MA1MX3K8Y", "1"),
    # 1*1 + 1*3 + 1*9 + 1*8 + 3*24 + 1*10 + 2*30 + 7*28 = 359; 359 mod 31 = 18; 31-18 = 13 = D.
    ("11100000000013127", "D"),
    # 9+3+36+108+78+140+200+52+48+24+10+90+168 = 966; 966 mod 31 = 5; 31 - 5 = 26 = T.
    ("91440300708461136", "T"),
    # 4*1 + 9*3 = 31; 31 mod 31 = 0; 31 - 0 = 31, which maps to 0.
    ("49000000000000000", "0"),
]


@pytest.mark.parametrize(("first17", "check"), CHECK_CASES)
def test_check_character_matches_hand_computation(first17, check):
    assert credit_code_check_char(first17) == check
    assert is_valid_credit_code(first17 + check)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("91320200MA1MX3K8Y1", None),
        (" 91320200ma1mx3k8y1 ", None),  # lower case and spaces are cleaned
        ("９１４４０３００７０８４６１１３６Ｔ", None),  # full-width digits and letters
        ("91320200MA1MX3K8Y2", "credit_code_check"),
        ("91320200MA1MX3K8Y", "credit_code_length"),
        ("91320200MA1MX3K8Y10", "credit_code_length"),
        ("91320200MA1MX3K8I1", "credit_code_character"),  # I is not in the character set
        ("91320200MA1MX3K8O1", "credit_code_character"),
        ("", "missing_value"),
        (None, "missing_value"),
    ],
)
def test_credit_code_problem(value, problem):
    assert credit_code_problem(value) == problem


def test_check_character_rejects_letters_outside_the_set():
    with pytest.raises(ValueError, match="'S'"):
        credit_code_check_char("9132020SMA1MX3K8Y")


@pytest.mark.parametrize(
    ("name", "core", "places"),
    [
        ("徐州恒达机械有限公司", "恒达机械", {"徐州"}),
        ("江苏省徐州市恒达机械有限公司", "恒达机械", {"江苏", "徐州"}),
        ("恒达机械股份有限公司", "恒达机械", set()),
        ("恒达机械有限责任公司", "恒达机械", set()),
        ("恒达 机械 有限公司", "恒达机械", set()),
        ("ＡＢＣ重工（集团）有限公司", "abc重工集团", set()),
        ("ABC重工(集团)有限公司", "abc重工集团", set()),
        ("ABC重工【集团】有限公司", "abc重工集团", set()),
        ("三一重工（北京）有限公司", "三一重工", {"北京"}),
        ("北京三一重工有限公司", "三一重工", {"北京"}),
        ("广西壮族自治区柳州市恒达机械有限公司", "恒达机械", {"广西", "柳州"}),
        ("上海有限公司", "上海", set()),  # nothing would be left, so the place stays
        ("恒达·机械-有限公司", "恒达机械", set()),
    ],
)
def test_split_company_name(name, core, places):
    assert split_company_name(name) == CompanyName(core, frozenset(places))


def test_same_trade_name_in_two_cities_conflicts():
    xuzhou = split_company_name("徐州恒达机械有限公司")
    suzhou = split_company_name("苏州恒达机械有限公司")
    province_only = split_company_name("江苏恒达机械有限公司")
    bare = split_company_name("恒达机械有限公司")

    assert normalise_company_name("徐州恒达机械有限公司") == "恒达机械"
    assert places_conflict(xuzhou, suzhou)
    assert not places_conflict(xuzhou, bare)
    # 江苏 and 徐州 share no name, so a province and one of its cities still conflict.
    # The matcher sends such a pair to review instead of merging it.
    assert places_conflict(xuzhou, province_only)
