"""``tune_gc``: what is alive after start-up is frozen, young objects are collected rarely."""

from __future__ import annotations

import subprocess
import sys

from jobcentre.gc_tuning import GEN0_THRESHOLD

SCRIPT = """
import gc
import jobcentre.service  # the app's libraries, as kiosk-server serve has them loaded
from jobcentre.gc_tuning import tune_gc
before = gc.get_freeze_count()
threshold = tune_gc()
print(before, gc.get_freeze_count(), threshold[0], len(gc.get_objects(2)))
"""


def test_start_up_objects_are_frozen_and_the_young_threshold_raised() -> None:
    # in a process of its own: freezing is for the whole interpreter
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120, check=True)
    before, frozen, threshold, oldest = map(int, done.stdout.split())
    assert before == 0 and frozen > 50_000  # the libraries' objects no longer get walked
    assert oldest < frozen // 10  # … by a full collection, which sees only what came later
    assert threshold == GEN0_THRESHOLD
