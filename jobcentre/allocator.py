"""Tune glibc's allocator for the intake server's megabyte-sized buffers.

Every upload passes through buffers of its own size (request body, the partial upload read
back, the opened envelope, the at-rest ciphertext). With glibc's defaults, a buffer above
the mmap threshold is mapped fresh and unmapped when freed, or the heap top is trimmed back
to the kernel, so each megabyte costs ~256 page faults and zeroing -- measured: decrypting a
1 MB envelope 1.08 ms with the defaults, 0.14 ms with the settings below. ``tune_allocator``
keeps freed memory for reuse instead: buffers up to ``MMAP_THRESHOLD`` come from the heap,
the heap top is given back only beyond ``TRIM_THRESHOLD``, and at most ``ARENA_MAX`` arenas
(Python allocates under the GIL, so more arenas only hold more idle memory).

``TRIM_THRESHOLD`` is sized for a burst: when 200 kiosks upload 1 MB each at once, each of
two intake processes holds some 100 bodies and their opened and sealed copies, a heap of
about 250 MB (VmHWM 310-330 MB). With a 64 MB threshold the heap was handed back after the
burst and faulted in again by the next: 4.4-4.6 ms of CPU per document against 3.4 ms with
512 MB (``benchmarks/bench_intake.py``, SQLite). The price is that a process keeps the heap
of its largest burst (RSS stayed at 310-330 MB instead of falling to 115-160 MB).

Called once by ``kiosk-server serve`` before the app is built (forked workers inherit it).
A no-op where the C library has no ``mallopt`` (musl, macOS).
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's upper limit on 64-bit
TRIM_THRESHOLD = 512 * 1024 * 1024
ARENA_MAX = 4


def tune_allocator() -> bool:
    """Apply the settings above; True if the C library took all of them."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    taken = [mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD), mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD),
             mallopt(M_ARENA_MAX, ARENA_MAX)]
    if not all(taken):
        log.warning("the C library refused some allocator settings")
    return all(taken)
