"""Fixtures for UI tests: a data directory with a running kiosk agent (embedded backend)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screens"


@contextlib.contextmanager
def running_agent(data: Path) -> Iterator[Path]:
    """A kiosk agent (embedded intake service, enrolled) on ``data`` until the block ends."""
    data.mkdir(parents=True, exist_ok=True)
    agent = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "agent", "--data", str(data), "--print-socket"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert agent.stdout is not None
        line = agent.stdout.readline()
        assert line.startswith("ready"), f"agent did not start: {line!r}"
        yield data
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=20)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait(timeout=10)
        if agent.stdout is not None:
            agent.stdout.close()


@pytest.fixture
def agent_data(tmp_path: Path) -> Iterator[Path]:
    """A fresh data directory whose agent runs the embedded intake service and enrolled."""
    with running_agent(tmp_path / "data") as data:
        yield data


def run_scenario(name: str, data: Path, shots: Path, *extra: str) -> dict[str, Any]:
    """Run a UI scenario in its own process (one Kivy window per process)."""
    out = data.parent / f"{name}.json"
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "tests.ui.scenarios", name, "--data", str(data),
         "--shots", str(shots), "--out", str(out), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return dict(json.loads(out.read_text()))
