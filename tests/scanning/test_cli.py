"""``check-image``: JSON contract, order, reason codes, exit status."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from config.file_limits import FileLimits
from config.scanning import ScanQualityConfig
from kiosk.cli import main as kiosk_main
from scanning.cli import EarlyStart, add_check_image_arguments, run_check_image
from scanning.detect import detect_page
from scanning.files import file_limits
from scanning.judge import LAZY_IMPORTS
from scanning.tesseract import JUDGE_PAGE_JOBS
from tests.scanning.conftest import corpus_case

KEYS = {"path", "verdict", "reasons", "page_found", "corners", "rotation", "effective_dpi",
        "scores", "language", "text", "document_type", "document_type_confidence"}


def _run(argv: list[str]) -> tuple[int, argparse.Namespace]:
    parser = argparse.ArgumentParser()
    add_check_image_arguments(parser)
    args = parser.parse_args(argv)
    return run_check_image(args, ScanQualityConfig()), args


@pytest.mark.slow
def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.jpg"
    good.write_bytes(corpus_case("good", 380).jpeg)
    blurred = tmp_path / "blurred.jpg"
    blurred.write_bytes(corpus_case("defocus", 381).jpeg)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    wall = tmp_path / "wall.png"
    wall.write_bytes(corpus_case("wall", 382).jpeg)  # mislabelled: JPEG bytes
    paths = [str(p) for p in (good, empty, blurred, wall)]
    status, _ = _run(["--json", *paths])
    assert status == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in records] == paths
    assert all(set(r) == KEYS for r in records)
    first = records[0]
    assert first["verdict"] == "accept" and first["reasons"] == []
    assert first["page_found"] and len(first["corners"]) == 4
    assert first["language"] == "de" and len(first["text"]) > 50
    assert first["document_type"] == corpus_case("good", 380).document.doc_type  # type: ignore[union-attr]
    assert first["effective_dpi"] >= 150 and first["rotation"] == 0
    assert records[1]["reasons"] == ["unsupported_file"]
    assert "blur" in records[2]["reasons"]
    assert records[3]["reasons"] == ["no_page"] and records[3]["corners"] is None


def test_table_output_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    status, _ = _run([str(bad), str(tmp_path / "missing.jpg")])
    out = capsys.readouterr()
    assert status == 2
    assert "unsupported_file" in out.out and "verdict" in out.out
    assert "missing.jpg" in out.err


def test_usage_error_without_paths() -> None:
    with pytest.raises(SystemExit) as info:
        _run([])
    assert info.value.code == 2


_FIRST_USE_PROBE = """
import json, sys
from config.scanning import ScanQualityConfig
from scanning.judge import LAZY_IMPORTS
from scanning.files import load_image_file
from scanning.pipeline import check_page
image = load_image_file(sys.argv[1], ScanQualityConfig())
before = [name for name in LAZY_IMPORTS if name in sys.modules]
check_page(image, ScanQualityConfig())
print(json.dumps({"before": before, "after": [n for n in LAZY_IMPORTS if n in sys.modules]}))
"""


@pytest.mark.slow
def test_the_modules_loaded_during_the_decode_are_ones_the_checks_load_anyway(
    tmp_path: Path,
) -> None:
    # check-image loads LAZY_IMPORTS while the photo decodes: each must be one the checks
    # would otherwise load on first use, so this moves work instead of adding it
    photo = tmp_path / "page.jpg"
    photo.write_bytes(corpus_case("good", 380).jpeg)
    done = subprocess.run([sys.executable, "-c", _FIRST_USE_PROBE, str(photo)], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2], timeout=240,
                          check=True)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"before": [], "after": list(LAZY_IMPORTS)}


def test_the_built_in_file_limits_are_the_configuration_defaults() -> None:
    # the early decode applies FileLimits; a site that sets nothing must get the same decode
    assert file_limits(FileLimits()) == file_limits(ScanQualityConfig())
    probe = ("import sys; import scanning.cli, scanning.files, config.file_limits; "
             "print('pydantic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120, check=True)
    assert done.stdout.strip() == "False"  # so the decode can start before pydantic loads


def test_the_early_decode_counts_only_under_the_same_size_limits(tmp_path: Path) -> None:
    photo = tmp_path / "page.jpg"
    photo.write_bytes(corpus_case("good", 380).jpeg)
    with EarlyStart([photo]) as early:
        assert early.path == photo and early.prestarted.waiting == JUDGE_PAGE_JOBS
        decoding = early.decoding(ScanQualityConfig())
        assert decoding is not None
        image, detection = decoding.result()  # decoded, and the page found
        again = detect_page(image)
        assert image.shape[:2] == (3000, 4000) and detection is not None and detection.found
        assert detection.corners is not None and again.corners is not None
        assert np.array_equal(detection.corners, again.corners)
        assert detection.confidence == again.confidence
        assert early.decoding(ScanQualityConfig(max_file_mb=0.5)) is None
        assert early.decoding(ScanQualityConfig(max_input_megapixels=5)) is None
    assert not early.prestarted.waiting  # unused processes stopped on exit
    with EarlyStart([tmp_path / "missing.jpg", photo]) as nothing:
        assert nothing.path is None and nothing.decoding(ScanQualityConfig()) is None


@pytest.mark.slow
def test_a_site_limit_applies_to_the_file_decoded_before_the_config_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "page.jpg"
    photo.write_bytes(corpus_case("good", 380).jpeg)  # about 1 MB, 12 MP
    site = tmp_path / "site.toml"
    site.write_text("[scanning]\nmax_input_megapixels = 10\n", "utf-8")
    argv = ["check-image", "--json", "--data", str(tmp_path / "data"), str(photo)]
    assert kiosk_main([*argv[:2], "--config", str(site), *argv[2:]]) == 0
    assert [r["reasons"] for r in json.loads(capsys.readouterr().out)] == [["too_large"]]
    assert kiosk_main(argv) == 0  # built-in limits: the early decode is the one judged
    assert [r["verdict"] for r in json.loads(capsys.readouterr().out)] == ["accept"]
