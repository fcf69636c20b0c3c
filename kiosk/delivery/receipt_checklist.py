"""The letter's checklist on the receipt: asked for and handed in, still missing, not asked for.

Printed as information below the documents, in the visitor's language and German: each
requested item with its type in the visitor's words and the letter's own German wording;
the missing items with the deadline and a sentence on what to do; the documents handed in
that the letter did not ask for. The receipt's signed payload (the QR code) is unchanged:
it covers the documents handed in, never this list (docs/intake-api.md, *Receipts*).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from device_drivers.printer.layout import LayoutItem, Separator, TextLine

Translate = Callable[[str, str], str]

MSG_CHECKLIST = "What your letter asks for"
MSG_INFO = "For your information. The code on this receipt confirms only the documents handed in."
MSG_HANDED_IN = "Asked for and handed in"
MSG_MISSING = "Asked for and still missing"
MSG_DEADLINE = "Deadline"
MSG_WHAT_TO_DO = ("Please hand in the missing documents by the deadline: here at the "
                  "terminal, by post or at the service desk. If you cannot, tell the job "
                  "centre before the deadline.")
MSG_NO_DEADLINE = ("Please hand in the missing documents soon: here at the terminal, by post "
                   "or at the service desk.")
MSG_UNREQUESTED = "Handed in, not asked for in the letter"
MSG_NONE = "none"

RECEIPT_CHECKLIST_MSGIDS: tuple[str, ...] = (
    MSG_CHECKLIST, MSG_INFO, MSG_HANDED_IN, MSG_MISSING, MSG_DEADLINE, MSG_WHAT_TO_DO,
    MSG_NO_DEADLINE, MSG_UNREQUESTED, MSG_NONE,
)


@dataclass(frozen=True)
class RequestedLine:
    """One requested item: its type code and the letter's German wording."""

    document_type: str
    text: str


@dataclass(frozen=True)
class ChecklistOutcome:
    """What the receipt says about the letter, fixed when the documents were handed in."""

    handed_in: tuple[RequestedLine, ...]
    missing: tuple[RequestedLine, ...]
    unrequested: tuple[str, ...]  # type codes of documents handed in but not asked for
    deadline: date | None


def _both(lang: str, translate: Translate, msgid: str, *, bold: bool = False) -> list[TextLine]:
    german = translate("de", msgid)
    visitor = translate(lang, msgid)
    lines = [] if lang == "de" or visitor == german else [TextLine(visitor, bold=bold)]
    return [*lines, TextLine(german, bold=bold)]


def _item(lang: str, translate: Translate, mark: str, line: RequestedLine,
          type_msgids: dict[str, str]) -> list[TextLine]:
    wording = " ".join(line.text.split()) or translate("de", type_msgids.get(
        line.document_type, type_msgids["other"]))
    lines = [TextLine(f"{mark} {wording}")]
    if lang != "de":
        label = translate(lang, type_msgids.get(line.document_type, type_msgids["other"]))
        lines.append(TextLine(label))  # no brackets: they break up a right-to-left run
    return lines


def checklist_items(outcome: ChecklistOutcome, lang: str, translate: Translate,
                    type_msgids: dict[str, str]) -> list[LayoutItem]:
    """The receipt's checklist section (starts with a separator)."""
    items: list[LayoutItem] = [Separator()]
    items += _both(lang, translate, MSG_CHECKLIST, bold=True)
    items += _both(lang, translate, MSG_INFO)
    for heading, lines, mark in ((MSG_HANDED_IN, outcome.handed_in, "[x]"),
                                 (MSG_MISSING, outcome.missing, "[ ]")):
        items += _both(lang, translate, heading, bold=True)
        if not lines:
            items += _both(lang, translate, MSG_NONE)
        for line in lines:
            items += _item(lang, translate, mark, line, type_msgids)
    if outcome.missing:
        if outcome.deadline is not None:
            day = outcome.deadline.strftime("%d.%m.%Y")
            items += [TextLine(f"{t}: {day}", bold=True)
                      for t in _texts(lang, translate, MSG_DEADLINE)]
            items += _both(lang, translate, MSG_WHAT_TO_DO)
        else:
            items += _both(lang, translate, MSG_NO_DEADLINE)
    if outcome.unrequested:
        items += _both(lang, translate, MSG_UNREQUESTED, bold=True)
        for code in outcome.unrequested:
            msgid = type_msgids.get(code, type_msgids["other"])
            items += [TextLine(f"- {t}") for t in _texts(lang, translate, msgid)]
    return items


def _texts(lang: str, translate: Translate, msgid: str) -> list[str]:
    german = translate("de", msgid)
    visitor = translate(lang, msgid)
    return [german] if lang == "de" or visitor == german else [visitor, german]
