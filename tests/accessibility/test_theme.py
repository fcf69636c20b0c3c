"""Contrast of every text/background pair of every theme (WCAG 1.4.3 and 1.4.6)."""

from __future__ import annotations

import pytest

from accessibility import theme

MINIMUM = {"default": 4.5, "high_contrast": 7.0}


@pytest.mark.parametrize("name", theme.THEME_NAMES)
@pytest.mark.parametrize(("fg", "bg"), theme.TEXT_PAIRS)
def test_text_pairs_meet_contrast(name: str, fg: str, bg: str) -> None:
    pal = theme.palette(name)
    ratio = theme.contrast_ratio(getattr(pal, fg), getattr(pal, bg))
    assert ratio >= MINIMUM[name], f"{name}: {fg} on {bg} is {ratio:.2f}:1"


def test_every_theme_has_a_minimum() -> None:
    assert set(theme.THEME_NAMES) == set(MINIMUM)


def test_contrast_ratio_extremes() -> None:
    assert theme.contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert theme.contrast_ratio((90, 90, 90), (90, 90, 90)) == pytest.approx(1.0)


def test_focus_ring_visible_against_background() -> None:
    # WCAG 1.4.11 non-text contrast: the focus indicator needs 3:1 against the background.
    for name in theme.THEME_NAMES:
        pal = theme.palette(name)
        assert theme.contrast_ratio(pal.focus, pal.background) >= 3.0, name


def test_unknown_theme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown theme"):
        theme.palette("neon")
