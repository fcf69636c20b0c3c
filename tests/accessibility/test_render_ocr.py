"""Arabic and Farsi rendered by a real Kivy Label read back correctly with Tesseract."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

SAMPLES = {
    "ar": ("ara", "مرحبا بكم في مركز العمل. يرجى وضع المستند تحت الكاميرا ثم الضغط على زر "
                  "الإرسال للمتابعة."),
    "fa": ("fas", "به مرکز کاریابی خوش آمدید. لطفاً سند را زیر دوربین بگذارید و سپس دکمه "
                  "ارسال را بزنید."),
}

pytestmark = [
    pytest.mark.ui,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed"),
]


def letters(text: str) -> str:
    """Only the letters, in order (OCR spacing and punctuation vary)."""
    text = text.replace("ي", "ی").replace("ك", "ک").replace("ى", "ی")  # Arabic/Persian ya, kaf
    return re.sub(r"[^\w]|[\d_]", "", text)


@pytest.fixture(scope="module")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fonts")


def render(tmp_path: Path, lang: str, text: str, font_cache: Path) -> Path:
    source = tmp_path / f"{lang}.txt"
    source.write_text(text, "utf-8")
    out = tmp_path / f"{lang}.png"
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_NO_ARGS="1",
               KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_FILELOG="1", KIVY_TEXT="pil",
               KIVY_LOG_MODE="PYTHON", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(HERE / "render_label.py"), str(source), lang,
                           str(out), str(font_cache)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "provider LabelPIL" in done.stdout
    assert f"font {font_cache}" in done.stdout  # the merged Noto Arabic + Latin font
    return out


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_rendered_rtl_label_reads_back(tmp_path: Path, lang: str, font_cache: Path) -> None:
    tess_lang, text = SAMPLES[lang]
    png = render(tmp_path, lang, text, font_cache)
    ocr = subprocess.run(["tesseract", str(png), "-", "-l", tess_lang, "--psm", "6"],
                         capture_output=True, text=True, timeout=120, check=True,
                         env=dict(os.environ, OMP_THREAD_LIMIT="1")).stdout
    lines = [line for line in ocr.splitlines() if line.strip()]
    assert len(lines) >= 2, f"label did not wrap: {ocr!r}"
    ratio = difflib.SequenceMatcher(None, letters(text), letters(ocr)).ratio()
    assert ratio > 0.9, f"{lang}: OCR {ocr!r} vs {text!r} ({ratio:.2f})"
    # Wrapped in logical order: the first rendered line holds the first words.
    first_words = letters(" ".join(text.split()[:3]))
    assert difflib.SequenceMatcher(None, first_words,
                                   letters(lines[0])[: len(first_words)]).ratio() > 0.8
