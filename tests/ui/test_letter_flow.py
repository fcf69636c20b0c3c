"""The letter in the touchscreen flow, from attract to receipt, in Arabic (issue #11).

The real app scans a generated request letter through the simulated camera, shows the
number read for confirmation, captures two of the three requested documents (ticked by
their recognised type), names what is missing and hands in. The printed receipt, rendered
from its ESC/POS bytes and read back with Tesseract, lists asked, handed in, missing and
the deadline in German and Arabic; the job centre (the embedded intake service) stores the
confirmed checklist with each document.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest

from accessibility.i18n import translate
from device_drivers.printer.escpos_render import EscPosRenderer
from tests.ui.conftest import ARTIFACTS, ROOT, run_scenario

pytestmark = [pytest.mark.ui, pytest.mark.slow]

SHOTS = ARTIFACTS / "letter"


def _ocr(image: Path, lang: str) -> str:
    return subprocess.run(["tesseract", str(image), "-", "-l", lang, "--psm", "4"],
                          capture_output=True, text=True, timeout=180, check=True).stdout


def _letters(text: str) -> str:
    return re.sub(r"[^\w]|[\d_]", "", text.replace("ي", "ی").replace("ى", "ی"))


def _found(wanted: str, text: str) -> float:
    expected, read = _letters(wanted), _letters(text)
    return max(SequenceMatcher(None, expected, read[i:i + len(expected)]).ratio()
               for i in range(max(1, len(read) - len(expected) + 1)))


def _stored_notes(data: Path, documents: int) -> list[dict[str, Any]]:
    """What the job centre filed: ``kiosk-server list --json`` with the key (uploads are
    asynchronous: wait until both documents have arrived)."""
    server = data / "embedded-server"
    rows: list[dict[str, Any]] = []
    for _ in range(120):
        done = subprocess.run(
            [sys.executable, "-m", "jobcentre.cli", "list", "--data", str(server),
             "--kek-file", str(data / "embedded-server.kek"), "--json"],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
        rows = json.loads(done.stdout)
        if len(rows) >= documents:
            break
        time.sleep(1)
    return rows


def test_letter_to_receipt_in_arabic(agent_data: Path) -> None:
    result = run_scenario("letter_flow", agent_data, SHOTS)
    truth = result["truth"]
    assert result["screens"][:5] == ["attract", "language", "identify", "letter", "checklist"]
    assert result["screens"][-4:] == ["summary", "receipt", "goodbye", "attract"]
    # The number is shown for confirmation and used only after the visitor confirmed it.
    assert result["shown_number"] == truth["number"]
    assert result["number_before_confirm"] is None
    assert result["customer_number"] == truth["number"]
    # Two of three requested items ticked by the documents' recognised types.
    assert truth["requested"] == ["bank_statement", "sick_note", "vehicle_document"]
    assert result["ticks"] == [1, 2]
    assert result["items"] == [["bank_statement", True], ["sick_note", True],
                               ["vehicle_document", False]]
    assert result["missing"] == ["vehicle_document"]
    assert result["receipt_missing"] == ["vehicle_document"]  # said on screen as well
    # The checklist works from the keypad, and F1 reads it in the visitor's language.
    assert [result["keypad_tick"], result["keypad_untick"]] == ["manual", None]
    assert translate("ar", "What your letter asks for") in result["spoken_checklist"]
    assert translate("ar", "Sick note") in result["spoken_checklist"]
    assert translate("ar", "Your letter also asks for:") in result["summary_spoken"]
    assert result["printed"] is True and not result["letter_after"]
    assert result["problems"] == {}  # nothing clipped, targets large, also at 200 %

    # The receipt, drawn from the exact bytes the printer got.
    receipts = sorted((agent_data / "receipts").glob("receipt-*.bin"),
                      key=lambda p: int(p.stem.split("-")[1]))
    rendered = EscPosRenderer(512).render(receipts[-1].read_bytes())
    assert rendered.unknown == [] and rendered.cuts == 1
    assert len(rendered.qr_payloads) == 1
    assert "Fahrzeugschein" not in rendered.qr_payloads[0]  # the signed payload: documents only
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = SHOTS / "receipt-rendered.png"
    rendered.image.save(image)
    german = _ocr(image, "deu")
    deadline = "28.02.2027"
    assert truth["deadline"] == "2027-02-28"
    for text in ("Angefordert und abgegeben", "Angefordert und noch fehlend",
                 "Kontoauszüge der letzten drei Monate", "Arbeitsunfähigkeitsbescheinigung",
                 "Fahrzeugschein", f"Frist: {deadline}"):
        assert _found(text, german) >= 0.85, (text, german)
    assert deadline in german
    arabic = _ocr(image, "ara")
    for msgid in ("Asked for and handed in", "Asked for and still missing", "Deadline",
                  "Vehicle registration papers", "Sick note"):
        assert _found(translate("ar", msgid), arabic) >= 0.8, (msgid, arabic)

    # The job centre filed the confirmed facts with each document.
    rows = _stored_notes(agent_data, 2)
    notes = [e for row in rows for e in row["note_extensions"]
             if e["kind"] == "letter_checklist"]
    assert len(notes) == 2
    assert {tuple(n["data"]["answers"]) for n in notes} == {("item-1",), ("item-2",)}
    assert all(n["data"]["deadline"] == "2027-02-28" and len(n["data"]["items"]) == 3
               for n in notes)
