"""Shared fixtures: the default thresholds and cached synthetic corpus cases."""

from __future__ import annotations

from functools import lru_cache

import pytest

from config.scanning import ScanQualityConfig
from scanning.synthetic import SyntheticCase, make_case


@lru_cache(maxsize=64)
def corpus_case(kind: str, seed: int) -> SyntheticCase:
    """One synthetic case, generated once per test session."""
    return make_case(kind, seed)


@pytest.fixture()
def config() -> ScanQualityConfig:
    """Default scan-quality configuration."""
    return ScanQualityConfig()
