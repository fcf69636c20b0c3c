"""Apply an ``app_update`` bundle: fetch, check, install beside, switch between sessions.

``apply_update(agent, bundle)`` is the applier the fleet bundle router calls for the kind
``app_update`` (and the local ``update_apply`` command, for an update brought on a stick):

1. the manifest (``wire.update_manifest``) must name this interpreter and this kiosk's base
   (``python_mismatch``, ``base_mismatch``), and a version other than the running one;
2. every wheel is downloaded and checked against its signed size and SHA-256 before
   anything installs (``kiosk.updates.download``; ``hash_mismatch``);
3. the inactive environment is rebuilt and the wheels installed into it with
   ``pip install --no-index --no-deps`` (timeout; the running environment is never touched),
   and asked for its version (``install_failed``);
4. the switch waits on the visitor gate (``agent.gate.between_sessions``): no new visitor from
   then on, nobody in a session when it runs. It records the trial (``kiosk.updates.state``),
   points ``current`` at the new environment, lets a UI restart from it, and stops the agent
   with ``RESTART_EXIT_CODE`` (75): systemd (``Restart=always``) or ``kiosk supervise``
   starts ``<root>/current/bin/kiosk agent`` again, now the new version, which runs the health
   check and confirms or rolls back (``kiosk.updates.trial``).

Every failure before the switch is ``BundleOutcome("refused", code)``; nothing changed then.
After the switch the answer is ``applied`` with reason ``switched``: the final word
(``applied`` after the health check, or ``rolled_back`` + reason) is reported by the next
agent process through ``POST /api/v1/fleet/bundle-report``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from foundation.errors import KioskError, UpdateFailed
from kiosk.agent.fleet.outcome import BundleOutcome
from kiosk.updates.download import download_update
from kiosk.updates.health import app_version, check_environment
from kiosk.updates.layout import Layout
from kiosk.updates.state import UpdateState, save_state
from wire.bundle import Bundle
from wire.update_manifest import UpdateManifest, base_fingerprint, python_tag

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

log = logging.getLogger(__name__)

RESTART_EXIT_CODE = 75
PIP_TIMEOUT_S = 600.0
VERSION_TIMEOUT_S = 60.0
#: how long the new version has to prove itself after the switch
TRIAL_S = 300.0
#: how long the switch waits for a running UI to go (it restarts from ``current``)
UI_RESTART_WAIT_S = 15.0
_VERSION_SCRIPT = ("import importlib.metadata as m; "
                   "print(m.version('jobcenter-kiosk'))")


def install_into(layout: Layout, env_name: str, wheels: Sequence[Path]) -> Path:
    """Rebuild ``envs/<env_name>`` and install ``wheels`` into it; returns the env."""
    env = layout.fresh_env(env_name)
    python = env / "bin" / "python"
    folder = wheels[0].parent
    command = [str(python), "-I", "-m", "pip", "install", "--no-index", "--no-deps",
               "--disable-pip-version-check", "--no-warn-script-location",
               "--find-links", str(folder), *(str(w) for w in wheels)]
    environ = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PYTHONNOUSERSITE": "1"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=environ,
                              stdin=subprocess.DEVNULL, timeout=PIP_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UpdateFailed(f"pip failed: {type(exc).__name__}", code="install_failed") from exc
    if done.returncode != 0:
        log.error("pip install into %s failed: %s", env_name, done.stderr[-500:])
        raise UpdateFailed("pip install failed", code="install_failed")
    return env


def installed_version(env: Path) -> str:
    """The app version an environment holds, asked of its own interpreter."""
    try:
        done = subprocess.run([str(env / "bin" / "python"), "-I", "-c", _VERSION_SCRIPT],
                              capture_output=True, text=True, timeout=VERSION_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UpdateFailed("the new environment does not run", code="install_failed") from exc
    if done.returncode != 0:
        raise UpdateFailed("the new environment does not run", code="install_failed")
    return done.stdout.strip()


def prepare(agent: Agent, layout: Layout, manifest: UpdateManifest) -> tuple[str, tuple[str, ...]]:
    """Check, download and install ``manifest`` beside the running env.

    Returns the environment it went into and the required checks that fail already now
    (the same check the new version must pass, run from the running version).
    """
    if manifest.python != python_tag():
        raise UpdateFailed(f"built for {manifest.python}", code="python_mismatch")
    if manifest.app_version == app_version():
        raise UpdateFailed("this version is running already", code="already_running")
    if base_fingerprint(layout.base_pins()) != manifest.base:
        raise UpdateFailed("the update expects another base", code="base_mismatch")
    client = agent._open_live_client(agent.config.backend.timeout_s)
    try:
        files = download_update(client, manifest, layout.downloads(manifest.app_version),
                                agent.stop_event.is_set)
    finally:
        client.close()
    target = layout.inactive()
    env = install_into(layout, target, files)
    if installed_version(env) != manifest.app_version:
        raise UpdateFailed("the new environment holds another version", code="install_failed")
    before = check_environment(Path(sys.prefix) / "bin" / "kiosk",
                               ["--data", str(agent.data_dir)])
    return target, before.failed


def switch(agent: Agent, layout: Layout, manifest: UpdateManifest, bundle_version: int,
           target: str, failing: tuple[str, ...]) -> None:
    """Between sessions: record the trial, point ``current`` at ``target``, restart all."""
    gate = agent.gate
    gate.close("update")  # stays shut: this process ends, the next one decides
    now = time.time()
    state = UpdateState("trial", manifest.app_version, bundle_version, layout.active(),
                        target, now, now + TRIAL_S, ui_expected=gate.ui_present,
                        failing_before=failing)
    save_state(layout.state_file, state)
    layout.switch_to(target)
    log.info("switched to app version %s (environment %s); restarting",
             manifest.app_version, target)
    if state.ui_expected:  # the UI restarts between visitors, from ``current``
        gate.request_restart()
        deadline = time.monotonic() + UI_RESTART_WAIT_S
        while gate.ui_present and time.monotonic() < deadline:
            time.sleep(0.2)
    agent.exit_code = RESTART_EXIT_CODE
    agent.request_stop()


def apply_update(agent: Agent, bundle: Bundle) -> BundleOutcome:
    """Install ``bundle`` beside the running app and switch to it between sessions."""
    layout = Layout.of_running()
    if layout is None:
        return BundleOutcome("refused", "not_ab_layout")
    try:
        manifest = UpdateManifest.model_validate(bundle.payload)
    except ValidationError:
        return BundleOutcome("refused", "malformed_manifest")
    try:
        target, failing = prepare(agent, layout, manifest)
    except KioskError as exc:
        log.warning("app update %s refused (%s)", manifest.app_version, exc.code)
        return BundleOutcome("refused", exc.code)
    job = agent.gate.between_sessions(
        "app_update", lambda: switch(agent, layout, manifest, bundle.version, target, failing))
    while not agent.gate.wait(job, 1.0):
        if agent.stop_event.is_set() and not agent.gate.wait(job, 5.0):
            return BundleOutcome("refused", "stopped")
    if job.error is not None:
        log.error("app update switch failed (%s)", type(job.error).__name__)
        return BundleOutcome("refused", "switch_failed")
    return BundleOutcome("applied", "switched")
