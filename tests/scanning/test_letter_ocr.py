"""Generated letters through ``kiosk read-letter``: real capture checks, Tesseract, codes.

One CLI run over three letters (a photo with a code, a two-page photo joined with commas,
a decision scan without a list) and a missing file is shared by every test here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from typing import Any

import cv2
import pytest

from config.model import KioskConfig
from kiosk.cli import SUBCOMMANDS, build_parser
from scanning.letter_cli import run_read_letter
from scanning.synthetic_letters import SyntheticLetter, make_letter

pytestmark = pytest.mark.slow

LETTERS = (21, 6, 4)  # tuning part: code + both numbers; two pages; decision, no list
KEYS = {"path", "customer_number", "bg_number", "deadline", "letter_date", "sender",
        "requested", "verdict", "reasons", "number_source"}


@pytest.fixture(scope="module")
def letters() -> list[SyntheticLetter]:
    return [make_letter(i, "tuning") for i in LETTERS]


@pytest.fixture(scope="module")
def cli_run(letters: list[SyntheticLetter], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[int, list[str], list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("letters")
    arguments = []
    for letter in letters:
        paths = []
        for number, page in enumerate(letter.pages, start=1):
            path = folder / f"{letter.name}-p{number}.jpg"
            cv2.imwrite(str(path), page, [cv2.IMWRITE_JPEG_QUALITY, 92])
            paths.append(str(path))
        arguments.append(",".join(paths))
    arguments.append(str(folder / "missing.jpg"))
    args = build_parser(["read-letter"]).parse_args(["read-letter", "--json", *arguments])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = run_read_letter(args, KioskConfig())
    return status, arguments, json.loads(out.getvalue())


def test_json_shape_and_exit_status(cli_run: tuple[int, list[str], list[dict[str, Any]]]
                                    ) -> None:
    status, arguments, records = cli_run
    assert status == 2  # the missing file
    assert [r["path"] for r in records] == arguments
    for record in records:
        assert set(record) == KEYS
        assert all(set(item) == {"document_type", "text"} for item in record["requested"])
    assert records[-1]["verdict"] == "reject" and records[-1]["customer_number"] is None


@pytest.mark.parametrize("index", range(len(LETTERS)))
def test_round_trip_finds_the_truth(cli_run: tuple[int, list[str], list[dict[str, Any]]],
                                    letters: list[SyntheticLetter], index: int) -> None:
    record, truth = cli_run[2][index], letters[index].truth
    assert record["verdict"] == "accept"
    assert record["customer_number"] == truth.customer_number
    assert record["bg_number"] == truth.bg_number
    assert record["deadline"] == (truth.deadline.isoformat() if truth.deadline else None)
    assert record["letter_date"] == (truth.letter_date.isoformat() if truth.letter_date
                                     else None)
    assert [i["document_type"] for i in record["requested"]] == list(truth.requested)
    assert record["sender"] is not None and record["sender"].startswith("Jobcenter")


def test_the_code_was_decoded(cli_run: tuple[int, list[str], list[dict[str, Any]]],
                              letters: list[SyntheticLetter]) -> None:
    assert letters[0].code is not None
    assert cli_run[2][0]["number_source"] == "code"


def test_read_letter_is_a_kiosk_subcommand() -> None:
    args = build_parser(["read-letter"]).parse_args(["read-letter", "a.jpg,b.jpg"])
    assert "read-letter" in SUBCOMMANDS and args.letters == ["a.jpg,b.jpg"]
    assert isinstance(args, argparse.Namespace) and not args.json
