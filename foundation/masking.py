"""Masking of personal numbers for receipts, screens and staff views (one rule everywhere),
and the redaction of log lines that leave the terminal."""

from __future__ import annotations

import re


def mask_customer_number(number: str) -> str:
    """Keep the first four and last two characters, e.g. ``123A****89``; spaces are dropped."""
    compact = "".join(number.split())
    if len(compact) <= 6:
        return "*" * len(compact)
    return compact[:4] + "*" * (len(compact) - 6) + compact[-2:]


# --- log lines leaving the terminal (fleet command ``collect_logs``) ----------------------

#: capitalised words a log line may keep: log levels, technical names, protocol words.
#: Every other capitalised word could be a name and is replaced (the house rule keeps names
#: out of logs; this is the second line of defence for logs that leave the terminal).
LOG_WORDS = frozenset({
    "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "Traceback", "File", "Error",
    "Exception", "HTTP", "GET", "POST", "PUT", "DELETE", "OK", "UTC", "PDF", "OCR", "JSON",
    "API", "TLS", "CA", "SQL", "SQLite", "PostgreSQL", "Kivy", "Tesseract", "OpenCV",
    "ESC", "POS", "USB", "SANE", "PC", "SC", "True", "False", "None", "A", "The", "No",
    "FEHLER", "WARNUNG", "Testseite", "Terminal",
})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_RECEIPT = re.compile(r"\b[A-Za-z0-9][\w.-]*-\d{8}-\d{4}\b")
#: a run of five or more digits anywhere in a word: customer, BG and phone numbers, dates
#: of birth without separators (times and counts of the logs have shorter runs)
_LONG_NUMBER = re.compile(r"\b\w*\d[\d ]{3,}\d\w*\b")
_WORD = re.compile(r"\b[^\W\d_][^\W_]*\b")


def redact_log_line(line: str, patterns: tuple[str, ...] = ()) -> str:
    """``line`` with anything that may be personal replaced by a ``[kind]`` marker.

    Replaced: e-mail addresses, IBANs, receipt numbers (``<kiosk>-<yyyymmdd>-<nnnn>``),
    the site's customer-number ``patterns``, any word with five or more digits (customer
    and BG numbers in every format), and every capitalised word not in :data:`LOG_WORDS`
    (names). Lower-case words, short numbers, times and punctuation stay.
    """
    line = _EMAIL.sub("[email]", line)
    line = _IBAN.sub("[iban]", line)
    line = _RECEIPT.sub("[receipt]", line)
    for pattern in patterns:
        line = re.sub(pattern, "[number]", line)
    line = _LONG_NUMBER.sub("[number]", line)
    return _WORD.sub(lambda m: m.group(0) if _keep(m.group(0)) else "[name]", line)


def _keep(word: str) -> bool:
    return not word[0].isupper() or word in LOG_WORDS
