"""``kiosk doctor``: check each configured device and the backend, in plain words.

Every check returns OK or FAILED with a reason a technician can act on ("No printer at
/dev/ttyUSB0: check the USB cable and power"). ``--json`` gives the same report for the
fleet service. Checks never hang: each device and network call has its own timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import httpx

from config.model import KioskConfig

TESSERACT_LANGS = ("deu", "eng", "ukr", "rus", "ara", "tur", "fas")
MIN_FREE_MB = 500


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Report:
    """All checks of one run."""

    kiosk_id: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return all(c.ok for c in self.checks)


def _guard(name: str, check: Callable[[], tuple[bool, str]]) -> Check:
    try:
        ok, detail = check()
    except Exception as exc:  # noqa: BLE001 - a broken driver is a FAILED line, not a crash
        return Check(name, False, f"check crashed: {type(exc).__name__}: {exc}")
    return Check(name, ok, detail)


def check_data_dir(config: KioskConfig) -> tuple[bool, str]:
    """The state directory exists (or can be made), is writable and has free space."""
    path = config.resolved_data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return False, f"cannot create {path}: {exc.strerror}; set data_dir or --data"
    if not os.access(path, os.W_OK):
        return False, f"{path} is not writable by this user; fix its owner or permissions"
    free_mb = shutil.disk_usage(path).free // 1_000_000
    if free_mb < MIN_FREE_MB:
        return False, f"only {free_mb} MB free on {path}; at least {MIN_FREE_MB} MB are needed"
    return True, f"{path} writable, {free_mb} MB free"


def check_tesseract() -> tuple[bool, str]:
    """Tesseract is installed with the visitors' languages."""
    exe = shutil.which("tesseract")
    if exe is None:
        return False, "tesseract not found: apt-get install tesseract-ocr"
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False, "tesseract --list-langs did not answer within 10 s"
    have = set(out.stdout.split())
    missing = [lang for lang in TESSERACT_LANGS if lang not in have]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m}" for m in missing)
        return False, f"language packs missing: {', '.join(missing)}; apt-get install {packages}"
    return True, f"tesseract with {', '.join(TESSERACT_LANGS)}"


def _health(url: str, timeout_s: float) -> tuple[bool, str]:
    health = f"{url.rstrip('/')}/api/v1/health"
    try:
        response = httpx.get(health, timeout=timeout_s)
    except httpx.TimeoutException:
        return False, f"{health} did not answer within {timeout_s:.0f} s"
    except httpx.HTTPError as exc:
        return False, (f"cannot reach {health} ({type(exc).__name__}); check the network "
                       "cable, the proxy and backend.url")
    if response.status_code != 200:
        return False, f"{health} answered HTTP {response.status_code}; tell the job centre's IT"
    return True, f"{url} answers"


def check_backend(config: KioskConfig) -> tuple[bool, str]:
    """The intake service this kiosk sends to answers (documents wait safely if not)."""
    from kiosk.delivery.identity import load_identity

    backend = config.backend
    timeout = min(backend.timeout_s, 5.0)
    identity = load_identity(config.resolved_data_dir)
    if backend.mode == "remote":
        return _health(backend.url or "", timeout)
    if identity is None:
        return True, ("embedded intake service; the kiosk agent starts it and enrolls at its "
                      "first start")
    ok, detail = _health(identity.server_url, timeout)
    if not ok:
        detail += ("; with the embedded service, is the kiosk agent running? "
                   "(`systemctl start kiosk-agent` or `kiosk agent`)")
    return ok, detail


def check_enrollment(config: KioskConfig) -> tuple[bool, str]:
    """The kiosk holds its identity (certificate) from enrollment."""
    from kiosk.delivery.identity import load_identity

    identity = load_identity(config.resolved_data_dir)
    if identity is not None:
        return True, f"enrolled as {identity.kiosk_id}"
    if config.backend.mode == "embedded":
        return True, "not enrolled yet; the agent enrolls with the embedded service by itself"
    return False, "not enrolled: run `kiosk enroll --server URL --code CODE` (code from IT)"


def run_checks(config: KioskConfig) -> Report:
    """Run every check for the configured devices and backend."""
    from device_drivers.camera import create_camera
    from device_drivers.printer.factory import make_printer
    from scanning.samples import sample_photos

    devices = config.devices
    report = Report(kiosk_id=config.identity.kiosk_id)
    checks = report.checks
    checks.append(_guard("data directory", lambda: check_data_dir(config)))
    checks.append(_guard("tesseract", check_tesseract))
    camera = create_camera(devices.camera, sample_photos)
    checks.append(_guard(f"camera ({devices.camera.driver})", camera.check))
    if devices.scanner.driver != "none":
        from device_drivers.scanner import create_scanner

        scanner = create_scanner(devices.scanner)
        if scanner is not None:
            checks.append(_guard(f"scanner ({devices.scanner.driver})", scanner.check))
    receipts = config.resolved_data_dir / "receipts"
    printer = make_printer(devices.printer, receipts)
    checks.append(_guard(f"printer ({devices.printer.driver})", printer.check))
    if devices.card_reader.driver != "none":
        checks.append(Check("card reader (pcsc)", False,
                            "staff card readers arrive with helper mode; set driver = 'none'"))
    checks.append(_guard(f"backend ({config.backend.mode})", lambda: check_backend(config)))
    checks.append(_guard("enrollment", lambda: check_enrollment(config)))
    return report


def print_report(report: Report, *, as_json: bool) -> None:
    """Print the report as text lines or JSON."""
    if as_json:
        print(json.dumps({"kiosk_id": report.kiosk_id, "ok": report.ok,
                          "checks": [asdict(c) for c in report.checks]}, indent=2))
        return
    width = max(len(c.name) for c in report.checks)
    for c in report.checks:
        print(f"{'OK    ' if c.ok else 'FAILED'}  {c.name.ljust(width)}  {c.detail}")
    print("all checks passed" if report.ok else "some checks FAILED (see above)")

