"""Customer and household numbers in a letter's text or in a code printed on it.

Numbers appear in many printed forms: ``123A456789``, ``123 A 456789``, ``12345BG1234567``,
``12345 BG 1234567``, ``12345//1234567``, after labels such as ``Kd.-Nr.``, ``Kundennummer``,
``BG-Nr.``, ``Nummer der Bedarfsgemeinschaft`` or ``Unser Zeichen``, in the same line or in
the line below. Every run of one to five neighbouring words is tried against the site's
configured formats (``config.model.CustomerNumberFormat``) in each printed form
(``foundation.number_forms.printed_variants``). Next to a label, OCR look-alikes are repaired
where the format demands a digit or a letter; without a label only an exact match counts,
so an IBAN or a phone number is never bent into a customer number.

Which key a number fills (``customer`` or ``household``) follows the format's ``number_kind``.
A code's payload (QR, DataMatrix, 1-D) is read the same way and wins over the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from config.model import CustomerNumberFormat
from foundation.number_forms import position_classes, printed_variants, repair_to_pattern

LABEL = re.compile(
    r"kunden-?\s?(?:nummer|nr)|kd\.?\s?-?\s?nr|\bkdnr|bg-?\s?(?:nummer|nr)|"
    r"nummer der bedarfsgemeinschaft|bedarfsgemeinschafts?-?\s?(?:nummer|nr)|"
    r"nr\.? der bg|(?:unser|ihr) zeichen|aktenzeichen|gesch(?:a|ä|ae)ftszeichen|\bbg\b"
)
# long label words as OCR may garble them ("Nindenpummer"): close enough counts as a label
_FUZZY_LABELS = ("kundennummer", "bedarfsgemeinschaft", "aktenzeichen")
_FUZZY_RATIO = 0.75
_WORD = re.compile(r"\S+")
_TRIM = ",;:)(]["
_MAX_WORDS = 5
RANK_LABELLED, RANK_REPAIRED, RANK_UNLABELLED = 0, 1, 2


@dataclass(frozen=True)
class FoundNumber:
    """A number matching one of the site's formats, and how sure we are (lower = surer)."""

    value: str
    kind: str  # "customer" or "household"
    format_name: str
    rank: int
    position: int


# OCR marks that stand beside a character rather than for one (``493]J568909``)
_STRAY = re.compile(r"[\]\[|'`´‘’\",;:_()]")
# what OCR makes of the ``//`` or ``BG`` between the two digit groups of a household number
_MARKER = re.compile(r"[/\\|!lIiL1()\[\]{}7B8G6C0O]{1,3}")


def _split_marker(raw: str, fmt: CustomerNumberFormat) -> str | None:
    """``12345 /1 1234567`` as ``12345BG1234567`` for a ``digits LETTERS digits`` format:
    the two digit groups have the format's lengths and only a marker-like mark between them."""
    classes = position_classes(fmt.pattern)
    if classes is None:
        return None
    text = "".join(classes)  # "d" a digit, "A" any letter, else the literal character
    found = re.fullmatch(r"(d+)([B-Z]+)(d+)", text)
    if found is None:
        return None
    head, letters, tail = (len(found.group(1)), found.group(2), len(found.group(3)))
    compact = re.sub(r"\s+", "", raw)
    middle = compact[head : len(compact) - tail]
    if not _MARKER.fullmatch(middle) or middle == letters:
        return None
    return compact[:head] + letters + compact[len(compact) - tail :]


def _repair_candidates(raw: str, fmt: CustomerNumberFormat) -> Iterable[str]:
    yield from printed_variants(raw)
    unmarked = _STRAY.sub("", raw)
    if unmarked != raw:
        yield from printed_variants(unmarked)
    split = _split_marker(raw, fmt)
    if split is not None:
        yield split


def _match(
    raw: str, formats: Sequence[CustomerNumberFormat], repair: bool
) -> tuple[str, CustomerNumberFormat, bool] | None:
    for variant in printed_variants(raw):
        for fmt in formats:
            if re.fullmatch(fmt.pattern, variant):
                return variant, fmt, False
    if repair:
        for fmt in formats:
            for variant in _repair_candidates(raw, fmt):
                fixed = repair_to_pattern(variant, fmt.pattern)
                if fixed is not None:
                    return fixed, fmt, True
    return None


def label_ends(lower: str) -> list[int]:
    """Where labels end in a lower-cased line: the known labels, and long label words
    garbled by OCR (``nindenpummer``) that are still close to one."""
    ends = [m.end() for m in LABEL.finditer(lower)]
    for word in _WORD.finditer(lower):
        text = word.group().strip(_TRIM + ".")
        if len(text) >= 10 and not any(c.isdigit() for c in text) and any(
            SequenceMatcher(None, text, label).ratio() >= _FUZZY_RATIO for label in _FUZZY_LABELS
        ):
            ends.append(word.end())
    return sorted(set(ends))


def _line_candidates(
    line: str, offset: int, labelled_above: bool, formats: Sequence[CustomerNumberFormat]
) -> Iterable[FoundNumber]:
    words = [(m.start(), m.group().strip(_TRIM)) for m in _WORD.finditer(line)]
    ends = label_ends(line.lower())
    start = 0
    while start < len(words):
        labelled = labelled_above or any(end <= words[start][0] + 1 for end in ends)
        hit = None
        for size in range(min(_MAX_WORDS, len(words) - start), 0, -1):
            raw = " ".join(w for _, w in words[start : start + size])
            if not raw or not any(c.isdigit() for c in raw):
                continue
            found = _match(raw, formats, repair=labelled)
            if found is not None:
                value, fmt, repaired = found
                rank = RANK_UNLABELLED
                if labelled:
                    rank = RANK_REPAIRED if repaired else RANK_LABELLED
                hit = FoundNumber(value, fmt.number_kind, fmt.name, rank,
                                  offset + words[start][0]), size
                break
        if hit is not None:
            yield hit[0]
            start += hit[1]
        else:
            start += 1


def find_numbers(text: str, formats: Sequence[CustomerNumberFormat]) -> tuple[FoundNumber, ...]:
    """Every number in ``text`` that matches a site format, in reading order."""
    found: list[FoundNumber] = []
    offset, label_waiting = 0, False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        hits = list(_line_candidates(stripped, offset, label_waiting, formats)) if stripped else []
        found.extend(hits)
        if stripped:
            lower = stripped.lower()
            label_waiting = not hits and bool(label_ends(lower)) and not any(
                c.isdigit() for c in lower[_last_label_end(lower):]
            )
        offset += len(line)
    return tuple(found)


def _last_label_end(lower: str) -> int:
    ends = label_ends(lower)
    return ends[-1] if ends else 0


def numbers_in_line(line: str, formats: Sequence[CustomerNumberFormat]) -> tuple[FoundNumber, ...]:
    """Numbers in one line known to follow a label (look-alikes repaired where needed)."""
    return tuple(_line_candidates(line.strip(), 0, True, formats))


def _best(found: Iterable[FoundNumber]) -> dict[str, FoundNumber]:
    best: dict[str, FoundNumber] = {}
    for number in found:
        held = best.get(number.kind)
        if held is None or (number.rank, number.position) < (held.rank, held.position):
            best[number.kind] = number
    return best


def best_numbers(
    found: Iterable[FoundNumber], closer: Iterable[FoundNumber] = ()
) -> dict[str, str]:
    """One number per kind: the surest, then the first printed.

    ``closer`` holds numbers from a closer read of doubtful lines (``letter_reread``): an
    exact one there replaces a repaired or missing one; repaired ones there are not used.
    """
    best = _best(found)
    for number in _best(n for n in closer if n.rank == RANK_LABELLED).values():
        held = best.get(number.kind)
        if held is None or held.rank > RANK_LABELLED:
            best[number.kind] = number
    return {kind: number.value for kind, number in best.items()}


def numbers_in_codes(
    payloads: Iterable[str], formats: Sequence[CustomerNumberFormat]
) -> dict[str, str]:
    """Numbers held by decoded codes (exact matches only; separators such as ``;`` split)."""
    found: list[FoundNumber] = []
    for payload in payloads:
        spaced = re.sub(r"[;|,=&?#:\n\r\t]", " ", payload)
        spaced = re.sub(r"(?i)\b(?:kdnr|kundennummer|bgnr|bg-nummer|bg)[:=]", " ", spaced)
        found.extend(_line_candidates(spaced.strip(), 0, False, formats))
    return best_numbers(found)
