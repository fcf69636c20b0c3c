"""Right-to-left preparation, shaping through raqm, and font coverage."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import arabic_reshaper
import numpy as np
import pytest
from bidi import get_display
from PIL import Image, ImageDraw, ImageFont

from accessibility import fonts
from accessibility.bidi_text import (
    KIVY_ENV,
    LRI,
    NBSP,
    PDI,
    RLM,
    check_shaping,
    halign_for,
    prepare_for_label,
    strip_marks,
)

ARABIC_FONT = fonts.NOTO_DIR / "NotoSansArabic-Regular.ttf"
MIXED = "ملف PDF جاهز. رقم العميل: 123A456789 في Jobcenter Musterstadt"


def paragraph_direction(line: str) -> str:
    """Unicode rules P2/P3: the first strong letter outside isolates decides (L if none)."""
    depth = 0
    for ch in line:
        cls = unicodedata.bidirectional(ch)
        if cls in ("LRI", "RLI", "FSI"):
            depth += 1
        elif cls == "PDI":
            depth = max(0, depth - 1)
        elif depth == 0 and cls in ("L", "R", "AL"):
            return "L" if cls == "L" else "R"
    return "L"


def bitmap(font: ImageFont.FreeTypeFont, text: str, **kwargs: object) -> np.ndarray:
    image = Image.new("L", (1400, 160), 0)
    ImageDraw.Draw(image).text((20, 30), text, font=font, fill=255, **kwargs)  # type: ignore[arg-type]
    ink = np.array(image) > 127
    ys, xs = np.nonzero(ink)
    return ink[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa, pb = np.zeros((h, w), bool), np.zeros((h, w), bool)
    pa[: a.shape[0], : a.shape[1]] = a
    pb[: b.shape[0], : b.shape[1]] = b
    return float((pa & pb).sum() / (pa | pb).sum())


def test_pillow_has_raqm_and_env_selects_pil_provider() -> None:
    assert check_shaping().ok
    assert KIVY_ENV == {"KIVY_TEXT": "pil"}


def test_left_to_right_text_is_untouched() -> None:
    for lang in ("de", "de-simple", "en", "uk", "ru", "tr", "pl", "ro"):
        assert prepare_for_label("Seite 1 von 3 – PDF", lang) == "Seite 1 von 3 – PDF"


def test_every_possible_wrapped_line_is_right_to_left() -> None:
    prepared = prepare_for_label(MIXED + "\n" + "PDF " + MIXED, "ar")
    for paragraph in prepared.split("\n"):
        starts = [0] + [i + 1 for i, ch in enumerate(paragraph) if ch == " "]
        for start in starts:  # Kivy may break the line at any plain space
            assert paragraph_direction(paragraph[start:]) == "R", paragraph[start:]


def test_ltr_runs_are_isolated_and_kept_together() -> None:
    prepared = prepare_for_label("رقم 123 A 456789 هنا", "fa")
    assert LRI + "123" + NBSP + "A" + NBSP + "456789" + PDI in prepared
    assert strip_marks(prepared) == "رقم 123 A 456789 هنا"
    assert prepare_for_label(prepared, "fa") == prepared  # idempotent


def test_prepared_line_renders_like_forced_rtl() -> None:
    font = ImageFont.truetype(str(ARABIC_FONT), 40, layout_engine=ImageFont.Layout.RAQM)
    text = "2025 هو العام"  # starts with digits: an auto-direction guess gets it wrong
    prepared = prepare_for_label(text, "ar")
    assert prepared.startswith(RLM)
    forced = bitmap(font, text, direction="rtl")
    assert np.array_equal(bitmap(font, prepared), forced)


def test_raqm_joins_and_reorders_letters() -> None:
    """raqm output equals arabic-reshaper's joined presentation forms, not isolated letters."""
    raqm = ImageFont.truetype(str(ARABIC_FONT), 64, layout_engine=ImageFont.Layout.RAQM)
    basic = ImageFont.truetype(str(ARABIC_FONT), 64, layout_engine=ImageFont.Layout.BASIC)
    for word in ("مرحبا بكم", "شماره مشتری", "السلام"):
        joined_visual = get_display(arabic_reshaper.reshape(word))
        # reshaper really produced contextual forms (U+FB50–U+FEFC), e.g. initial/medial
        assert sum("\ufb50" <= ch <= "\ufefc" for ch in joined_visual) >= len(word) // 2
        isolated_visual = word[::-1]
        shaped = bitmap(raqm, word)
        assert overlap(shaped, bitmap(basic, joined_visual)) > 0.6, word
        assert overlap(shaped, bitmap(basic, isolated_visual)) < 0.4, word


def test_halign_for() -> None:
    assert halign_for("ar") == "right" and halign_for("de") == "left"
    assert halign_for("fa", "end") == "left" and halign_for("uk", "center") == "center"


def _cmap(path: str) -> set[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return set(font.getBestCmap())


def test_font_for_latin_and_cyrillic() -> None:
    for lang in ("de", "tr", "ro", "pl", "uk", "ru"):
        path = fonts.font_for(lang)
        assert Path(path).is_file()
        covered = _cmap(path)
        assert {ord(c) for c in "AäößĞışțăłЖїё€"} <= covered


@pytest.mark.slow
def test_merged_arabic_font_covers_latin_too(tmp_path: Path) -> None:
    built = fonts.prepare_fonts(tmp_path)
    assert set(built) == {"Arab", "Arab-bold"}
    for lang in ("ar", "fa"):
        path = fonts.font_for(lang)
        assert path == built["Arab"]
        assert {ord(c) for c in "بپچژگیک۱۲٣A9ZÄ"} <= _cmap(path)
    assert fonts.font_for("ar", bold=True) == built["Arab-bold"]
    # fonts.prepare_fonts again finds the cached files instead of rebuilding
    mtime = Path(built["Arab"]).stat().st_mtime_ns
    assert fonts.prepare_fonts(tmp_path) == built
    assert Path(built["Arab"]).stat().st_mtime_ns == mtime


def test_arabic_font_fallback_without_merge() -> None:
    path = fonts.font_for_script("Arab")
    assert path == fonts.KIVY_DEFAULT_FONT or Path(path).is_file()
    if Path(path).is_file():
        assert ord("ب") in _cmap(path)
