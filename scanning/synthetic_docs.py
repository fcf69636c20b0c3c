"""Rendered sample documents with known text, for tests, the benchmark and the simulated camera.

Every document is fictitious (invented names, addresses and numbers) and rendered with the
system's DejaVu/Noto fonts. ``render_document`` returns the greyscale page plus the words
that were drawn, so OCR recall and document-type accuracy can be measured.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))
LATIN_FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "NotoSans-Regular.ttf", "NotoSerif-Regular.ttf")
ARABIC_FONTS = ("NotoNaskhArabic-Regular.ttf", "NotoSansArabic-Regular.ttf")

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

_NAMES = ("Anna Beispiel", "Jonas Muster", "Olena Testenko", "Mehmet Probe", "Sara Exempel")
_STREETS = ("Musterweg 12", "Lindenallee 4", "Am Beispielpark 7", "Hauptstraße 101")
_CITIES = ("12345 Musterstadt", "54321 Beispielhausen", "99999 Probedorf")
_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August")


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered page: greyscale pixels, the drawn text, its type and language."""

    image: np.ndarray
    lines: tuple[str, ...]
    doc_type: str
    language: str
    dpi: int

    @property
    def words(self) -> list[str]:
        """The drawn words (whitespace-separated tokens)."""
        return [w for line in self.lines for w in line.split()]


def _money(rng: random.Random, lo: float, hi: float) -> str:
    value = rng.uniform(lo, hi)
    return f"{value:,.2f} EUR".replace(",", "X").replace(".", ",").replace("X", ".")


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2024"


def _header(rng: random.Random, sender: str) -> list[str]:
    name = rng.choice(_NAMES)
    return [
        sender,
        rng.choice(_STREETS) + ", " + rng.choice(_CITIES),
        "",
        name,
        rng.choice(_STREETS),
        rng.choice(_CITIES),
        "",
    ]


def _payslip(rng: random.Random) -> list[str]:
    month = rng.choice(_MONTHS)
    lines = _header(rng, "Muster Logistik GmbH")
    lines += [
        f"Entgeltabrechnung für {month} 2024",
        f"Personalnummer {rng.randint(1000, 9999)}",
        f"Steuerklasse {rng.randint(1, 5)} Eintrittsdatum {_date(rng)}",
        "",
    ]
    for item in (
        "Grundlohn",
        "Zuschlag Nachtarbeit",
        "Bruttoentgelt",
        "Lohnsteuer",
        "Solidaritätszuschlag",
        "Krankenversicherung",
        "Rentenversicherung",
        "Arbeitslosenversicherung",
        "Pflegeversicherung",
        "Nettoentgelt",
    ):
        lines.append(f"{item} {_money(rng, 20, 3200)}")
    lines += [
        "",
        f"Auszahlungsbetrag {_money(rng, 900, 2400)}",
        "Überweisung auf IBAN DE12 3456 7890 1234 5678 90",
    ]
    return lines


def _bank_statement(rng: random.Random) -> list[str]:
    lines = _header(rng, "Sparkasse Musterstadt")
    lines += [
        f"Kontoauszug Nr. {rng.randint(1, 12)}/2024 Blatt 1",
        "IBAN DE98 7654 3210 9876 5432 10 BIC MUSTDEXXX",
        f"Alter Kontostand am {_date(rng)} {_money(rng, 10, 900)}",
        "",
    ]
    texts = (
        "Lastschrift Stadtwerke Abschlag",
        "Gutschrift Lohn Gehalt",
        "Kartenzahlung Supermarkt",
        "Überweisung Miete Wohnung",
        "Dauerauftrag Versicherung",
        "Bargeldauszahlung Automat",
    )
    for _ in range(rng.randint(7, 11)):
        lines.append(f"{_date(rng)} {rng.choice(texts)} {_money(rng, 5, 900)}")
    lines += ["", f"Neuer Kontostand {_money(rng, 10, 1500)}", "Buchungstag Wert Umsatz Saldo"]
    return lines


def _rent(rng: random.Random) -> list[str]:
    lines = _header(rng, "Hausverwaltung Beispiel KG")
    lines += [
        "Mietbescheinigung zur Vorlage beim Jobcenter",
        "",
        f"Vermieter Hausverwaltung Beispiel KG, Mieter {rng.choice(_NAMES)}",
        f"Wohnfläche {rng.randint(35, 90)} m² Anzahl der Zimmer {rng.randint(1, 4)}",
        f"Mietverhältnis seit {_date(rng)}",
        f"Grundmiete (Kaltmiete) monatlich {_money(rng, 300, 700)}",
        f"Nebenkosten Vorauszahlung {_money(rng, 80, 200)}",
        f"Heizkosten Vorauszahlung {_money(rng, 50, 150)}",
        f"Gesamtmiete monatlich {_money(rng, 450, 1000)}",
        "Die Miete wird zum dritten Werktag des Monats fällig.",
        "",
        "Ort, Datum, Unterschrift des Vermieters",
    ]
    return lines


def _utility_bill(rng: random.Random) -> list[str]:
    lines = _header(rng, "Stadtwerke Musterstadt")
    lines += [
        "Jahresabrechnung Strom und Heizkostenabrechnung",
        f"Abrechnungszeitraum {_date(rng)} bis {_date(rng)}",
        f"Zählernummer {rng.randint(10**7, 10**8)} Vertragskonto {rng.randint(10**6, 10**7)}",
        f"Verbrauch {rng.randint(900, 3500)} kWh Arbeitspreis 32,10 ct/kWh",
        f"Grundpreis {_money(rng, 80, 150)}",
        f"Geleistete Abschläge {_money(rng, 400, 900)}",
        f"Nachzahlung {_money(rng, 10, 300)}",
        f"Neuer monatlicher Abschlag ab {_date(rng)} {_money(rng, 40, 120)}",
        "Bitte überweisen Sie den Betrag bis zum Fälligkeitsdatum.",
    ]
    return lines


def _sick_note(rng: random.Random) -> list[str]:
    return [
        "Arbeitsunfähigkeitsbescheinigung",
        "Erstbescheinigung",
        f"Krankenkasse AOK Beispiel Versicherten-Nr. A{rng.randint(10**8, 10**9)}",
        f"Name, Vorname des Versicherten {rng.choice(_NAMES)}",
        f"geb. am {_date(rng)}",
        f"arbeitsunfähig seit {_date(rng)}",
        f"voraussichtlich arbeitsunfähig bis einschließlich {_date(rng)}",
        f"festgestellt am {_date(rng)}",
        "Diagnose ICD-10 J06.9 G",
        "Arbeitsunfall, Arbeitsunfallfolgen, Berufskrankheit nein",
        "Dem Arbeitgeber vorzulegen",
        "Vertragsarztstempel Praxis Dr. med. Beispiel",
        "Unterschrift des Arztes",
    ]


def _identity_document(rng: random.Random) -> list[str]:
    return [
        "BUNDESREPUBLIK DEUTSCHLAND",
        "PERSONALAUSWEIS IDENTITY CARD",
        "Name Surname BEISPIEL",
        "Vornamen Given names ANNA",
        f"Geburtstag Date of birth {_date(rng)}",
        "Staatsangehörigkeit Nationality DEUTSCH",
        f"Gültig bis Date of expiry {_date(rng)}",
        f"IDD<<T{rng.randint(10**8, 10**9)}<<<<<<<<<<<<",
    ]


def _jobcenter_letter(rng: random.Random) -> list[str]:
    lines = _header(rng, "Jobcenter Musterstadt")
    kind = rng.choice(("Einladung", "Bewilligungsbescheid", "Aufforderung zur Mitwirkung"))
    lines += [
        f"Kundennummer 123A{rng.randint(100000, 999999)} "
        f"BG-Nummer 12345BG{rng.randint(10**6, 10**7)}",
        f"{kind}",
        "Sehr geehrte Damen und Herren,",
        "zur Prüfung Ihres Anspruchs auf Bürgergeld nach dem Zweiten Buch",
        "Sozialgesetzbuch (SGB II) benötigen wir folgende Unterlagen:",
        "Kontoauszüge der letzten drei Monate, aktuelle Lohnabrechnung,",
        f"Mietbescheinigung. Bitte reichen Sie diese bis zum {_date(rng)} ein.",
        "Kommen Sie Ihrer Mitwirkungspflicht nicht nach, können die Leistungen",
        "ganz oder teilweise versagt werden (§ 60, § 66 SGB I).",
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann Widerspruch erhoben werden.",
        "Mit freundlichen Grüßen",
        "Ihr Jobcenter Musterstadt",
    ]
    return lines


def _application_form(rng: random.Random) -> list[str]:
    title = rng.choice(("Weiterbewilligungsantrag", "Veränderungsmitteilung"))
    return [
        f"{title} Leistungen zur Sicherung des Lebensunterhalts",
        "Antrag auf Weiterbewilligung nach dem SGB II",
        "",
        f"Name, Vorname {rng.choice(_NAMES)}",
        f"Geburtsdatum {_date(rng)}",
        f"Anschrift {rng.choice(_STREETS)}, {rng.choice(_CITIES)}",
        "Haben sich Ihre Verhältnisse geändert? [ ] ja [X] nein",
        "Einkommen aus Erwerbstätigkeit [ ] ja [ ] nein",
        "Änderungen bei Kosten der Unterkunft [ ] ja [ ] nein",
        "Ich versichere, dass meine Angaben vollständig und richtig sind.",
        "Datum, Unterschrift der antragstellenden Person",
    ]


def _other(rng: random.Random) -> list[str]:
    return [
        "Einladung zum Sommerfest",
        "Liebe Nachbarinnen und Nachbarn,",
        "am Samstag feiern wir im Hof unser jährliches Sommerfest.",
        "Bitte bringen Sie einen Salat oder einen Kuchen mit.",
        "Für Getränke und Musik ist gesorgt. Kinder sind herzlich willkommen.",
        f"Beginn um {rng.randint(14, 17)} Uhr, bei Regen im Gemeinschaftsraum.",
        "Wir freuen uns auf einen schönen Nachmittag mit Ihnen allen.",
        "Viele Grüße von der Hausgemeinschaft",
    ]


FOREIGN_TEXT = {
    "en": [
        "Dear Sir or Madam,",
        "please find enclosed the documents you asked for in your letter.",
        "The rent for the flat is paid every month by bank transfer to the landlord.",
        "If you need any further information, please do not hesitate to contact me.",
        "Yours faithfully",
    ],
    "uk": [
        "Шановні пані та панове,",
        "надсилаю вам документи, які ви просили в листі.",
        "Орендна плата за квартиру сплачується щомісяця на рахунок власника.",
        "Якщо вам потрібна додаткова інформація, будь ласка, зв'яжіться зі мною.",
        "З повагою",
    ],
    "ru": [
        "Уважаемые дамы и господа,",
        "направляю вам документы, которые вы просили в письме.",
        "Арендная плата за квартиру оплачивается каждый месяц на счёт владельца.",
        "Если вам нужна дополнительная информация, пожалуйста, свяжитесь со мной.",
        "С уважением",
    ],
    "tr": [
        "Sayın yetkili,",
        "mektubunuzda istediğiniz belgeleri ekte gönderiyorum.",
        "Dairenin kirası her ay ev sahibinin hesabına havale ile ödenir.",
        "Daha fazla bilgiye ihtiyacınız olursa lütfen benimle iletişime geçin.",
        "Saygılarımla",
    ],
    "ar": [
        "السيدات والسادة المحترمون،",
        "أرسل إليكم المستندات التي طلبتموها في رسالتكم.",
        "يتم دفع إيجار الشقة كل شهر إلى حساب المالك.",
        "إذا كنتم بحاجة إلى مزيد من المعلومات فيرجى التواصل معي.",
        "مع خالص التحية",
    ],
    "fa": [
        "خانم‌ها و آقایان گرامی،",
        "مدارکی را که در نامه خود خواسته بودید برای شما می‌فرستم.",
        "اجاره آپارتمان هر ماه به حساب صاحبخانه پرداخت می‌شود.",
        "اگر به اطلاعات بیشتری نیاز دارید لطفا با من تماس بگیرید.",
        "با احترام",
    ],
}

_BUILDERS = {
    "payslip": _payslip,
    "bank_statement": _bank_statement,
    "rent": _rent,
    "utility_bill": _utility_bill,
    "sick_note": _sick_note,
    "identity_document": _identity_document,
    "jobcenter_letter": _jobcenter_letter,
    "application_form": _application_form,
    "other": _other,
}


def find_font(name: str) -> Path:
    """Path of a system font file by file name."""
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(name)


def document_lines(doc_type: str, rng: random.Random, language: str = "de") -> list[str]:
    """The text lines of a fictitious document of ``doc_type`` (or a foreign-language letter)."""
    if language != "de":
        return list(FOREIGN_TEXT[language])
    return _BUILDERS[doc_type](rng)


def render_document(
    doc_type: str, seed: int, *, language: str = "de", dpi: int = 200, font_pt: float | None = None
) -> RenderedDocument:
    """Render one A4 page (or an ID-1 card for ``identity_document``) with known text."""
    rng = random.Random(seed)
    lines = document_lines(doc_type, rng, language)
    card = doc_type == "identity_document" and language == "de"
    width_mm, height_mm = (85.6, 54.0) if card else (210.0, 297.0)
    if card:
        dpi = max(dpi, 600)
    width, height = round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    rtl = language in ("ar", "fa")
    font_name = rng.choice(ARABIC_FONTS if rtl else LATIN_FONTS)
    size_pt = font_pt or (7.0 if card else rng.uniform(10.5, 12.5))
    size_px = round(size_pt / 72 * dpi)
    font = ImageFont.truetype(str(find_font(font_name)), size_px)
    bold = ImageFont.truetype(str(find_font("DejaVuSans-Bold.ttf")), round(size_px * 1.25))
    margin = round(width * (0.07 if card else 0.11))
    y = round(height * (0.08 if card else 0.07))
    line_step = round(size_px * 1.55)
    drawn: list[str] = []
    for index, line in enumerate(lines):
        if not line:
            y += line_step // 2
            continue
        use = bold if index == 0 and not rtl else font
        if rtl:
            box = draw.textbbox((0, 0), line, font=use, direction="rtl")
            draw.text(
                (width - margin - (box[2] - box[0]), y), line, font=use, fill=15, direction="rtl"
            )
        else:
            draw.text((margin, y), line, font=use, fill=rng.randint(0, 40))
        drawn.append(line)
        y += round(line_step * (1.3 if use is bold else 1.0))
        if y > height - margin:
            break
    if not card and rng.random() < 0.5:
        draw.line(
            (margin, height - 2 * margin, width - margin, height - 2 * margin), fill=90, width=3
        )
    return RenderedDocument(np.asarray(page, dtype=np.uint8), tuple(drawn), doc_type, language, dpi)


def render_blank(seed: int, dpi: int = 200) -> np.ndarray:
    """An empty A4 sheet (a 'blank page' that must be refused as ``no_page``)."""
    rng = np.random.default_rng(seed)
    width, height = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    noise = rng.normal(0, 1.5, (height, width))
    return np.clip(248 + noise, 0, 255).astype(np.uint8)
