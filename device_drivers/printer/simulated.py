"""A scripted receipt printer for development, tests and demos; it never acts on a timer.

Feed it a queue of states and faults; each public call (``status``, ``print_layout``,
``check``) takes the next entry, and with an empty queue the printer is fine. It encodes
layouts with the real encoder, records the exact bytes (``output``, ``jobs``), and writes
each job as ``<out_dir>/receipt-<n>.bin`` plus ``receipt-<n>.png`` drawn by the ESC/POS
interpreter, so a reviewer can read the receipt (``n`` continues after existing files).
Faults raise exactly what the real driver raises, and on a simulated one-way link the
result is honestly unconfirmed.

    printer = SimulatedPrinter(tmp_path, script=["out_of_paper"])
    printer.print_layout(layout)   # raises PrinterOutOfPaper, nothing recorded
    printer.print_layout(layout)   # prints: receipt-1.bin / receipt-1.png

Across processes (the agent's health check, a test driving it), the state can be scripted in
a file: with ``state_file`` given and nothing queued, each call reads the state named there
(``write_state(out_dir, "out_of_paper")``; a missing file means ``ok``). It changes only when
someone writes the file, never on a timer.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, cast, get_args

from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.escpos_printer import UNCONFIRMED_NOTE, status_advice
from device_drivers.printer.escpos_render import EscPosRenderer
from device_drivers.printer.layout import ReceiptLayout
from device_drivers.printer.protocol import PrinterStatus, PrintResult
from device_drivers.printer.status import raise_for_status
from foundation.errors import DeviceError, DeviceTimeout, DeviceUnavailable, PrinterOutOfPaper

log = logging.getLogger(__name__)

SimFault = Literal[
    "ok", "near_end", "out_of_paper", "cover_open", "offline", "error",
    "unplugged", "timeout", "paper_runs_out",
]
ScriptEntry = SimFault | PrinterStatus

WHERE = "simulated printer"
#: the file in the printer's folder that scripts its state across processes
STATE_FILE = "printer-state"
_STATES: dict[str, PrinterStatus] = {
    "ok": PrinterStatus(online=True, paper="ok", cover_open=False),
    "near_end": PrinterStatus(online=True, paper="near_end", cover_open=False),
    "out_of_paper": PrinterStatus(online=False, paper="out", cover_open=False),
    "cover_open": PrinterStatus(online=False, paper="ok", cover_open=True),
    "offline": PrinterStatus(online=False, paper="ok", cover_open=False),
    "error": PrinterStatus(online=False, paper="ok", cover_open=False,
                           error="autocutter error: open the cover and free the cutter"),
    "paper_runs_out": PrinterStatus(online=True, paper="near_end", cover_open=False),
}


class SimulatedPrinter:
    """A :class:`~device_drivers.printer.protocol.ReceiptPrinter` that records and renders."""

    def __init__(
        self,
        out_dir: Path,
        script: Iterable[ScriptEntry] = (),
        *,
        encoder: EscPosEncoder | None = None,
        bidirectional: bool = True,
        render_png: bool = True,
        state_file: Path | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.state_file = state_file
        self.encoder = encoder or EscPosEncoder()
        self.bidirectional = bidirectional
        self.render_png = render_png
        self._script: deque[ScriptEntry] = deque()
        self.queue(*script)
        self.jobs: list[bytes] = []
        self.files: list[Path] = []
        # continue numbering after files from an earlier run instead of overwriting them
        existing = [p.stem.removeprefix("receipt-") for p in self.out_dir.glob("receipt-*.bin")]
        self._last_number = max((int(n) for n in existing if n.isdigit()), default=0)

    @property
    def where(self) -> str:
        """Always the simulated printer."""
        return WHERE

    def queue(self, *entries: ScriptEntry) -> None:
        """Append states/faults for the next calls, one per call."""
        for entry in entries:
            if not isinstance(entry, PrinterStatus) and entry not in get_args(SimFault):
                raise ValueError(f"unknown simulated printer fault: {entry!r}")
            self._script.append(entry)

    @property
    def output(self) -> bytes:
        """The exact ESC/POS bytes of the last job (empty before the first)."""
        return self.jobs[-1] if self.jobs else b""

    def _next(self) -> tuple[str, PrinterStatus]:
        entry = self._script.popleft() if self._script else self._file_state()
        if isinstance(entry, PrinterStatus):
            return "status", entry
        if entry == "unplugged":
            raise DeviceUnavailable(f"No printer at {WHERE}: check the USB cable and power")
        if entry == "timeout":
            raise DeviceTimeout(f"Printer at {WHERE} did not answer a status query")
        if not self.bidirectional:
            return entry, PrinterStatus.unreported()
        return entry, _STATES[entry]

    def _file_state(self) -> ScriptEntry:
        if self.state_file is None:
            return "ok"
        try:
            text = self.state_file.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return "ok"
        if text not in get_args(SimFault):
            log.warning("ignoring unknown simulated printer state in %s", self.state_file.name)
            return "ok"
        return cast(SimFault, text)

    def status(self) -> PrinterStatus:
        """The next scripted status (or raise the next scripted fault)."""
        return self._next()[1]

    def print_layout(self, layout: ReceiptLayout) -> PrintResult:
        """Encode, apply the next scripted state, record and render the job."""
        data = self.encoder.encode(layout)
        kind, before = self._next()
        raise_for_status(before, WHERE)
        number = self._record(data)
        if not self.bidirectional:
            return PrintResult(False, len(data), before, None, UNCONFIRMED_NOTE, number)
        if kind == "paper_runs_out":
            raise PrinterOutOfPaper(
                f"Printer at {WHERE} ran out of paper while printing: the receipt is probably "
                "incomplete; insert a new roll and print it again"
            )
        note = "printed; the printer confirmed it"
        if before.paper == "near_end":
            note += "; the paper roll is nearly empty"
        return PrintResult(True, len(data), before, before, note, number)

    def check(self) -> tuple[bool, str]:
        """Health check from the next scripted state."""
        try:
            status = self.status()
        except DeviceError as exc:
            return False, str(exc)
        return status_advice(status, WHERE)

    def describe(self) -> dict[str, object]:
        """Driver facts for the fleet view."""
        return {"driver": "simulated", "out_dir": str(self.out_dir),
                "bidirectional": self.bidirectional, **self.encoder.describe()}

    def _record(self, data: bytes) -> int:
        self.jobs.append(data)
        self._last_number += 1
        number = self._last_number
        self.out_dir.mkdir(parents=True, exist_ok=True)
        bin_path = self.out_dir / f"receipt-{number}.bin"
        bin_path.write_bytes(data)
        self.files.append(bin_path)
        if self.render_png:
            png_path = self.out_dir / f"receipt-{number}.png"
            renderer = EscPosRenderer(self.encoder.paper_width_px, self.encoder.profile)
            renderer.render(data).image.save(png_path)
            self.files.append(png_path)
        log.info("simulated receipt job %d recorded (%d bytes)", number, len(data))
        return number


def write_state(out_dir: Path, state: SimFault) -> None:
    """Script the state of every simulated printer on ``out_dir`` (atomically)."""
    if state not in get_args(SimFault):
        raise ValueError(f"unknown simulated printer fault: {state!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(state + "\n", encoding="ascii")
    tmp.replace(out_dir / STATE_FILE)
