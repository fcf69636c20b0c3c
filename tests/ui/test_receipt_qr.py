"""The receipt's QR code on screen (the fallback when the printer fails) decodes to the
signed receipt: it is drawn from the code's matrix, one texel per module, without Pillow's
image loader (kiosk.screens.receipt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zxingcpp

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = "JCR1:" + "A1b2C3d4-_" * 60  # about as long as a signed receipt

PROBE = """
import json, sys
from kiosk.kivy_env import prepare_kivy_environment
prepare_kivy_environment(headless=True)
from kivy.core.window import Window  # a GL context for the texture
from kiosk.screens.receipt import ReceiptScreen
texture = ReceiptScreen._qr_texture(sys.argv[1])
json.dump({"size": list(texture.size), "pixels": texture.pixels.hex(),
           "filter": texture.mag_filter, "pil_plugins": "PIL.PngImagePlugin" in sys.modules},
          sys.stdout)
"""


def test_the_qr_texture_decodes_to_the_receipt(tmp_path: Path) -> None:
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(tmp_path / "kivy"))
    run = subprocess.run([sys.executable, "-c", PROBE, PAYLOAD], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    width, height = seen["size"]
    rgba = np.frombuffer(bytes.fromhex(seen["pixels"]), np.uint8).reshape(height, width, 4)
    upright = np.ascontiguousarray(rgba[::-1, :, 0])  # GL rows run bottom-up
    enlarged = np.kron(upright, np.ones((6, 6), np.uint8))  # as the screen scales it
    found = zxingcpp.read_barcodes(enlarged)
    assert [code.text for code in found] == [PAYLOAD]
    assert seen["filter"] == "nearest"  # enlarged with sharp module edges
    assert not seen["pil_plugins"]
