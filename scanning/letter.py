"""Read a job-centre letter: numbers, dates, sender and the documents it asks for.

The API for the touchscreen flow (no Kivy; everything returned is frozen)::

    facts = read_letter(images, config)             # KioskConfig; one image per page
    facts = read_letter_pages(results, formats)     # pages already through complete_page
    facts = parse_letter_text(text, formats)        # text only (tests, the server side)

    facts.customer_number   # "123A456789" or None (normalised, as the site's format)
    facts.bg_number         # "12345BG1234567" or None, whatever the printed form
    facts.deadline          # datetime.date or None;  facts.letter_date likewise
    facts.sender            # "Jobcenter Musterstadt" or None
    facts.requested         # (RequestedItem(document_type, text), ...) – empty: no list
    facts.verdict           # "accept" or "reject" (capture checks of every page)
    facts.as_json()         # the ``kiosk read-letter --json`` record

A code (QR, DataMatrix, 1-D) on a page wins over the text for a number it holds that
matches a configured format. ``scanning.checklist.Checklist.from_letter(facts)`` turns the
requested items into the list the visitor ticks off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from config.model import CustomerNumberFormat, KioskConfig
from scanning.barcodes import decode_codes
from scanning.doctype import fold
from scanning.judge import judge_page
from scanning.letter_dates import pick_dates
from scanning.letter_items import RequestedItem, find_requested
from scanning.letter_numbers import FoundNumber, best_numbers, find_numbers, numbers_in_codes
from scanning.letter_reread import reread_numbers
from scanning.models import PageResult

__all__ = ["LetterFacts", "RequestedItem", "parse_letter_text", "read_letter",
           "read_letter_pages"]

_SENDER = re.compile(
    r"^(?:(?:kommunales |gemeinsames )?jobcenter\b.*|.*\bjobcenter\b.*|"
    r"agentur fur arbeit\b.*|familienkasse\b.*|.*\b(?:landkreis|kreis|stadt)\b.*\bjobcenter\b.*)$"
)
_SENDER_NOISE = re.compile(r"\b(?:ihr|ihre|ihrem|ihres|vom|des|beim|dem|an das|an)\s*jobcenter")


@dataclass(frozen=True)
class LetterFacts:
    """What a letter says: whose it is, by when, and which documents it wants."""

    customer_number: str | None
    bg_number: str | None
    deadline: date | None
    letter_date: date | None
    sender: str | None
    requested: tuple[RequestedItem, ...]
    verdict: str = "accept"
    reasons: tuple[str, ...] = ()
    number_source: str | None = None  # "code", "text" or None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready record (dates as ISO strings)."""
        return {
            "customer_number": self.customer_number,
            "bg_number": self.bg_number,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "letter_date": self.letter_date.isoformat() if self.letter_date else None,
            "sender": self.sender,
            "requested": [{"document_type": i.document_type, "text": i.text}
                          for i in self.requested],
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "number_source": self.number_source,
        }


def find_sender(text: str) -> str | None:
    """The issuing office (a job centre, the employment agency, the family benefits office)."""
    for line in text.splitlines()[:40]:
        clean = re.sub(r"\s+", " ", line).strip(" -|·,")
        folded = fold(clean)
        if 6 <= len(clean) <= 70 and _SENDER.match(folded) and not _SENDER_NOISE.search(folded):
            return re.split(r"\s[-|·,]\s|,\s", clean)[0].strip()
    return None


def parse_letter_text(
    text: str,
    formats: Sequence[CustomerNumberFormat],
    codes: Sequence[str] = (),
    *,
    verdict: str = "accept",
    reasons: tuple[str, ...] = (),
    closer: Sequence[FoundNumber] = (),
) -> LetterFacts:
    """The facts of a letter from its text (all pages, in order) and decoded code payloads.

    ``closer``: numbers from a closer read of doubtful number lines (``letter_reread``).
    """
    from_text = best_numbers(find_numbers(text, formats), closer)
    from_codes = numbers_in_codes(codes, formats)
    numbers = {**from_text, **from_codes}
    source = "code" if from_codes else "text" if from_text else None
    letter_date, deadline = pick_dates(text)
    return LetterFacts(
        customer_number=numbers.get("customer"),
        bg_number=numbers.get("household"),
        deadline=deadline,
        letter_date=letter_date,
        sender=find_sender(text),
        requested=find_requested(text),
        verdict=verdict,
        reasons=reasons,
        number_source=source,
    )


def read_letter_pages(
    pages: Sequence[PageResult], formats: Sequence[CustomerNumberFormat]
) -> LetterFacts:
    """The facts of a letter whose pages have been through ``complete_page``."""
    codes: list[str] = []
    for page in pages:
        if page.verdict.image is not None:
            codes.extend(decode_codes(page.verdict.image))
    reasons = tuple(dict.fromkeys(r for p in pages for r in p.verdict.reasons))
    return parse_letter_text(
        "\n\n".join(p.text for p in pages),
        formats,
        codes,
        verdict="reject" if reasons or not pages else "accept",
        reasons=reasons,
        closer=reread_numbers(pages, formats),
    )


def read_letter(images: Sequence[np.ndarray], config: KioskConfig) -> LetterFacts:
    """Check, OCR and read the pages of one letter (slow: run it off the UI thread).

    Each page goes through ``judge_page``: its full OCR starts while the checks still run,
    on the other core, with the same result as ``complete_page(check_page(...))``.
    """
    results = [judge_page(image, config.scanning) for image in images]
    return read_letter_pages(results, config.site.customer_number_formats)
