"""Synthetic job-centre letters with known facts, as phone photos and scans (fixed seed).

Request letters (*Mitwirkungsaufforderung*) with 1–6 requested items, reminders and
decisions with no list; numbers in their printed forms (spaces, ``BG``, ``//``), dates in
German forms, info blocks left or right, one or two pages, some with a QR, DataMatrix or
Code 128 code holding the numbers. Pages are rendered like ``synthetic_docs`` and captured
with ``synthetic.compose_photo`` (photos) or as flatbed scans.

Two wording sets: ``letter_vocab_tuning`` (the reader was tuned on it) and
``letter_vocab_heldout`` (the benchmark scores on it). Every name and number is invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scanning.letter_vocab_heldout import VOCAB as HELDOUT
from scanning.letter_vocab_tuning import VOCAB as TUNING
from scanning.letter_vocab_types import LetterVocab
from scanning.synthetic import compose_photo, finish_camera
from scanning.synthetic_docs import LATIN_FONTS, find_font

PARTS = {"tuning": TUNING, "heldout": HELDOUT}
SEED = 20261201
DPI = 200
_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember")
_SHORT = ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.",
          "Nov.", "Dez.")
_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_CITIES = ("Musterstadt", "Beispielhausen", "Probedorf", "Neu-Exempelfeld")
_NAMES = ("Beispiel", "Muster", "Testenko", "Probe", "Exempel")
_STREETS = ("Musterweg 12", "Lindenallee 4", "Am Beispielpark 7", "Hauptstraße 101")


@dataclass(frozen=True)
class LetterTruth:
    """What the reader should find in a synthetic letter."""

    customer_number: str | None
    bg_number: str | None
    deadline: date | None
    letter_date: date | None
    requested: tuple[str, ...]  # type codes, in print order
    kind: str  # request, reminder, decision


@dataclass(frozen=True)
class SyntheticLetter:
    """One letter: captured page images (BGR), the capture kind, its truth and code payload."""

    name: str
    part: str
    capture: str  # photo or scan
    pages: tuple[np.ndarray, ...]
    truth: LetterTruth
    code: str | None  # payload of the printed code, if any
    lines: tuple[str, ...]


def format_date(value: date, form: str) -> str:
    """A date in one German printed form (numeric, short_year, named, named_short)."""
    if form == "short_year":
        return f"{value.day}.{value.month}.{value.year % 100:02d}"
    if form == "named":
        return f"{value.day}. {_MONTHS[value.month - 1]} {value.year}"
    if form == "named_short":
        return f"{value.day}. {_SHORT[value.month - 1]} {value.year}"
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def print_customer(number: str, form: str) -> str:
    """``123A456789`` as printed: compact, spaced (``123 A 456789``) or split."""
    if form == "spaced":
        return f"{number[:3]} {number[3]} {number[4:]}"
    if form == "split":
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    return number


def print_household(number: str, form: str) -> str:
    """``12345BG1234567`` as printed: compact, spaced, with slashes, spaced slashes."""
    head, tail = number[:5], number[7:]
    return {"spaced": f"{head} BG {tail}", "slashes": f"{head}//{tail}",
            "spaced_slashes": f"{head} // {tail}"}.get(form, number)


def _fill(template: str, rng: random.Random, values: dict[str, str]) -> str:
    month = rng.randrange(12)
    year = rng.choice((2025, 2026))
    extra = {"month": _MONTHS[month], "month2": _MONTHS[(month + 2) % 12],
             "year": str(year), "year2": str(year + 1)}
    return template.format(**{**extra, **values})


def _items(rng: random.Random, vocab: LetterVocab) -> list[tuple[str, str]]:
    types = rng.sample(sorted(vocab.items), rng.randint(1, 6))
    return [(t, _fill(rng.choice(vocab.items[t]), rng, {})) for t in types]


def _numbers(rng: random.Random) -> tuple[str | None, str | None]:
    customer = f"{rng.randint(100, 999)}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}" \
               f"{rng.randint(0, 999999):06d}"
    household = f"{rng.randint(10000, 99999)}BG{rng.randint(0, 9999999):07d}"
    which = rng.random()
    if which < 0.35:
        return customer, None
    if which < 0.6:
        return None, household
    return customer, household


def compose_lines(rng: random.Random, vocab: LetterVocab, kind: str) -> tuple[
        list[tuple[str, str]], LetterTruth, str | None]:
    """Lines ``(style, text)`` of one letter (styles: bold, text, info, item, gap, page),
    its truth and the payload of its code (or None)."""
    city, name = rng.choice(_CITIES), rng.choice(_NAMES)
    letter_date = date(2026, 10, 1) + timedelta(days=rng.randrange(180))
    deadline = letter_date + timedelta(days=rng.randint(10, 30))
    form = rng.choice(vocab.date_forms)
    dates = {"deadline": format_date(deadline, form), "date": format_date(letter_date, form),
             "earlier": format_date(letter_date - timedelta(days=rng.randint(20, 40)), form),
             "start": format_date(date(letter_date.year + 1, 1, 1), form),
             "end": format_date(date(letter_date.year + 1, 6, 30), form),
             "weekday": _WEEKDAYS[deadline.weekday()], "city": city, "name": name}
    customer, household = _numbers(rng)
    info: list[str] = []
    if customer:
        printed = print_customer(customer, rng.choice(vocab.customer_forms))
        info += rng.choice(vocab.customer_labels).format(number=printed).split("\n")
    if household:
        printed = print_household(household, rng.choice(vocab.household_forms))
        info += rng.choice(vocab.household_labels).format(number=printed).split("\n")
    info += rng.choice(vocab.letter_date_lines).format(**dates).split("\n")
    lines: list[tuple[str, str]] = [("bold", f"Jobcenter {city}"),
                                    ("text", f"{rng.choice(_STREETS)}, 12345 {city}"),
                                    ("gap", ""), ("text", f"Frau/Herrn {name}"),
                                    ("text", rng.choice(_STREETS)), ("text", f"54321 {city}"),
                                    ("gap", "")]
    lines += [("info", line) for line in info] + [("gap", "")]
    requested: list[str] = []
    has_deadline = True
    if kind == "request":
        lines.append(("bold", "Aufforderung zur Mitwirkung"))
        lines += [("text", _fill(rng.choice(vocab.openings), rng, dates)),
                  ("text", _fill(rng.choice(vocab.reasons), rng, dates)),
                  ("text", rng.choice(vocab.intros))]
        marker = rng.choice(vocab.markers)
        for index, (doc_type, text) in enumerate(_items(rng, vocab)):
            shown = marker.replace("1", str(index + 1)).replace("a", "abcdef"[index])
            lines.append(("item", f"{shown} {text}".strip()))
            requested.append(doc_type)
        if rng.random() < 0.25:
            lines.append(("page", ""))
        has_deadline = rng.random() < 0.85
        sentence = vocab.deadline_sentences if has_deadline else vocab.no_deadline_sentences
        lines += [("gap", ""), ("text", _fill(rng.choice(sentence), rng, dates))]
        if rng.random() < 0.5:
            lines += [("gap", "")] + [("text", t) for t in vocab.legal_notes]
    else:
        title, *body = rng.choice(vocab.reminders if kind == "reminder" else vocab.decisions)
        has_deadline = kind == "reminder"
        lines += [("bold", title), ("text", _fill(rng.choice(vocab.openings), rng, dates))]
        lines += [("text", _fill(t, rng, dates)) for t in body]
    lines += [("gap", ""), ("text", "Mit freundlichen Grüßen"), ("text", f"Jobcenter {city}")]
    if rng.random() < 0.4:
        lines += [("gap", "")] + [("text", t) for t in vocab.enclosures]
    code = None
    if rng.random() < 0.3:
        code = ";".join(f"{k}:{v}" for k, v in (("KD", customer), ("BG", household)) if v)
    truth = LetterTruth(customer, household, deadline if has_deadline else None,
                        letter_date, tuple(requested), kind)
    return lines, truth, code


def _code_image(payload: str, rng: random.Random) -> np.ndarray:
    import zxingcpp

    kind = rng.choice(("QRCode", "DataMatrix", "Code128"))
    if kind == "Code128":  # a 1-D code carries one number only, or it grows too wide
        payload = payload.split(";")[0].split(":")[-1]
    barcode = zxingcpp.create_barcode(payload, getattr(zxingcpp.BarcodeFormat, kind))
    plain = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=1), np.uint8)
    module_px = 5 if kind != "Code128" else 3
    image = cv2.resize(plain, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    if kind == "Code128":
        image = cv2.resize(image, (image.shape[1], 90), interpolation=cv2.INTER_NEAREST)
    return np.asarray(image, np.uint8)


def render_pages(lines: list[tuple[str, str]], rng: random.Random,
                 code: str | None) -> list[np.ndarray]:
    """Render the letter onto A4 pages (greyscale, ``DPI``); a new page where asked or full."""
    width, height = round(210 / 25.4 * DPI), round(297 / 25.4 * DPI)
    size_px = round(rng.uniform(10.5, 12.0) / 72 * DPI)
    font = ImageFont.truetype(str(find_font(rng.choice(LATIN_FONTS))), size_px)
    marks = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), size_px)
    bold = ImageFont.truetype(str(find_font("DejaVuSans-Bold.ttf")), round(size_px * 1.2))
    margin, step = round(width * 0.11), round(size_px * 1.5)
    info_right = rng.random() < 0.5
    pages: list[Image.Image] = []
    page, draw, y = None, None, 0
    info_y = None
    for style, text in [("page", "")] + lines:
        if style == "page" or y > height - 3 * margin:
            page = Image.new("L", (width, height), 255)
            draw, y = ImageDraw.Draw(page), round(height * 0.07)
            pages.append(page)
            if len(pages) > 1:
                draw.text((margin, y), f"Seite {len(pages)}", font=font, fill=20)
                y += 2 * step
            continue
        assert draw is not None
        if style == "gap":
            y += step // 2
            continue
        if style == "info" and info_right:
            info_y = round(height * 0.12) if info_y is None else info_y
            # a long line starts further left instead of running off the paper
            right_x = width - round(width * 0.05) - round(draw.textlength(text, font=font))
            draw.text((min(round(width * 0.6), right_x), info_y), text, font=font, fill=20)
            info_y += step
            continue
        use = bold if style == "bold" else marks if text[:1] in "☐•–" else font
        x = margin + (round(size_px * 0.8) if style == "item" else 0)
        draw.text((x, y), text, font=use, fill=rng.randint(0, 40))
        y += round(step * (1.3 if use is bold else 1.0))
    if code is not None:
        symbol = Image.fromarray(_code_image(code, rng))
        corner = (width - margin - symbol.width, round(height * 0.035)) if not info_right \
            else (margin, height - 2 * margin)
        pages[0].paste(symbol, corner)
    return [np.asarray(p, np.uint8) for p in pages]


def _scan(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    page = cv2.resize(page, None, fx=300 / DPI, fy=300 / DPI, interpolation=cv2.INTER_CUBIC)
    ph, pw = page.shape
    margin = int(0.015 * ph)
    rot = cv2.getRotationMatrix2D((pw / 2 + margin, ph / 2 + margin), rng.uniform(-1, 1), 1.0)
    rot[:, 2] += margin
    out = cv2.warpAffine(page, rot, (pw + 2 * margin, ph + 2 * margin),
                         borderValue=int(rng.integers(200, 225)))
    return finish_camera(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), rng, sigma=0.5)


def _capture(page: np.ndarray, rng: np.random.Generator, capture: str) -> np.ndarray:
    if capture == "scan":
        image = _scan(page, rng)
    else:
        photo, _ = compose_photo(page, rng, height_frac=rng.uniform(0.8, 0.92))
        image = finish_camera(photo, rng)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(82, 93))])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)


def make_letter(index: int, part: str = "heldout", seed: int = SEED) -> SyntheticLetter:
    """Letter number ``index`` of a part, the same for the same seed."""
    rng = random.Random(f"{seed}-{part}-{index}")
    nrng = np.random.default_rng(rng.randrange(2**32))
    kind = ("request", "request", "request", "reminder", "decision")[index % 5]
    lines, truth, code = compose_lines(rng, PARTS[part], kind)
    capture = "scan" if rng.random() < 0.35 else "photo"
    pages = tuple(_capture(p, nrng, capture) for p in render_pages(lines, rng, code))
    return SyntheticLetter(f"{part}-{index:03d}-{kind}-{capture}", part, capture, pages,
                           truth, code, tuple(t for _, t in lines if t))


def generate_letters(n: int, part: str = "heldout", seed: int = SEED) -> list[SyntheticLetter]:
    """The first ``n`` letters of a part."""
    return [make_letter(i, part, seed) for i in range(n)]
