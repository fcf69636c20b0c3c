"""``kiosk check-image``: judge image files as the kiosk would, for operators tuning thresholds.

The ``kiosk`` command owns the parser; it calls ``add_check_image_arguments`` and
``run_check_image``. Exit status 0 when every file could be judged (rejections included);
2 for usage errors (a path that does not exist or is not a file — still reported).

Before a file of at least ``PRESTART_MIN_BYTES`` is decoded (and before NumPy and OpenCV are
even imported for the first one), the Tesseract processes a German page will need are
started, so their models load while Python imports, decodes and finds the page
(``scanning.tesseract.PrestartedOcr``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from foundation.errors import ScanRejected
from scanning.tesseract import JUDGE_PAGE_JOBS, OcrJob, PrestartedOcr

if TYPE_CHECKING:
    import numpy as np

    from config.scanning import ScanQualityConfig
    from scanning.files import SizeLimits
    from scanning.models import PageDetection

#: smaller files (icons, thumbnails) seldom hold a readable page: for them the Tesseract
#: processes are started only if a page is found, instead of loading models for nothing
PRESTART_MIN_BYTES = 64 * 1024


def add_check_image_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--json`` and ``PATH...`` to the check-image sub-command parser."""
    parser.add_argument("--json", action="store_true", help="print one JSON array")
    parser.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="image files")


def _rejected(path: Path, reasons: list[str]) -> dict[str, Any]:
    return {
        "path": str(path),
        "verdict": "reject",
        "reasons": reasons,
        "page_found": False,
        "corners": None,
        "rotation": 0,
        "effective_dpi": 0.0,
        "scores": {},
        "language": None,
        "text": "",
        "document_type": "other",
        "document_type_confidence": 0.0,
    }


#: a decoded image, and the page found in it if that was looked for already
Decoded = tuple["np.ndarray", "PageDetection | None"]


def _decode(path: Path, limits: SizeLimits, detect: bool = False) -> Decoded:
    """Decode a file (raises ScanRejected), and find its page if asked to."""
    from scanning.files import load_image_file  # numpy, OpenCV, Pillow: only when judging

    image = load_image_file(path, limits)
    if not detect:
        return image, None
    from scanning.detect import detect_page  # needs no configuration

    return image, detect_page(image)


def judge_file(
    path: Path,
    config: ScanQualityConfig,
    prestarted: PrestartedOcr | None = None,
    decoding: Future[Decoded] | None = None,
) -> dict[str, Any]:
    """The check-image record for one file (never raises for bad content).

    ``decoding`` is this file being decoded (and its page found) already under the same
    size limits (``EarlyStart``); else the file is decoded here.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="decode") as pool:
        # OpenCV decodes without the GIL: the pipeline's modules load meanwhile
        loading = decoding if decoding is not None else pool.submit(_decode, path, config)
        from scanning.judge import LAZY_IMPORTS, judge_page

        for name in LAZY_IMPORTS:  # else loaded on first use, between the checks
            importlib.import_module(name)

        try:
            image, detection = loading.result()
        except ScanRejected as exc:
            return _rejected(path, exc.reasons)
    result = judge_page(image, config, prestarted=prestarted, detection=detection)
    verdict = result.verdict
    return {
        "path": str(path),
        "verdict": verdict.verdict,
        "reasons": list(verdict.reasons),
        "page_found": verdict.page_found,
        "corners": [list(c) for c in verdict.corners] if verdict.corners else None,
        "rotation": verdict.rotation,
        "effective_dpi": verdict.effective_dpi,
        "scores": verdict.scores.as_dict(),
        "language": result.language,
        "text": result.text,
        "document_type": result.document_type,
        "document_type_confidence": result.document_type_confidence,
    }


def _print_table(records: list[dict[str, Any]], out: TextIO) -> None:
    header = ("verdict", "reasons", "dpi", "rot", "type", "lang", "path")
    rows = [
        (
            r["verdict"],
            ",".join(r["reasons"]) or "-",
            f"{r['effective_dpi']:.0f}",
            str(r["rotation"]),
            f"{r['document_type']} ({r['document_type_confidence']:.2f})",
            r["language"] or "-",
            r["path"],
        )
        for r in records
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        out.write(
            "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )


def _prestart_jobs(path: Path) -> tuple[OcrJob, ...]:
    try:
        return JUDGE_PAGE_JOBS if path.stat().st_size >= PRESTART_MIN_BYTES else ()
    except OSError:  # gone meanwhile: judge_file reports it
        return ()


class EarlyStart:
    """check-image's first file, begun before the configuration loads (``kiosk.cli``).

    Its Tesseract processes start, NumPy and OpenCV load, and the file decodes and its page
    is found (``detect_page`` takes no settings) on a worker thread, mostly in OpenCV without
    the GIL, while the configuration and the pipeline load. The decode applies the built-in
    size limits: ``decoding`` hands it over only when the site's limits are the same, so the
    outcome never depends on it.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        first = Path(paths[0]) if paths else None
        self.path = first if first is not None and first.is_file() else None
        self.prestarted = PrestartedOcr(_prestart_jobs(self.path) if self.path else ())
        self._pool: ThreadPoolExecutor | None = None
        self._decoding: Future[Decoded] | None = None
        if self.path is not None:
            from config.file_limits import FileLimits  # not pydantic: that loads meanwhile
            from scanning.files import file_limits

            builtin = FileLimits()
            self._limits = file_limits(builtin)
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="early-decode")
            self._decoding = self._pool.submit(_decode, self.path, builtin, True)

    def decoding(self, config: ScanQualityConfig) -> Future[Decoded] | None:
        """The early decode if ``config`` sets the same size limits, else None."""
        from scanning.files import file_limits

        if self._decoding is None or file_limits(config) != self._limits:
            return None
        return self._decoding

    def __enter__(self) -> EarlyStart:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop unused Tesseract processes; wait for the decode (it cannot be interrupted)."""
        self.prestarted.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def run_check_image(args: argparse.Namespace, config: ScanQualityConfig) -> int:
    """Judge every path in ``args.paths``; print JSON or a table; return the exit status."""
    records, usage_error = [], False
    early: EarlyStart | None = getattr(args, "early", None)
    for path in args.paths:
        path = Path(path)
        if not path.is_file():
            print(f"check-image: not a file: {path}", file=sys.stderr)
            usage_error = True
            records.append(_rejected(path, ["unsupported_file"]))
            continue
        if early is not None and early.path == path:
            with early.prestarted as prestarted:
                records.append(judge_file(path, config, prestarted, early.decoding(config)))
            early = None  # the first file only
            continue
        with PrestartedOcr(_prestart_jobs(path)) as prestarted:
            records.append(judge_file(path, config, prestarted))
    if args.json:
        # one write: json.dump writes each token, a system call apiece on an unbuffered stdout
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    else:
        _print_table(records, sys.stdout)
    return 2 if usage_error else 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m scanning.cli [--json] PATH...``."""
    from config.scanning import ScanQualityConfig

    parser = argparse.ArgumentParser(prog="check-image", description=__doc__)
    add_check_image_arguments(parser)
    return run_check_image(parser.parse_args(argv), ScanQualityConfig())


if __name__ == "__main__":
    raise SystemExit(main())
