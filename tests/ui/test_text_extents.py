"""The word-width memo gives exactly Pillow's widths, per font and size, and never keeps a
word with digits (in a child process, so this test process never imports Kivy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from kiosk.kivy_env import prepare_kivy_environment
prepare_kivy_environment(headless=True)
from kivy.core.text import Label as CoreLabel
from accessibility.fonts import font_for
from kiosk.widgets.text_extents import install_extents_memo

def widths():
    out = []
    for lang, size in (("de", 20), ("de", 40), ("ar", 20), ("ar", 40)):
        label = CoreLabel(font_name=font_for(lang), font_size=size)
        label.resolve_font_name()
        for word in ("Kundennummer", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "123A4567"):
            out.append(list(label.get_extents(word)))
    return out

plain = widths()
installed = install_extents_memo()
first, second = widths(), widths()
from kiosk.widgets import text_extents
print(json.dumps({"installed": installed, "plain": plain, "first": first, "second": second,
                  "memo": CoreLabel._kiosk_extents_memo,
                  "kept": sorted({key[2] for key in text_extents._widths})}))
"""


def test_memo_returns_pillow_widths_per_font_and_size() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["installed"] and data["memo"]
    assert data["first"] == data["plain"] and data["second"] == data["plain"]
    de_small, de_large = data["plain"][0], data["plain"][3]
    assert de_large[0] > de_small[0]  # sizes are not confused by the memo
    assert "123A4567" not in data["kept"]  # a visitor's numbers are never kept
    assert "Kundennummer" in data["kept"]
