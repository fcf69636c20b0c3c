"""Prepare the process environment before Kivy is imported (Kivy reads it at import).

Kept free of Kivy imports so the CLI can call it first. Headless runs (tests, the
``screenshot`` command, CI) use SDL's offscreen driver with Mesa; a machine without a
display can also run the real app under ``xvfb-run``.

Memory: glibc gives every thread that allocates its own malloc arena (up to 8 per core).
Mesa's llvmpipe render threads, the capture, OCR, submit and print workers each leave freed
memory behind in their arena, so RSS climbs in steps while the Python heap stays flat.
``limit_malloc_arenas`` caps the arenas before any of those threads exist (the systemd
unit also sets ``MALLOC_ARENA_MAX``), and ``release_free_memory`` hands free pages of every
arena back to the kernel; the app calls it when a visitor's session has been wiped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import tempfile
import threading
from pathlib import Path

from accessibility.bidi_text import KIVY_ENV

log = logging.getLogger(__name__)

MALLOC_ARENAS = 2
#: blocks from this size on get their own mapping, returned to the kernel when freed
MMAP_THRESHOLD = 256 * 1024
MULTISAMPLES = 0
_M_ARENA_MAX = -8  # glibc <malloc.h>
_M_MMAP_THRESHOLD = -3


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (call before threads start) and fix the mmap threshold;
    False if libc is not glibc.

    glibc raises its mmap threshold each time a mapped block is freed (up to 32 MB), so the
    preview frames and the hand-in's PDF buffers end up inside the arenas, whose pages stay
    resident after the visit. A fixed threshold keeps blocks of ``MMAP_THRESHOLD`` and more
    in their own mappings: freed, they go back to the kernel at once."""
    libc = _libc()
    if libc is None:
        return False
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD))  # child processes
    libc.mallopt(_M_MMAP_THRESHOLD, int(os.environ["MALLOC_MMAP_THRESHOLD_"]))
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True  # the operator's (or systemd unit's) setting, applied by glibc at start
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)  # child processes inherit the cap
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


def release_free_memory() -> bool:
    """Return free heap pages of every malloc arena to the kernel (``malloc_trim(0)``)."""
    libc = _libc()
    return libc is not None and bool(libc.malloc_trim(0))


_releasing = threading.Lock()


def release_free_memory_in_background() -> threading.Thread | None:
    """``release_free_memory`` on a worker thread (it walks every free block, tens of ms on a
    large heap, and ctypes lets the UI thread run meanwhile); None if one is still running."""
    if not _releasing.acquire(blocking=False):
        return None

    def work() -> None:
        try:
            release_free_memory()
        finally:
            _releasing.release()

    worker = threading.Thread(target=work, name="release-memory", daemon=True)
    worker.start()
    return worker


def prepare_kivy_environment(
    *,
    headless: bool,
    mode: str = "window",
    size: tuple[int, int] = (1280, 800),
    kivy_home: Path | None = None,
    hidden: bool = False,
) -> None:
    """Set the variables Kivy and SDL read at import time (``KCFG_*`` override Kivy's config);
    cap the malloc arenas before Mesa starts its render threads. ``hidden``: the window
    opens hidden and the app shows it once its first frame is drawn (a UI process that
    replaces another, ``kiosk.ui_host``)."""
    limit_malloc_arenas()
    if hidden:
        os.environ["KCFG_GRAPHICS_WINDOW_STATE"] = "hidden"
    fullscreen = mode == "fullscreen"
    os.environ["KCFG_KIVY_EXIT_ON_ESCAPE"] = "0" if fullscreen else "1"
    os.environ["KCFG_GRAPHICS_WIDTH"] = str(size[0])
    os.environ["KCFG_GRAPHICS_HEIGHT"] = str(size[1])
    os.environ["KCFG_GRAPHICS_BORDERLESS"] = "1" if fullscreen else "0"
    os.environ["KCFG_GRAPHICS_FULLSCREEN"] = "auto" if fullscreen and not headless else "0"
    os.environ["KCFG_INPUT_MOUSE"] = "mouse,multitouch_on_demand"
    # No multisampling: Kivy asks for 2x by default, which llvmpipe serves with 4x colour and
    # depth buffers: ~46 MB at 1280 x 800. Text and icons are textures and look the same.
    os.environ["KCFG_GRAPHICS_MULTISAMPLES"] = str(MULTISAMPLES)
    os.environ["KCFG_KIVY_LOG_LEVEL"] = "warning"
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    home = kivy_home or Path(tempfile.gettempdir()) / f"kiosk-kivy-{os.getuid()}"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(home))
    if headless or not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    # Multi-touch screens report each touch twice (mouse + touch) without this.
    os.environ.setdefault("KIVY_MOUSE_DISABLE_MULTITOUCH", "1")
    # Right-to-left shaping: Kivy's PIL text provider with raqm (see accessibility.bidi_text).
    os.environ.update(KIVY_ENV)
