"""Document type from recognised text and page layout, with a confidence.

Weighted keywords per type (matched after folding case and umlauts, so OCR that drops a
diacritic still counts), plus layout cues: an ID-1 card aspect ratio, many lines that pair
a date with an amount (statements). Scores become probabilities with a softmax against a
fixed score for ``other``.

Type codes (shared with the letter reader, ``scanning.letter_items``, so a handed-in document
can tick an item a job-centre letter asks for):

``payslip``              Lohn-/Gehaltsabrechnung, Verdienstbescheinigung
``bank_statement``       Kontoauszug, Umsatzübersicht
``rent``                 Mietvertrag, Mietbescheinigung, evidence of the rent
``utility_bill``         Heiz-/Neben-/Betriebskostenabrechnung, electricity or gas bill
``sick_note``            Arbeitsunfähigkeitsbescheinigung, medical certificate
``identity_document``    Personalausweis, Reisepass, Aufenthaltstitel
``jobcenter_letter``     a letter or decision from the job centre
``application_form``     Weiterbewilligungsantrag, Veränderungsmitteilung, Anlage EK/KDU/VM …
``benefit_notice``       notice of another benefit or pension: Rentenbescheid, Arbeitslosengeld,
                         Krankengeld, Elterngeld, Wohngeld, Unterhaltsvorschuss
``child_benefit``        Kindergeld (Familienkasse), Kinderzuschlag
``school_certificate``   Schul-, Studien- or Ausbildungsbescheinigung, school report
``health_insurance``     membership certificate of the health or care insurance
``employment_contract``  Arbeitsvertrag, training contract
``vehicle_document``     Zulassungsbescheinigung (Fahrzeugschein/-brief), vehicle papers
``asset_evidence``       savings book, building-society contract, life insurance, securities
``other``                anything else
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
    "benefit_notice",
    "child_benefit",
    "school_certificate",
    "health_insurance",
    "employment_contract",
    "vehicle_document",
    "asset_evidence",
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
    "benefit_notice": {
        "rentenbescheid": 4,
        "rentenanpassung": 3,
        "deutsche rentenversicherung": 2.5,
        "monatliche rente": 2,
        "arbeitslosengeld": 2,
        "krankengeld": 2,
        "elterngeld": 2.5,
        "wohngeld": 2.5,
        "unterhaltsvorschuss": 2.5,
        "zahlbetrag": 1,
        "bewilligungszeitraum": 0.5,
    },
    "child_benefit": {
        "kindergeld": 3,
        "familienkasse": 3,
        "kinderzuschlag": 2.5,
        "kindergeldnummer": 2,
    },
    "school_certificate": {
        "schulbescheinigung": 4,
        "immatrikulationsbescheinigung": 4,
        "studienbescheinigung": 4,
        "ausbildungsbescheinigung": 3,
        "schuljahr": 2,
        "schulerin": 1,
        "semester": 1.5,
        "schulleitung": 1.5,
        "zeugnis": 2,
    },
    "health_insurance": {
        "mitgliedsbescheinigung": 4,
        "versicherungsbescheinigung": 3,
        "krankenversicherung": 2,
        "pflegeversicherung": 1.5,
        "familienversicherung": 2,
        "mitgliedschaft": 1.5,
    },
    "employment_contract": {
        "arbeitsvertrag": 4,
        "ausbildungsvertrag": 3,
        "probezeit": 2,
        "wochentliche arbeitszeit": 2,
        "kundigungsfrist": 1.5,
        "urlaubsanspruch": 2,
        "arbeitsverhaltnis": 1,
    },
    "vehicle_document": {
        "zulassungsbescheinigung": 4,
        "fahrzeugschein": 4,
        "fahrzeugbrief": 4,
        "erstzulassung": 2.5,
        "amtliches kennzeichen": 2.5,
        "fahrzeug-identifizierungsnummer": 3,
        "hubraum": 1.5,
        "kraftfahrzeug": 1.5,
    },
    "asset_evidence": {
        "sparbuch": 3,
        "bausparvertrag": 3,
        "lebensversicherung": 3,
        "ruckkaufswert": 3,
        "depotauszug": 3,
        "wertpapier": 2,
        "sparguthaben": 2,
        "festgeld": 2,
        "vermogensubersicht": 2,
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
