"""Customer numbers: accepted formats, typo diagnosis, masking."""

from config.model import DEFAULT_NUMBER_FORMATS
from foundation.masking import mask_customer_number as mask
from kiosk.session.customer_number import check_number


def test_valid_numbers_with_separators() -> None:
    assert check_number("123 a 456789", DEFAULT_NUMBER_FORMATS).ok
    assert check_number("12345-BG-1234567", DEFAULT_NUMBER_FORMATS).format_name == "BG-Nummer"


def test_typos_are_diagnosed() -> None:
    assert check_number("", DEFAULT_NUMBER_FORMATS).problem == "empty"
    assert check_number("123A45678", DEFAULT_NUMBER_FORMATS).problem == "too_short"
    assert check_number("123A4567890", DEFAULT_NUMBER_FORMATS).problem == "too_long"
    assert check_number("1234456789", DEFAULT_NUMBER_FORMATS).problem == "wrong_kind"
    assert check_number("123A45678#", DEFAULT_NUMBER_FORMATS).problem == "bad_character"
    assert check_number("123A45678", DEFAULT_NUMBER_FORMATS).example == "123A456789"


def test_mask_keeps_four_and_two() -> None:
    assert mask("123A456789") == "123A****89"
    assert mask("12345") == "*****"


def test_household_number_in_every_printed_form() -> None:
    """Regression: ``12345//1234567`` (older letters) was refused as "too long"."""
    for printed in ("12345//1234567", "12345 // 1234567", "12345BG1234567", "12345 BG 1234567",
                    "12345-bg-1234567", "12345/ /1234567"):
        check = check_number(printed, DEFAULT_NUMBER_FORMATS)
        assert check.ok, printed
        assert check.normalized == "12345BG1234567"
        assert check.format_name == "BG-Nummer"


def test_a_single_slash_is_only_a_separator() -> None:
    assert not check_number("12345/1234567", DEFAULT_NUMBER_FORMATS).ok
    assert check_number("123/A456789", DEFAULT_NUMBER_FORMATS).normalized == "123A456789"
