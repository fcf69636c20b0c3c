"""The large on-screen keypad shared by the customer-number and appointment-code screens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiosk.widgets import KButton


def build_keypad(app: Any, grid: Any, keys: Sequence[str], cols: int,
                 press: Callable[[str], None], followers: list[Any]) -> None:
    """Lay ``keys`` out in ``grid`` (an empty key is a gap); each key's text follows the
    visitor's text size. ``followers`` holds the size bindings, undone on the next call."""
    for follow in followers:
        app.unbind(fs_numpad=follow)
    followers.clear()
    grid.clear_widgets()
    grid.cols = cols
    for key in keys:
        button = KButton(text=key, fs=app.fs_numpad, action=f"key_{key}")
        follow = button.setter("fs")  # the key follows the visitor's text size
        app.bind(fs_numpad=follow)
        followers.append(follow)
        if key:
            button.bind(on_release=lambda _b, k=key: press(k))
        else:
            button.opacity, button.disabled = 0, True
        grid.add_widget(button)
