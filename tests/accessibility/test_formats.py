"""Dates, times and numbers in the visitor's locale, with CLDR's digits."""

from __future__ import annotations

import datetime as dt

from accessibility.formats import (
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_time,
    localize_digits,
    numbering_system,
)

WHEN = dt.datetime(2025, 3, 7, 14, 5)


def test_german() -> None:
    assert format_date(WHEN.date(), "de") == "07.03.2025"
    assert format_time(WHEN, "de") == "14:05"
    assert format_number(1234.5, "de") == "1.234,5"
    assert format_date(WHEN.date(), "de-simple") == format_date(WHEN.date(), "de")


def test_other_latin_and_cyrillic_locales() -> None:
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "pl") == "1\u00a0234,5"
    assert "бер" in format_date(WHEN.date(), "uk")
    assert format_time(WHEN, "tr") == "14:05"


def test_farsi_uses_extended_arabic_indic_digits() -> None:
    assert numbering_system("fa") == "arabext"
    assert format_number(1234.5, "fa") == "۱٬۲۳۴٫۵"
    date = format_date(WHEN.date(), "fa")
    assert "۲۰۲۵" in date and not any(c.isascii() and c.isdigit() for c in date)
    assert format_time(WHEN, "fa") == "۱۴:۰۵"
    assert "۲۰۲۵" in format_datetime(WHEN, "fa")


def test_arabic_follows_cldr_default() -> None:
    system = numbering_system("ar")
    text = format_number(1234, "ar")
    if system == "latn":
        assert "1" in text
    else:
        assert "١" in text
    assert format_percent(0.25, "de") == "25\u00a0%"


def test_localize_digits_leaves_latin_locales_alone() -> None:
    assert localize_digits("Page 12", "de") == "Page 12"
    assert localize_digits("12", "fa") == "۱۲"
