"""Start the Kivy app for real (``kiosk run``) or headlessly for one screenshot.

No Kivy import at module level: the environment must be prepared before Kivy loads, and
the other subcommands must not need a display.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from accessibility.languages import LANGUAGES
from config.model import KioskConfig
from kiosk.kivy_env import prepare_kivy_environment
from kiosk.session.session import Session
from kiosk.session.states import SessionState

log = logging.getLogger(__name__)

SCREEN_NAMES: tuple[str, ...] = tuple(state.value for state in SessionState)


AGENT_START_TIMEOUT_S = 60.0


def start_agent_if_needed(
    config: KioskConfig, config_path: Path | None
) -> subprocess.Popen[str] | None:
    """Start ``kiosk agent`` as a child when none answers (development; systemd in production).

    Does not wait for it: the UI needs the agent only when documents are handed in (the
    delivery service reads the kiosk's identity then), so the first frame is not held up
    by the agent's start and its embedded intake service. A warning is logged if it is
    not ready within ``AGENT_START_TIMEOUT_S``.
    """
    from kiosk.agent.client import AgentClient

    data_dir = config.resolved_data_dir
    if AgentClient(data_dir / "agent.sock", timeout_s=1.0).ping():
        return None
    command = [sys.executable, "-m", "kiosk.cli", "agent", "--data", str(data_dir),
               "--print-socket"]
    if config_path is not None:
        command += ["--config", str(config_path)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    ready = threading.Event()

    def wait_ready() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("ready"):
                ready.set()
                break

    def warn_if_late() -> None:
        if not ready.wait(AGENT_START_TIMEOUT_S):
            log.warning("the kiosk agent did not start; documents stay queued until it runs")

    threading.Thread(target=wait_ready, name="agent-ready", daemon=True).start()
    threading.Thread(target=warn_if_late, name="agent-watch", daemon=True).start()
    return child


def stop_agent(child: subprocess.Popen[str] | None) -> None:
    """Stop an agent this process started (SIGTERM, then kill after 10 s)."""
    if child is None:
        return
    child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=10)


def run_kiosk(config: KioskConfig, config_path: Path | None = None) -> int:
    """Run the touchscreen terminal until it is closed (window mode) or stopped.

    ``kiosk run`` itself is the small host process (``kiosk.ui_host``, no Kivy): it starts
    the agent if none runs (development) and the UI processes, and hands the screen from
    one to the next between visitors. The UI processes it starts run ``run_ui``.
    """
    from kiosk.controllers.recycle import HOSTED_ENV

    if os.environ.get(HOSTED_ENV):
        return run_ui(config)
    from kiosk.ui_host import run_host

    agent = start_agent_if_needed(config, config_path)
    try:
        return run_host(sys.argv[1:])
    finally:
        stop_agent(agent)


def run_ui(config: KioskConfig) -> int:
    """One UI process (started by the ``kiosk run`` host): the window until it closes, the
    agent restarts it (exit code ``UI_RESTART_EXIT_CODE``) or a fresh one takes over."""
    display = config.display
    prepare_kivy_environment(headless=False, mode=display.mode,
                             size=(display.width_px, display.height_px), hidden=True)
    from kiosk.app import KioskApp
    from kiosk.logfiles import attach_log_file
    from kiosk.screens.base import post_to_ui
    from kiosk.services import build_services

    attach_log_file(config.resolved_data_dir, "ui")  # for the fleet's collect_logs
    services = build_services(config, post_to_ui=post_to_ui)
    session = Session(config, time.monotonic, services.data_dir / "session")
    app = KioskApp(session, services)
    try:
        app.run()
    finally:
        session.wipe()
        services.close()
    return int(app.exit_code)


def render_screenshot(
    config: KioskConfig, screen: str, lang: str, font_scale: float, theme_name: str, out: Path
) -> int:
    """Render ``screen`` in ``lang`` to ``out`` (PNG) with sample data, no display needed."""
    if screen not in SCREEN_NAMES:
        print(f"unknown screen {screen!r}; known: {', '.join(SCREEN_NAMES)}", file=sys.stderr)
        return 2
    if lang not in LANGUAGES:
        print(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}", file=sys.stderr)
        return 2
    if not 1.0 <= font_scale <= 2.0:
        print("--font-scale must be between 1.0 and 2.0", file=sys.stderr)
        return 2
    display = config.display
    prepare_kivy_environment(headless=True, mode="window",
                             size=(display.width_px, display.height_px))
    from kiosk.screens.base import post_to_ui
    from kiosk.screens.render import render_one
    from kiosk.services import build_services

    scratch_data = Path(tempfile.mkdtemp(prefix="kiosk-screenshot-"))
    try:
        demo_config = config.model_copy(update={"data_dir": scratch_data})
        from kiosk.agent.embedded import EmbeddedBackend

        backend = EmbeddedBackend(scratch_data)
        backend.start()
        backend.ensure_enrolled(demo_config.identity.kiosk_id, timeout_s=30)
        services = build_services(demo_config, post_to_ui=post_to_ui)
        session = Session(demo_config, time.monotonic, scratch_data / "session")
        try:
            render_one(session, services, screen, lang, font_scale, theme_name, out)
        finally:
            session.wipe()
            services.close()
            backend.stop()
    finally:
        shutil.rmtree(scratch_data, ignore_errors=True)
    print(out)
    return 0
