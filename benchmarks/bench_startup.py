"""Whole-process timing of ``kiosk check-image`` against a bare ``tesseract`` run on the same page.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--seed 5004] [--tree DIR]
                                                 [--baseline DIR]

Generates (nothing is downloaded) a 12-megapixel phone photo of an A4 page with
``scanning.synthetic``, and the same page cut out and straightened from the photo with its
true corners. Then, as separate processes, interleaved, ``--runs`` times each:

* ``kiosk check-image --json PHOTO`` (what an operator runs),
* ``OMP_THREAD_LIMIT=1 tesseract PAGE - -l deu`` (the floor: OCR of a page someone else
  already found and straightened),

and prints the median and p95 wall seconds of both and their ratio (target <= 2.0), the CPU
seconds (user + sys, children included; steadier than wall time on a busy machine), the
start-up cost alone (``kiosk --help``, ``check-image`` on a tiny image) and the start-up of
the cheap subcommands (``kiosk outbox --help`` and the like). ``--tree`` times the kiosk
code of another checkout with this file's page; ``--baseline`` times another checkout's
``check-image`` too, interleaved with the two above, so before/after figures share the
same machine load (and checks that both print the same JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanning.rectify import plan_rectification, warp  # noqa: E402
from scanning.synthetic import make_case  # noqa: E402

TARGET_RATIO = 2.0
CHEAP_COMMANDS = ("outbox", "sync", "enroll", "submit", "receipt", "agent", "doctor",
                  "check-image")
KIOSK = "import sys; from kiosk.cli import main; sys.exit(main())"  # the console script


def make_pages(folder: Path, seed: int) -> tuple[Path, Path, Path, str]:
    """Write the phone photo, the straightened page and a tiny image; return their paths."""
    case = make_case("good", seed)
    assert case.document is not None and case.corners is not None
    if case.document.doc_type == "identity_document" or case.document.language != "de":
        raise SystemExit(f"seed {seed} gives a {case.document.doc_type} in "
                         f"{case.document.language}; pick a seed with a German A4 page")
    photo = folder / "photo.jpg"
    photo.write_bytes(case.jpeg)
    geometry = plan_rectification(case.corners)  # true corners, page's own resolution
    page = cv2.cvtColor(warp(case.image, geometry.matrix, geometry.size), cv2.COLOR_BGR2GRAY)
    page_path = folder / "page.png"
    cv2.imwrite(str(page_path), page)
    tiny = folder / "tiny.png"
    cv2.imwrite(str(tiny), np.full((64, 64, 3), 200, np.uint8))
    h, w = case.image.shape[:2]
    info = (f"photo {w}x{h} ({w * h / 1e6:.0f} MP, {len(case.jpeg) / 1e6:.1f} MB JPEG), "
            f"page {page.shape[1]}x{page.shape[0]} at {geometry.effective_dpi:.0f} dpi, "
            f"{case.document.doc_type}")
    return photo, page_path, tiny, info


def timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Run a process to the end; (wall seconds, CPU seconds incl. children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _comparable(output: str) -> list[dict[str, object]]:
    """check-image's records without the path (each tree's run names the same photo)."""
    return [{k: v for k, v in r.items() if k != "path"} for r in json.loads(output)]


def stats(values: Sequence[float]) -> tuple[float, float]:
    """Median and p95."""
    return float(np.median(values)), float(np.percentile(values, 95))


def main() -> int:
    """Generate the pages, time the processes, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5004, help="corpus seed of the page")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose kiosk to time")
    parser.add_argument("--save-json", type=Path, help="keep check-image's JSON output here")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout whose check-image to time in the same loop")
    args = parser.parse_args()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    # an installed kiosk runs from compiled bytecode: let the warm-up run write it (a
    # PYTHONDONTWRITEBYTECODE inherited from a dev shell would have every run compile anew)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    python = sys.executable
    tree = args.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        photo, page, tiny, info = make_pages(folder, args.seed)
        print(f"{info}; {args.runs} runs each, kiosk code from {tree}")
        print("load average before: {:.1f} {:.1f} {:.1f} (wall times on a busy machine are "
              "noisy; CPU seconds less so)".format(*os.getloadavg()))
        data = ["--data", str(folder / "data")]
        check = [python, "-c", KIOSK, "check-image", "--json", *data, str(photo)]
        bare = ["tesseract", str(page), "-", "-l", "deu"]
        timed(check, tree, env)  # warm the page cache and Python's bytecode cache
        timed(bare, tree, env)
        runs = [("check", check, tree), ("bare", bare, tree)]
        if args.baseline:
            runs.append(("baseline", check, args.baseline.resolve()))
            timed(check, args.baseline.resolve(), env)
        walls: dict[str, list[float]] = {name: [] for name, _, _ in runs}
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in runs}
        outputs: dict[str, str] = {}
        for _ in range(args.runs):
            for name, command, cwd in runs:
                wall, cpu, outputs[name] = timed(command, cwd, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        output = outputs["check"]
        startup: dict[str, list[float]] = {}
        cheap = {"--help": [python, "-c", KIOSK, "--help"],
                 "check-image tiny": [python, "-c", KIOSK, "check-image", *data, str(tiny)],
                 "python -c pass": [python, "-c", "pass"]}
        cheap |= {f"{c} --help": [python, "-c", KIOSK, c, "--help"] for c in CHEAP_COMMANDS}
        for _ in range(args.runs):
            for label, command in cheap.items():
                startup.setdefault(label, []).append(timed(command, tree, env)[0])
    record = json.loads(output)[0]
    if args.save_json:
        args.save_json.write_text(output, "utf-8")
    bare_med = stats(walls["bare"])[0]
    print(f"check-image verdict {record['verdict']} {record['reasons']}, language "
          f"{record['language']}, type {record['document_type']}, "
          f"{len(record['text'].split())} words")
    print(f"  {'':<34s} {'median':>8s} {'p95':>8s}   {'CPU med':>8s}")
    for label, name in (("kiosk check-image --json (s)", "check"),
                        ("bare tesseract -l deu (s)", "bare"),
                        ("baseline check-image --json (s)", "baseline")):
        if name in walls:
            med, p95 = stats(walls[name])
            print(f"  {label:<34s} {med:8.2f} {p95:8.2f}   {np.median(cpus[name]):8.2f}")
    for label, name in (("ratio check-image / bare", "check"),
                        ("ratio baseline / bare", "baseline")):
        if name in walls:
            cpu_ratio = float(np.median(cpus[name]) / np.median(cpus["bare"]))
            print(f"  {label:<34s} {stats(walls[name])[0] / bare_med:8.2f}x {'':8s}   "
                  f"{cpu_ratio:8.2f}x   target <= {TARGET_RATIO:.1f}x (wall, median)")
    if "baseline" in outputs:
        same = _comparable(outputs["baseline"]) == _comparable(output)
        print(f"  baseline JSON {'the same' if same else 'DIFFERENT'} (all fields)")
    print("start-up (whole process, s)")
    for label, values in startup.items():
        med, p95 = stats(values)
        print(f"  {'kiosk ' + label if label[0] != 'p' else label:<34s} {med:8.2f} {p95:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
