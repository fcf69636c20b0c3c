"""Every document type code the engine knows has a label on screen and on the receipt, in all
ten languages (the letter reader and recognition added codes beyond the original nine)."""

from __future__ import annotations

import pytest

from accessibility.i18n import translate
from accessibility.languages import LANGUAGE_CODES
from kiosk.delivery.receipts import DOCUMENT_TYPE_MSGIDS, FALLBACK_DE
from kiosk.screens.messages import DOCUMENT_TYPE_TEXTS
from kiosk.session.documents import DOCUMENT_TYPES
from scanning.doctype import DOCUMENT_TYPES as KNOWN_TYPES
from scanning.letter_items import find_requested


def test_every_type_code_has_a_screen_and_a_receipt_label() -> None:
    assert set(DOCUMENT_TYPE_TEXTS) == set(KNOWN_TYPES)
    assert set(DOCUMENT_TYPE_MSGIDS) == set(KNOWN_TYPES)
    assert DOCUMENT_TYPES == KNOWN_TYPES  # the visitor can pick (correct to) every type
    assert set(DOCUMENT_TYPE_MSGIDS.values()) <= set(FALLBACK_DE)  # German without catalogs


@pytest.mark.parametrize("lang", [code for code in LANGUAGE_CODES if code != "en"])
def test_every_type_label_is_translated(lang: str) -> None:
    labels = {*DOCUMENT_TYPE_TEXTS.values(), *DOCUMENT_TYPE_MSGIDS.values()}
    untranslated = sorted(label for label in labels if translate(lang, label) == label)
    assert untranslated == [], f"{lang}: {untranslated}"


def test_the_letter_readers_codes_are_all_labelled() -> None:
    text = ("Bitte reichen Sie folgende Unterlagen ein:\n- Fahrzeugschein\n"
            "- Mitgliedsbescheinigung der Krankenkasse\n- Kindergeldbescheid\n")
    codes = {item.document_type for item in find_requested(text)}
    assert codes and codes <= set(DOCUMENT_TYPE_TEXTS)
