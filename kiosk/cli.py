"""The ``kiosk`` console command: run the terminal, check it, render screens, operate it.

Every subcommand takes ``--config FILE`` and ``--data DIR``; the config is loaded once
here (a bad file stops everything with a message naming file and field) and passed down.
Kivy is imported only by ``run`` and ``screenshot``, so the other subcommands work on a
machine without a display or OpenGL. More generally a subcommand imports only its own code:
the parser names every subcommand but loads the arguments of the chosen one alone, so
``kiosk check-image`` starts without the agent, the embedded server or python-escpos.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from foundation.errors import KioskError

if TYPE_CHECKING:
    from config.model import KioskConfig

log = logging.getLogger(__name__)

Runner = Callable[[argparse.Namespace, "KioskConfig"], int]
AddArguments = Callable[[argparse.ArgumentParser], None]
Prepare = Callable[[argparse.Namespace], AbstractContextManager[object]]


@dataclass(frozen=True)
class Subcommand:
    """One ``kiosk`` subcommand: its help, its module and the names of its two functions.

    Nothing is imported until the subcommand is chosen, so ``kiosk check-image`` never loads
    the agent, the embedded server or the printer driver.
    """

    help: str
    module: str
    add_arguments: str | None
    run: str
    #: done in seconds (a batch of files, not a service): run from the console script, it
    #: collects garbage rarely, as mypy does (imports allocate a lot, nothing lives long)
    short_lived: bool = False
    #: name of a function of the parsed arguments, called before the configuration loads,
    #: that starts work needing no configuration; it returns a context manager for it
    prepare: str | None = None


#: allocations between young-generation collections for short-lived commands (Python: 700)
SHORT_LIVED_GC_THRESHOLD = 100_000

_DELIVERY = "kiosk.delivery.cli"
SUBCOMMANDS: dict[str, Subcommand] = {
    "run": Subcommand("start the touchscreen terminal", __name__, None, "_run"),
    "doctor": Subcommand("check every configured device and the backend", __name__,
                         "_add_doctor_arguments", "_doctor"),
    "screenshot": Subcommand("render one screen to a PNG without a display", __name__,
                             "_add_screenshot_arguments", "_screenshot"),
    "check-image": Subcommand("judge page images like the scan screen does", __name__,
                              "_add_check_image_arguments", "_check_image", short_lived=True,
                              prepare="_prepare_check_image"),
    "agent": Subcommand("run the background agent (uploads, device health)", "kiosk.agent.cli",
                        "add_agent_arguments", "run_agent"),
    "enroll": Subcommand("enroll this kiosk with a job-centre intake service", _DELIVERY,
                         "add_enroll_arguments", "run_enroll"),
    "submit": Subcommand("hand in files without the touchscreen (same code path)", _DELIVERY,
                         "add_submit_arguments", "run_submit"),
    "outbox": Subcommand("list what is queued and why it has not gone yet", _DELIVERY,
                         "add_outbox_arguments", "run_outbox"),
    "sync": Subcommand("upload everything queued, then exit", _DELIVERY,
                       "add_sync_arguments", "run_sync"),
    "receipt": Subcommand("reprint a receipt", _DELIVERY, "add_receipt_arguments", "run_receipt"),
    "read-letter": Subcommand("read a job-centre letter: numbers, deadline, documents asked for",
                              __name__, "_add_read_letter_arguments", "_read_letter"),
    "staff-card": Subcommand("staff smart cards: export a card's key, apply the staff directory",
                             "kiosk.staffcard.cli", "add_staff_card_arguments", "run_staff_card"),
    "update": Subcommand("app updates: status, health check, guard, base pins, apply a bundle",
                         "kiosk.updates.cli", "add_update_arguments", "run_update"),
    "supervise": Subcommand("run the agent (and --ui) from <root>/current, restart them like "
                            "systemd", "kiosk.updates.cli", "add_supervise_arguments",
                            "run_supervise"),
    "exit-pin": Subcommand("set the staff PIN that leaves kiosk mode (sites without cards)",
                           "kiosk.exit_pin", "add_exit_pin_arguments", "run_exit_pin"),
}


def _resolve(module: str, name: str) -> object:
    return getattr(importlib.import_module(module), name)


def runner_for(command: str) -> Runner:
    """The run function of ``command`` (imports its module now)."""
    sub = SUBCOMMANDS[command]
    return cast(Runner, _resolve(sub.module, sub.run))


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


def _add_read_letter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON array")
    parser.add_argument("letters", nargs="+", metavar="LETTER",
                        help="an image, or the pages of one letter joined with commas")


def _read_letter(args: argparse.Namespace, config: KioskConfig) -> int:
    from scanning.letter_cli import run_read_letter

    return run_read_letter(args, config)


def _add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable report")


def _add_check_image_arguments(parser: argparse.ArgumentParser) -> None:
    from scanning.cli import add_check_image_arguments

    add_check_image_arguments(parser)


def _prepare_check_image(args: argparse.Namespace) -> AbstractContextManager[object]:
    from scanning.cli import EarlyStart

    early = EarlyStart(args.paths)  # Tesseract, NumPy, OpenCV, the first file's decode
    args.early = early
    return early


def _check_image(args: argparse.Namespace, config: KioskConfig) -> int:
    from scanning.cli import run_check_image

    return run_check_image(args, config.scanning)


def _chosen_command(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (the top-level parser has no options with values)."""
    return next((token for token in argv if not token.startswith("-")), None)


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``commands`` (default: all) get their own arguments."""
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    detailed = set(SUBCOMMANDS if commands is None else commands)
    for name, command in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        p.add_argument("--config", type=Path, help="site configuration (TOML)")
        p.add_argument("--data", type=Path, help="state directory (overrides the config)")
        if name in detailed and command.add_arguments:
            cast(AddArguments, _resolve(command.module, command.add_arguments))(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiosk`` command."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "pikepdf", "fontTools"):  # one line per request/table is noise
        logging.getLogger(chatty).setLevel(logging.WARNING)
    console = argv is None  # the console script: the process ends when this returns
    argv = sys.argv[1:] if argv is None else argv
    chosen = _chosen_command(argv)
    if console:
        # the interpreter's last collections over NumPy, OpenCV and pydantic objects only
        # delay the exit (~0.03 s after a check-image); atexit handlers still run
        atexit.register(gc.freeze)
        if chosen in SUBCOMMANDS and SUBCOMMANDS[chosen].short_lived:
            gc.set_threshold(SHORT_LIVED_GC_THRESHOLD, 50, 100)  # ~0.02 s CPU at start-up
    parser = build_parser([chosen] if chosen in SUBCOMMANDS else [])
    args = parser.parse_args(argv)
    try:
        with ExitStack() as early:
            prepare = SUBCOMMANDS[args.command].prepare
            if prepare is not None:
                early.enter_context(cast(Prepare, _resolve(SUBCOMMANDS[args.command].module,
                                                           prepare))(args))
            from config.fleet_layer import with_active_layer
            from config.loader import load_config

            args.base_config = load_config(args.config, data_dir=args.data)
            config = with_active_layer(args.base_config)  # the signed fleet push, if any
            return runner_for(args.command)(args, config)
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
