"""Dates in a letter: the letter's own date and the deadline, told apart by their context.

Forms read: ``15.12.2026``, ``15.12.26``, ``4.1.27``, ``15. Dezember 2026``, ``15. Dez. 2026``
(OCR may turn a dot into a comma). A date is the **deadline** when the words before it set a
limit ("bis zum", "bis spätestens", "spätestens am", "Frist:", "Abgabetermin", "Eingang
bis" …) and it does not close a period ("für die Zeit vom 01.01.2027 bis 30.06.2027"), and
it is not before the letter's date. The **letter date** follows "Datum", a place and a
comma ("Musterstadt, 01.12.2026") or stands alone on its line; reference dates ("Ihr
Schreiben vom", "geboren am") are neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from scanning.doctype import fold

_MONTHS = {
    "januar": 1, "jan": 1, "janner": 1, "februar": 2, "feb": 2, "marz": 3, "maerz": 3,
    "mar": 3, "mrz": 3, "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7,
    "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9, "oktober": 10,
    "okt": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12,
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMERIC = re.compile(r"(?<![\d.,])(\d{1,2}) ?[.,] ?(\d{1,2}) ?[.,] ?(\d{4}|\d{2})(?![\d,]|\.\d)")
_NAMED = re.compile(rf"(?<![\d.])(\d{{1,2}}) ?\.? ?({_MONTH_NAMES})\.? ?(\d{{4}})(?!\d)")
_WEEKDAY = r"(?:(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag),? ?)?"
_DEADLINE_CUE = re.compile(
    r"(?:\bbis(?: zum| spatestens| einschl(?:ie(?:ss|ß)lich|\.)| sp\.)?(?: zum)?|"
    r"spatestens(?: bis)?(?: zum| am)?|frist\w*(?: (?:bis|endet am|zum|am))?|"
    r"abgabetermin|vorlagetermin|einreichungstermin|termin zur vorlage|"
    r"(?:eingang|ruckgabe|vorlage|abgabe|einreichung) (?:bis|spatestens)(?: zum| am)?|"
    r"nicht spater als(?: am)?)"
    rf"\s*:?\s*(?:den |dem )?{_WEEKDAY}$"
)
_PERIOD = re.compile(
    r"(?:\d{2,4}|" + _MONTH_NAMES + r")\.? ?(?:bis(?: zum| einschl\w*\.?)?|-|–)\s*$"
)
_LETTER_CUE = re.compile(
    r"(?:^|\s)(?:datum|dat\.|den)\s*:?\s*$|(?:^|\s)[a-z][\w.\-]{1,30},\s*(?:den\s*)?$"
)
_REFERENCE = re.compile(r"(?:\bvom|\bgeb\.|geboren(?: am)?|\bab(?: dem)?|seit(?: dem)?|\bam)\s*$")


@dataclass(frozen=True)
class DateMention:
    """One date in the text, where it is, and the words just before it (folded)."""

    value: date
    position: int
    before: str
    alone: bool  # the only thing on its line (a letterhead date)


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if year < 100 else year


def _make(day: int, month: int, year: int) -> date | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if 1990 <= year <= 2100 else None


def find_dates(text: str) -> tuple[DateMention, ...]:
    """Every German date in ``text`` with its context, in reading order."""
    folded = "\n".join(fold(line).strip() for line in text.splitlines())
    found: dict[int, DateMention] = {}
    for pattern, named in ((_NAMED, True), (_NUMERIC, False)):
        for m in pattern.finditer(folded):
            if any(abs(m.start() - pos) < 4 for pos in found):
                continue
            month = _MONTHS[m.group(2)] if named else int(m.group(2))
            value = _make(int(m.group(1)), month, _year(m.group(3)))
            if value is None:
                continue
            line_start = folded.rfind("\n", 0, m.start()) + 1
            line_end = folded.find("\n", m.end())
            line = folded[line_start : line_end if line_end >= 0 else len(folded)]
            before = folded[line_start : m.start()].strip()
            if not before and line_start > 0:  # the cue may end the line above
                previous = folded[folded.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]
                before = previous.strip()
            alone = line.strip() == m.group().strip()
            found[m.start()] = DateMention(value, m.start(), before[-60:], alone)
    return tuple(found[pos] for pos in sorted(found))


def _is_deadline(mention: DateMention) -> bool:
    return bool(_DEADLINE_CUE.search(mention.before)) and not _PERIOD.search(mention.before)


def _is_letter_date(mention: DateMention) -> bool:
    if _REFERENCE.search(mention.before) or _is_deadline(mention):
        return False
    return bool(_LETTER_CUE.search(mention.before))


def pick_dates(text: str) -> tuple[date | None, date | None]:
    """``(letter_date, deadline)`` of a letter's text; None where the letter has none."""
    mentions = find_dates(text)
    letter = next((m.value for m in mentions if _is_letter_date(m)), None)
    if letter is None:
        letter = next(
            (m.value for m in mentions if m.alone and not _REFERENCE.search(m.before)), None
        )
    deadlines = [m.value for m in mentions if _is_deadline(m)]
    if letter is not None:
        deadlines = [d for d in deadlines if d >= letter]
    return letter, (deadlines[0] if deadlines else None)
