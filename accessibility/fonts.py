"""Font files for every script the kiosk shows, from Debian's ``fonts-noto-core``.

Latin and Cyrillic use Noto Sans. Arabic and Farsi need Noto Sans Arabic, which has no Latin
letters, yet Arabic texts carry Latin parts (customer numbers such as ``123A456789``, "PDF").
Kivy's PIL text provider has no per-glyph font fallback, so ``prepare_fonts`` merges Noto Sans
Arabic and Noto Sans into one file (fontTools, ~2 s per weight, once per machine; the result is
cached by source-file fingerprint). Until that has run, or if fontTools or a Noto file is
missing, ``font_for`` falls back to DejaVu Sans (Latin + Arabic + Persian) and then to Noto
Sans Arabic alone, and finally to Kivy's built-in ``Roboto``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from accessibility.languages import Script, get_language

log = logging.getLogger(__name__)
logging.getLogger("fontTools").setLevel(logging.WARNING)  # its merge logs every table

NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
KIVY_DEFAULT_FONT = "Roboto"

_LATIN = {False: NOTO_DIR / "NotoSans-Regular.ttf", True: NOTO_DIR / "NotoSans-Bold.ttf"}
_ARABIC = {
    False: NOTO_DIR / "NotoSansArabic-Regular.ttf",
    True: NOTO_DIR / "NotoSansArabic-Bold.ttf",
}
_DEJAVU = {False: DEJAVU_DIR / "DejaVuSans.ttf", True: DEJAVU_DIR / "DejaVuSans-Bold.ttf"}

_lock = threading.Lock()
_merged: dict[bool, Path] = {}


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/jobcenter-kiosk/fonts`` (usually ``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobcenter-kiosk" / "fonts"


def _fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]


def merged_font_path(cache_dir: Path, bold: bool = False) -> Path | None:
    """Where the merged Arabic+Latin font for these source files lives (None: sources missing)."""
    sources = [_ARABIC[bold], _LATIN[bold]]
    if not all(p.is_file() for p in sources):
        return None
    weight = "Bold" if bold else "Regular"
    return cache_dir / f"KioskSansArabic-{weight}-{_fingerprint(sources)}.ttf"


def _build_merged(target: Path, bold: bool) -> None:
    from fontTools.merge import Merger, Options  # lazy: only needed once per machine

    # Arabic first: its metrics and its digits/punctuation win where both fonts have a glyph.
    merger = Merger(options=Options(drop_tables=["vhea", "vmtx"]))
    font = merger.merge([str(_ARABIC[bold]), str(_LATIN[bold])])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    font.save(str(tmp))
    font.close()
    tmp.replace(target)


def prepare_fonts(cache_dir: Path | None = None) -> dict[str, str]:
    """Build (or find) the merged Arabic+Latin fonts; call once at app start, before drawing."""
    cache = cache_dir or default_cache_dir()
    for bold in (False, True):
        target = merged_font_path(cache, bold)
        if target is None:
            log.warning("Noto Arabic/Latin fonts missing; Arabic text uses a fallback font")
            continue
        with _lock:
            if not target.is_file():
                try:
                    _build_merged(target, bold)
                except Exception:  # no fontTools, disk full, broken font: degrade, never crash
                    log.exception("could not build the merged Arabic font; using a fallback")
                    continue
            _merged[bold] = target
    return {f"Arab{'-bold' if b else ''}": str(p) for b, p in _merged.items()}


def _arabic_font(bold: bool) -> str:
    with _lock:
        merged = _merged.get(bold)
    if merged is None:
        candidate = merged_font_path(default_cache_dir(), bold)
        if candidate is not None and candidate.is_file():
            merged = candidate
    for path in (merged, _DEJAVU[bold], _ARABIC[bold], _DEJAVU[False], _ARABIC[False]):
        if path is not None and path.is_file():
            return str(path)
    return KIVY_DEFAULT_FONT


def font_for_script(script: Script, bold: bool = False) -> str:
    """Path of a font file covering ``script`` (plus Latin), or Kivy's default font name."""
    if script == "Arab":
        return _arabic_font(bold)
    for path in (_LATIN[bold], _LATIN[False], _DEJAVU[bold], _DEJAVU[False]):
        if path.is_file():
            return str(path)
    return KIVY_DEFAULT_FONT


def font_for(lang: str, bold: bool = False) -> str:
    """Font file for texts in kiosk language ``lang`` (use as a Label's ``font_name``)."""
    return font_for_script(get_language(lang).script, bold)
