"""Exact ESC/POS bytes: code pages, QR, cut, and shaped rasters for non-Latin scripts."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFont

from device_drivers.printer import text_raster
from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.layout import Cut, Feed, QRCode, ReceiptLayout, Separator, TextLine

INIT = b"\x1b@"
CP858 = b"\x1bt\x13"  # ESC t 19 on Epson TM-T88V
NORMAL_LEFT = b"\x1b!\x00\x1b!\x00\x1b!\x00\x1bE\x00\x1ba\x00"  # size 1, bold off, left


@pytest.fixture(scope="module")
def encoder() -> EscPosEncoder:
    return EscPosEncoder(profile="TM-T88V", paper_width_px=512, code_page="CP858")


def test_umlauts_and_euro_are_exact_cp858_bytes(encoder: EscPosEncoder) -> None:
    data = encoder.encode(ReceiptLayout.of(TextLine("äöüßÄÖÜ€")))
    assert data == INIT + CP858 + NORMAL_LEFT + b"\x84\x94\x81\xe1\x8e\x99\x9a\xd5\n" + NORMAL_LEFT


def test_code_page_is_selected_right_after_init(encoder: EscPosEncoder) -> None:
    data = encoder.encode(ReceiptLayout.of())
    assert data == INIT + CP858


def test_cp1252_gives_its_own_bytes() -> None:
    enc = EscPosEncoder(code_page="CP1252")
    data = enc.encode(ReceiptLayout.of(TextLine("Größe: 5 €")))
    assert data.startswith(INIT + b"\x1bt\x10")
    assert b"Gr\xf6\xdfe: 5 \x80\n" in data


def test_unknown_code_page_for_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="no code page CP9999"):
        EscPosEncoder(code_page="CP9999")


def test_bold_double_size_centred(encoder: EscPosEncoder) -> None:
    data = encoder.encode_text(TextLine("Eingang", bold=True, size=2, align="center"))
    assert data == (b"\x1b!\x00\x1b!\x00\x1b!\x30\x1bE\x01\x1ba\x01" + b"Eingang\n" + NORMAL_LEFT)


def test_long_latin_text_wraps_at_word_boundaries(encoder: EscPosEncoder) -> None:
    text = "Eingegangen: Lohnabrechnung, Kontoauszüge, Mietbescheinigung und Heizkosten"
    data = encoder.encode_text(TextLine(text))
    lines = data[len(NORMAL_LEFT):-len(NORMAL_LEFT)].split(b"\n")[:-1]
    assert len(lines) == 2
    assert all(len(line) <= encoder.columns == 42 for line in lines)
    assert b" ".join(lines).decode("cp858") == text


def test_size_two_wraps_at_half_the_columns(encoder: EscPosEncoder) -> None:
    data = encoder.encode_text(TextLine("Eingangsbestätigung Jobcenter", size=2))
    assert b"Eingangsbest\x84tigung\nJobcenter\n" in data


def test_separator_spans_the_columns(encoder: EscPosEncoder) -> None:
    data = encoder.encode(ReceiptLayout.of(Separator("=")))
    assert data == INIT + CP858 + b"=" * 42 + b"\n"


def test_native_qr_code_bytes(encoder: EscPosEncoder) -> None:
    payload = "KIOSK1.abc"
    data = encoder.encode_qr(QRCode(payload, module_px=5))
    n = len(payload) + 3
    assert data == (
        b"\x1bJ\x14"  # quiet zone: 4 modules × 5 dots
        + b"\x1ba\x01"  # centre
        + b"\x1d(k\x04\x00\x31\x41\x32\x00"  # model 2
        + b"\x1d(k\x03\x00\x31\x43\x05"  # module size 5 dots
        + b"\x1d(k\x03\x00\x31\x45\x31"  # error correction M
        + b"\x1d(k" + bytes((n, 0)) + b"\x31\x50\x30" + payload.encode()  # store data
        + b"\x1d(k\x03\x00\x31\x51\x30"  # print
        + b"\x1ba\x00"
        + b"\x1bJ\x14"
    )


def test_signed_payload_of_a_few_hundred_chars_fits(encoder: EscPosEncoder) -> None:
    payload = "KIOSK1." + "A" * 400
    data = encoder.encode_qr(QRCode(payload, module_px=4))
    assert b"\x1d(k" + (len(payload) + 3).to_bytes(2, "little") + b"1P0" + payload.encode() in data


def test_qr_wider_than_paper_is_refused(encoder: EscPosEncoder) -> None:
    with pytest.raises(ValueError, match="QR code is .* dots wide"):
        encoder.encode_qr(QRCode("X" * 1000, module_px=16))


def test_feed_and_cut(encoder: EscPosEncoder) -> None:
    data = encoder.encode(ReceiptLayout.of(Feed(3), Cut(), Cut(partial=True)))
    assert data == INIT + CP858 + b"\x1bd\x03" + b"\x1bd\x06\x1dV\x00" + b"\x1bd\x06\x1dV\x01"


def _raster_images(data: bytes) -> list[Image.Image]:
    images = []
    start = data.find(b"\x1dv0")
    while start >= 0:
        wb = int.from_bytes(data[start + 4:start + 6], "little")
        h = int.from_bytes(data[start + 6:start + 8], "little")
        raw = data[start + 8:start + 8 + wb * h]
        images.append(Image.frombytes("1", (wb * 8, h), bytes(b ^ 0xFF for b in raw)))
        start = data.find(b"\x1dv0", start + 8 + wb * h)
    return images


def _ink_columns(img: Image.Image) -> np.ndarray:
    ink = np.array(img.convert("L")) < 128
    return np.flatnonzero(ink.any(axis=0))


def test_arabic_becomes_a_right_aligned_raster(encoder: EscPosEncoder) -> None:
    data = encoder.encode_text(TextLine("إيصال استلام"))
    assert b"\x1dv0\x00\x40\x00" in data  # GS v 0, normal density, 64 bytes = 512 dots wide
    assert "إيصال".encode() not in data
    (img,) = _raster_images(data)
    cols = _ink_columns(img)
    assert cols.max() >= 505  # flush right: right-to-left text starts at the right edge
    assert cols.min() > 300


def test_ukrainian_becomes_a_raster_and_german_stays_text(encoder: EscPosEncoder) -> None:
    assert b"\x1dv0" in encoder.encode_text(TextLine("Квитанція"))
    assert b"\x1dv0" not in encoder.encode_text(TextLine("Quittung für Dokumente"))


def test_raster_is_what_raqm_renders(encoder: EscPosEncoder) -> None:
    text = "رقم الإيصال: R-2024-0042"
    data = encoder.encode_text(TextLine(text))
    expected = text_raster.raster_command(text_raster.render_line(text, 512))
    assert data.endswith(expected)


def test_arabic_is_shaped_not_isolated_letters() -> None:
    assert text_raster.has_raqm()
    word = "استلام"
    shaped = text_raster.render_line(word, 512, rtl=True, align="left")
    isolated = text_raster.render_line(word, 512, rtl=True, align="left",
                                       engine=ImageFont.Layout.BASIC)
    a = np.array(shaped.convert("L")) < 128
    b = np.array(isolated.convert("L"))[: a.shape[0]] < 128
    assert a.any() and b.any()
    differing = np.logical_xor(a, b).sum()
    assert differing > 0.3 * a.sum()  # joined forms, not the same glyphs moved around
    # joined letters sit closer than isolated forms: the shaped word is narrower
    assert len(_ink_columns(shaped)) < len(_ink_columns(isolated))


def test_mixed_arabic_and_latin_places_latin_left() -> None:
    img = text_raster.render_line("رقم: AB", 512)
    latin_only = text_raster.render_line("AB", 512, align="left")
    cols, latin_cols = _ink_columns(img), _ink_columns(latin_only)
    assert cols.max() >= 505
    assert cols.min() < 512 - 40  # the Latin run is left of the Arabic run
    assert len(latin_cols) > 0


def test_rtl_wrap_keeps_every_word(encoder: EscPosEncoder) -> None:
    text = " ".join(["المستندات"] * 12)
    parts = text_raster.wrap(text, 512, False, 24)
    assert len(parts) > 1
    assert " ".join(parts) == text
    assert all(text_raster.measure(p, False, 24) <= 512 for p in parts)


def test_text_with_a_character_outside_the_code_page_is_rastered(encoder: EscPosEncoder) -> None:
    assert encoder.can_encode("Gebühr 5 €")
    assert not encoder.can_encode("Gebühr – 5 €")  # en dash is not in CP858
    assert b"\x1dv0" in encoder.encode_text(TextLine("Gebühr – 5 €"))
