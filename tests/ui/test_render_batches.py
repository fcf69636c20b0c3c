"""Flush points split a frame for llvmpipe without changing a pixel of it, keep at most
``every`` widgets between two of them, and are added once (in a child process, so this test
process never imports Kivy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import hashlib, json
from kiosk.kivy_env import prepare_kivy_environment
prepare_kivy_environment(headless=True, size=(640, 400))
from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.graphics import Color, Rectangle
from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kiosk.widgets.render_batches import add_flush_points, renderer_bins_frames

EventLoop.ensure_window()

def frame():
    Window.canvas.ask_update()
    for _ in range(3):
        EventLoop.idle()
    return hashlib.sha256(glReadPixels(0, 0, 640, 400, GL_RGBA, GL_UNSIGNED_BYTE)).hexdigest()

def cell(i):
    label = Label(text=f"Zeile {i}", color=(0, 0, 0, 1))
    with label.canvas.before:
        Color(0.9, 0.5 + (i % 5) / 10, 0.3, 1)
        Rectangle(pos=label.pos, size=(30, 10))
    return label

root = BoxLayout()
grid = GridLayout(cols=6)
for i in range(44):
    grid.add_widget(cell(i))
root.add_widget(grid)
detached = add_flush_points(root, force=True)  # not on a window yet: nothing
blank = frame()
Window.add_widget(root)
plain = frame()
first = add_flush_points(root, every=10, force=True)
flushed = frame()
again = add_flush_points(root, every=10, force=True)
for i in range(44, 60):
    grid.add_widget(cell(i))
more = add_flush_points(root, every=10, force=True)
gaps, run = [], 0
for widget in root.walk(restrict=True):
    if getattr(widget, "_flush_point", None) is not None:
        gaps.append(run)
        run = 0
    else:
        run += 1
gaps.append(run)
in_canvas = all(w._flush_point in w.canvas.after.children
                for w in root.walk(restrict=True) if getattr(w, "_flush_point", None))
print(json.dumps({"bins": renderer_bins_frames(), "detached": detached, "first": first,
                  "again": again, "more": more, "plain": plain, "flushed": flushed, "blank": blank,
                  "max_gap": max(gaps), "in_canvas": in_canvas}))
"""


def test_flush_points_keep_the_picture_and_their_spacing() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["bins"] is True  # the tests draw with Mesa's llvmpipe, as the kiosk ships
    assert data["detached"] == 0
    assert data["first"] == 4  # 46 widgets (root, grid, 44 labels): after the 10th, 20th, ...
    assert data["plain"] != data["blank"]  # the frame shows the widgets
    assert data["flushed"] == data["plain"]  # not one pixel changes
    assert data["again"] == 0  # added once
    assert data["more"] >= 1 and data["max_gap"] < 10 and data["in_canvas"]
