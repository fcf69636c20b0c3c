"""A memo for word widths in Kivy's PIL text provider.

Kivy wraps text by measuring every word with Pillow (``font.getbbox`` through raqm), and
does so again each time a label re-renders: after a language or text-size change that is
most of the cost of a screen change. Widths depend only on the font object (one per font
file and size, cached by Kivy for the process), the bbox option and the text, so they are
remembered here, up to a bound.

Words with digits are never remembered: customer numbers, receipt numbers and dates are a
visitor's data and must not outlive the session, not even as a width table's keys.
"""

from __future__ import annotations

from typing import Any

from kivy.core.text import Label as CoreLabel

MAX_ENTRIES = 50_000
_widths: dict[tuple[int, bool, str], tuple[int, int]] = {}


def install_extents_memo() -> bool:
    """Wrap the provider's ``get_extents`` once; False if the provider is not Pillow's."""
    if getattr(CoreLabel, "_kiosk_extents_memo", False):
        return True
    if not hasattr(CoreLabel, "_select_font"):
        return False
    measure = CoreLabel.get_extents

    def get_extents(self: Any, text: str) -> tuple[int, int]:
        if any(char.isdigit() for char in text):
            return measure(self, text)
        font = self._select_font()
        key = (id(font), bool(self.options["limit_render_to_text_bbox"]), text)
        size = _widths.get(key)
        if size is None:
            if len(_widths) >= MAX_ENTRIES:
                _widths.clear()
            size = _widths[key] = measure(self, text)
        return size

    CoreLabel.get_extents = get_extents
    CoreLabel._kiosk_extents_memo = True
    return True
