"""The agent's and the UI's log files under ``<data>/logs/`` (besides journald/stderr).

``kiosk run`` and ``kiosk agent`` each add one size-capped rotating file
(``ui.log``/``agent.log``, 1 MB, two old files kept) to the root logger, so the fleet
command ``collect_logs`` finds the same lines on a development machine as journald holds
in production. The lines follow the house rule (no personal data); what leaves the
terminal is redacted once more (``foundation.masking.redact_log_line``).
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

FOLDER = "logs"
MAX_BYTES = 1024 * 1024
BACKUPS = 2
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: no space inside the time stamp (the redaction reads spaced digit runs as one number)
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def log_file(data_dir: Path, name: str) -> Path:
    """``<data>/logs/<name>.log``."""
    return data_dir / FOLDER / f"{name}.log"


def attach_log_file(data_dir: Path, name: str) -> logging.Handler:
    """Log the root logger's records to ``<data>/logs/<name>.log`` too; returns the handler."""
    path = log_file(data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                  encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    return handler
