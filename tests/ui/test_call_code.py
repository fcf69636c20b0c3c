"""The appointment-code step in the real app (issue #13): reached by touch from the consent,
a typo refused at the kiosk and an unknown code refused by the embedded job centre, each
explained in German and Arabic at 100 % and 200 % with nothing clipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accessibility.i18n import translate
from kiosk.controllers.call_view import CALL_CODE_MSGIDS
from tests.ui.conftest import ARTIFACTS, run_scenario, running_agent

pytestmark = pytest.mark.ui

SHOTS = ARTIFACTS / "call_code"


def test_code_refusals_are_explained_in_the_visitors_language(tmp_path: Path) -> None:
    with running_agent(tmp_path / "data") as data:
        seen = run_scenario("call_code_flow", data, SHOTS)
    assert seen["screen"] == "call_code" and seen["typed"] == "K7MQ4XP2AB3D"
    assert seen["refusal"] == "code_unknown"
    assert seen["problems"] == {}
    for key, text in seen["texts"].items():
        name, lang, _size = key.rsplit("-", 2)
        code = "code_invalid" if name.endswith("typo") else "code_unknown"
        shown = re.sub("[\u200e\u200f\u2066-\u2069]", "", text)  # bidi marks of the label
        assert shown == translate(lang, CALL_CODE_MSGIDS[code]), key
    assert seen["texts"]["call_code-unknown-ar-100"] != seen["texts"]["call_code-unknown-de-100"]
    for key in seen["texts"]:
        assert (SHOTS / f"{key}.png").is_file()
