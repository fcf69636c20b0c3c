"""Checks over the live widget tree: clipped text, controls off screen, small targets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kivy.core.window import Window
from kivy.uix.label import Label
from kivy.uix.widget import Widget

TOLERANCE_PX = 2


def _visible(widget: Widget) -> bool:
    node: Any = widget
    while node is not None and node is not Window:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "height", 1) <= 0:
            return False
        node = node.parent
    return True


def walk(widget: Widget) -> Iterator[Widget]:
    """Every widget below ``widget`` (including it)."""
    yield widget
    for child in widget.children:
        yield from walk(child)


def clipped_labels(root: Widget) -> list[str]:
    """Labels whose rendered text is larger than their box, or that stick out sideways."""
    problems = []
    for widget in walk(root):
        if not isinstance(widget, Label) or not widget.text.strip() or not _visible(widget):
            continue
        widget.texture_update()
        tw, th = widget.texture_size
        if tw > widget.width + TOLERANCE_PX or th > widget.height + TOLERANCE_PX:
            problems.append(f"text {widget.text[:40]!r} needs {tw:.0f}x{th:.0f} px, "
                            f"box is {widget.width:.0f}x{widget.height:.0f}")
        x0, _ = widget.to_window(widget.x, widget.y)
        x1, _ = widget.to_window(widget.right, widget.y)
        if x0 < -TOLERANCE_PX or x1 > Window.width + TOLERANCE_PX:
            problems.append(f"text {widget.text[:40]!r} sticks out of the screen sideways")
    return problems


def small_targets(root: Widget, min_px: float) -> list[str]:
    """Touch targets (widgets with an ``action``) smaller than ``min_px`` either way."""
    problems = []
    for widget in walk(root):
        action = getattr(widget, "action", None)
        if not action or not _visible(widget) or widget.disabled:
            continue
        if widget.width + TOLERANCE_PX < min_px or widget.height + TOLERANCE_PX < min_px:
            problems.append(f"{action}: {widget.width:.0f}x{widget.height:.0f} px < {min_px:.0f}")
    return problems
