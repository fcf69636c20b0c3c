"""Printed forms of numbers and OCR repair guided by the site's pattern."""

from foundation.number_forms import position_classes, printed_variants, repair_to_pattern

KD = r"\d{3}[A-Z]\d{6}"
BG = r"\d{5}BG\d{7}"


def test_position_classes_of_simple_patterns() -> None:
    assert position_classes(KD) == ("d",) * 3 + ("A",) + ("d",) * 6
    assert position_classes(BG) == ("d",) * 5 + ("B", "G") + ("d",) * 7
    assert position_classes(r"(\d{3}|X)") is None


def test_repair_only_where_the_pattern_demands() -> None:
    assert repair_to_pattern("I23A4S6789", KD) == "123A456789"
    assert repair_to_pattern("1238456789", KD) == "123B456789"  # letter position: 8 -> B
    assert repair_to_pattern("123A45678O", KD) == "123A456780"
    assert repair_to_pattern("12345861234567", BG) == "12345BG1234567"  # "8G" read as "86"
    assert repair_to_pattern("1234SBG12E4567", BG) is None  # E has no digit look-alike
    assert repair_to_pattern("123A45678", KD) is None


def test_printed_variants() -> None:
    assert printed_variants("12345 // 1234567") == ("123451234567", "12345BG1234567")
    assert printed_variants("123 A 456789") == ("123A456789",)
