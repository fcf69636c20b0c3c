"""How controllers run work in the background and hand results back to the UI thread.

Two small callables are injected into every controller that does background work:

* a **runner** ``run(name, work)`` that runs ``work()`` off the UI thread
  (``start_thread`` in the kiosk; ``run_inline`` in tests that want no threads);
* a **post** ``post(callback)`` that runs ``callback()`` on the UI thread
  (the UI layer passes Kivy's clock; ``call_now`` where there is no UI).

No Kivy here, so every controller can be tested without a window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Work = Callable[[], None]
Runner = Callable[[str, Work], None]
Post = Callable[[Work], None]


def start_thread(name: str, work: Work) -> None:
    """Run ``work`` on a new daemon thread called ``name``."""
    threading.Thread(target=work, name=name, daemon=True).start()


def run_inline(_name: str, work: Work) -> None:
    """Run ``work`` at once on the calling thread (tools and tests without threads)."""
    work()


def call_now(callback: Work) -> None:
    """Post for callers without a UI thread: call ``callback`` right away."""
    callback()
