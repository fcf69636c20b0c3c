"""The screens' own date formatting equals Babel's, in every language, without Babel."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from accessibility import dates, formats
from accessibility.date_table import TABLE
from accessibility.languages import LANGUAGE_CODES

# every month, single- and double-digit days and hours, midnight, noon, both half-days
MOMENTS = [dt.datetime(year, month, day, hour, minute, second)
           for year in (2009, 2025) for month in range(1, 13)
           for day, hour, minute, second in ((1, 0, 0, 0), (7, 9, 5, 9), (28, 12, 30, 59),
                                             (15, 23, 59, 1))]


def test_table_is_what_babel_says() -> None:
    assert dates.generate_table() == TABLE


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
@pytest.mark.parametrize("width", dates.WIDTHS)
def test_same_text_as_babel(lang: str, width: dates.Width) -> None:
    for moment in MOMENTS:
        assert dates.format_date(moment.date(), lang, width) == \
            formats.format_date(moment.date(), lang, width)
        assert dates.format_time(moment, lang, width) == formats.format_time(moment, lang, width)
        assert dates.format_time(moment.time(), lang, width) == \
            formats.format_time(moment.time(), lang, width)
        assert dates.format_datetime(moment, lang, width) == \
            formats.format_datetime(moment, lang, width)


def test_known_texts() -> None:
    when = dt.datetime(2025, 3, 7, 14, 5, 9)
    assert dates.format_datetime(when, "de") == "07.03.2025, 14:05:09"
    assert dates.format_date(when.date(), "uk") == "7 бер. 2025\u202fр."
    assert dates.format_time(when, "ar") == "2:05 م"
    assert dates.format_date(when.date(), "fa") == "۷ مارس ۲۰۲۵"


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown width"):
        dates.format_date(dt.date(2025, 3, 7), "de", "full")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown language"):
        dates.format_date(dt.date(2025, 3, 7), "xx")


def test_does_not_load_babel() -> None:
    code = ("import sys, datetime as dt; from accessibility.dates import format_datetime; "
            "format_datetime(dt.datetime(2025, 3, 7, 14, 5), 'ar'); "
            "print(any(m == 'babel' or m.startswith('babel.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"
