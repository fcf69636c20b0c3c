"""JSON log lines: one object per line, codes and exception types but no exception text, and
customer or household numbers masked even where a message would carry one."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from foundation.errors import BackendUnavailable
from foundation.jsonlog import configure


@pytest.fixture()
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure("json", stream=out)
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def test_each_record_is_one_json_object_without_personal_data(stream: io.StringIO) -> None:
    log = logging.getLogger("kiosk.test")
    log.info("receipt for 123A456789 and BG 12345BG1234567 printed")
    try:
        raise BackendUnavailable("upload of Max Mustermann payslip failed", code="backend_down")
    except BackendUnavailable:
        log.exception("upload failed")
    log.warning("multi\nline", extra={"code": "storage_full"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    entries = [json.loads(line) for line in lines]
    assert entries[0]["message"] == "receipt for 123A****89 and BG 1234********67 printed"
    assert entries[1]["exc_type"] == "BackendUnavailable"
    assert entries[1]["code"] == "backend_down"
    assert entries[2]["code"] == "storage_full"
    assert "Mustermann" not in stream.getvalue()
    assert "123A456789" not in stream.getvalue()


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log format"):
        configure("xml")
