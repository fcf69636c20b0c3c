"""Speech output: real espeak-ng WAVs, volume steps in dB, a real player process paused/killed."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from accessibility.audio import (
    VOLUME_STEPS_DB,
    apply_volume,
    rms_dbfs,
    synthesize_wav,
    wav_duration_s,
)
from accessibility.speech import (
    EspeakSpeech,
    RecordingSpeech,
    SpeechOutput,
    make_speech,
    spoken_customer_number,
    spoken_pin,
)

# A stand-in for aplay: a real process that "plays" a WAV for its duration, so it can be
# paused with SIGSTOP and killed; it notes its pid and the played file's size.
SLOW_PLAYER = '''
import sys, time, wave
log, path = sys.argv[1], sys.argv[-1]
with wave.open(path, "rb") as w:
    seconds = w.getnframes() / w.getframerate()
with open(log, "a") as fh:
    fh.write(f"start {__import__('os').getpid()} {seconds:.3f}\\n")
end = time.monotonic() + seconds
while time.monotonic() < end:
    time.sleep(0.01)
with open(log, "a") as fh:
    fh.write(f"done {__import__('os').getpid()}\\n")
'''


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def utterances(log: Path) -> list[int]:
    """Pids of the player runs that played speech (not the 50 ms device probe)."""
    if not log.exists():
        return []
    lines = [line.split() for line in log.read_text().splitlines()]
    return [int(p[1]) for p in lines if p[0] == "start" and float(p[2]) > 0.2]


def finished(log: Path) -> list[int]:
    """Pids of speech player runs that played to the end."""
    done = {int(line.split()[1]) for line in log.read_text().splitlines()
            if line.startswith("done")}
    return [pid for pid in utterances(log) if pid in done]


def process_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


@pytest.fixture
def slow_player(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "slow_player.py"
    script.write_text(SLOW_PLAYER)
    log = tmp_path / "player.log"
    wrapper = tmp_path / "slowplay"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "{log}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper), log


@pytest.fixture
def engine(slow_player: tuple[str, Path]) -> Iterator[EspeakSpeech]:
    speech = EspeakSpeech(player=slow_player[0], device="headset")
    yield speech
    speech.close()


def test_volume_steps_meet_en_301_549() -> None:
    steps = VOLUME_STEPS_DB
    assert list(steps) == sorted(steps)
    assert any(s - steps[0] >= 12 for s in steps[1:-1]), "need an intermediate step +12 dB"


def test_real_wav_levels_follow_the_steps() -> None:
    wav = synthesize_wav("Bitte legen Sie das Dokument unter die Kamera.", "de")
    assert wav_duration_s(wav) > 1.0
    levels = [rms_dbfs(apply_volume(wav, db)) for db in VOLUME_STEPS_DB]
    assert levels[2] - levels[0] == pytest.approx(12.0, abs=0.2)
    for (a, b), (la, lb) in zip(
        zip(VOLUME_STEPS_DB, VOLUME_STEPS_DB[1:], strict=False),
        zip(levels, levels[1:], strict=False),
        strict=True,
    ):
        assert lb - la == pytest.approx(b - a, abs=0.2)
    loudest = apply_volume(wav, VOLUME_STEPS_DB[-1])
    assert max(abs(b) for b in memoryview(loudest[44:]).cast("h")) <= 32767  # no wrap-around


@pytest.mark.parametrize("lang", ["de", "en", "uk", "ru", "ar", "tr", "fa", "pl", "ro"])
def test_every_language_has_a_voice(lang: str) -> None:
    assert wav_duration_s(synthesize_wav("1 2 3", lang)) > 0.3


def test_customer_number_spoken_digit_by_digit_and_pin_never() -> None:
    text = spoken_customer_number("123 A456789", "en")
    assert "1, 2, 3, A, 4, 5, 6, 7, 8, 9" in text
    for lang in ("de", "ar", "fa", "uk"):
        phrase = spoken_pin(lang)
        assert phrase and not any(ch.isdigit() for ch in phrase)


def test_recording_speech_records() -> None:
    speech = RecordingSpeech()
    assert isinstance(speech, SpeechOutput)
    speech.speak("Hallo", "de")
    speech.set_volume_step(5)
    speech.repeat()
    speech.pause()
    assert speech.paused
    assert speech.spoken == [("Hallo", "de", 3), ("Hallo", "de", 5)]
    with pytest.raises(ValueError, match="volume step"):
        speech.set_volume_step(6)


def test_no_audio_device_degrades_to_silent(tmp_path: Path) -> None:
    with EspeakSpeech(device="no-such-device-xyz") as speech:
        assert isinstance(speech, SpeechOutput)
        status = speech.check()
        assert not status.available and status.reason == "no_audio_device"
        assert status.missing_voices == ()
        speech.speak("Guten Tag", "de")
        speech.pause()
        speech.resume()
        speech.repeat()
        speech.stop()
    assert speech.errors == []


def test_alsa_null_device_plays() -> None:
    with EspeakSpeech(player="aplay", device="null") as speech:
        assert speech.check().available
        speech.speak("Test", "en")


def test_speak_pause_resume_and_stop_a_real_player(
    engine: EspeakSpeech, slow_player: tuple[str, Path]
) -> None:
    log = slow_player[1]
    assert engine.check().available
    engine.speak("Bitte legen Sie die erste Seite unter die Kamera. Danke.", "de")
    wait_for(lambda: len(utterances(log)) == 1)
    pid = utterances(log)[0]
    engine.pause()
    wait_for(lambda: process_state(pid) == "T")
    engine.resume()
    wait_for(lambda: process_state(pid) in ("S", "R", "gone"))
    engine.stop()
    wait_for(lambda: process_state(pid) in ("gone", "Z"))
    assert finished(log) == []
    assert engine.errors == []


def test_new_text_interrupts_and_repeat_plays_again(
    engine: EspeakSpeech, slow_player: tuple[str, Path]
) -> None:
    log = slow_player[1]
    engine.speak("Ein langer Satz, der unterbrochen wird, weil der Bildschirm wechselt.", "de")
    wait_for(lambda: len(utterances(log)) == 1)
    first_pid = utterances(log)[0]
    engine.set_volume_step(0)
    engine.speak("Kurz.", "de")
    wait_for(lambda: process_state(first_pid) in ("gone", "Z"))
    wait_for(lambda: len(finished(log)) == 1)
    engine.repeat()
    wait_for(lambda: len(finished(log)) == 2)
    assert len(utterances(log)) == 3
    with pytest.raises(ValueError):
        engine.set_volume_step(-1)
    assert engine.errors == []


def test_stop_while_paused_kills_the_stopped_player(
    engine: EspeakSpeech, slow_player: tuple[str, Path]
) -> None:
    log = slow_player[1]
    engine.speak("Noch ein Satz zum Anhalten und Beenden.", "de")
    wait_for(lambda: len(utterances(log)) == 1)
    pid = utterances(log)[0]
    engine.pause()
    wait_for(lambda: process_state(pid) == "T")
    engine.stop()
    wait_for(lambda: process_state(pid) in ("gone", "Z"))
    assert not os.path.exists(f"/proc/{pid}/stat") or process_state(pid) == "Z"


def test_make_speech_follows_the_config() -> None:
    from config.model import AccessibilityConfig

    off = make_speech(AccessibilityConfig(speech=False))
    assert isinstance(off, RecordingSpeech) and not off.check().available
    on = make_speech(AccessibilityConfig(volume_step=5), device="null", player="aplay")
    try:
        assert isinstance(on, EspeakSpeech)
        assert on.volume_step == 5 and len(on.volume_steps) == 6
    finally:
        on.close()
    # every volume step the config allows exists
    assert AccessibilityConfig.model_fields["volume_step"].metadata  # ge/le bounds present
    for step in range(len(VOLUME_STEPS_DB)):
        AccessibilityConfig(volume_step=step)


def test_speaking_rate_steps_change_the_real_speech_duration() -> None:
    """EN 301 549 5.1.3.12: the visitor can slow speech down (and speed it up)."""
    from accessibility.audio import RATE_FACTORS

    text = "Bitte legen Sie die Seite flach unter die Kamera."
    slow = wav_duration_s(synthesize_wav(text, "de", rate_factor=RATE_FACTORS[0]))
    usual = wav_duration_s(synthesize_wav(text, "de"))
    fast = wav_duration_s(synthesize_wav(text, "de", rate_factor=RATE_FACTORS[-1]))
    assert slow > usual * 1.3 and fast < usual * 0.85


def test_rate_step_is_recorded_and_checked() -> None:
    speech = RecordingSpeech()
    speech.set_rate_step(0)
    assert speech.rate_step == 0 and speech.calls[-1] == "rate:0"
    with pytest.raises(ValueError):
        speech.set_rate_step(99)
