"""``kiosk-server update add | list``: keep an app update for the fleet.

``add --wheels DIR --base-pins FILE`` stores the release in ``DIR`` (the project's wheel and
its dependencies, e.g. from ``pip wheel . -w DIR``) as an update: only the project's wheel
and the dependencies whose version differs from the kiosks' base (``FILE``: ``name==version``
lines, as printed by ``kiosk update base-pins`` on a kiosk) go into it. It prints the
manifest, the payload of the ``app_update`` bundle a rollout sends. ``list`` prints every
stored update. Problems end with one plain sentence on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wire.update_manifest import parse_pins

WithDb = Callable[[argparse.ArgumentParser], None]


def add_parsers(sub: Any, with_db: WithDb) -> None:
    """Add ``update add`` and ``update list`` to ``kiosk-server``."""
    update = sub.add_parser("update", help="app updates for the kiosks (wheels + manifest)")
    update_sub = update.add_subparsers(dest="update_command", required=True)
    add = update_sub.add_parser("add", help="store a release's wheels as an update")
    with_db(add)
    add.add_argument("--wheels", type=Path, required=True, help="folder of .whl files")
    add.add_argument("--base-pins", type=Path, required=True,
                     help="the kiosks' base: name==version lines (kiosk update base-pins)")
    add.add_argument("--python", help="interpreter tag of the kiosks (default: this one's)")
    with_db(update_sub.add_parser("list", help="list stored updates"))


def run(args: argparse.Namespace) -> int:
    """Run ``kiosk-server update …``."""
    from foundation.errors import SetupError
    from jobcentre.fleet.update_files import UpdateStore
    from jobcentre.repository import open_repository

    pins: dict[str, str] = {}
    if args.update_command == "add":
        if not args.wheels.is_dir():
            print(f"kiosk-server: {args.wheels} is not a folder", file=sys.stderr)
            return 1
        try:
            pins = parse_pins(args.base_pins.read_text(encoding="utf-8"))
        except OSError as exc:
            print(f"kiosk-server: cannot read {args.base_pins}: {exc.strerror}", file=sys.stderr)
            return 1
        if not pins:
            print(f"kiosk-server: {args.base_pins} holds no name==version line",
                  file=sys.stderr)
            return 1
    repo = open_repository(args.data, args.database)
    try:
        store = UpdateStore(repo, args.data)
        if args.update_command == "add":
            try:
                manifest = store.add(args.wheels, pins, args.python)
            except (SetupError, ValueError) as exc:
                print(f"kiosk-server: {exc}", file=sys.stderr)
                return 1
            print(manifest.model_dump_json(indent=2))
            return 0
        for item in store.manifests():
            print(json.dumps({"app_version": item.app_version, "files": len(item.files),
                              "bytes": item.total_bytes, "base": item.base[:12]}))
        return 0
    finally:
        repo.close()
