"""``kiosk doctor``: run every health check once and print it in plain words.

The checks themselves live in :mod:`kiosk.health` (the agent reports the same ones). Every
line is OK, FAILED, or WARN (a finding that degrades the kiosk without stopping it, such as
no audio device), with a reason a technician can act on ("No printer at /dev/ttyUSB0: check
the USB cable and power"). ``--json`` gives the same report for the fleet service.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from config.model import KioskConfig
from kiosk import health
from kiosk.health import Health


@dataclass(frozen=True)
class Report:
    """All checks of one run."""

    kiosk_id: str
    checks: list[Health] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no required check failed."""
        return all(c.passed for c in self.checks)


def run_checks(config: KioskConfig) -> Report:
    """Run every check for the configured devices and backend."""
    from scanning.samples import sample_photos

    devices = health.check_devices(config, config.resolved_data_dir / "receipts", sample_photos)
    return Report(kiosk_id=config.identity.kiosk_id, checks=[
        *devices, health.check_tesseract(), health.check_backend(config),
        health.check_enrollment(config),
    ])


def _verdict(check: Health) -> str:
    if check.ok:
        return "OK    "
    return "FAILED" if check.required else "WARN  "


def print_report(report: Report, *, as_json: bool) -> None:
    """Print the report as text lines or JSON."""
    if as_json:
        print(json.dumps({"kiosk_id": report.kiosk_id, "ok": report.ok,
                          "checks": [asdict(c) for c in report.checks]}, indent=2))
        return
    width = max(len(c.name) for c in report.checks)
    for c in report.checks:
        print(f"{_verdict(c)}  {c.name.ljust(width)}  {c.detail}")
    if not report.ok:
        print("some checks FAILED (see above)")
    elif all(c.ok for c in report.checks):
        print("all checks passed")
    else:
        print("the kiosk works, but some features are degraded (see WARN above)")
