"""``kiosk agent``: run the background agent until SIGTERM/SIGINT.

``kiosk/cli.py`` registers ``add_agent_arguments`` / ``run_agent``; ``python -m kiosk.agent
--data DIR`` runs it without the UI package (tests, systemd on a dev box).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from foundation.errors import AgentAlreadyRunning

if TYPE_CHECKING:
    from config.model import KioskConfig

log = logging.getLogger(__name__)


def add_agent_arguments(parser: argparse.ArgumentParser) -> None:
    """``agent`` has no options of its own (``--config`` / ``--data`` are global)."""
    parser.add_argument("--print-socket", action="store_true",
                        help="print the socket path once the agent is ready")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="json: one JSON object per log line (no personal data)")


def run_agent(args: argparse.Namespace, config: KioskConfig) -> int:
    """Run the agent in the foreground; SIGTERM or SIGINT stop it cleanly (exit 0).

    After an app update switched ``<root>/current`` it exits with 75 (``kiosk.updates.apply.
    RESTART_EXIT_CODE``) so systemd or ``kiosk supervise`` starts the new version.
    """
    from kiosk.agent.runner import Agent  # the agent, its server and drivers: only when run
    from kiosk.logfiles import attach_log_file

    if getattr(args, "log_format", "text") == "json":
        from foundation.jsonlog import configure

        configure("json")
    attach_log_file(config.resolved_data_dir, "agent")  # for collect_logs (and technicians)
    # the agent puts the fleet layer over the base itself (and over it again on a new push)
    agent = Agent(getattr(args, "base_config", config), config.resolved_data_dir)

    def _stop(signum: int, frame: FrameType | None) -> None:
        agent.request_stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            agent.start()
        except AgentAlreadyRunning as exc:
            print(f"agent: {exc}", file=sys.stderr)
            return 1
        if getattr(args, "print_socket", False):
            print(f"ready {agent.socket_path}", flush=True)
        while not agent.stop_event.wait(1.0):
            pass
        return agent.exit_code
    finally:
        agent.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m kiosk.agent --data DIR [--remote URL]``."""
    from config.model import KioskConfig

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m kiosk.agent")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--remote", action="store_true",
                        help="use the enrolled server instead of the embedded backend")
    add_agent_arguments(parser)
    args = parser.parse_args(argv)
    backend = {"mode": "remote", "url": "https://enrolled.invalid"} if args.remote else {}
    config = KioskConfig.model_validate({"data_dir": args.data, "backend": backend})
    return run_agent(args, config)
