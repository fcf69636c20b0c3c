"""A second, closer look at a letter's number lines when the page OCR left a doubt.

The full-page OCR reads a number printed next to (or under) a label such as ``Kundennummer``
or ``Unser Zeichen``. When that read does not match a site format exactly (``7471675318``:
an ``L`` read as ``1``, which repair cannot tell from an ``I``; a mark lost between digit
groups), only that line is read again: its words cut out of the page, enlarged so the
characters are about 40 pixels high, and read as one line with a whitelist of the characters
numbers are printed with (digits, capitals, ``/``). An exact match there wins over a repaired
or missing one from the page. Lines whose number the page OCR read exactly are not read
again, so a letter without doubt costs no extra OCR (never a second full-page pass).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from config.model import CustomerNumberFormat
from foundation.errors import OcrFailed
from foundation.number_forms import position_classes
from scanning.letter_numbers import RANK_LABELLED, FoundNumber, label_ends, numbers_in_line
from scanning.models import OcrWord, PageResult
from scanning.ocr import run_tesseract_in_memory
from scanning.pipeline import ocr_input

log = logging.getLogger(__name__)

_WHITELIST = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ/"
_TARGET_HEIGHT_PX = 40.0
_MAX_LINES = 4  # per letter: a guard against pages full of labels
_TIMEOUT_S = 5.0
_MIN_DIGITS = 4  # fewer digits is a list item ("3) Attest"), not a number


def _lines(words: Sequence[OcrWord]) -> list[list[OcrWord]]:
    lines: list[list[OcrWord]] = []
    for word in words:
        if lines and lines[-1][0].line == word.line:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _after_label(line: list[OcrWord]) -> list[OcrWord] | None:
    """The words after the line's first label (a ``BG`` inside the number is not one);
    None when the line has no label."""
    text, starts = "", []
    for word in line:
        starts.append(len(text) + (1 if text else 0))
        text = f"{text} {word.text}" if text else word.text
    ends = label_ends(text.lower())
    if not ends:
        return None
    return [w for w, start in zip(line, starts, strict=True) if start >= ends[0]]


def _digits(words: list[OcrWord]) -> int:
    return sum(c.isdigit() for w in words for c in w.text)


def number_spots(words: Sequence[OcrWord]) -> Iterator[list[OcrWord]]:
    """The words that should hold a number: after a label, or the line under a bare label."""
    lines = _lines(words)
    for index, line in enumerate(lines):
        after = _after_label(line)
        if after is None:
            continue
        if _digits(after) >= _MIN_DIGITS:
            yield after
        elif not after and index + 1 < len(lines) and _digits(lines[index + 1]) >= _MIN_DIGITS:
            yield lines[index + 1]


def _sure(spot: list[OcrWord], formats: Sequence[CustomerNumberFormat]) -> bool:
    hits = numbers_in_line(" ".join(w.text for w in spot), formats)
    return bool(hits) and all(h.rank == RANK_LABELLED for h in hits)


def _crop(page: np.ndarray, spot: list[OcrWord]) -> np.ndarray:
    left = min(w.box[0] for w in spot)
    top = min(w.box[1] for w in spot)
    right = max(w.box[0] + w.box[2] for w in spot)
    bottom = max(w.box[1] + w.box[3] for w in spot)
    height = max(bottom - top, 1)
    pad = max(4, height // 2)
    cut = page[max(0, top - pad) : bottom + pad, max(0, left - pad) : right + pad]
    scale = float(np.clip(_TARGET_HEIGHT_PX / height, 1.0, 4.0))
    return np.asarray(
        cv2.resize(cut, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8
    )


def read_spot(crop: np.ndarray, timeout_s: float = _TIMEOUT_S) -> str:
    """One line of number characters read from an enlarged crop ('' when Tesseract fails)."""
    args = ["-l", "eng", "--psm", "7", "-c", f"tessedit_char_whitelist={_WHITELIST}"]
    try:
        out = run_tesseract_in_memory(crop, args, timeout_s)
    except OcrFailed:
        return ""
    return out.decode("utf-8", errors="replace").strip()


def _glyphs(crop: np.ndarray) -> list[np.ndarray]:
    """The characters of an enlarged number crop, left to right (dark on light)."""
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    tall = [stats[i] for i in range(1, count)]
    if not tall:
        return []
    top = max(int(s[cv2.CC_STAT_HEIGHT]) for s in tall)
    boxes = sorted(
        (int(s[0]), int(s[1]), int(s[0] + s[2]), int(s[1] + s[3]))
        for s in tall if s[cv2.CC_STAT_HEIGHT] >= 0.6 * top
    )
    merged: list[list[int]] = []
    for x0, y0, x1, y1 in boxes:  # parts of one character overlap in x
        if merged and x0 < merged[-1][2] - 2:
            last = merged[-1]
            last[:] = [last[0], min(last[1], y0), max(last[2], x1), max(last[3], y1)]
        else:
            merged.append([x0, y0, x1, y1])
    pad = top // 4
    return [
        cv2.copyMakeBorder(crop[y0:y1, x0:x1], pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                           value=255)
        for x0, y0, x1, y1 in merged
    ]


def _read_letter(glyph: np.ndarray) -> str | None:
    args = ["-l", "eng", "--psm", "10", "-c", "tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    try:
        read = run_tesseract_in_memory(glyph, args, _TIMEOUT_S)
    except OcrFailed:
        return None
    letter = read.decode("utf-8", errors="replace").strip()
    return letter if len(letter) == 1 else None


def settle_letters(
    crop: np.ndarray, text: str, formats: Sequence[CustomerNumberFormat]
) -> str | None:
    """The number of a crop whose letter was read as a digit or lost (``7471675318``,
    ``329539015`` for ``747L675318``, ``329J539015``): the character at each letter position
    of a digits-and-letters format read alone as a letter, the digits kept in their order.
    None unless the crop holds exactly as many characters as the format."""
    compact = re.sub(r"\s+", "", text)
    glyphs = _glyphs(crop)
    for fmt in formats:
        classes = position_classes(fmt.pattern)
        if classes is None or len(glyphs) != len(classes) or set(classes) != {"d", "A"}:
            continue
        digits = [c for c in compact if c.isdigit()]
        if len(compact) == len(classes):
            digits = [c for c, k in zip(compact, classes, strict=True) if k == "d"]
        if len(digits) != classes.count("d"):
            continue
        chars, next_digit = [], iter(digits)
        for index, kind in enumerate(classes):
            letter = _read_letter(glyphs[index]) if kind == "A" else next(next_digit)
            if letter is None:
                return None
            chars.append(letter)
        value = "".join(chars)
        if re.fullmatch(fmt.pattern, value):
            return value
    return None


def reread_numbers(
    pages: Sequence[PageResult], formats: Sequence[CustomerNumberFormat]
) -> list[FoundNumber]:
    """Numbers from a closer read of every doubtful number line of the letter's pages."""
    found: list[FoundNumber] = []
    budget = _MAX_LINES
    for page in pages:
        if page.ocr is None or page.verdict.image is None:
            continue
        grey: np.ndarray | None = None
        for spot in number_spots(page.ocr.words):
            if budget == 0:
                return found
            if _sure(spot, formats):
                continue
            budget -= 1
            grey = ocr_input(page.verdict.image) if grey is None else grey
            crop = _crop(grey, spot)
            text = read_spot(crop)
            hits = numbers_in_line(text, formats)
            if not any(h.rank == RANK_LABELLED for h in hits):
                settled = settle_letters(crop, text, formats)
                hits = numbers_in_line(settled, formats) if settled else hits
            found.extend(hits)
    log.debug("re-read %d number lines", _MAX_LINES - budget)
    return found
