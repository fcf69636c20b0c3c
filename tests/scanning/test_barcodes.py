"""Codes on letters: decoded from a page image, their numbers win over the text."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from config.model import DEFAULT_NUMBER_FORMATS
from scanning.barcodes import decode_codes, is_available
from scanning.letter import parse_letter_text
from scanning.letter_numbers import numbers_in_codes
from scanning.synthetic_letters import _code_image

pytestmark = pytest.mark.skipif(not is_available(), reason="zxing-cpp not installed")


@pytest.mark.parametrize("seed", range(6))
def test_generated_codes_decode_on_a_page(seed: int) -> None:
    payload = "KD:123A456789;BG:12345BG1234567"
    symbol = _code_image(payload, random.Random(seed))
    page = np.full((2300, 1650), 250, np.uint8)
    page[200 : 200 + symbol.shape[0], 700 : 700 + symbol.shape[1]] = symbol
    photo = cv2.GaussianBlur(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR), (0, 0), 0.8)
    (decoded,) = decode_codes(photo)
    assert decoded in (payload, "123A456789")  # a 1-D code holds the first number only
    assert numbers_in_codes([decoded], DEFAULT_NUMBER_FORMATS)["customer"] == "123A456789"


def test_a_page_without_a_code() -> None:
    assert decode_codes(np.full((400, 300, 3), 255, np.uint8)) == ()


def test_numbers_in_payloads() -> None:
    assert numbers_in_codes(["KD:123A456789;BG:12345BG1234567"], DEFAULT_NUMBER_FORMATS) == {
        "customer": "123A456789", "household": "12345BG1234567"}
    assert numbers_in_codes(["https://example.invalid/?kdnr=123A456789"],
                            DEFAULT_NUMBER_FORMATS) == {"customer": "123A456789"}
    assert numbers_in_codes(["0123456789"], DEFAULT_NUMBER_FORMATS) == {}


def test_the_code_wins_over_misread_text() -> None:
    facts = parse_letter_text("Kundennummer 123A456780", DEFAULT_NUMBER_FORMATS,
                              codes=["123A456789"])
    assert facts.customer_number == "123A456789"
    assert facts.number_source == "code"
