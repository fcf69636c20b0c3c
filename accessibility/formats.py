"""Dates, times and numbers written the way the visitor's language writes them (Babel/CLDR).

Digits follow the locale's default CLDR numbering system: Farsi (``fa_IR``) uses Extended
Arabic-Indic digits (۱۲۳), Arabic as configured (``ar`` is Latin digits in current CLDR;
``ar_EG`` would be ٠١٢). Babel picks that system's separators but keeps ASCII digits, and
ignores it for dates, so all output is transliterated here to the system's digits.
Customer numbers, PINs and other codes are identifiers, not numbers: show them as typed,
never through these functions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

from accessibility.languages import get_language

Width = Literal["short", "medium", "long", "full"]

# Digits of the CLDR numbering systems our languages can use.
_DIGITS: dict[str, str] = {
    "latn": "0123456789",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
}


def locale_for(lang: str) -> Locale:
    """The Babel locale of kiosk language ``lang``."""
    return Locale.parse(get_language(lang).babel_locale)


def numbering_system(lang: str) -> str:
    """CLDR default numbering system of ``lang`` (``latn``, ``arab``, ``arabext``)."""
    return str(locale_for(lang).default_numbering_system)


def localize_digits(text: str, lang: str) -> str:
    """Replace ASCII digits in ``text`` by the digits of ``lang``'s numbering system."""
    digits = _DIGITS.get(numbering_system(lang), _DIGITS["latn"])
    if digits == _DIGITS["latn"]:
        return text
    return text.translate(str.maketrans(_DIGITS["latn"], digits))


def format_date(value: dt.date, lang: str, width: Width = "medium") -> str:
    """A date such as ``07.03.2025`` (de) or ``۷ مارس ۲۰۲۵`` (fa)."""
    return localize_digits(_babel_date(value, format=width, locale=locale_for(lang)), lang)


def format_time(value: dt.time | dt.datetime, lang: str, width: Width = "short") -> str:
    """A clock time such as ``14:05`` (de) or ``2:05 م`` (ar)."""
    return localize_digits(_babel_time(value, format=width, locale=locale_for(lang)), lang)


def format_datetime(value: dt.datetime, lang: str, width: Width = "medium") -> str:
    """Date and time together, in the locale's own order."""
    text = _babel_datetime(value, format=width, locale=locale_for(lang))
    return localize_digits(text, lang)


def format_number(value: int | float | Decimal, lang: str) -> str:
    """A number with the locale's separators and digits (``1.234,5`` de, ``۱٬۲۳۴٫۵`` fa)."""
    text = _babel_decimal(value, locale=locale_for(lang), numbering_system="default")
    return localize_digits(text, lang)


def format_percent(value: int | float | Decimal, lang: str) -> str:
    """A fraction as percent (``0.25`` → ``25 %`` de)."""
    text = _babel_percent(value, locale=locale_for(lang), numbering_system="default")
    return localize_digits(text, lang)
