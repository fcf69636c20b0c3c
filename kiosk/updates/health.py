"""The health check an update must pass in its new environment (``kiosk update check``).

It runs as a process of the new environment (``<env>/bin/kiosk update check --json``), so
it proves the installed version starts at all: it imports the agent, the services the UI
builds and the controllers, loads the configuration, and runs ``kiosk doctor``'s passive
checks (disk, devices without opening the camera or playing a sound, Tesseract, enrollment).
It prints ``{"version", "ok", "failed": [keys of failed required checks]}``. The caller
judges the result against the checks that already failed before the switch: a printer out
of paper is not the update's fault.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config.model import KioskConfig
from wire.update_manifest import APP

CHECK_TIMEOUT_S = 120.0
#: what must import in a working release (the UI's Kivy modules load only with a display)
SMOKE_MODULES = ("kiosk.agent.runner", "kiosk.services", "kiosk.controllers.submit",
                 "kiosk.session.session", "kiosk.delivery.uploader", "scanning.judge")


def app_version() -> str:
    """The version of the app this process runs (``unknown`` outside an installed app)."""
    try:
        return importlib.metadata.version(APP)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def run_update_check(config: KioskConfig) -> dict[str, object]:
    """Imports, configuration and passive health checks of this process's version."""
    from kiosk import health
    from scanning.samples import sample_photos

    failed: list[str] = []
    for module in SMOKE_MODULES:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - any import failure means the release is broken
            failed.append(f"import:{module}")
    checks = [*health.check_devices(config, config.resolved_data_dir / "printer-sim",
                                    sample_photos, passive=True),
              health.check_tesseract(), health.check_enrollment(config)]
    failed += [c.key for c in checks if not c.passed]
    return {"version": app_version(), "ok": not failed, "failed": failed}


@dataclass(frozen=True)
class CheckResult:
    """What the new environment's check said (``version`` empty when it did not answer)."""

    version: str
    failed: tuple[str, ...]
    error: str = ""


def check_environment(kiosk: Path, args: Sequence[str],
                      timeout_s: float = CHECK_TIMEOUT_S) -> CheckResult:
    """Run ``<kiosk> update check --json ARGS`` and read its answer."""
    try:
        done = subprocess.run([str(kiosk), "update", "check", "--json", *args],
                              capture_output=True, text=True, timeout=timeout_s, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return CheckResult("", (), "health_check_timeout")
    except OSError:
        return CheckResult("", (), "health_check_not_runnable")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        return CheckResult(str(answer["version"]), tuple(str(k) for k in answer["failed"]))
    except (ValueError, KeyError, IndexError, TypeError):
        return CheckResult("", (), "health_check_crashed")
