"""Sound pieces of speech output: espeak-ng synthesis, volume steps as gain, the player command.

Volume steps are gains in dB (EN 301 549 8.2.1.2 asks for a step at least 12 dB above the
lowest). Each utterance is first normalised to a fixed peak, so every step sounds equally
loud whatever the text; step ``0 dB`` peaks at -6 dBFS and the loudest (+6 dB) at full scale
without clipping.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from accessibility.languages import get_language
from foundation.errors import AudioError

VOLUME_STEPS_DB: tuple[float, ...] = (-24.0, -18.0, -12.0, -6.0, 0.0, 6.0)
DEFAULT_VOLUME_STEP = 3
# Speaking rate as a share of each language's usual rate; the middle step is the default.
RATE_FACTORS: tuple[float, ...] = (0.6, 0.75, 0.9, 1.0, 1.2, 1.45)
DEFAULT_RATE_STEP = 3
REFERENCE_PEAK_DBFS = -6.0
ESPEAK = "espeak-ng"
MAX_TEXT_CHARS = 2000



def synthesize_wav(text: str, lang: str, *, timeout_s: float = 10.0,
                   espeak: str = ESPEAK, rate_factor: float = 1.0) -> bytes:
    """Speak ``text`` in ``lang`` with espeak-ng and return the WAV file's bytes.

    ``rate_factor`` scales the language's usual speaking rate (EN 301 549 5.1.3.12).
    """
    if not text.strip():
        raise AudioError("empty_text")
    language = get_language(lang)
    exe = shutil.which(espeak)
    if exe is None:
        raise AudioError("espeak_missing")
    wpm = max(80, min(450, round(language.speech_rate_wpm * rate_factor)))
    cmd = [exe, "-v", language.espeak_voice, "-s", str(wpm),
           "-b", "1", "--stdout"]
    try:
        # Text goes through stdin: a text starting with "-" can never become an option.
        done = subprocess.run(cmd, input=text[:MAX_TEXT_CHARS].encode("utf-8"),
                              capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioError("espeak_timeout") from exc
    if done.returncode != 0 or len(done.stdout) < 44:
        raise AudioError("espeak_failed", f"espeak-ng exit code {done.returncode}")
    return _rewrite_wav(done.stdout)


def _read_pcm(data: bytes) -> tuple[np.ndarray, int, int]:
    """Samples (int16), sample rate and channel count of a 16-bit PCM WAV."""
    # espeak's --stdout header carries a placeholder length: read the frames that exist.
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise AudioError("unsupported_wav", "only 16-bit PCM is supported")
        rate, channels = wav.getframerate(), wav.getnchannels()
        frames = wav.readframes(wav.getnframes())
    usable = len(frames) - len(frames) % (2 * channels)
    return np.frombuffer(frames[:usable], dtype="<i2"), rate, channels


def _write_pcm(samples: np.ndarray, rate: int, channels: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def _rewrite_wav(data: bytes) -> bytes:
    samples, rate, channels = _read_pcm(data)
    return _write_pcm(samples, rate, channels)


def apply_volume(data: bytes, gain_db: float) -> bytes:
    """Normalise a WAV to the reference peak, then apply ``gain_db``; never clips."""
    samples, rate, channels = _read_pcm(data)
    floats = samples.astype(np.float64)
    peak = float(np.max(np.abs(floats))) if floats.size else 0.0
    if peak > 0:
        target = 32767.0 * 10 ** ((REFERENCE_PEAK_DBFS + gain_db) / 20)
        floats *= min(target, 32767.0) / peak
    return _write_pcm(np.clip(np.round(floats), -32768, 32767), rate, channels)


def wav_duration_s(data: bytes) -> float:
    """Playing time of a WAV in seconds."""
    samples, rate, channels = _read_pcm(data)
    return len(samples) / channels / rate if rate else 0.0


def rms_dbfs(data: bytes) -> float:
    """RMS level of a WAV in dB relative to full scale (-inf for silence)."""
    samples, _, _ = _read_pcm(data)
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean((samples.astype(np.float64) / 32768.0) ** 2)))
    return 20 * float(np.log10(rms)) if rms > 0 else float("-inf")


def silent_wav(duration_s: float = 0.05, rate: int = 22050) -> bytes:
    """A short silent mono WAV (used to probe the audio device)."""
    return _write_pcm(np.zeros(int(duration_s * rate), dtype=np.int16), rate, 1)


def find_player(preferred: str = "auto") -> str | None:
    """``aplay`` or ``paplay`` (auto: aplay first), or None if neither is installed."""
    names = ("aplay", "paplay") if preferred == "auto" else (preferred,)
    for name in names:
        if shutil.which(name):
            return name
    return None


def player_command(player: str, device: str | None, wav: Path) -> list[str]:
    """Command line that plays ``wav`` on ``device`` with ``player``."""
    exe = shutil.which(player) or player
    if Path(exe).name == "paplay":
        return [exe, *([f"--device={device}"] if device else []), str(wav)]
    return [exe, "-q", *(["-D", device] if device else []), str(wav)]


def probe_device(player: str, device: str | None, scratch: Path,
                 timeout_s: float = 5.0) -> str:
    """Play a short silence; return ``ok`` or a reason code such as ``no_audio_device``."""
    probe = scratch / "probe.wav"
    probe.write_bytes(silent_wav())
    try:
        done = subprocess.run(player_command(player, device, probe), capture_output=True,
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return "audio_device_timeout"
    finally:
        probe.unlink(missing_ok=True)
    return "ok" if done.returncode == 0 else "no_audio_device"
