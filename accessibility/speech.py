"""Speech output (EN 301 549 closed functionality): read screen texts aloud in their language.

``SpeechOutput`` is the protocol the screens use. ``EspeakSpeech`` synthesises with espeak-ng
and plays through ``aplay`` (an ALSA device such as the headset jack) or ``paplay``, in a
worker thread, so the UI never waits; the player is a subprocess that ``pause``/``resume``
stop and continue (SIGSTOP/SIGCONT) and ``stop`` kills. With no audio device the engine says
so in ``check()`` and stays silent instead of failing. ``RecordingSpeech`` records what it
was asked to say, for tests and the simulated kiosk (``accessibility.speech_recording``).
The speaking rate has six steps (``RATE_FACTORS``, EN 301 549 5.1.3.12), the volume six
steps 6 dB apart (8.2.1.2).

Customer numbers are spoken digit by digit (``spoken_customer_number``); PINs never
(``spoken_pin``). Spoken texts are never logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from accessibility import messages
from accessibility.audio import (
    DEFAULT_RATE_STEP,
    DEFAULT_VOLUME_STEP,
    ESPEAK,
    RATE_FACTORS,
    VOLUME_STEPS_DB,
    apply_volume,
    find_player,
    player_command,
    probe_device,
    synthesize_wav,
    wav_duration_s,
)
from accessibility.bidi_text import strip_marks
from accessibility.i18n import translate
from accessibility.languages import LANGUAGES, get_language
from foundation.errors import AudioError

if TYPE_CHECKING:
    from config.model import AccessibilityConfig

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class SpeechStatus:
    """Result of ``check()``: can the terminal speak, and if not, why (a stable code)."""

    available: bool
    reason: str
    player: str | None = None
    missing_voices: tuple[str, ...] = ()


@runtime_checkable
class SpeechOutput(Protocol):
    """What screens call to read texts aloud; every call returns at once."""

    @property
    def volume_steps(self) -> tuple[float, ...]:
        """The volume steps in dB, quietest first."""
        ...

    @property
    def volume_step(self) -> int:
        """Index of the current volume step."""
        ...

    def speak(self, text: str, lang: str) -> None:
        """Say ``text`` in ``lang``, interrupting whatever is being said."""

    def pause(self) -> None:
        """Pause the current utterance."""

    def resume(self) -> None:
        """Continue a paused utterance."""

    def stop(self) -> None:
        """Stop speaking and forget what was queued."""

    def repeat(self) -> None:
        """Say the last text again from the start."""

    def set_volume_step(self, step: int) -> None:
        """Choose a volume step (index into ``volume_steps``)."""

    @property
    def rate_step(self) -> int:
        """Index of the current speaking-rate step (into ``RATE_FACTORS``)."""
        ...

    def set_rate_step(self, step: int) -> None:
        """Choose a speaking-rate step; applies from the next utterance on."""

    def check(self) -> SpeechStatus:
        """Report whether speech output works here."""

    def close(self) -> None:
        """Stop and release the engine."""


def _check_step(step: int, steps: tuple[float, ...], what: str = "volume") -> int:
    if not isinstance(step, int) or not 0 <= step < len(steps):
        raise ValueError(f"{what} step must be 0..{len(steps) - 1}, got {step!r}")
    return step


def spoken_customer_number(number: str, lang: str) -> str:
    """Text that reads a customer number character by character (``1, 2, 3, A, …``)."""
    chars = [c for c in number if c.isalnum()]
    return translate(lang, messages.CUSTOMER_NUMBER_SPOKEN, digits=", ".join(chars))


def spoken_pin(lang: str) -> str:
    """The fixed phrase said instead of a PIN: digits are never spoken."""
    return translate(lang, messages.PIN_ENTERED)


@dataclass(frozen=True)
class _Utterance:
    text: str
    lang: str
    generation: int


class EspeakSpeech:
    """espeak-ng + aplay/paplay speech output running in its own worker thread."""

    def __init__(self, *, device: str | None = None, player: str = "auto",
                 volume_step: int = DEFAULT_VOLUME_STEP,
                 volume_steps: tuple[float, ...] = VOLUME_STEPS_DB,
                 synth_timeout_s: float = 10.0, espeak: str = ESPEAK) -> None:
        self._device = device
        self._player = find_player(player)
        self._steps = volume_steps
        self._step = _check_step(volume_step, volume_steps)
        self._rate_step = DEFAULT_RATE_STEP
        self._synth_timeout_s = synth_timeout_s
        self._espeak = espeak
        self._scratch = Path(tempfile.mkdtemp(prefix="kiosk-speech-"))
        self._lock = threading.RLock()
        self._queue: queue.Queue[_Utterance | None] = queue.Queue()
        self._generation = 0
        self._last: tuple[str, str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._paused = threading.Event()
        self._status: SpeechStatus | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.errors: list[str] = []  # reason codes of failed utterances, newest last

    @property
    def volume_steps(self) -> tuple[float, ...]:
        """The volume steps in dB, quietest first."""
        return self._steps

    @property
    def volume_step(self) -> int:
        """Index of the current volume step."""
        return self._step

    def check(self) -> SpeechStatus:
        """Check espeak-ng, the voices, the player and the audio device (runs subprocesses)."""
        if shutil.which(self._espeak) is None:
            status = SpeechStatus(False, "espeak_missing", self._player)
        elif self._player is None:
            status = SpeechStatus(False, "player_missing")
        else:
            missing = tuple(sorted(self._missing_voices()))
            reason = probe_device(self._player, self._device, self._scratch)
            status = SpeechStatus(reason == "ok", reason, self._player, missing)
        with self._lock:
            self._status = status
        return status

    def _missing_voices(self) -> set[str]:
        try:
            done = subprocess.run([self._espeak, "--voices"], capture_output=True, text=True,
                                  timeout=10, check=False)
        except (subprocess.TimeoutExpired, OSError):
            return {lang.espeak_voice for lang in LANGUAGES.values()}
        listed: set[str] = set()
        for line in done.stdout.splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 5:  # Pty Language Age/Gender VoiceName File ...
                listed.update((cols[1], cols[4].rsplit("/", 1)[-1]))
        return {lang.espeak_voice for lang in LANGUAGES.values()} - listed

    def speak(self, text: str, lang: str) -> None:
        """Say ``text`` in ``lang`` (interrupting the current utterance); returns at once."""
        get_language(lang)
        clean = strip_marks(text).strip()
        with self._lock:
            if self._closed:
                return
            self._last = (clean, lang)
            self._generation += 1
            generation = self._generation
            self._ensure_thread()
        self._kill_player()
        self._paused.clear()
        if clean:
            self._queue.put(_Utterance(clean, lang, generation))

    def repeat(self) -> None:
        """Say the last text again from its start."""
        with self._lock:
            last = self._last
        if last is not None:
            self.speak(*last)

    def pause(self) -> None:
        """Pause the current utterance (SIGSTOP to the player)."""
        self._paused.set()
        self._signal_player(signal.SIGSTOP)

    def resume(self) -> None:
        """Continue after ``pause`` (SIGCONT to the player)."""
        self._paused.clear()
        self._signal_player(signal.SIGCONT)

    def stop(self) -> None:
        """Stop speaking now and drop anything queued."""
        with self._lock:
            self._generation += 1
        self._paused.clear()
        self._kill_player()

    def set_volume_step(self, step: int) -> None:
        """Choose a volume step; applies from the next utterance on."""
        self._step = _check_step(step, self._steps)

    @property
    def rate_step(self) -> int:
        """Index of the current speaking-rate step."""
        return self._rate_step

    def set_rate_step(self, step: int) -> None:
        """Choose a speaking-rate step; applies from the next utterance on."""
        self._rate_step = _check_step(step, RATE_FACTORS, "rate")

    def close(self) -> None:
        """Stop speaking, end the worker thread and delete the scratch folder."""
        with self._lock:
            self._closed = True
            self._generation += 1
            thread = self._thread
        self._kill_player()
        self._queue.put(None)
        if thread is not None:
            thread.join(timeout=15)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> EspeakSpeech:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- worker side ---------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
            self._thread.start()

    def _current(self, utterance: _Utterance) -> bool:
        with self._lock:
            return utterance.generation == self._generation and not self._closed

    def _run(self) -> None:
        while True:
            utterance = self._queue.get()
            if utterance is None:
                return
            if not self._current(utterance):
                continue
            try:
                self._say(utterance)
            except AudioError as exc:
                self.errors.append(exc.code)
                log.warning("speech failed: %s", exc.code)
            except Exception:  # the worker must survive anything
                self.errors.append("speech_crashed")
                log.exception("speech worker error")

    def _say(self, utterance: _Utterance) -> None:
        with self._lock:
            status = self._status
        if status is None:
            status = self.check()
        if not status.available or self._player is None:
            return  # silent terminal: nothing to play, nothing to crash
        wav = synthesize_wav(utterance.text, utterance.lang, timeout_s=self._synth_timeout_s,
                             espeak=self._espeak, rate_factor=RATE_FACTORS[self._rate_step])
        wav = apply_volume(wav, self._steps[self._step])
        path = self._scratch / f"utt-{utterance.generation}.wav"
        path.write_bytes(wav)
        try:
            self._play(utterance, path, wav_duration_s(wav))
        finally:
            path.unlink(missing_ok=True)

    def _play(self, utterance: _Utterance, path: Path, duration_s: float) -> None:
        while self._paused.is_set() and self._current(utterance):
            time.sleep(0.05)  # paused before playback began: wait for resume or stop
        with self._lock:
            if not self._current(utterance):
                return
            proc = subprocess.Popen(player_command(self._player or "aplay", self._device, path),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._proc = proc
        budget = duration_s + 10.0  # seconds of un-paused playing allowed before a kill
        last = time.monotonic()
        try:
            while proc.poll() is None:
                time.sleep(0.05)
                now = time.monotonic()
                if not self._paused.is_set():
                    budget -= now - last
                last = now
                if budget < 0 or not self._current(utterance):
                    raise AudioError("player_timeout") if budget < 0 else _Stopped()
        except _Stopped:
            pass
        finally:
            with self._lock:
                self._proc = None
            _kill(proc)
        if proc.returncode not in (0, -signal.SIGKILL):
            raise AudioError("player_failed", f"player exit code {proc.returncode}")

    def _signal_player(self, sig: signal.Signals) -> None:
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)

    def _kill_player(self) -> None:
        with self._lock:
            proc = self._proc
        if proc is not None:
            _kill(proc)


class _Stopped(Exception):
    """Internal: the utterance was superseded or stopped."""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()  # SIGKILL also ends a SIGSTOPped player
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log.error("audio player did not exit after SIGKILL")


def make_speech(config: AccessibilityConfig, *, device: str | None = None,
                player: str = "auto") -> SpeechOutput:
    """The speech output the config asks for: espeak-ng, or silent if off or not installed."""
    if not config.speech:
        return RecordingSpeech(available=False, volume_step=config.volume_step)
    if shutil.which(ESPEAK) is None:
        log.warning("espeak-ng is not installed; speech output is silent")
        return RecordingSpeech(available=False, volume_step=config.volume_step)
    return EspeakSpeech(device=device, player=player, volume_step=config.volume_step)


from accessibility.speech_recording import RecordingSpeech  # noqa: E402 - public re-export

__all__ = ["EspeakSpeech", "RecordingSpeech", "SpeechOutput", "SpeechStatus", "make_speech",
           "spoken_customer_number", "spoken_pin"]
