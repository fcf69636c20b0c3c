"""Printed forms of customer numbers and OCR repair guided by a site's number pattern.

One rule for every place a number enters (typed on the identify screen, read from a letter,
decoded from a barcode): separators people print or type (spaces, dashes, dots, slashes) are
dropped, and the older household form ``12345//1234567`` is also tried as ``12345BG1234567``.

OCR confuses look-alike characters (O/0, I/l/1, S/5, B/8, …). ``repair_to_pattern`` fixes
them only at positions where the pattern demands a digit or a letter, so a number is never
"repaired" into a shape the site does not use. Patterns are plain regular expressions over
the compact number; the repair understands the usual subset (``\\d``, ``[A-Z]``, literal
letters and digits, ``{n}`` repeats) and leaves anything fancier alone.

No configuration import here: callers pass the pattern strings.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-./]")
_DOUBLE_SLASH = re.compile(r"(?<=\d)\s*(?:/\s*/|//|\\\\)\s*(?=\d)")
_TO_DIGIT = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "|": "1", "!": "1",
             "S": "5", "B": "8", "Z": "2", "G": "6", "T": "7"}
_TO_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G", "4": "A", "7": "T",
              "]": "J", "|": "I", "!": "I", "$": "S", "€": "E"}
_TOKEN = re.compile(r"\\d|\[A-Z\]|\[A-Z0-9\]|\[0-9A-Z\]|[A-Z0-9]")
_REPEAT = re.compile(r"\{(\d+)\}")


def compact_number(raw: str) -> str:
    """Upper-case and drop the separators people print or type (spaces, dashes, dots, slashes)."""
    return _SEPARATORS.sub("", raw).upper()


def printed_variants(raw: str) -> tuple[str, ...]:
    """The compact forms a printed or typed number may stand for (``//`` read as ``BG`` too)."""
    plain = compact_number(raw)
    household = compact_number(_DOUBLE_SLASH.sub("BG", raw))
    return (plain,) if household == plain else (plain, household)


def position_classes(pattern: str) -> tuple[str, ...] | None:
    """Per-position classes of a simple pattern: ``d`` digit, ``A`` letter, ``*`` either,
    or the literal character; None when the pattern is not of the simple kind."""
    body = pattern.removeprefix("^").removesuffix("$")
    classes: list[str] = []
    pos = 0
    while pos < len(body):
        token = _TOKEN.match(body, pos)
        if token is None:
            return None
        text = token.group()
        kind = {"\\d": "d", "[A-Z]": "A"}.get(text, "*" if text.startswith("[") else text)
        pos = token.end()
        repeat = _REPEAT.match(body, pos)
        count = 1
        if repeat is not None:
            count, pos = int(repeat.group(1)), repeat.end()
        classes.extend([kind] * count)
    return tuple(classes) if classes else None


def _fix(char: str, kind: str) -> str | None:
    if kind == "d":
        return char if char.isdigit() else _TO_DIGIT.get(char)
    if kind == "A":
        return char if char.isalpha() and char.isascii() else _TO_LETTER.get(char)
    if kind == "*":
        return char if char.isascii() and char.isalnum() else None
    if char == kind:
        return char
    looks_like = _TO_DIGIT.get(char) if kind.isdigit() else _TO_LETTER.get(char)
    return kind if looks_like == kind else None


def repair_to_pattern(value: str, pattern: str) -> str | None:
    """``value`` with look-alike characters fixed where ``pattern`` demands a digit or letter;
    None when it cannot be made to match (wrong length, or a character with no look-alike)."""
    if re.fullmatch(pattern, value):
        return value
    classes = position_classes(pattern)
    if classes is None or len(classes) != len(value):
        return None
    fixed = []
    for char, kind in zip(value.upper(), classes, strict=True):
        good = _fix(char, kind)
        if good is None:
            return None
        fixed.append(good)
    candidate = "".join(fixed)
    return candidate if re.fullmatch(pattern, candidate) else None
