"""The UI's side of recycling (kiosk.controllers.recycle): when it asks, what it writes to
the host, and that it ends only when the host says the next UI process is drawing."""

from __future__ import annotations

import io
import os
import threading

from kiosk.controllers.recycle import HOSTED_ENV, RecycleController, RecyclePolicy
from kiosk.controllers.runner import call_now, run_inline, start_thread


def test_the_policy_is_memory_or_visits() -> None:
    policy = RecyclePolicy(above_mb=300, after_visits=10)
    assert not policy.due(299, 9)
    assert policy.due(301, 1)
    assert policy.due(200, 10)


def test_below_the_limit_nothing_is_said() -> None:
    out = io.StringIO()
    recycle = RecycleController(RecyclePolicy(above_mb=300), post=call_now, run=run_inline,
                                hosted=True, out=out, inp=io.StringIO(""), rss=lambda: 250.0)
    assert not recycle.visit_ended(lambda: None)
    assert recycle.visits == 1 and not recycle.pending and out.getvalue() == ""


def test_a_ui_without_a_host_never_recycles() -> None:
    assert os.environ.get(HOSTED_ENV) is None  # tests run the UI without a host
    recycle = RecycleController(RecyclePolicy(above_mb=0), post=call_now, rss=lambda: 500.0)
    assert not recycle.hosted and not recycle.visit_ended(lambda: None)


def test_it_asks_once_then_ends_when_the_host_says_so() -> None:
    out = io.StringIO()
    read, write = os.pipe()
    ended = threading.Event()
    with os.fdopen(read) as inp, os.fdopen(write, "w") as host:
        recycle = RecycleController(RecyclePolicy(above_mb=300), post=call_now,
                                    run=start_thread, hosted=True, out=out, inp=inp,
                                    rss=lambda: 350.0)
        recycle.first_frame(at=12.5)
        assert recycle.visit_ended(ended.set)
        assert recycle.pending
        assert not recycle.visit_ended(ended.set)  # asked already: not twice
        assert out.getvalue().splitlines() == ["first-frame 12.500000", "recycle"]
        assert not ended.wait(0.2)  # stays on screen until the next one draws
        host.write("exit\n")
        host.flush()
        assert ended.wait(10)
    recycle.last_frame(at=13.0)
    assert out.getvalue().splitlines()[-1] == "last-frame 13.000000"


def test_a_host_that_goes_away_ends_the_ui_too() -> None:
    ended: list[bool] = []
    recycle = RecycleController(RecyclePolicy(after_visits=1), post=call_now, run=run_inline,
                                hosted=True, out=io.StringIO(), inp=io.StringIO(""),
                                rss=lambda: 100.0)
    assert recycle.visit_ended(lambda: ended.append(True))
    assert ended == [True]
