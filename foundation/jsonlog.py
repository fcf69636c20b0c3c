"""Structured logs: one JSON object per line (``--log-format json`` of the server and agent).

Fields: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, and
``code`` when the record carries one (``extra={"code": ...}`` or a ``KioskError``). An
exception contributes its type only (``exc_type``), never its text or traceback, which may
quote input. As a last line of defence, anything shaped like a customer number
(``123A456789``) or a household (BG) number in the message is masked with
``foundation.masking`` before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from foundation.masking import mask_customer_number

#: customer numbers (123A456789) and BG numbers (12345BG1234567, 12345 BG 1234567)
_PERSONAL = re.compile(r"\b\d{3}[A-Z]\d{6}\b|\b\d{5}\s?BG\s?\d{7}\b|\b\d{5}//\d{7}\b")


def scrub(text: str) -> str:
    """``text`` with customer and household numbers masked."""
    return _PERSONAL.sub(lambda m: mask_customer_number(m.group(0)), text)


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as compact JSON (no newline inside)."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        code = record.__dict__.get("code")
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["exc_type"] = type(error).__name__
            code = code or getattr(error, "code", None)
        if isinstance(code, str) and code:
            entry["code"] = code
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def configure(log_format: str, level: int = logging.INFO, stream: TextIO | None = None,
              text_format: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> None:
    """Set up the root logger once: ``json`` (one object per line) or ``text``."""
    if log_format not in ("json", "text"):
        raise ValueError(f"unknown log format {log_format!r}: use text or json")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter(text_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
