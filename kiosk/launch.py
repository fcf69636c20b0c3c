"""Start the Kivy app for real (``kiosk run``) or headlessly for one screenshot.

No Kivy import at module level: the environment must be prepared before Kivy loads, and
the other subcommands must not need a display.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
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
#: the agent child's pid, handed to the UI's next image when it restarts itself (development)
AGENT_PID_ENV = "KIOSK_AGENT_CHILD_PID"


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
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
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
    """Run the touchscreen terminal until it is closed (window mode) or stopped."""
    display = config.display
    prepare_kivy_environment(headless=False, mode=display.mode,
                             size=(display.width_px, display.height_px))
    from kiosk.app import KioskApp
    from kiosk.controllers.gate import UI_RESTART_EXIT_CODE
    from kiosk.logfiles import attach_log_file
    from kiosk.screens.base import post_to_ui
    from kiosk.services import build_services

    attach_log_file(config.resolved_data_dir, "ui")  # for the fleet's collect_logs
    services = build_services(config, post_to_ui=post_to_ui)
    session = Session(config, time.monotonic, services.data_dir / "session")
    agent = start_agent_if_needed(config, config_path)
    inherited = os.environ.pop(AGENT_PID_ENV, "")
    app = KioskApp(session, services)
    restart = False
    try:
        app.run()
        restart = app.exit_code == UI_RESTART_EXIT_CODE
    finally:
        session.wipe()
        services.close()
        if not (restart and not os.environ.get("INVOCATION_ID")):
            stop_agent(agent)
            stop_agent_pid(inherited)
    if restart and not os.environ.get("INVOCATION_ID"):
        restart_ui(agent.pid if agent is not None else inherited)
    return app.exit_code


def restart_ui(agent_pid: int | str) -> None:
    """Development: start the UI again in this process (the agent child keeps running).

    Under systemd (``INVOCATION_ID`` set) the UI just exits with ``UI_RESTART_EXIT_CODE``
    and ``Restart=always`` starts it again.
    """
    log.info("the UI restarts between visitors")
    if agent_pid:
        os.environ[AGENT_PID_ENV] = str(agent_pid)
    os.execv(sys.executable, [sys.executable, "-m", "kiosk.cli", *sys.argv[1:]])


def stop_agent_pid(pid: str) -> None:
    """Stop the agent child a previous image of this process started (before a restart)."""
    if not pid.isdigit():
        return
    try:
        os.kill(int(pid), signal.SIGTERM)
        for _ in range(100):
            if os.waitpid(int(pid), os.WNOHANG)[0]:
                return
            time.sleep(0.1)
        os.kill(int(pid), signal.SIGKILL)
        os.waitpid(int(pid), 0)
    except (ProcessLookupError, ChildProcessError):
        return


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
