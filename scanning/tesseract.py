"""Tesseract command lines, and Tesseract processes started before their image exists.

Loading a Tesseract model takes about 0.1 s of CPU before a single pixel is read. A
``PrestartedOcr`` starts the processes a job will need while the caller is still importing
NumPy and OpenCV and decoding its image (``kiosk check-image`` starts the sample read and the
full-page read of its next file this way), and hands each one to the first read that asks for
exactly its language, page-segmentation mode and output. Such a process is started without
``--dpi``: the resolution travels in the image it is fed (an uncompressed TIFF with its dpi
in the header), which Tesseract uses exactly like ``--dpi`` (``scanning.ocr.PendingOcr``).

An image reaches a started process as an in-memory file (``memfd``): Tesseract's standard
input gets one line naming it (``/proc/<pid>/fd/<n>``), which Tesseract reads as a list of
page files and then opens like a file on disk. Piping the image itself costs Tesseract
~0.05 s for a page (it copies standard input byte by byte); the in-memory file vanishes with
the process that holds it, so nothing is left behind even after a kill -9
(``hand_over``; without ``memfd_create`` the image goes through the pipe as before).

This module imports neither NumPy nor OpenCV, so starting the processes costs nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Iterable
from types import TracebackType

from foundation.errors import OcrFailed

log = logging.getLogger(__name__)

# Child Tesseract processes inherit the environment; OpenMP threads hurt on 2 cores.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

#: the Tesseract binary (looked up on PATH)
TESSERACT_BINARY = "tesseract"

#: (Tesseract language, page-segmentation mode, with a text-only PDF page)
OcrJob = tuple[str, int, bool]

#: what ``scanning.judge.judge_page`` reads a German page with: the text sample, the page
#: (here and not there, so that starting them does not wait for NumPy and OpenCV)
JUDGE_PAGE_JOBS: tuple[OcrJob, ...] = (("deu", 6, False), ("deu", 3, True))

#: how much lower than ours the CPU priority of a prestarted job's process is: the text
#: sample is shorter than the full-page read it runs beside, so on two cores the full page
#: (what ``judge_page`` waits for) and our own checks go first, and the sample's model
#: loads while NumPy and OpenCV load without slowing them
PRESTART_NICENESS: dict[OcrJob, int] = {("deu", 6, False): 5}


def tesseract_command(lang: str, *, psm: int, dpi: int | None, want_pdf: bool) -> list[str]:
    """Command line reading an image from stdin and writing TSV (and a PDF) to stdout.

    ``dpi=None`` leaves the resolution to the image header.
    """
    command = [TESSERACT_BINARY, "stdin", "stdout", "-l", lang, "--psm", str(psm)]
    if dpi is not None:
        command += ["--dpi", str(dpi)]
    command += ["-c", "tessedit_create_tsv=1"]
    if want_pdf:
        command += ["-c", "tessedit_create_pdf=1", "-c", "textonly_pdf=1"]
    return command


def start_tesseract(command: list[str]) -> subprocess.Popen[bytes]:
    """Start Tesseract with pipes for its input and output; raises OcrFailed."""
    try:
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.warning("tesseract cannot be started: %s", type(exc).__name__)
        raise OcrFailed("tesseract failed") from exc


def _memory_file(image: bytes) -> int | None:
    """An in-memory file (memfd) holding ``image``, or None where there are none."""
    if not hasattr(os, "memfd_create") or not os.path.isdir(f"/proc/{os.getpid()}/fd"):
        return None
    try:
        memory = os.memfd_create("ocr-page", os.MFD_CLOEXEC)
    except OSError:
        return None
    try:
        with open(memory, "wb", closefd=False) as file:
            file.write(image)
    except OSError:
        os.close(memory)
        return None
    return memory


def hand_over(proc: subprocess.Popen[bytes], image: bytes) -> int | None:
    """Give a started Tesseract its encoded input image and close its standard input.

    Returns the in-memory file holding the image (the caller closes it once Tesseract is
    done), or None when the image went through the pipe itself. A Tesseract that already
    died (e.g. unknown language) breaks the pipe: its exit status reports that.
    """
    memory = _memory_file(image)
    line = image if memory is None else f"/proc/{os.getpid()}/fd/{memory}\n".encode()
    stdin = proc.stdin
    assert stdin is not None
    with contextlib.suppress(OSError):
        stdin.write(line)
    with contextlib.suppress(OSError):
        stdin.close()
    proc.stdin = None
    return memory


def stop_tesseract(proc: subprocess.Popen[bytes]) -> None:
    """Kill a Tesseract process if it still runs and close its pipes (safe to call twice)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


class PrestartedOcr:
    """Tesseract processes loading their models for reads still to come.

        with PrestartedOcr([("deu", 6, False), ("deu", 3, True)]) as prestarted:
            ...  # import, decode, find the page: the models load meanwhile
            judge_page(image, config, prestarted=prestarted)

    A job nobody takes is stopped on ``close()``; a job that cannot start is left to the
    read that wants it, which then starts (and reports) its own process.
    """

    def __init__(self, jobs: Iterable[OcrJob]) -> None:
        self._waiting: dict[OcrJob, subprocess.Popen[bytes]] = {}
        for lang, psm, want_pdf in jobs:
            if (lang, psm, want_pdf) in self._waiting:
                continue
            command = tesseract_command(lang, psm=psm, dpi=None, want_pdf=want_pdf)
            with contextlib.suppress(OcrFailed):
                proc = start_tesseract(command)
                self._waiting[(lang, psm, want_pdf)] = proc
                niceness = PRESTART_NICENESS.get((lang, psm, want_pdf), 0)
                with contextlib.suppress(OSError):  # gone already: its read reports it
                    if niceness:
                        os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(
                            os.PRIO_PROCESS, 0) + niceness)

    @property
    def waiting(self) -> tuple[OcrJob, ...]:
        """The jobs whose processes have not been taken yet."""
        return tuple(self._waiting)

    def take(self, lang: str, psm: int, want_pdf: bool) -> subprocess.Popen[bytes] | None:
        """The waiting process for exactly this job (it then belongs to the caller), or None."""
        return self._waiting.pop((lang, psm, want_pdf), None)

    def close(self) -> None:
        """Stop every process nobody took."""
        waiting, self._waiting = self._waiting, {}
        for proc in waiting.values():
            stop_tesseract(proc)

    def __enter__(self) -> PrestartedOcr:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
