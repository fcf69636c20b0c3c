"""The documents a job-centre letter asks for: find the list and give each item a type code.

A requested item is one entry of a list that asks for evidence: a bulleted, dashed, numbered
or check-box line, or a plain line under an introduction such as "benötigen wir folgende
Unterlagen:". A line that wraps continues the item above it. Lists of enclosures
("Anlagen:") and lists whose entries name no evidence (legal notes) give no items, and prose
that merely mentions a document (a decision quoting "Ihre Kontoauszüge") gives none either.

Each item gets one type code of ``scanning.doctype.DOCUMENT_TYPES``: the earliest *specific*
document name in the line wins (German noun phrases put the head first: "Kontoauszüge, aus
denen der Eingang des Kindergeldes hervorgeht" is a bank statement), then the earliest
general word; an item naming evidence of no known kind is ``other``. Matching runs on folded
text (``doctype.fold``: lower case, no diacritics), so OCR that drops an umlaut still counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanning.doctype import fold

# (type, specific names, general words); regular expressions over folded text.
_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("application_form", (
        r"weiterbewilligungsantrag", r"veranderungsmitteilung", r"\bantrag auf",
        r"\banlagen? ?(?:ek|eks|kdu|vm|uh\d?|ki|wep|mek|bb|av|sv|ha|ukv|le|rv|ue|hg)\b",
        r"antragsformular", r"\bvordruck", r"\bformular", r"einkommenserklarung",
        r"weiterbewilligung", r"fortzahlungsantrag",
    ), (r"\bantrag",)),
    ("payslip", (
        r"(?:lohn|gehalts?|entgelt|verdienst|bezuge)abrechnung", r"verdienstbescheinigung",
        r"(?:lohn|gehalts?|verdienst|einkommens|entgelt)(?:bescheinigung|nachweis|zettel|streifen)",
        r"lohn- ?(?:und|/) ?gehalt", r"arbeitsentgelt", r"erwerbseinkommen",
        r"abrechnung(?:en)? (?:uber|fur) (?:ihren?|den|das) (?:lohn|gehalt|verdienst)",
        r"nettolohn", r"bruttolohn", r"erwerbseinkunfte", r"minijob",
    ), (r"\beinkommen", r"\blohn", r"\bgehalt", r"\bverdienst", r"\barbeitgeber",
        r"einkunfte")),
    ("bank_statement", (
        r"kontoauszu", r"umsatzubersicht", r"umsatzliste", r"kontoumsatz", r"kontoubersicht",
        r"kontobewegung", r"umsatzanzeige", r"auszuge (?:ihres|aller|samtlicher) (?:giro)?kont",
        r"kontoverlauf",
    ), (r"girokont", r"\bkonten\b", r"\bkonto\b", r"bankverbindung")),
    ("rent", (
        r"mietvertrag", r"mietbescheinigung", r"miethohe", r"mieterhohung", r"mietkosten",
        r"mietnachweis", r"mietzahlung", r"mietquittung", r"kosten der unterkunft",
        r"unterkunftskosten", r"wohnkosten", r"nutzungsvertrag", r"mietschuld", r"\bkdu\b",
    ), (r"\bmiete", r"vermieter", r"unterkunft", r"wohnung")),
    ("utility_bill", (
        r"(?:neben|betriebs|heiz|energie)kosten",
        r"(?:strom|gas|wasser|fernwarme)(?:rechnung|abrechnung|kosten)",
        r"jahresabrechnung", r"abschlags(?:plan|zahlung|rechnung)", r"energieversorger",
        r"brennstoff", r"heizol", r"verbrauchsabrechnung", r"stadtwerke",
    ), (r"\bstrom\b", r"\bheizung", r"warmwasser", r"\bgas\b")),
    ("sick_note", (
        r"arbeitsunfahigkeit", r"\bau-bescheinigung", r"krankschreibung", r"krankmeldung",
        r"(?:arztliche|arztlichen|arztliches) (?:attest|bescheinigung|nachweis)", r"\battest",
        r"arbeitsunfahig",
    ), (r"\barzt", r"erkrankung")),
    ("identity_document", (
        r"personalausweis", r"reisepass", r"aufenthaltstitel", r"aufenthaltserlaubnis",
        r"niederlassungserlaubnis", r"fiktionsbescheinigung", r"\bduldung",
        r"aufenthaltsgestattung", r"identitatsnachweis", r"ausweisdokument", r"\bpass\b",
        r"lichtbildausweis",
    ), (r"ausweis", r"identitat")),
    ("child_benefit", (
        r"kindergeld", r"familienkasse", r"kinderzuschlag",
    ), ()),
    ("benefit_notice", (
        r"renten(?:bescheid|anpassung|mitteilung|information)", r"arbeitslosengeld",
        r"\balg ?(?:i|1)\b", r"krankengeld", r"elterngeld", r"wohngeld", r"unterhaltsvorschuss",
        r"bafog", r"berufsausbildungsbeihilfe", r"pflegegeld", r"ubergangsgeld",
        r"verletztengeld", r"(?:witwen|waisen|alters|erwerbsminderungs)rente",
        r"unterhalt(?:szahlung|sleistung|stitel|sbeschluss)?", r"leistungsbescheid",
        r"sozialleistung",
    ), (r"\brente\b", r"\brenten\b")),
    ("school_certificate", (
        r"schul(?:besuchs)?bescheinigung", r"immatrikulation", r"studienbescheinigung",
        r"ausbildungsbescheinigung", r"(?:schul)?zeugnis",
        r"bescheinigung der (?:schule|hochschule)",
        r"studiennachweis", r"schulbesuch",
    ), (r"\bschule", r"hochschule", r"studium")),
    ("health_insurance", (
        r"mitgliedsbescheinigung", r"krankenversicherung", r"pflegeversicherung",
        r"versicherungsbescheinigung", r"familienversicherung",
        r"krankenkassen(?:nachweis|bescheinigung)",
    ), (r"krankenkasse",)),
    ("employment_contract", (
        r"arbeitsvertrag", r"ausbildungsvertrag", r"arbeitsvertrage", r"einstellungszusage",
        r"beschaftigungsvertrag", r"anstellungsvertrag",
    ), (r"arbeitsverhaltnis", r"beschaftigung")),
    ("vehicle_document", (
        r"fahrzeugschein", r"fahrzeugbrief", r"zulassungsbescheinigung", r"\bkfz",
        r"kraftfahrzeug", r"\bpkw", r"fahrzeug",
    ), (r"\bauto\b",)),
    ("asset_evidence", (
        r"sparbuch", r"sparbucher", r"sparkont", r"bausparvertrag", r"lebensversicherung",
        r"\bvermogen", r"\bdepot", r"wertpapier", r"\baktien", r"festgeld", r"tagesgeld",
        r"ruckkaufswert", r"riester", r"sparvertrag", r"bargeld", r"sparguthaben",
        r"kapitalanlage",
    ), (r"guthaben", r"ersparnis")),
    ("jobcenter_letter", (
        r"kooperationsplan", r"eingliederungsvereinbarung",
    ), ()),
)
_COMPILED = tuple(
    (doc_type, tuple(map(re.compile, strong)), tuple(map(re.compile, weak)))
    for doc_type, strong, weak in _RULES
)
_EVIDENCE = re.compile(
    r"nachweis|bescheinigung|beleg|unterlage|kopie|vertrag|bescheid|auszug|abrechnung|"
    r"formular|vordruck|anlage|erklarung|attest|zeugnis|quittung|rechnung|dokument|papiere"
)
_MARKER = re.compile(
    r"^\s*(?:[•·●▪■◦○►➢✓✔*+\-–—»«>¢®]|\(?\d{1,2}[.)]|\(?[a-h][.)]|\[\s*[xX]?\s*\]|[☐□❑]"
    r"|[eo©°«](?=\s+[A-ZÄÖÜ]))\s*"
)
_INTRO = re.compile(
    r"folgende|nachstehende|nachfolgende|unten (?:aufgefuhrt|genannt)|(?:fehlen|benotigen|"
    r"bitten)[^.]*:\s*$|:\s*$"
)
_ENCLOSURES = re.compile(r"^\s*(?:anlagen?|beilagen?|verteiler|anhang)\s*:?\s*$")
_PROSE_END = re.compile(r"[.!?]\s*$")


@dataclass(frozen=True)
class RequestedItem:
    """One requested item: its type code and the line as read (markers dropped)."""

    document_type: str
    text: str


def type_of_item(text: str) -> str | None:
    """Type code of one item's text; ``other`` for unknown evidence, None for no evidence."""
    folded = fold(text)
    best: tuple[int, int, str] | None = None
    for doc_type, strong, weak in _COMPILED:
        for tier, patterns in ((0, strong), (1, weak)):
            for pattern in patterns:
                found = pattern.search(folded)
                if found and (best is None or (tier, found.start()) < best[:2]):
                    best = (tier, found.start(), doc_type)
    if best is not None:
        return best[2]
    return "other" if _EVIDENCE.search(folded) else None


def _strip_marker(line: str) -> tuple[bool, str]:
    found = _MARKER.match(line)
    if found is None or found.end() == len(line):
        return False, line.strip()
    return True, line[found.end():].strip()


_PROSE_START = re.compile(
    r"^(?:bitte|sollten|wenn|falls|sie |wir |ich |mit freundlichen|hinweis|sofern|damit|"
    r"beachten|kommen sie|die unterlagen|diese unterlagen|reichen sie)"
)


def _is_prose(text: str, folded: str) -> bool:
    return bool(_PROSE_START.match(folded)) or (
        bool(_PROSE_END.search(text)) and len(text.split()) > 6
    )


def _continues(previous: str, text: str) -> bool:
    """True when ``text`` is the wrapped rest of ``previous`` (lower case, bracket, comma)."""
    return text[:1].islower() or text[:1] in "(&/" or bool(
        re.search(r"(?:[,(/\-]|\bund|\boder|\bbzw\.)\s*$", previous)
    )


def _list_blocks(lines: list[str]) -> list[list[tuple[bool, str]]]:
    """Runs of list lines ``(marked, text)``: marked lines, or plain lines under an intro."""
    blocks: list[list[tuple[bool, str]]] = []
    block: list[tuple[bool, str]] | None = None  # the open list, if any
    plain = skipping = False  # plain: items without markers; skipping: an enclosure list
    for raw in lines:
        marked, text = _strip_marker(raw)
        folded = fold(text).strip()
        if not folded:
            if plain:
                block, plain = None, False
            continue
        if marked:
            if skipping:
                continue
            if block is None or plain:
                block, plain = [], False
                blocks.append(block)
            block.append((True, text))
            continue
        if block and not plain and block[-1][0] and _continues(block[-1][1], text):
            block.append((False, text))  # the wrapped rest of the item above
            continue
        if plain and block is not None and not _is_prose(text, folded):
            block.append((False, text))
            continue
        skipping = bool(_ENCLOSURES.match(folded))
        block, plain = None, False
        if not skipping and _INTRO.search(folded):
            block, plain = [], True
            blocks.append(block)
    return blocks


def _items_of_block(block: list[tuple[bool, str]]) -> list[str]:
    marked_any = any(m for m, _ in block)
    items: list[str] = []
    for marked, text in block:
        if items and marked_any and not marked:
            items[-1] = f"{items[-1]} {text}"
        else:
            items.append(text)
    return items


def find_requested(text: str) -> tuple[RequestedItem, ...]:
    """The requested items of a letter's text, in the order printed."""
    found: list[RequestedItem] = []
    for block in _list_blocks(text.splitlines()):
        for item in _items_of_block(block):
            doc_type = type_of_item(item)
            if doc_type is not None and len(item) >= 4:
                found.append(RequestedItem(doc_type, re.sub(r"\s+", " ", item).strip()))
    return tuple(found)
