"""The letter reader on text: number and date forms, item wordings, letters without a list."""

from __future__ import annotations

from datetime import date

import pytest

from config.model import DEFAULT_NUMBER_FORMATS, CustomerNumberFormat
from scanning.letter import find_sender, parse_letter_text
from scanning.letter_dates import pick_dates
from scanning.letter_items import find_requested, type_of_item
from scanning.letter_numbers import best_numbers, find_numbers, numbers_in_line

F = DEFAULT_NUMBER_FORMATS


def numbers(text: str) -> dict[str, str]:
    return best_numbers(find_numbers(text, F))


@pytest.mark.parametrize(("printed", "kind", "value"), [
    ("Kundennummer: 123A456789", "customer", "123A456789"),
    ("Kd.-Nr. 123 A 456789", "customer", "123A456789"),
    ("Kunden-Nr.: 123A 456 789", "customer", "123A456789"),
    ("Ihre Kundennummer I23A4S6789", "customer", "123A456789"),  # OCR look-alikes
    ("Kundennummer\n123A456789", "customer", "123A456789"),  # value under its label
    ("BG-Nummer: 12345BG1234567", "household", "12345BG1234567"),
    ("Nummer der Bedarfsgemeinschaft: 12345 BG 1234567", "household", "12345BG1234567"),
    ("BG-Nr. 12345//1234567", "household", "12345BG1234567"),
    ("Unser Zeichen: 12345 // 1234567", "household", "12345BG1234567"),
    ("BG-Nummer 1234S8G1234567", "household", "12345BG1234567"),  # 5 read as S, B as 8
    ("Bedarfsgemeinschaft-Nr. 12345BG1234567", "household", "12345BG1234567"),
    ("Kd.-Nr. 493]J568909", "customer", "493J568909"),  # a stray mark beside the J
    ("Unser Zeichen: 12345 Il 1234567", "household", "12345BG1234567"),  # // read as Il
    ("BG-Nr. 12345/1234567", "household", "12345BG1234567"),  # one slash lost
    ("Ihre Nindenpummer 5475219841", "customer", "547S219841"),  # garbled label, S as 5
])
def test_number_forms(printed: str, kind: str, value: str) -> None:
    assert numbers(printed) == {kind: value}


def test_both_numbers_and_unlabelled_exact_ones() -> None:
    text = "Frau Muster   Kd.-Nr. 123A456789\nMusterweg 1   12345//1234567"
    assert numbers(text) == {"customer": "123A456789", "household": "12345BG1234567"}


def test_no_repair_without_a_label() -> None:
    assert numbers("Telefon 0128 456789, IBAN DE89 3704 0044 0532 0130 00") == {}
    assert numbers("Ihre Nachricht I23A4S6789") == {}
    assert numbers("Ihre Kindergeldnummer 5475219841") == {}  # not close to a label
    assert numbers("Unser Zeichen: 12345-1234567") == {}  # a dash is no // or BG


def test_a_closer_read_replaces_only_doubtful_numbers() -> None:
    text = "Kundennummer 7471675318\nBG-Nummer 12345BG1234567"
    found = find_numbers(text, F)
    assert best_numbers(found) == {"customer": "747I675318", "household": "12345BG1234567"}
    closer = numbers_in_line("747L675318 12345BG7654321", F)
    assert best_numbers(found, closer) == {"customer": "747L675318",
                                           "household": "12345BG1234567"}
    guessed = numbers_in_line("S S2026/2027", F)  # repaired into a number: not trusted
    assert guessed and best_numbers((), guessed) == {}


def test_site_formats_decide() -> None:
    site = (CustomerNumberFormat(name="Kundennummer", pattern=r"[A-Z]{2}\d{6}",
                                 example="AB123456"),)
    assert best_numbers(find_numbers("Kundennummer: AB 123456", site)) == {
        "customer": "AB123456"}
    assert best_numbers(find_numbers("Kundennummer: 123A456789", site)) == {}


@pytest.mark.parametrize(("text", "letter", "deadline"), [
    ("Musterstadt, 01.12.2026\nBitte reichen Sie die Unterlagen bis zum 15.12.2026 ein.",
     date(2026, 12, 1), date(2026, 12, 15)),
    ("Datum: 1. Dezember 2026\nbis spätestens 4.1.27", date(2026, 12, 1), date(2027, 1, 4)),
    ("Datum\n02.12.2026\nFrist: 15. Dez. 2026", date(2026, 12, 2), date(2026, 12, 15)),
    ("03.12.2026\nbitte spätestens am Montag, 14.12.2026 vorlegen.",
     date(2026, 12, 3), date(2026, 12, 14)),
    ("Musterstadt, den 3. März 2027\nIch bitte um Vorlage bis 17.3.27.",
     date(2027, 3, 3), date(2027, 3, 17)),
    ("Datum 01.12.2026\nEingang bis 16,12.2026", date(2026, 12, 1), date(2026, 12, 16)),
])
def test_dates(text: str, letter: date, deadline: date) -> None:
    assert pick_dates(text) == (letter, deadline)


def test_dates_that_are_neither() -> None:
    text = ("Datum: 01.12.2026\nIhr Schreiben vom 20.11.2026\ngeboren am 01.02.1980\n"
            "für die Zeit vom 01.01.2027 bis 30.06.2027 bewilligen wir Leistungen.\n"
            "Bitte reichen Sie die Unterlagen innerhalb von zwei Wochen ein.")
    assert pick_dates(text) == (date(2026, 12, 1), None)
    assert pick_dates("Datum 01.12.2026\nbis zum 15.11.2026")[1] is None  # before the letter


@pytest.mark.parametrize(("wording", "code"), [
    ("Kontoauszüge der letzten drei Monate", "bank_statement"),
    ("Umsatzübersichten Ihres Girokontos", "bank_statement"),
    ("Kontoauszüge, aus denen der Eingang des Kindergeldes hervorgeht", "bank_statement"),
    ("Verdienstbescheinigung", "payslip"),
    ("Lohn- und Gehaltsabrechnungen seit Oktober", "payslip"),
    ("Nachweis über die Miethöhe", "rent"),
    ("Mietbescheinigung des Vermieters", "rent"),
    ("Heizkostenabrechnung 2025", "utility_bill"),
    ("Arbeitsunfähigkeitsbescheinigung", "sick_note"),
    ("Kopie Ihres Personalausweises", "identity_document"),
    ("Anlage EK", "application_form"),
    ("Vordruck Anlage KDU, ausgefüllt", "application_form"),
    ("Rentenbescheid", "benefit_notice"),
    ("Bescheinigung der Krankenkasse über Krankengeld", "benefit_notice"),
    ("Bescheid der Familienkasse", "child_benefit"),
    ("Schulbescheinigung Ihrer Tochter", "school_certificate"),
    ("Mitgliedsbescheinigung Ihrer Krankenkasse", "health_insurance"),
    ("Arbeitsvertrag", "employment_contract"),
    ("Fahrzeugschein", "vehicle_document"),
    ("Sparbuch mit aktuellem Stand", "asset_evidence"),
    ("Nachweis über die Anmeldung beim Gewerbeamt", "other"),
    ("Ihre Telefonnummer", None),
])
def test_item_wordings(wording: str, code: str | None) -> None:
    assert type_of_item(wording) == code


REQUEST = """Jobcenter Musterstadt
Musterweg 1, 12345 Musterstadt
Kd.-Nr. 123A456789          Datum: 01.12.2026
Sehr geehrte Frau Muster,
zur Prüfung Ihres Antrags benötigen wir folgende Unterlagen:
{m} Kontoauszüge aller Konten der letzten drei Monate
  (lückenlos, mit Namen und IBAN)
{m} Verdienstbescheinigung
{m} Anlage EK
Bitte reichen Sie die Unterlagen bis zum 15.12.2026 ein.
Bitte beachten Sie:
- Ohne Ihre Mitwirkung können die Leistungen versagt werden (§ 66 SGB I).
Mit freundlichen Grüßen
Anlagen:
- Rückumschlag
- Vordruck Anlage EK
"""


@pytest.mark.parametrize("marker", ["•", "-", "–", "*", "«", "☐", "[ ]", "1.", "2)", "a)", ""])
def test_list_layouts(marker: str) -> None:
    facts = parse_letter_text(REQUEST.format(m=marker), F)
    assert [i.document_type for i in facts.requested] == [
        "bank_statement", "payslip", "application_form"]
    if marker:
        assert facts.requested[0].text.endswith("mit Namen und IBAN)")
    assert facts.customer_number == "123A456789" and facts.bg_number is None
    assert (facts.letter_date, facts.deadline) == (date(2026, 12, 1), date(2026, 12, 15))
    assert facts.sender == "Jobcenter Musterstadt"


def test_letters_without_a_list_ask_for_nothing() -> None:
    reminder = ("Jobcenter Musterstadt\nErinnerung\nmit Schreiben vom 01.11.2026 hatten wir Sie "
                "gebeten, Unterlagen einzureichen.\nBitte reichen Sie die Kontoauszüge und die "
                "Lohnabrechnung bis zum 15.12.2026 ein.")
    decision = ("Bewilligungsbescheid\nfür die Zeit vom 01.01.2027 bis 30.06.2027 bewilligen wir "
                "Leistungen.\nGrundlage sind Ihre Kontoauszüge und die Lohnabrechnung.")
    assert find_requested(reminder) == ()
    assert find_requested(decision) == ()
    assert parse_letter_text(reminder, F).deadline == date(2026, 12, 15)


def test_sender() -> None:
    assert find_sender("Kommunales Jobcenter Landkreis Probe - Musterweg 1") == (
        "Kommunales Jobcenter Landkreis Probe")
    assert find_sender("Bitte kommen Sie in Ihr Jobcenter") is None


def test_json_record() -> None:
    record = parse_letter_text(REQUEST.format(m="•"), F).as_json()
    assert set(record) >= {"customer_number", "bg_number", "deadline", "letter_date", "sender",
                           "requested", "verdict"}
    assert record["deadline"] == "2026-12-15"
    assert record["requested"][1] == {"document_type": "payslip",
                                      "text": "Verdienstbescheinigung"}
