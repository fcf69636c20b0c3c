"""Fixtures for update tests: real wheels and a base venv built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.updates.layout import Layout
from tests.updates.releases import build_releases, install_first, make_base


@pytest.fixture(scope="session")
def release_wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``version → wheel`` of the project (``tests.updates.releases.VERSIONS``)."""
    return build_releases(tmp_path_factory.mktemp("releases"))


@pytest.fixture(scope="session")
def base_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base venv seeing this test venv's packages (not the editable working tree)."""
    return make_base(tmp_path_factory.mktemp("base") / "base")


@pytest.fixture()
def installed(tmp_path: Path, base_venv: Path, release_wheels: dict[str, Path]) -> Layout:
    """A kiosk layout running 0.9.1 from ``envs/a`` (``current`` → a)."""
    return install_first(tmp_path / "kiosk", base_venv, release_wheels["0.9.1"])
