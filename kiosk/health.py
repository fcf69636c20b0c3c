"""Device and backend health: one check function per thing, for `kiosk doctor` and the agent.

Every check returns a frozen :class:`Health` with a plain reason a technician can act on and
never raises: a crashing driver is a FAILED result (:func:`_guarded`). Checks never hang;
each device, subprocess and network call has its own timeout. ``kiosk doctor`` formats the
results (``kiosk/doctor.py``); the agent reports them in its ``status`` answer.

    check_disk  check_tesseract  check_camera  check_scanner  check_printer  check_microphone
    check_card_reader  check_audio  check_backend  check_enrollment

``required=False`` marks a finding that degrades the kiosk without stopping it (no audio
device: the terminal stays silent); doctor shows it as WARN and still passes.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec

import httpx

from config.model import KioskConfig

if TYPE_CHECKING:
    from device_drivers.printer.protocol import PaperState

P = ParamSpec("P")
SampleProvider = Callable[[], Sequence[Path]]

TESSERACT_LANGS = ("deu", "eng", "ukr", "rus", "ara", "tur", "fas")
MIN_FREE_MB = 500
AUDIO_ADVICE = {
    "espeak_missing": "espeak-ng not found: apt-get install espeak-ng",
    "player_missing": "no audio player (aplay/paplay): apt-get install alsa-utils",
    "no_audio_device": "no audio device plays a test sound: plug in the speaker or headset, "
                       "check `aplay -l`",
    "audio_device_timeout": "the audio device did not finish a test sound within 5 s",
}


@dataclass(frozen=True)
class Health:
    """The outcome of one check; ``key`` is stable (``printer``), ``name`` is for people."""

    key: str
    name: str
    ok: bool
    detail: str
    required: bool = True
    paper: PaperState | None = None

    @property
    def passed(self) -> bool:
        """True unless a required check failed."""
        return self.ok or not self.required


def _guarded(key: str, name: str) -> Callable[[Callable[P, Health]], Callable[P, Health]]:
    """Turn any exception of a check into a FAILED result instead of a crash."""

    def wrap(check: Callable[P, Health]) -> Callable[P, Health]:
        @functools.wraps(check)
        def run(*args: P.args, **kwargs: P.kwargs) -> Health:
            try:
                return check(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a broken driver is a finding, not a crash
                return Health(key, name, False, f"check crashed: {type(exc).__name__}: {exc}")

        return run

    return wrap


@_guarded("disk", "data directory")
def check_disk(config: KioskConfig) -> Health:
    """The state directory exists (or can be made), is writable and has free space."""
    path = config.resolved_data_dir

    def result(ok: bool, detail: str) -> Health:
        return Health("disk", "data directory", ok, detail)

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return result(False, f"cannot create {path}: {exc.strerror}; set data_dir or --data")
    if not os.access(path, os.W_OK):
        return result(False, f"{path} is not writable by this user; fix its owner or permissions")
    free_mb = shutil.disk_usage(path).free // 1_000_000
    if free_mb < MIN_FREE_MB:
        return result(False, f"only {free_mb} MB free on {path}; at least {MIN_FREE_MB} MB "
                             "are needed")
    return result(True, f"{path} writable, {free_mb} MB free")


@_guarded("tesseract", "tesseract")
def check_tesseract() -> Health:
    """Tesseract is installed with the visitors' languages."""
    exe = shutil.which("tesseract")
    if exe is None:
        return Health("tesseract", "tesseract", False,
                      "tesseract not found: apt-get install tesseract-ocr")
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return Health("tesseract", "tesseract", False,
                      "tesseract --list-langs did not answer within 10 s")
    missing = [lang for lang in TESSERACT_LANGS if lang not in set(out.stdout.split())]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m}" for m in missing)
        return Health("tesseract", "tesseract", False,
                      f"language packs missing: {', '.join(missing)}; apt-get install {packages}")
    return Health("tesseract", "tesseract", True, f"tesseract with {', '.join(TESSERACT_LANGS)}")


@_guarded("camera", "camera")
def check_camera(config: KioskConfig, default_samples: SampleProvider | None,
                 passive: bool = False) -> Health:
    """Open the configured camera, wait for one frame, release it again.

    ``passive`` only looks for the device node: the agent's periodic check must never take
    the camera from the UI while a visitor is being served.
    """
    from device_drivers.camera import create_camera

    driver = config.devices.camera.driver
    if passive and driver == "opencv":
        from device_drivers.camera.opencv_camera import is_available

        index = config.devices.camera.device_index
        present = is_available(index)
        return Health("camera", f"camera ({driver})", present,
                      f"/dev/video{index} present" if present else
                      f"/dev/video{index} missing: check the USB cable")
    camera = create_camera(config.devices.camera, default_samples)
    try:
        ok, detail = camera.check()
    finally:
        camera.close()  # never keep the device: the UI process needs it
    return Health("camera", f"camera ({driver})", ok, detail)


@_guarded("scanner", "scanner")
def check_scanner(config: KioskConfig) -> Health:
    """The configured document scanner is listed (healthy when none is configured)."""
    from device_drivers.scanner import create_scanner

    driver = config.devices.scanner.driver
    scanner = create_scanner(config.devices.scanner)
    if scanner is None:
        return Health("scanner", f"scanner ({driver})", True, "no scanner configured")
    try:
        ok, detail = scanner.check()
    finally:
        scanner.close()
    return Health("scanner", f"scanner ({driver})", ok, detail)


@_guarded("printer", "printer")
def check_printer(config: KioskConfig, out_dir: Path) -> Health:
    """Ask the receipt printer for its status once: verdict, advice and paper state."""
    from device_drivers.printer.escpos_printer import status_advice
    from device_drivers.printer.factory import make_printer
    from foundation.errors import KioskError

    driver = config.devices.printer.driver
    name = f"printer ({driver})"
    printer = make_printer(config.devices.printer, out_dir)
    if driver == "none":
        ok, detail = printer.check()
        return Health("printer", name, ok, detail)
    try:
        status = printer.status()
    except KioskError as exc:  # not connected, no answer, garbled answer: its text says so
        return Health("printer", name, False, str(exc))
    ok, detail = status_advice(status, printer.where)
    return Health("printer", name, ok, detail, paper=status.paper)


@_guarded("card_reader", "card reader")
def check_card_reader(config: KioskConfig) -> Health:
    """pcscd answers, the staff-card reader is connected, and the staff directory is usable.

    Healthy when no reader is configured. Opens no card (a staff login may be under way).
    A missing reader degrades helper mode only, so it is a WARN (``required=False``).
    """
    from device_drivers.card_reader import create_card_reader

    driver = config.devices.card_reader.driver
    name = f"card reader ({driver})"
    reader = create_card_reader(config.devices.card_reader)
    if reader is None:
        return Health("card_reader", name, True, "no card reader configured")
    ok, detail = reader.check()
    if ok:
        detail += "; " + _staff_directory_state(config)
    # Visitors are served without it; only helper mode needs the reader: WARN, not FAILED.
    return Health("card_reader", name, ok, detail, required=False)


def _staff_directory_state(config: KioskConfig) -> str:
    from foundation.errors import StaffCardRefused
    from kiosk.staffcard.wiring import directory_store

    try:
        directory = directory_store(config).current()
    except StaffCardRefused as exc:
        return {"staff_directory_missing": "no staff directory yet: card logins are refused "
                "until the job centre sends one",
                "staff_directory_outdated": "the staff directory is older than "
                f"{config.staff_cards.directory_max_age_days:g} days: card logins are "
                "refused until a fresh one arrives"}.get(exc.code, exc.code)
    return f"staff directory version {directory.version} with {len(directory.members)} card(s)"


@_guarded("microphone", "microphone")
def check_microphone(config: KioskConfig, passive: bool = False) -> Health:
    """The video call's microphone: present (passive), or opened and delivering audio."""
    mic = config.devices.microphone
    name = f"microphone ({mic.driver})"
    if mic.driver == "simulated":
        return Health("microphone", name, True, "simulated microphone")
    from device_drivers.microphone.av_microphone import AvMicrophone, is_available

    if passive or not is_available(mic.driver):
        present = is_available(mic.driver)
        return Health("microphone", name, present, "audio input available" if present
                      else f"PyAV/ffmpeg has no {mic.driver} input")
    device = AvMicrophone(mic.device, mic.driver)
    try:
        ok, detail = device.check()
    finally:
        device.close()  # never keep the device: the call needs it
    return Health("microphone", name, ok, detail)


@_guarded("audio", "audio")
def check_audio(config: KioskConfig, passive: bool = False) -> Health:
    """Speech output: espeak-ng, its voices, a player and a device that plays a test sound.

    ``passive`` checks the programs only and plays nothing (the agent's periodic check must
    not interrupt the visitor's read-aloud).
    """
    from accessibility.speech import EspeakSpeech

    if not config.accessibility.speech:
        return Health("audio", "audio", True, "speech output is off in the configuration",
                      required=False)
    if passive:
        from accessibility.audio import ESPEAK, find_player

        player = find_player()
        ok = shutil.which(ESPEAK) is not None and player is not None
        return Health("audio", f"audio ({player or 'no player'})", ok,
                      "espeak-ng and a player are installed" if ok else
                      AUDIO_ADVICE["espeak_missing" if player else "player_missing"],
                      required=False)
    speech = EspeakSpeech(volume_step=config.accessibility.volume_step)
    try:
        status = speech.check()
    finally:
        speech.close()
    name = f"audio ({status.player or 'no player'})"
    if not status.available:
        return Health("audio", name, False, AUDIO_ADVICE.get(status.reason, status.reason),
                      required=False)
    if status.missing_voices:
        return Health("audio", name, False, "espeak-ng voices missing: "
                      f"{', '.join(status.missing_voices)}; apt-get install espeak-ng-data",
                      required=False)
    return Health("audio", name, True, "speech output plays a test sound")


def _answers(url: str, timeout_s: float) -> tuple[bool, str]:
    health = f"{url.rstrip('/')}/api/v1/health"
    try:
        response = httpx.get(health, timeout=timeout_s)
    except httpx.TimeoutException:
        return False, f"{health} did not answer within {timeout_s:.0f} s"
    except httpx.HTTPError as exc:
        return False, (f"cannot reach {health} ({type(exc).__name__}); check the network "
                       "cable, the proxy and backend.url")
    if response.status_code != 200:
        return False, f"{health} answered HTTP {response.status_code}; tell the job centre's IT"
    return True, f"{url} answers"


@_guarded("backend", "backend")
def check_backend(config: KioskConfig) -> Health:
    """The intake service this kiosk sends to answers (documents wait safely if not)."""
    from kiosk.delivery.identity import load_identity

    backend = config.backend
    name = f"backend ({backend.mode})"
    timeout = min(backend.timeout_s, 5.0)
    if backend.mode == "remote":
        return Health("backend", name, *_answers(backend.url or "", timeout))
    identity = load_identity(config.resolved_data_dir)
    if identity is None:
        return Health("backend", name, True, "embedded intake service; the kiosk agent starts "
                      "it and enrolls at its first start")
    ok, detail = _answers(identity.server_url, timeout)
    if not ok:
        detail += ("; with the embedded service, is the kiosk agent running? "
                   "(`systemctl start kiosk-agent` or `kiosk agent`)")
    return Health("backend", name, ok, detail)


@_guarded("enrollment", "enrollment")
def check_enrollment(config: KioskConfig) -> Health:
    """The kiosk holds its identity (certificate) from enrollment."""
    from kiosk.delivery.identity import load_identity

    identity = load_identity(config.resolved_data_dir)
    if identity is not None:
        return Health("enrollment", "enrollment", True, f"enrolled as {identity.kiosk_id}")
    if config.backend.mode == "embedded":
        return Health("enrollment", "enrollment", True,
                      "not enrolled yet; the agent enrolls with the embedded service by itself")
    return Health("enrollment", "enrollment", False,
                  "not enrolled: run `kiosk enroll --server URL --code CODE` (code from IT)")


def check_devices(config: KioskConfig, printer_dir: Path,
                  default_samples: SampleProvider | None,
                  passive: bool = False) -> tuple[Health, ...]:
    """Disk and every configured device; optional devices only when configured.

    ``passive`` (the agent's periodic check) neither opens the camera nor plays a sound.
    """
    devices = config.devices
    results = [check_disk(config), check_camera(config, default_samples, passive)]
    if devices.scanner.driver != "none":
        results.append(check_scanner(config))
    results.append(check_printer(config, printer_dir))
    if devices.card_reader.driver != "none":
        results.append(check_card_reader(config))
    results.append(check_audio(config, passive))
    results.append(check_microphone(config, passive))
    return tuple(results)

