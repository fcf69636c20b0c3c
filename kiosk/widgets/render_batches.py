"""Flush points in the widget tree: bound the memory Mesa's llvmpipe needs to draw a frame.

Without a GPU the kiosk is drawn by llvmpipe. llvmpipe bins a whole frame into a "scene"
before it rasterizes any of it, and for every change of GL state inside the frame (every
label is its own texture, so nearly every widget is one) it stores a full copy of the
rasterizer state in the scene (with room for every texture unit: tens of KB each in
Mesa 22, Debian 12's). A screen with a few
hundred labels thus needs tens of MB of scene memory per frame (heaptrack: 31 MB of 64 KB
scene blocks live at the UI process's peak), up to llvmpipe's own cap of 36 MB per scene.
The memory is freed after the frame, but the process's peak RSS carries it.

A ``glFinish`` in the middle of a frame makes llvmpipe rasterize what is binned so far and
start the rest in a new scene. ``add_flush_points`` puts one after every
``FLUSH_EVERY_WIDGETS``-th widget of a tree, in drawing order, as a canvas ``Callback`` in
that widget's ``canvas.after``. It is idempotent and called whenever a screen or panel is
shown (and when the shown screen changes), so widgets added later get theirs too.
``glFinish`` rather than ``glFlush``: after a flush llvmpipe goes on binning into another
scene while its threads still rasterize the last one, so under load the scenes pile up
(llvmpipe keeps each one it made, with its blocks) and RSS after a visit rose by up to 8 MB;
finishing keeps one scene in use at a time.
Measured with ``benchmarks/bench_ui.py`` (6 sessions, BENCH_UI_TRACE=1, load 3-8): a visit's
peak RSS 299-301 MB without flush points, 278 MB with one every 40 widgets, 276 MB every 20
(more points, more waits for the rasterizer), 283-285 MB with ``glFlush`` every 20. The
price, paired on a quiet machine: screen transitions median 58-60 → 75-76 ms, p95 154-158
→ 184-185 ms (the UI thread waits for the rasterizer at each point).

On a GPU driver frames are not binned this way, so no flush points are added there.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.graphics import Callback

log = logging.getLogger(__name__)

FLUSH_EVERY_WIDGETS = 40
#: OpenGL renderers that bin whole frames in main memory (Mesa's software rasterizers)
BINNING_RENDERERS = ("llvmpipe", "softpipe")


_renderer_bins: list[bool] = []  # the answer, once a GL context could be asked


def renderer_bins_frames() -> bool:
    """True when the GL renderer is one of Mesa's software rasterizers (asked once)."""
    if _renderer_bins:
        return _renderer_bins[0]
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    try:
        renderer = glGetString(GL_RENDERER)
    except Exception:  # no GL context yet: ask again next time
        log.warning("GL renderer unknown yet; no flush points for now")
        return False
    name = renderer.decode("ascii", "replace") if isinstance(renderer, bytes) else str(renderer)
    _renderer_bins.append(any(binning in name.lower() for binning in BINNING_RENDERERS))
    return _renderer_bins[0]


def _flush(_instruction: Any) -> None:
    from kivy.graphics.opengl import glFinish

    glFinish()


def add_flush_points(root: Any, *_args: Any, every: int = FLUSH_EVERY_WIDGETS,
                     force: bool = False) -> int:
    """Give every ``every``-th widget under ``root`` (drawing order) a flush point, counting
    from the last existing one; returns how many were added. Does nothing on a GPU unless
    ``force``, or while ``root`` is not on a window."""
    if not (force or renderer_bins_frames()) or getattr(root, "parent", None) is None:
        return 0
    added = since_last = 0
    for widget in root.walk(restrict=True):
        if getattr(widget, "_flush_point", None) is not None:
            since_last = 0
            continue
        since_last += 1
        if since_last >= every:
            point = Callback(_flush)
            widget.canvas.after.add(point)
            widget._flush_point = point
            added += 1
            since_last = 0
    return added
