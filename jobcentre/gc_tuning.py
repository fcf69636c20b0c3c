"""Keep Python's cyclic garbage collector from stalling an intake process for seconds.

With 10,000 kiosks each holding a live-channel poll open, an intake process keeps some
5,000 waiting requests alive (their scopes, headers, tasks, timers), so they reach the
oldest generation, and every full collection walked them plus every object of the imported
libraries (~250,000): ``benchmarks/bench_fleet.py`` saw full collections of 0.4-5.6 s on two
busy cores, during which no request was answered. Request objects die by reference
counting (the full collections freed nothing). ``tune_gc`` therefore

* moves everything alive once the app is built into the permanent generation
  (``gc.freeze``), so full collections no longer walk the libraries, and
* collects the youngest generation after ``GEN0_THRESHOLD`` allocations instead of 700,
  so short-lived request objects die before they are ever promoted and the older
  generations are collected a hundred times less often.

Called by ``kiosk-server serve`` in each process after its app is built.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000


def tune_gc() -> tuple[int, int, int]:
    """Freeze what is alive now and raise the young generation's threshold; returns it."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
    return gc.get_threshold()
