"""Language detection from text statistics, OCR legibility, and document-type classification."""

from __future__ import annotations

import random

import cv2
import pytest

from scanning.doctype import DOCUMENT_TYPES, classify_text
from scanning.language import detect_language, is_plausible_word, legibility, script_of
from scanning.ocr import run_ocr
from scanning.rectify import flatten_illumination
from scanning.synthetic_docs import DOCUMENT_TYPES as RENDERED_TYPES
from scanning.synthetic_docs import FOREIGN_TEXT, document_lines, render_document


@pytest.mark.parametrize("language", sorted(FOREIGN_TEXT))
def test_languages_sharing_a_script_are_told_apart(language: str) -> None:
    detected, confidence = detect_language("\n".join(FOREIGN_TEXT[language]))
    assert detected == language
    assert confidence > 0.5


@pytest.mark.parametrize("doc_type", [t for t in RENDERED_TYPES if t != "other"])
def test_german_documents_detected_as_german(doc_type: str) -> None:
    text = "\n".join(document_lines(doc_type, random.Random(7)))
    assert detect_language(text)[0] == "de"


def test_scripts() -> None:
    assert script_of("Guten Tag") == "Latin"
    assert script_of("Добрий день") == "Cyrillic"
    assert script_of("مرحبا") == "Arabic"
    assert script_of("1234 !!") == "unknown"
    assert detect_language("") == ("und", 0.0)


def test_plausible_words() -> None:
    assert is_plausible_word("Kontoauszug", "Latin")
    assert is_plausible_word("12,50", "Latin")
    assert not is_plausible_word("rnrnkl", "Latin")
    assert not is_plausible_word("I1l|", "Latin")


@pytest.mark.parametrize("doc_type", [t for t in RENDERED_TYPES if t != "other"])
def test_document_type_from_text(doc_type: str) -> None:
    for seed in (1, 2, 3):
        text = "\n".join(document_lines(doc_type, random.Random(seed)))
        aspect = 54 / 85.6 if doc_type == "identity_document" else 297 / 210
        found, confidence = classify_text(text, aspect)
        assert found == doc_type
        assert confidence > 0.6


NEW_TYPE_TEXTS = {
    "child_benefit": "Familienkasse Nordrhein\nKindergeldbescheid\nKindergeldnummer 123FK\n"
    "für Ihr Kind wird Kindergeld gezahlt",
    "benefit_notice": "Deutsche Rentenversicherung Bund\nRentenbescheid\n"
    "Ihre monatliche Rente beträgt\nZahlbetrag 812,40 EUR",
    "health_insurance": "AOK Nordost\nMitgliedsbescheinigung\nHerr Muster ist bei uns in der "
    "Krankenversicherung und Pflegeversicherung versichert",
    "employment_contract": "Arbeitsvertrag\nzwischen Muster GmbH und Frau Probe\n"
    "Probezeit sechs Monate\nwöchentliche Arbeitszeit 20 Stunden\nUrlaubsanspruch 28 Tage",
    "vehicle_document": "Zulassungsbescheinigung Teil I\nAmtliches Kennzeichen B-XY 123\n"
    "Datum der Erstzulassung 01.02.2015\nHubraum 1398",
    "asset_evidence": "Sparkasse Musterstadt\nSparbuch Nr. 1234\nSparguthaben 1.200,00 EUR\n"
    "Bausparvertrag",
    "school_certificate": "Gymnasium Musterstadt\nSchulbescheinigung\n"
    "Die Schülerin besucht im Schuljahr 2026/27 die Klasse 9",
}


def test_every_type_code_is_recognisable() -> None:
    """Types a letter may ask for are also recognised on a handed-in document."""
    assert set(NEW_TYPE_TEXTS) | set(RENDERED_TYPES) == set(DOCUMENT_TYPES)
    for doc_type, text in NEW_TYPE_TEXTS.items():
        assert classify_text(text)[0] == doc_type


def test_unrelated_text_is_other() -> None:
    assert classify_text("\n".join(document_lines("other", random.Random(1))))[0] == "other"
    assert classify_text("")[0] == "other"


@pytest.mark.slow
@pytest.mark.parametrize(("language", "lang"), [("uk", "ukr+rus"), ("ar", "ara+fas")])
def test_ocr_of_foreign_page_detects_language(language: str, lang: str) -> None:
    doc = render_document("other", 5, language=language, dpi=300)
    band = doc.image[: doc.image.shape[0] // 3]
    result = run_ocr(flatten_illumination(band), lang, psm=6, timeout_s=30)
    leg = legibility(result)
    assert leg.language == language
    assert leg.mean_confidence > 60
    assert leg.real_word_share > 0.7


def test_ocr_reads_clean_german_text() -> None:
    doc = render_document("sick_note", 3, dpi=300)
    band = cv2.resize(doc.image[: doc.image.shape[0] // 4], None, fx=1.0, fy=1.0)
    result = run_ocr(band, "deu", psm=6, timeout_s=30)
    assert "Arbeitsunfähigkeitsbescheinigung" in result.text
    assert result.mean_confidence > 80
