"""``kiosk read-letter``: what a job-centre letter asks for, read as the kiosk would.

Each argument is one letter: one image, or its pages joined with commas (``p1.jpg,p2.jpg``).
Pages go through the same capture checks and OCR as ``kiosk check-image``
(``scanning.judge.judge_page``), then ``scanning.letter``. With
``--json`` one JSON array is printed, one object per letter (``path`` as given, numbers,
dates, sender, requested items with type codes, the capture verdict). Exit status 0 when
every letter could be read (rejected pages included), 2 when a file is missing.
The ``kiosk`` command owns the parser (``kiosk/cli.py``) and calls ``run_read_letter``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from config.model import KioskConfig
from foundation.errors import ScanRejected
from scanning.files import load_image_file
from scanning.judge import judge_page
from scanning.letter import LetterFacts, read_letter_pages
from scanning.models import PageResult


def _unreadable(reasons: list[str]) -> dict[str, Any]:
    record = LetterFacts(None, None, None, None, None, ()).as_json()
    record.update(verdict="reject", reasons=reasons)
    return record


def read_letter_files(paths: list[Path], config: KioskConfig) -> dict[str, Any]:
    """The JSON record (without ``path``) of one letter from its page files."""
    results: list[PageResult] = []
    for path in paths:
        try:
            image = load_image_file(path, config.scanning)
        except ScanRejected as exc:
            return _unreadable(list(exc.reasons))
        results.append(judge_page(image, config.scanning))
    return read_letter_pages(results, config.site.customer_number_formats).as_json()


def _print_summary(records: list[dict[str, Any]], out: TextIO) -> None:
    for record in records:
        numbers = [n for n in (record["customer_number"], record["bg_number"]) if n]
        out.write(f"{record['path']}: {record['verdict']}"
                  f"{' (' + ','.join(record['reasons']) + ')' if record['reasons'] else ''}\n")
        out.write(f"  numbers:  {', '.join(numbers) or '-'}\n")
        out.write(f"  dated:    {record['letter_date'] or '-'}   deadline: "
                  f"{record['deadline'] or '-'}   from: {record['sender'] or '-'}\n")
        for item in record["requested"]:
            out.write(f"  [ ] {item['document_type']:<20} {item['text']}\n")
        if not record["requested"]:
            out.write("  (no list of documents)\n")


def run_read_letter(args: argparse.Namespace, config: KioskConfig) -> int:
    """Read every letter in ``args.letters``; print JSON or a summary; return the exit status."""
    records, usage_error = [], False
    for letter in args.letters:
        paths = [Path(p) for p in str(letter).split(",") if p]
        missing = [p for p in paths if not p.is_file()]
        if missing or not paths:
            for path in missing:
                print(f"read-letter: not a file: {path}", file=sys.stderr)
            usage_error = True
            record = _unreadable(["unsupported_file"])
        else:
            record = read_letter_files(paths, config)
        records.append({"path": str(letter), **record})
    if args.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        _print_summary(records, sys.stdout)
    return 2 if usage_error else 0
