"""The PIN-only staff exit from kiosk mode (the fallback for sites without staff cards).

The PIN is kept as a salted scrypt hash (``n=2**15, r=8, p=1``: about 0.1 s and 32 MiB per
try on a kiosk) in ``<data>/staff-exit-pin.json`` (0600), set with ``kiosk exit-pin set``
(the PIN read from stdin, 6 to 12 digits). Wrong PINs lock the exit with growing delays:
after ``FREE_TRIES`` wrong ones, each further one waits twice as long as the last
(``BASE_DELAY_S`` … ``MAX_DELAY_S``). The count is kept in the same folder, so restarting
the kiosk does not reset it; the right PIN does. ``display.staff_exit_pin_sha256`` (an
unsalted hash of a short PIN, trivial to reverse) is no longer accepted.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from foundation.errors import SessionError
from foundation.files import write_synced

if TYPE_CHECKING:
    from config.model import KioskConfig

FILE = "staff-exit-pin.json"
LOCK_FILE = "staff-exit-lockout.json"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
FREE_TRIES = 3
BASE_DELAY_S = 30.0
MAX_DELAY_S = 3600.0
MIN_DIGITS, MAX_DIGITS = 6, 12


@dataclass(frozen=True)
class ExitAnswer:
    """The outcome of one try: ``ok``, or why not and how long the exit stays locked."""

    ok: bool
    reason: str = ""  # "wrong_pin", "locked", "not_set"
    wait_s: float = 0.0


def _kdf(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024,
                          dklen=32)


def check_pin_format(pin: str) -> str:
    """The PIN if it has 6 to 12 digits, else a ``SessionError`` saying so."""
    if not (pin.isascii() and pin.isdigit() and MIN_DIGITS <= len(pin) <= MAX_DIGITS):
        raise SessionError(f"the exit PIN needs {MIN_DIGITS} to {MAX_DIGITS} digits",
                           code="exit_pin_invalid")
    return pin


class ExitPin:
    """The stored exit PIN of one kiosk and its lockout."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.folder = data_dir
        self.clock = clock

    @property
    def is_set(self) -> bool:
        """Whether a PIN has been set on this kiosk."""
        return (self.folder / FILE).exists()

    def set(self, pin: str) -> None:
        """Store a new PIN (salted scrypt) and clear the lockout."""
        salt = os.urandom(16)
        record = {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                  "salt": salt.hex(), "hash": _kdf(check_pin_format(pin), salt, SCRYPT_N,
                                                   SCRYPT_R, SCRYPT_P).hex()}
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write(FILE, record)
        (self.folder / LOCK_FILE).unlink(missing_ok=True)

    def locked_for(self) -> float:
        """Seconds until the next try is allowed (0 when it is allowed now)."""
        state = self._lockout()
        return max(0.0, float(state.get("until", 0.0)) - self.clock())

    def try_pin(self, pin: str) -> ExitAnswer:
        """Check ``pin`` unless the exit is locked; a wrong one counts towards the lockout."""
        wait = self.locked_for()
        if wait > 0:
            return ExitAnswer(False, "locked", wait)
        try:
            record = json.loads((self.folder / FILE).read_text())
        except FileNotFoundError:
            return ExitAnswer(False, "not_set")
        salt = bytes.fromhex(record["salt"])
        got = _kdf(pin, salt, int(record["n"]), int(record["r"]), int(record["p"]))
        if hmac.compare_digest(got, bytes.fromhex(record["hash"])):
            (self.folder / LOCK_FILE).unlink(missing_ok=True)
            return ExitAnswer(True)
        state = self._lockout()
        failures = int(state.get("failures", 0)) + 1
        delay = 0.0
        if failures >= FREE_TRIES:
            delay = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures - FREE_TRIES))
        self._write(LOCK_FILE, {"failures": failures, "until": self.clock() + delay})
        return ExitAnswer(False, "locked" if delay else "wrong_pin", delay)

    def _lockout(self) -> dict[str, float]:
        try:
            state = json.loads((self.folder / LOCK_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _write(self, name: str, value: dict[str, object]) -> None:
        path = self.folder / name
        tmp = self.folder / f".{name}.{os.getpid()}.tmp"
        write_synced(tmp, json.dumps(value).encode(), exclusive=False)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)


def add_exit_pin_arguments(parser: argparse.ArgumentParser) -> None:
    """``kiosk exit-pin set`` (PIN from the first line of stdin) and ``status``."""
    sub = parser.add_subparsers(dest="exit_pin_command", required=True)
    sub.add_parser("set", help="set the staff exit PIN (6 to 12 digits, read from stdin)")
    sub.add_parser("status", help="whether a PIN is set and whether the exit is locked")


def run_exit_pin(args: argparse.Namespace, config: KioskConfig) -> int:
    """Run one ``kiosk exit-pin`` command."""
    store = ExitPin(config.resolved_data_dir)
    if getattr(args, "exit_pin_command", "") == "set":
        try:
            store.set(sys.stdin.readline().strip())
        except SessionError as exc:
            print(f"kiosk exit-pin: {exc}", file=sys.stderr)
            return 2
        print("staff exit PIN set (scrypt); the exit lockout was cleared")
        return 0
    wait = store.locked_for()
    print(f"staff exit PIN {'set' if store.is_set else 'not set'}"
          + (f", exit locked for {wait:.0f} s" if wait else ""))
    return 0
