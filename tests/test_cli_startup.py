"""Each ``kiosk`` subcommand imports only what it needs (checked in a fresh interpreter).

Not a timing test: it asserts which modules a command loads, which is what makes it fast.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import SHORT_LIVED_GC_THRESHOLD, SUBCOMMANDS, build_parser, runner_for
from tests.scanning.conftest import corpus_case
from tests.scanning.test_cli import KEYS

ROOT = Path(__file__).resolve().parents[1]

# run the console entry point, then report the JSON it printed and the modules it loaded
_PROBE = """
import contextlib, io, json, sys
from kiosk.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        status = main(sys.argv[1:])
    except SystemExit as exc:
        status = exc.code
print(json.dumps({"status": status, "output": out.getvalue(), "modules": sorted(sys.modules)}))
"""

NEVER_FOR_CHECK_IMAGE = ("escpos", "fastapi", "uvicorn", "kivy", "kiosk.agent", "jobcentre",
                         "httpx", "pikepdf", "qrcode", "kiosk.delivery", "scanning.pdf")


def _probe(*argv: str) -> tuple[int, str, set[str]]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                          text=True, cwd=ROOT, timeout=240, check=True)
    report = json.loads(done.stdout.splitlines()[-1])
    return report["status"], report["output"], set(report["modules"])


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    prefixes = tuple(p + "." for p in packages)
    return sorted(m for m in modules if m in packages or m.startswith(prefixes))


@pytest.mark.slow
def test_check_image_loads_only_the_scanning_pipeline(tmp_path: Path) -> None:
    photo = tmp_path / "page.jpg"
    photo.write_bytes(corpus_case("good", 380).jpeg)
    status, output, modules = _probe("check-image", "--json", "--data", str(tmp_path), str(photo))
    assert status == 0
    assert _loaded(modules, NEVER_FOR_CHECK_IMAGE) == []
    records = json.loads(output)
    assert len(records) == 1 and set(records[0]) == KEYS
    assert records[0]["verdict"] == "accept" and records[0]["language"] == "de"
    assert set(records[0]["scores"]) >= {"page_confidence", "blur_px", "ocr_confidence"}


def test_help_loads_no_subcommand_code() -> None:
    status, output, modules = _probe("--help")
    assert status == 0 and "check-image" in output and "outbox" in output
    assert _loaded(modules, ("pydantic", "numpy", "scanning", "kiosk.delivery", "kiosk.agent",
                             "device_drivers", "escpos")) == []


def test_outbox_needs_neither_the_printer_nor_the_network(tmp_path: Path) -> None:
    status, output, modules = _probe("outbox", "--json", "--data", str(tmp_path))
    assert status == 0 and json.loads(output)["counts"]["stored"] == 0
    assert _loaded(modules, ("escpos", "qrcode", "httpx", "pikepdf", "numpy", "cv2",
                             "kiosk.agent", "jobcentre", "fastapi", "kivy")) == []


def test_every_subcommand_resolves() -> None:
    parser = build_parser()  # every subcommand's arguments
    assert parser.parse_args(["outbox", "--json"]).json
    assert parser.parse_args(["check-image", "a.jpg"]).paths == [Path("a.jpg")]
    for name in SUBCOMMANDS:
        assert callable(runner_for(name))


# an exit handler registered before main() runs after main()'s own ones: it sees their work
_GC_PROBE = """
import atexit, gc, sys
from kiosk.cli import main
atexit.register(lambda: print("frozen" if gc.get_freeze_count() else "not frozen",
                              gc.get_threshold()[0]))
how = sys.argv.pop(1)
main(None if how == "console" else sys.argv[1:])
"""


@pytest.mark.parametrize(("how", "command", "expected"), [
    ("console", "outbox", f"frozen {gc.get_threshold()[0]}"),
    ("console", "check-image", f"frozen {SHORT_LIVED_GC_THRESHOLD}"),
    ("call", "check-image", f"not frozen {gc.get_threshold()[0]}"),
])
def test_the_console_script_spares_short_lived_commands_garbage_collections(
    how: str, command: str, expected: str
) -> None:
    # as the console script (argv from the command line) the process ends right after main:
    # objects are frozen so the interpreter's last collections do not walk them, and a
    # short-lived command collects young objects rarely; a caller passing argv (tests,
    # other tools) keeps the garbage collector as it was
    done = subprocess.run([sys.executable, "-c", _GC_PROBE, how, command, "--help"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-1000:]
    assert done.stdout.splitlines()[-1] == expected
