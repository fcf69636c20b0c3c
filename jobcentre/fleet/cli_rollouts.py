"""``kiosk-server rollout``: create, list, promote, halt and re-issue signed rollouts.

``rollout create --kind site_config --payload-file layer.json (--canary-kiosks ID[,ID] |
--canary-percent N)`` signs the next version for the canary kiosks and queues it on the live
channel (the running service delivers it); ``promote``, ``halt`` and ``reissue`` take
``--id``. Each is written to the staff audit log with the actor ``cli:<os user>``.
A ``site_config`` payload is checked like the staff form checks it
(``jobcentre.fleet.site_config.check_payload``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foundation.errors import ApiError

WithDb = Callable[..., None]


def _canary(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--canary-kiosks", metavar="ID[,ID]", help="named canary kiosks")
    who.add_argument("--canary-percent", type=int, metavar="N", help="share of kiosks, 1-100")


def add_parsers(sub: Any, with_db: WithDb) -> None:
    """Register ``rollout`` and its sub-commands on the ``kiosk-server`` parser."""
    rollout = sub.add_parser("rollout", help="staged rollouts of site configuration and "
                             "app updates (signed bundles)")
    verbs = rollout.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create", help="sign the next version for the canary kiosks")
    with_db(create)
    create.add_argument("--kind", choices=("site_config", "app_update"), required=True)
    create.add_argument("--payload-file", type=Path, required=True,
                        help='JSON payload, e.g. {"config": {"session": {...}}}')
    _canary(create)
    listing = verbs.add_parser("list", help="the newest rollouts as JSON")
    with_db(listing)
    for verb, text in (("promote", "send the canary's version to every kiosk"),
                       ("halt", "stop a canary rollout"),
                       ("reissue", "issue a rollout's content again as a new version")):
        p = verbs.add_parser(verb, help=text)
        with_db(p)
        p.add_argument("--id", type=int, required=True)
        if verb == "halt":
            p.add_argument("--reason", default="halted from the command line")
        if verb == "reissue":
            _canary(p)


def _describe(rollout: Any) -> dict[str, Any]:
    return {"id": rollout.id, "kind": rollout.kind, "version": rollout.version,
            "stage": rollout.stage, "targets": list(rollout.targets),
            "halt_reason": rollout.halt_reason}


def run_rollout(args: argparse.Namespace) -> int:
    """Run one ``rollout`` verb."""
    from jobcentre.fleet import rollouts
    from jobcentre.fleet.rollout_store import RolloutTables
    from jobcentre.fleet.site_config import check_payload
    from jobcentre.keys import load_centre_keys
    from jobcentre.repository import open_repository
    from jobcentre.staff import audit

    repo = open_repository(args.data, args.database)
    actor = audit.Actor(f"cli:{getpass.getuser()}"[:64], "ops", "cli")
    try:
        if args.verb == "list":
            print(json.dumps([_describe(r) for r in RolloutTables(repo).newest()]))
            return 0
        key = load_centre_keys(args.data).signing
        canary = None
        if args.verb in ("create", "reissue"):
            named = tuple(k.strip() for k in (args.canary_kiosks or "").split(",") if k.strip())
            canary = rollouts.Canary(args.canary_percent, named)
        if args.verb == "create":
            try:
                payload = json.loads(args.payload_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                print(f"kiosk-server: {args.payload_file}: {exc}", file=sys.stderr)
                return 2
            if args.kind == "site_config":
                problems = check_payload(payload)
                if problems:
                    print("kiosk-server: " + "\n".join(problems), file=sys.stderr)
                    return 2
            assert canary is not None
            done = rollouts.create_rollout(repo, args.kind, payload, canary=canary,
                                           issued_by=actor.username, signing_key=key)
        elif args.verb == "promote":
            done = rollouts.promote(repo, args.id, signing_key=key)
        elif args.verb == "halt":
            done = rollouts.halt(repo, args.id, args.reason)
        else:
            assert canary is not None
            done = rollouts.reissue(repo, args.id, canary=canary, issued_by=actor.username,
                                    signing_key=key)
        audit.record(repo, actor, f"rollout.{args.verb}", f"rollout:{done.id}",
                     detail=f"kind={done.kind} version={done.version}")
    except ApiError as exc:
        print(f"kiosk-server: {exc.code}: {exc.extra.get('detail', '')}", file=sys.stderr)
        return 1
    finally:
        repo.close()
    print(json.dumps(_describe(done)))
    return 0


COMMANDS = {"rollout": run_rollout}
