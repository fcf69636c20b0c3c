"""The ``kiosk`` console command: run the terminal, check it, render screens, operate it.

Every subcommand takes ``--config FILE`` and ``--data DIR``; the config is loaded once
here (a bad file stops everything with a message naming file and field) and passed down.
Kivy is imported only by ``run`` and ``screenshot``, so the other subcommands work on a
machine without a display or OpenGL.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from config.loader import load_config
from config.model import KioskConfig
from foundation.errors import KioskError

log = logging.getLogger(__name__)

Runner = Callable[[argparse.Namespace, KioskConfig], int]


def _run(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.launch import run_kiosk

    return run_kiosk(config, args.config)


def _doctor(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.doctor import print_report, run_checks

    report = run_checks(config)
    print_report(report, as_json=args.json)
    return 0 if report.ok else 1


def _screenshot(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.launch import SCREEN_NAMES, render_screenshot

    if args.list_screens:
        print("\n".join(SCREEN_NAMES))
        return 0
    if not args.screen or not args.out:
        print("kiosk screenshot: --screen NAME and OUT.png are needed "
              "(or --list-screens)", file=sys.stderr)
        return 2
    return render_screenshot(config, args.screen, args.lang, args.font_scale, args.theme,
                             Path(args.out))


def _add_screenshot_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--screen", help="screen name (see --list-screens)")
    parser.add_argument("--lang", default="de",
                        help="de, de-simple, en, uk, ru, ar, tr, fa, pl, ro")
    parser.add_argument("--font-scale", type=float, default=1.0, help="text size, 1.0 … 2.0")
    parser.add_argument("--theme", default="default", choices=("default", "high_contrast"))
    parser.add_argument("--list-screens", action="store_true", help="list screen names")
    parser.add_argument("out", nargs="?", help="PNG file to write")


def _add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable report")


def _add_read_letter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON array")
    parser.add_argument("letters", nargs="+", metavar="LETTER",
                        help="an image, or the pages of one letter joined with commas")


def _read_letter(args: argparse.Namespace, config: KioskConfig) -> int:
    from scanning.letter_cli import run_read_letter

    return run_read_letter(args, config)


def _subcommands() -> dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Runner]]:
    """name → (help, add_arguments, run); delivery and scanning commands live beside their code."""
    from kiosk.agent.cli import add_agent_arguments, run_agent
    from kiosk.delivery.cli import (
        add_enroll_arguments,
        add_outbox_arguments,
        add_receipt_arguments,
        add_submit_arguments,
        add_sync_arguments,
        run_enroll,
        run_outbox,
        run_receipt,
        run_submit,
        run_sync,
    )
    from kiosk.staffcard.cli import add_staff_card_arguments, run_staff_card
    from scanning.cli import add_check_image_arguments, run_check_image

    def check_image(args: argparse.Namespace, config: KioskConfig) -> int:
        return run_check_image(args, config.scanning)

    return {
        "run": ("start the touchscreen terminal", lambda p: None, _run),
        "doctor": ("check every configured device and the backend", _add_doctor_arguments,
                   _doctor),
        "screenshot": ("render one screen to a PNG without a display", _add_screenshot_arguments,
                       _screenshot),
        "check-image": ("judge page images like the scan screen does", add_check_image_arguments,
                        check_image),
        "read-letter": ("read a job-centre letter: numbers, deadline, documents asked for",
                        _add_read_letter_arguments, _read_letter),
        "agent": ("run the background agent (uploads, device health)", add_agent_arguments,
                  run_agent),
        "enroll": ("enroll this kiosk with a job-centre intake service", add_enroll_arguments,
                   run_enroll),
        "submit": ("hand in files without the touchscreen (same code path)", add_submit_arguments,
                   run_submit),
        "outbox": ("list what is queued and why it has not gone yet", add_outbox_arguments,
                   run_outbox),
        "sync": ("upload everything queued, then exit", add_sync_arguments, run_sync),
        "receipt": ("reprint a receipt", add_receipt_arguments, run_receipt),
        "staff-card": ("staff smart cards: export a card's key, apply the staff directory",
                       add_staff_card_arguments, run_staff_card),
    }


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Runner]]:
    """The argument parser and the runner of each subcommand."""
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    runners: dict[str, Runner] = {}
    for name, (help_text, add_arguments, runner) in _subcommands().items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", type=Path, help="site configuration (TOML)")
        p.add_argument("--data", type=Path, help="state directory (overrides the config)")
        add_arguments(p)
        runners[name] = runner
    return parser, runners


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiosk`` command."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "pikepdf", "fontTools"):  # one line per request/table is noise
        logging.getLogger(chatty).setLevel(logging.WARNING)
    parser, runners = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, data_dir=args.data)
        return runners[args.command](args, config)
    except KioskError as exc:
        print(f"kiosk {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
