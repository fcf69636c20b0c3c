"""Wordings of the synthetic letters the letter reader was tuned on (``synthetic_letters``).

The benchmark scores on ``letter_vocab_heldout`` instead: other phrasings, item wordings,
number labels, date forms and list layouts. The reader (``scanning.letter*``) imports
neither module; ``tests/scanning/test_letter_corpus.py`` checks that.
"""

from __future__ import annotations

from scanning.letter_vocab_types import LetterVocab

VOCAB = LetterVocab(
    name="tuning",
    items={
        "bank_statement": ("Kontoauszüge der letzten drei Monate",
                           "Lückenlose Kontoauszüge aller Konten ab {month}"),
        "payslip": ("Lohnabrechnungen für {month} bis {month2}", "Verdienstbescheinigung",
                    "Gehaltsabrechnung des letzten Monats"),
        "rent": ("Nachweis über die Miethöhe", "Aktueller Mietvertrag"),
        "utility_bill": ("Nebenkostenabrechnung {year}", "Stromrechnung (Jahresabrechnung)"),
        "sick_note": ("Arbeitsunfähigkeitsbescheinigung",),
        "identity_document": ("Kopie Ihres Personalausweises", "Gültiger Aufenthaltstitel"),
        "application_form": ("Anlage EK (Einkommen)", "Ausgefüllter Weiterbewilligungsantrag"),
        "benefit_notice": ("Rentenbescheid", "Bescheid über Arbeitslosengeld"),
        "child_benefit": ("Kindergeldbescheid",),
        "school_certificate": ("Schulbescheinigung Ihrer Tochter",),
        "health_insurance": ("Mitgliedsbescheinigung Ihrer Krankenkasse",),
        "employment_contract": ("Arbeitsvertrag",),
        "vehicle_document": ("Fahrzeugschein",),
        "asset_evidence": ("Sparbuch mit aktuellem Stand", "Nachweise über Ihr Vermögen"),
        "other": ("Nachweis über die Anmeldung beim Gewerbeamt",),
    },
    intros=("benötigen wir folgende Unterlagen:", "Bitte reichen Sie folgende Unterlagen ein:",
            "Es fehlen noch folgende Nachweise:"),
    openings=("Sehr geehrte Frau {name},", "Sehr geehrter Herr {name},",
              "Sehr geehrte Damen und Herren,"),
    reasons=("zur Prüfung Ihres Antrags auf Weiterbewilligung",
             "für die Bearbeitung Ihres Antrags auf Bürgergeld"),
    deadline_sentences=("Bitte reichen Sie die Unterlagen bis zum {deadline} ein.",
                        "Bitte legen Sie die Nachweise bis zum {deadline} vor."),
    no_deadline_sentences=("Bitte reichen Sie die Unterlagen innerhalb von zwei Wochen ein.",),
    customer_labels=("Kundennummer: {number}", "Kd.-Nr. {number}"),
    household_labels=("BG-Nummer: {number}", "BG-Nummer {number}"),
    letter_date_lines=("Datum: {date}", "{city}, {date}"),
    date_forms=("numeric",),
    customer_forms=("compact", "spaced"),
    household_forms=("compact", "slashes"),
    markers=("•", "-", "1."),
    reminders=(
        ("Erinnerung",
         "mit Schreiben vom {earlier} hatten wir Sie gebeten, Unterlagen einzureichen.",
         "Leider liegen uns diese bis heute nicht vor.",
         "Bitte reichen Sie die Unterlagen bis zum {deadline} ein."),
    ),
    decisions=(
        ("Bewilligungsbescheid",
         "für die Zeit vom {start} bis {end} bewilligen wir Ihnen Leistungen",
         "zur Sicherung des Lebensunterhalts. Grundlage sind Ihre Kontoauszüge",
         "und die Lohnabrechnung, die Sie eingereicht haben."),
    ),
    legal_notes=("Bitte beachten Sie:",
                 "- Ohne Ihre Mitwirkung können die Leistungen versagt werden (§ 66 SGB I)."),
    enclosures=("Anlagen:", "- Rückumschlag"),
)
