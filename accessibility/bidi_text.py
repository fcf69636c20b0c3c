"""Right-to-left text (Arabic, Farsi) for Kivy labels: shaping, ordering and line direction.

Chosen approach: Kivy's PIL text provider (``KIVY_TEXT=pil``) with Pillow's raqm layout
(FriBiDi + HarfBuzz). Kivy wraps the *logical* text into lines itself (measuring each line
with raqm, so widths are those of the shaped text) and hands each line to
``ImageDraw.text``; raqm then shapes (joined letter forms, lam-alef) and reorders it. So the
first words stay on the first line, which shaping-before-wrapping cannot achieve.

What raqm cannot know is the paragraph direction of each wrapped line: it guesses it from the
line's first strong letter, so a line that starts with "PDF" or a customer number would be
laid out left to right. ``prepare_for_label`` therefore, for RTL languages,

* wraps every left-to-right run (Latin words, digits, codes) in an isolate (LRI … PDI), whose
  content the direction guess skips; short runs get no-break spaces so that a code is never
  wrapped in the middle;
* puts a RIGHT-TO-LEFT MARK at the start of every paragraph and after every space outside
  those runs, so whichever word starts a wrapped line, the line is right to left.

Call it once, on the final translated text, just before assigning ``Label.text``; do not
pass prepared text to speech. Without raqm (``check_shaping`` is False) it degrades to
arabic-reshaper + python-bidi per paragraph: correct for single-line labels only.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from typing import Literal

from accessibility.fonts import font_for
from accessibility.languages import get_language, is_rtl

__all__ = [
    "KIVY_ENV",
    "ShapingStatus",
    "check_shaping",
    "font_for",
    "halign_for",
    "is_rtl",
    "prepare_for_label",
]

log = logging.getLogger(__name__)

RLM = "\u200f"
LRI = "\u2066"
PDI = "\u2069"
NBSP = "\u00a0"
MAX_UNBREAKABLE_RUN = 40

# Environment the app must set before the first ``import kivy``.
KIVY_ENV: dict[str, str] = {"KIVY_TEXT": "pil"}

_LTR_START = frozenset({"L", "EN"})
_LTR_CONTINUE = frozenset({"L", "EN", "ES", "ET", "CS", "NSM", "BN", "WS", "ON"})


@dataclass(frozen=True)
class ShapingStatus:
    """Whether right-to-left text can be shown properly, and why not."""

    ok: bool
    raqm: bool
    reason: str


def check_shaping() -> ShapingStatus:
    """Check that Pillow has raqm layout (FriBiDi + HarfBuzz) for Kivy's PIL provider."""
    from PIL import features

    raqm = bool(features.check("raqm"))
    if not raqm:
        return ShapingStatus(False, False, "pillow_without_raqm")
    return ShapingStatus(True, True, "ok")


def halign_for(lang: str, halign: Literal["start", "end", "center"] = "start") -> str:
    """Kivy ``halign`` for a logical alignment: ``start`` is right in RTL languages."""
    if halign == "center":
        return "center"
    rtl = is_rtl(lang)
    if halign == "start":
        return "right" if rtl else "left"
    return "left" if rtl else "right"


def _ltr_runs(paragraph: str) -> list[tuple[int, int]]:
    """Spans ``[start, end)`` of left-to-right runs, trimmed to their first/last L or EN char."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(paragraph)
    while i < n:
        if unicodedata.bidirectional(paragraph[i]) not in _LTR_START:
            i += 1
            continue
        start = last = i
        j = i + 1
        while j < n:
            cls = unicodedata.bidirectional(paragraph[j])
            if cls in _LTR_START:
                last = j
            elif cls not in _LTR_CONTINUE:
                break
            j += 1
        runs.append((start, last + 1))
        i = last + 1
    return runs


def _prepare_paragraph(paragraph: str) -> str:
    out: list[str] = [RLM]
    pos = 0
    for start, end in _ltr_runs(paragraph):
        out.append(_mark_spaces(paragraph[pos:start]))
        run = paragraph[start:end]
        if len(run) <= MAX_UNBREAKABLE_RUN:
            run = run.replace(" ", NBSP)
        out.append(LRI + run + PDI)
        pos = end
    out.append(_mark_spaces(paragraph[pos:]))
    return "".join(out)


def _mark_spaces(text: str) -> str:
    return text.replace(" ", " " + RLM)


def _reshape_fallback(text: str) -> str:
    import arabic_reshaper
    from bidi import get_display

    lines = []
    for paragraph in text.split("\n"):
        shaped = arabic_reshaper.reshape(paragraph)
        lines.append(str(get_display(shaped, base_dir="R")))
    return "\n".join(lines)


_warned_no_raqm = False


def prepare_for_label(text: str, lang: str) -> str:
    """Text ready for a Kivy Label in ``lang`` (unchanged for left-to-right languages)."""
    if not get_language(lang).is_rtl or not text:
        return text
    if LRI in text or text.startswith(RLM):
        return text  # already prepared; never double the marks
    if not check_shaping().raqm:
        global _warned_no_raqm
        if not _warned_no_raqm:
            log.warning("Pillow has no raqm: right-to-left text is shaped per paragraph only")
            _warned_no_raqm = True
        return _reshape_fallback(text)
    return "\n".join(_prepare_paragraph(p) for p in text.split("\n"))


def strip_marks(text: str) -> str:
    """Undo ``prepare_for_label``'s invisible marks (for speech, logs, tests)."""
    return text.replace(RLM, "").replace(LRI, "").replace(PDI, "").replace(NBSP, " ")
