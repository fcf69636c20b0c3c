"""Customer numbers (Kundennummer, BG-Nummer): normalise, validate, explain typos, mask.

Job centres differ, so the accepted formats come from the site config. A typo gets a
problem code the screen turns into a sentence ("one digit too many", "a letter where a
digit belongs") plus the site's example, never a bare "invalid".

A number is accepted in every printed form: with spaces, dashes, dots or slashes, and the
older household form ``12345//1234567`` for ``12345BG1234567`` (``foundation.number_forms``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.model import CustomerNumberFormat
from foundation.number_forms import compact_number, printed_variants

CUSTOMER_NUMBER_MSGIDS = (
    "Please enter your customer number.",
    "The number is too short. Please check it.",
    "The number is too long. Please check it.",
    "There is a letter where a digit belongs, or the other way round.",
    "The number may only contain digits and letters.",
    "This number does not look right. Please check it.",
)

PROBLEM_MESSAGES: dict[str, str] = {
    "empty": CUSTOMER_NUMBER_MSGIDS[0],
    "too_short": CUSTOMER_NUMBER_MSGIDS[1],
    "too_long": CUSTOMER_NUMBER_MSGIDS[2],
    "wrong_kind": CUSTOMER_NUMBER_MSGIDS[3],
    "bad_character": CUSTOMER_NUMBER_MSGIDS[4],
    "no_match": CUSTOMER_NUMBER_MSGIDS[5],
}


@dataclass(frozen=True)
class NumberCheck:
    """Result of checking a typed number: ``problem`` is None when it is valid."""

    normalized: str
    format_name: str | None
    problem: str | None
    example: str | None

    @property
    def ok(self) -> bool:
        """True when the number matched one of the site's formats."""
        return self.problem is None


def normalize(raw: str) -> str:
    """Upper-case and drop spaces, dashes, dots and slashes people type as separators."""
    return compact_number(raw)


def _shape(value: str) -> str:
    return "".join("9" if c.isdigit() else "A" if c.isalpha() else "?" for c in value)


def _example_shape(fmt: CustomerNumberFormat) -> str:
    return _shape(fmt.example)


def check_number(raw: str, formats: tuple[CustomerNumberFormat, ...]) -> NumberCheck:
    """Check ``raw`` against the site formats and diagnose the most likely typo."""
    value = normalize(raw)
    if not value:
        return NumberCheck(value, None, "empty", formats[0].example)
    for variant in printed_variants(raw):
        for fmt in formats:
            if re.fullmatch(fmt.pattern, variant):
                return NumberCheck(variant, fmt.name, None, None)
    if not value.isalnum() or not value.isascii():
        return NumberCheck(value, None, "bad_character", formats[0].example)
    # Diagnose against the format whose length is closest (ties: first format).
    nearest = min(formats, key=lambda f: abs(len(f.example) - len(value)))
    if len(value) < len(nearest.example):
        problem = "too_short"
    elif len(value) > len(nearest.example):
        problem = "too_long"
    elif _shape(value) != _example_shape(nearest):
        problem = "wrong_kind"
    else:
        problem = "no_match"
    return NumberCheck(value, None, problem, nearest.example)

