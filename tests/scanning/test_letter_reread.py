"""The closer read of doubtful number lines: real Tesseract on rendered number lines."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from config.model import DEFAULT_NUMBER_FORMATS
from scanning.letter_reread import number_spots, read_spot, settle_letters
from scanning.models import OcrWord
from scanning.ocr import tesseract_available
from scanning.synthetic_docs import find_font

pytestmark = pytest.mark.skipif(not tesseract_available(), reason="needs tesseract")
F = DEFAULT_NUMBER_FORMATS


def rendered(text: str, size_px: int = 40) -> np.ndarray:
    """A number as printed (grey, dark on white), slightly soft as a camera sees it."""
    font = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), size_px)
    width = round(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(text, font=font))
    image = Image.new("L", (width + 2 * size_px, 2 * size_px), 255)
    ImageDraw.Draw(image).text((size_px, size_px // 2), text, font=font, fill=25)
    return np.asarray(cv2.GaussianBlur(np.asarray(image, np.uint8), (0, 0), 0.8), np.uint8)


@pytest.mark.parametrize(("printed", "page_read", "settled"), [
    ("747L675318", "7471675318", "747L675318"),  # L read as 1: I or L? read it alone
    ("329J539015", "329539015", "329J539015"),  # J lost
])
def test_a_letter_position_is_read_alone(printed: str, page_read: str, settled: str) -> None:
    assert settle_letters(rendered(printed), page_read, F) == settled


def test_the_wrong_number_of_characters_settles_nothing() -> None:
    assert settle_letters(rendered("747L67531"), "747167531", F) is None


def test_a_number_line_is_read_with_the_whitelist() -> None:
    assert read_spot(rendered("12345 BG 1234567")).replace(" ", "") == "12345BG1234567"


def _words(*lines: str) -> list[OcrWord]:
    words = []
    for number, line in enumerate(lines):
        for index, text in enumerate(line.split()):
            words.append(OcrWord(text, 90.0, (index * 100, number * 40, 90, 30), (1, 1, number)))
    return words


def test_number_spots_after_a_label_or_under_it() -> None:
    words = _words("Frau Muster Kundennummer: 747I675318", "Kundennummer", "747 L 675318",
                   "Unser Zeichen: 12345 BG 1234567", "Bitte reichen Sie ein", "3) Attest")
    spots = [[w.text for w in spot] for spot in number_spots(words)]
    assert spots == [["747I675318"], ["747", "L", "675318"], ["12345", "BG", "1234567"]]
