"""The UI process's environment: malloc arenas capped for `kiosk run` and its systemd unit,
free memory handed back to the kernel on request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.kivy_env import (
    MALLOC_ARENAS,
    limit_malloc_arenas,
    release_free_memory,
    release_free_memory_in_background,
)

ROOT = Path(__file__).resolve().parents[1]


def unit_environment(name: str) -> dict[str, str]:
    """The ``Environment=`` settings of a systemd unit in ``systemd/``."""
    values: dict[str, str] = {}
    for line in (ROOT / "systemd" / name).read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            values[key] = value
    return values


def test_ui_unit_caps_malloc_arenas() -> None:
    assert unit_environment("kiosk-ui.service")["MALLOC_ARENA_MAX"] == str(MALLOC_ARENAS)


def test_kiosk_run_caps_malloc_arenas_before_kivy_loads(tmp_path: Path) -> None:
    """`kiosk run` prepares the environment first thing; the cap holds for its children."""
    script = ("import os, sys\n"
              "from kiosk.kivy_env import prepare_kivy_environment\n"
              "prepare_kivy_environment(headless=True)\n"
              "assert 'kivy' not in sys.modules\n"
              "print(os.environ['MALLOC_ARENA_MAX'])\n")
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env["KIVY_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=60,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(MALLOC_ARENAS)


def test_an_operator_setting_for_the_arenas_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is True
    assert os.environ["MALLOC_ARENA_MAX"] == "4"


def test_free_memory_is_released_on_glibc() -> None:
    big = [bytearray(64 * 1024) for _ in range(2000)]  # ~128 MB in small blocks
    del big
    assert release_free_memory() is True


def test_only_one_background_release_runs_at_a_time() -> None:
    first = release_free_memory_in_background()
    assert first is not None
    second = release_free_memory_in_background()
    first.join(timeout=30)
    if second is not None:  # the first had already finished
        second.join(timeout=30)
    else:
        again = release_free_memory_in_background()
        assert again is not None
        again.join(timeout=30)


def test_kiosk_run_draws_without_multisampling(tmp_path: Path) -> None:
    """Kivy asks for 2x multisampling by default; llvmpipe then keeps 4x colour and depth
    buffers (~46 MB at 1280 x 800). The window `kiosk run` opens has a single sample."""
    script = ("from kiosk.kivy_env import prepare_kivy_environment\n"
              "prepare_kivy_environment(headless=True, size=(1280, 800))\n"
              "from kivy.core.window import Window\n"
              "from kivy.graphics.opengl import glGetIntegerv\n"
              "GL_SAMPLE_BUFFERS, GL_SAMPLES = 0x80A8, 0x80A9\n"
              "print(Window.size, glGetIntegerv(GL_SAMPLE_BUFFERS)[0], "
              "glGetIntegerv(GL_SAMPLES)[0])\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KCFG_")}
    env["KIVY_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=120,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "(1280, 800) 0 0"
