"""Dates and clock times for the kiosk screens without loading Babel's CLDR data.

``accessibility.formats`` formats through Babel, which unpickles the whole CLDR locale
(~5 MB per language in the UI process, benchmarks/bench_ui.py). The screens need only the
short and medium patterns, the month names and the am/pm marks, so those are kept in a
small table (``accessibility.date_table``), made from Babel by :func:`generate_table`;
tests/accessibility/test_dates.py checks the table against Babel and the output against
``accessibility.formats`` for every language. Same digits rule as there: the locale's
default numbering system.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from accessibility.date_table import TABLE
from accessibility.languages import get_language

Width = Literal["short", "medium"]
WIDTHS: tuple[Width, ...] = ("short", "medium")

_DIGITS: dict[str, str] = {
    "latn": "0123456789",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
}
# a run of one pattern letter, a quoted literal ('' is a quote), or any other character
#: pattern letters printed as a zero-padded number of one attribute
_NUMERIC = {"d": "day", "H": "hour", "m": "minute", "s": "second"}
_TOKEN = re.compile(r"([A-Za-z])\1*|'(?:[^']|'')*'|.", re.DOTALL)


def generate_table() -> dict[str, dict[str, Any]]:
    """The CLDR data the screens use, per Babel locale of the kiosk's languages."""
    from babel import Locale
    from babel.dates import get_period_names

    from accessibility.languages import LANGUAGES

    table: dict[str, dict[str, Any]] = {}
    for code in sorted({lang.babel_locale for lang in LANGUAGES.values()}):
        locale = Locale.parse(code)
        periods = get_period_names("abbreviated", "format", locale)
        table[code] = {
            "date": {w: locale.date_formats[w].pattern for w in WIDTHS},
            "time": {w: locale.time_formats[w].pattern for w in WIDTHS},
            "datetime": {w: str(locale.datetime_formats[w]) for w in WIDTHS},
            "months_abbreviated": [locale.months["format"]["abbreviated"][m]
                                   for m in range(1, 13)],
            "months_wide": [locale.months["format"]["wide"][m] for m in range(1, 13)],
            "periods": [periods["am"], periods["pm"]],
            "digits": str(locale.default_numbering_system),
        }
    return table


def _data(lang: str, width: str) -> dict[str, Any]:
    if width not in WIDTHS:
        raise ValueError(f"unknown width {width!r}; allowed: {', '.join(WIDTHS)}")
    return TABLE[get_language(lang).babel_locale]


def _field(letter: str, count: int, value: Any, data: dict[str, Any]) -> str:
    """One field of ``value`` (a date, time or datetime) for a run of a pattern letter."""
    if letter == "y":
        year = value.year
        return f"{year % 100:02d}" if count == 2 else f"{year:0{count}d}"
    if letter in "ML":
        month = value.month
        if count >= 4:
            return str(data["months_wide"][month - 1])
        if count == 3:
            return str(data["months_abbreviated"][month - 1])
        return f"{month:0{count}d}"
    if letter in _NUMERIC:
        return f"{getattr(value, _NUMERIC[letter]):0{count}d}"
    if letter == "h":
        return f"{(value.hour % 12 or 12):0{count}d}"
    if letter == "a":
        return str(data["periods"][value.hour >= 12])
    raise ValueError(f"date pattern letter {letter!r} is not supported")


def _apply(pattern: str, value: dt.date | dt.time, data: dict[str, Any]) -> str:
    parts = []
    for match in _TOKEN.finditer(pattern):
        token = match.group(0)
        if token[0].isascii() and token[0].isalpha():
            parts.append(_field(token[0], len(token), value, data))
        elif token.startswith("'") and len(token) > 1:
            parts.append(token[1:-1].replace("''", "'") if token != "''" else "'")
        else:
            parts.append(token)
    return "".join(parts)


def _digits(text: str, data: dict[str, Any]) -> str:
    digits = _DIGITS.get(data["digits"], _DIGITS["latn"])
    return text if digits == _DIGITS["latn"] else text.translate(
        str.maketrans(_DIGITS["latn"], digits))


def format_date(value: dt.date, lang: str, width: Width = "medium") -> str:
    """A date such as ``07.03.2025`` (de) or ``۷ مارس ۲۰۲۵`` (fa)."""
    data = _data(lang, width)
    return _digits(_apply(data["date"][width], value, data), data)


def format_time(value: dt.time | dt.datetime, lang: str, width: Width = "short") -> str:
    """A clock time such as ``14:05`` (de) or ``2:05 م`` (ar)."""
    data = _data(lang, width)
    return _digits(_apply(data["time"][width], value, data), data)


def format_datetime(value: dt.datetime, lang: str, width: Width = "medium") -> str:
    """Date and time together, in the locale's own order."""
    data = _data(lang, width)
    text = data["datetime"][width].replace("{1}", _apply(data["date"][width], value, data))
    return _digits(text.replace("{0}", _apply(data["time"][width], value, data)), data)
