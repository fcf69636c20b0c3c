"""``kiosk update status|check|guard|base-pins|apply`` and ``kiosk supervise``.

* ``status``: the layout this ``kiosk`` runs from, the active environment, the running app
  version and the last update's state (JSON).
* ``check [--json]``: the health check an update must pass (``kiosk.updates.health``); exit
  1 when a required check fails.
* ``guard``: before an agent start (systemd ``ExecStartPre``), roll back a trial whose new
  agent keeps failing (``kiosk.updates.trial.run_guard``).
* ``base-pins``: the base's ``name==version`` list, for ``kiosk-server update add --base-pins``.
* ``apply FILE``: hand a signed ``app_update`` bundle to the running agent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.model import KioskConfig
    from kiosk.updates.layout import Layout

AGENT_TIMEOUT_S = 30.0


def add_update_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``kiosk update``."""
    parser.add_argument("action", choices=("status", "check", "guard", "base-pins", "apply"))
    parser.add_argument("file", nargs="?", type=Path, help="the bundle file (apply)")
    parser.add_argument("--json", action="store_true", help="machine-readable (check)")


def _layout(action: str) -> Layout | None:
    from kiosk.updates.layout import Layout

    layout = Layout.of_running()
    if layout is None:
        print(f"kiosk update {action}: this kiosk does not run from an A/B layout "
              "(<root>/envs/a|b over <root>/base)", file=sys.stderr)
    return layout


def run_update(args: argparse.Namespace, config: KioskConfig) -> int:
    """Run ``kiosk update ACTION``."""
    if args.action == "check":
        from kiosk.updates.health import run_update_check

        answer = run_update_check(config)
        print(json.dumps(answer) if args.json else
              f"version {answer['version']}: " + ("OK" if answer["ok"] else
                                                   f"FAILED {answer['failed']}"))
        return 0 if answer["ok"] else 1
    if args.action == "apply":
        return _apply(args, config)
    layout = _layout(args.action)
    if layout is None:
        return 2
    if args.action == "guard":
        from kiosk.updates.trial import run_guard

        state = run_guard(layout)
        print(state.state if state else "no update")
        return 0
    if args.action == "base-pins":
        pins = layout.base_pins()
        print("\n".join(f"{name}=={version}" for name, version in sorted(pins.items())))
        return 0
    from dataclasses import asdict

    from kiosk.updates.health import app_version
    from kiosk.updates.state import load_state

    state = load_state(layout.state_file)
    print(json.dumps({"root": str(layout.root), "active": layout.active(),
                      "running": layout.running_env(), "version": app_version(),
                      "update": asdict(state) if state else None}, indent=2))
    return 0


def _apply(args: argparse.Namespace, config: KioskConfig) -> int:
    from foundation.errors import AgentError
    from kiosk.agent.client import AgentClient
    from wire import codec

    if args.file is None:
        print("kiosk update apply: name the bundle file", file=sys.stderr)
        return 2
    raw = args.file.read_bytes()
    client = AgentClient(config.resolved_data_dir / "agent.sock", timeout_s=AGENT_TIMEOUT_S)
    try:
        answer = client.call("update_apply", bundle=codec.b64u_encode(raw))
    except AgentError as exc:
        print(f"kiosk update apply: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer))
    return 0 if answer.get("ok") else 1


def add_supervise_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``kiosk supervise``."""
    parser.add_argument("--ui", action="store_true", help="also run the touchscreen UI")
    parser.add_argument("--restart-delay", type=float, default=1.0, metavar="S",
                        help="wait before starting an ended child again (default 1 s)")


def run_supervise(args: argparse.Namespace, config: KioskConfig) -> int:
    """Run ``kiosk supervise``."""
    from kiosk.updates.supervise import supervise

    layout = _layout("supervise")
    if layout is None:
        return 2
    return supervise(layout, ["--data", str(config.resolved_data_dir)], ui=args.ui,
                     restart_delay_s=args.restart_delay, config=args.config)
