"""The shape of a wording set for synthetic letters (``letter_vocab_tuning``/``_heldout``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LetterVocab:
    """Phrasings, item wordings, labels, date and number forms, list markers of one part.

    Placeholders: ``{deadline}``, ``{date}``, ``{earlier}``, ``{start}``, ``{end}`` (dates in
    one of ``date_forms``), ``{number}``, ``{name}``, ``{city}``, ``{month}``, ``{month2}``,
    ``{year}``. Letters without a list are ``reminders`` and ``decisions`` (title + lines).
    """

    name: str
    items: dict[str, tuple[str, ...]]
    intros: tuple[str, ...]
    openings: tuple[str, ...]
    reasons: tuple[str, ...]
    deadline_sentences: tuple[str, ...]
    no_deadline_sentences: tuple[str, ...]
    customer_labels: tuple[str, ...]
    household_labels: tuple[str, ...]
    letter_date_lines: tuple[str, ...]
    date_forms: tuple[str, ...]  # numeric, short_year, named, named_short
    customer_forms: tuple[str, ...]  # compact, spaced, split
    household_forms: tuple[str, ...]  # compact, spaced, slashes, spaced_slashes
    markers: tuple[str, ...]  # "•", "-", "1.", "1)", "a)", "☐", "" (plain, under an intro)
    reminders: tuple[tuple[str, ...], ...]
    decisions: tuple[tuple[str, ...], ...]
    legal_notes: tuple[str, ...]
    enclosures: tuple[str, ...]
