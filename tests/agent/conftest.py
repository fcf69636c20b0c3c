"""A running agent on a temporary data directory (embedded backend, simulated devices)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.model import KioskConfig
from kiosk.agent.runner import Agent


@pytest.fixture()
def agent(tmp_path: Path) -> Iterator[Agent]:
    running = Agent(KioskConfig(data_dir=tmp_path), tmp_path)
    running.start()
    yield running
    running.stop()
