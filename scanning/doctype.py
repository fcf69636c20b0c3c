"""Document type from recognised text and page layout, with a confidence.

Weighted keywords per type (matched after folding case and umlauts, so OCR that drops a
diacritic still counts), plus layout cues: an ID-1 card aspect ratio, many lines that pair
a date with an amount (statements). Scores become probabilities with a softmax against a
fixed score for ``other``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

from scanning.models import PageResult

DOCUMENT_TYPES = (
    "payslip",
    "bank_statement",
    "rent",
    "utility_bill",
    "sick_note",
    "identity_document",
    "jobcenter_letter",
    "application_form",
    "other",
)

_KEYWORDS: dict[str, dict[str, float]] = {
    "payslip": {
        "entgeltabrechnung": 3,
        "lohnabrechnung": 2,
        "gehaltsabrechnung": 3,
        "bruttoentgelt": 2,
        "nettoentgelt": 2,
        "auszahlungsbetrag": 2,
        "lohnsteuer": 1.5,
        "solidaritatszuschlag": 1,
        "personalnummer": 1.5,
        "steuerklasse": 1.5,
        "arbeitgeber": 0.5,
        "grundlohn": 1.5,
    },
    "bank_statement": {
        "kontoauszug": 3,
        "kontostand": 2.5,
        "buchungstag": 1.5,
        "lastschrift": 1,
        "gutschrift": 1,
        "dauerauftrag": 1,
        "kartenzahlung": 1,
        "saldo": 1,
        "sparkasse": 1,
        "volksbank": 1,
        "bic": 0.5,
        "umsatz": 0.5,
    },
    "rent": {
        "mietbescheinigung": 4,
        "mietvertrag": 3,
        "vermieter": 1.5,
        "mieter": 1,
        "grundmiete": 2,
        "kaltmiete": 2,
        "gesamtmiete": 2,
        "wohnflache": 1.5,
        "hausverwaltung": 1,
        "mietverhaltnis": 1.5,
    },
    "utility_bill": {
        "jahresabrechnung": 2,
        "heizkostenabrechnung": 3,
        "stadtwerke": 2,
        "nebenkostenabrechnung": 3,
        "kwh": 2,
        "zahlernummer": 2,
        "abschlag": 1,
        "verbrauch": 1,
        "stromrechnung": 3,
        "vertragskonto": 1.5,
        "arbeitspreis": 1.5,
        "abrechnungszeitraum": 1,
    },
    "sick_note": {
        "arbeitsunfahigkeitsbescheinigung": 5,
        "arbeitsunfahig": 2,
        "erstbescheinigung": 2,
        "folgebescheinigung": 2,
        "diagnose": 1,
        "icd": 1,
        "vertragsarzt": 1.5,
        "krankenkasse": 0.7,
        "versicherten": 0.7,
    },
    "identity_document": {
        "personalausweis": 4,
        "identity card": 2,
        "reisepass": 4,
        "passport": 2,
        "aufenthaltstitel": 4,
        "residence permit": 2,
        "staatsangehorigkeit": 1.5,
        "nationality": 1,
        "date of birth": 1,
        "date of expiry": 1,
        "bundesrepublik deutschland": 1,
        "<<<": 2,
    },
    "jobcenter_letter": {
        "jobcenter": 2.5,
        "burgergeld": 1.5,
        "sgb ii": 1.5,
        "kundennummer": 1,
        "bg-nummer": 1.5,
        "bescheid": 1.5,
        "mitwirkung": 1.5,
        "rechtsbehelfsbelehrung": 2.5,
        "widerspruch": 0.7,
        "mit freundlichen grussen": 0.5,
        "sozialgesetzbuch": 1,
    },
    "application_form": {
        "weiterbewilligungsantrag": 5,
        "veranderungsmitteilung": 5,
        "antrag auf": 1.5,
        "antragstellenden": 2,
        "ich versichere": 1.5,
        "[ ] ja": 1,
        "[x]": 0.5,
        "unterschrift": 0.5,
        "geburtsdatum": 0.5,
    },
}
_OTHER_SCORE = 2.5
_DATE_AMOUNT = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4}).*\d+,\d{2}")


def fold(text: str) -> str:
    """Lower-case, strip diacritics and collapse whitespace (for OCR-tolerant matching)."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain)


def score_types(text: str, aspect: float | None = None) -> dict[str, float]:
    """Raw evidence per document type (not normalised)."""
    folded = fold(text)
    scores = {}
    for doc_type, words in _KEYWORDS.items():
        total = 0.0
        for keyword, weight in words.items():
            hits = folded.count(fold(keyword))
            total += weight * min(hits, 2) if hits else 0.0
        scores[doc_type] = total
    statement_lines = sum(1 for line in text.splitlines() if _DATE_AMOUNT.search(line))
    if statement_lines >= 5:
        scores["bank_statement"] += 1.5
    if aspect is not None and 1.45 < max(aspect, 1 / aspect) < 1.72:
        scores["identity_document"] += 2.0
    return scores


def _decide(scores: dict[str, float]) -> tuple[str, float]:
    options = dict(scores)
    options["other"] = _OTHER_SCORE
    peak = max(options.values())
    weights = {k: math.exp(v - peak) for k, v in options.items()}
    total = sum(weights.values())
    best = max(weights, key=lambda k: weights[k])
    return best, round(weights[best] / total, 3)


def classify_text(text: str, aspect: float | None = None) -> tuple[str, float]:
    """Document type and confidence (0–1) of one page's text; ``aspect`` = height / width."""
    return _decide(score_types(text, aspect))


def classify_document(pages: Sequence[PageResult]) -> tuple[str, float]:
    """Document type and confidence over all pages of one document."""
    combined: dict[str, float] = dict.fromkeys(_KEYWORDS, 0.0)
    for page in pages:
        width_mm, height_mm = page.verdict.page_size_mm
        for key, value in score_types(page.text, height_mm / width_mm).items():
            combined[key] += value
    return _decide(combined)
