"""The update's parts without processes: manifest rules, the server's store, switch and guard."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from foundation.errors import ApiError, SetupError
from jobcentre.fleet.update_files import UpdateStore
from jobcentre.repository import open_repository
from kiosk.updates.layout import Layout
from kiosk.updates.state import UpdateState, load_state, save_state
from kiosk.updates.trial import MAX_TRIAL_STARTS, run_guard
from tests.updates.releases import make_wheel
from wire.update_manifest import (
    UpdateManifest,
    base_fingerprint,
    choose_wheels,
    parse_pins,
    python_tag,
)

SHA = "ab" * 32


def test_an_update_carries_the_project_and_only_changed_dependencies() -> None:
    base = parse_pins("Kivy==2.3.1\nnumpy==2.4.6  # heavy\n-e ./x\nidna==3.20\n")
    wheels = ["jobcenter_kiosk-0.2.0-py3-none-any.whl", "Kivy-2.3.1-cp311-cp311-x.whl",
              "numpy-2.5.0-cp311-cp311-manylinux_2_28_x86_64.whl",
              "idna-3.20-py3-none-any.whl", "newdep-1.0-py3-none-any.whl"]
    assert choose_wheels(wheels, base) == [
        "jobcenter_kiosk-0.2.0-py3-none-any.whl", "newdep-1.0-py3-none-any.whl",
        "numpy-2.5.0-cp311-cp311-manylinux_2_28_x86_64.whl"]
    # the base's name: order, spelling and the project itself do not change it
    assert base_fingerprint(base) == base_fingerprint(
        {"IDNA": "3.20", "kivy": "2.3.1", "NumPy": "2.4.6", "jobcenter-kiosk": "9"})
    assert base_fingerprint(base) != base_fingerprint({**base, "numpy": "2.5.0"})


@pytest.mark.parametrize("name", ["../evil-1.0-py3-none-any.whl", "a/b-1.0-py3-none-any.whl",
                                  "jobcenter_kiosk-0.2.0.tar.gz"])
def test_a_manifest_refuses_file_names_that_are_not_plain_wheels(name: str) -> None:
    with pytest.raises(ValidationError):
        UpdateManifest(app_version="0.2.0", python=python_tag(), base=SHA, files=(
            {"name": name, "size": 1, "sha256": SHA},
            {"name": "jobcenter_kiosk-0.2.0-py3-none-any.whl", "size": 1, "sha256": SHA}))


def test_a_manifest_without_the_project_wheel_is_refused() -> None:
    with pytest.raises(ValidationError, match="jobcenter-kiosk wheel is missing"):
        UpdateManifest(app_version="0.2.0", python=python_tag(), base=SHA, files=(
            {"name": "idna-3.20-py3-none-any.whl", "size": 1, "sha256": SHA},))


def test_the_server_stores_files_once_and_serves_only_what_a_manifest_names(
        tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "jobcenter-kiosk", "0.2.0")
    make_wheel(wheels, "idna", "3.20")
    make_wheel(wheels, "newdep", "1.0")
    repo = open_repository(tmp_path / "server")
    try:
        store = UpdateStore(repo, tmp_path / "server")
        manifest = store.add(wheels, {"idna": "3.20"})
        assert [f.name for f in manifest.files] == [
            "jobcenter_kiosk-0.2.0-py3-none-any.whl", "newdep-1.0-py3-none-any.whl"]
        assert store.manifests() == [manifest]
        path = store.file_path("0.2.0", "newdep-1.0-py3-none-any.whl")
        assert path.name == manifest.files[1].sha256 and path.stat().st_mode & 0o077 == 0
        for version, name in (("0.2.0", "idna-3.20-py3-none-any.whl"),
                              ("0.1.0", "newdep-1.0-py3-none-any.whl"),
                              ("0.2.0", "../../server/keys")):
            with pytest.raises(ApiError) as refused:
                store.file_path(version, name)
            assert (refused.value.status, refused.value.code) == (404, "update_file_unknown")
        with pytest.raises(SetupError, match="already stored"):
            store.add(wheels, {"idna": "3.20"})
    finally:
        repo.close()


def _trial(layout: Layout, deadline: float) -> UpdateState:
    state = UpdateState("trial", "0.2.0", 3, "a", "b", time.time(), deadline)
    save_state(layout.state_file, state)
    return state


def _layout(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path)
    for name in ("a", "b"):
        layout.env(name).mkdir(parents=True)
    layout.switch_to("a")
    layout.switch_to("b")
    return layout


def test_switching_is_a_symlink_rename_and_keeps_the_previous_environment(
        tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    assert (layout.active(), layout.inactive()) == ("b", "a")
    assert layout.previous.resolve() == layout.env("a").resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "envs", "previous"]


def test_the_guard_rolls_back_a_new_agent_that_keeps_failing_to_start(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    _trial(layout, time.time() + 300)
    for start in range(1, MAX_TRIAL_STARTS + 1):
        state = run_guard(layout)
        assert state is not None and (state.state, state.starts) == ("trial", start)
        assert layout.active() == "b"
    state = run_guard(layout)
    assert state is not None and (state.state, state.reason) == ("rolled_back", "agent_crashed")
    assert layout.active() == "a" and not state.reported
    assert run_guard(layout) == state  # nothing more to do


def test_the_guard_rolls_back_a_trial_past_its_deadline(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    _trial(layout, time.time() - 1)
    state = run_guard(layout)
    assert state is not None and (state.state, state.reason) == ("rolled_back", "trial_timeout")
    assert layout.active() == "a"
    assert json.loads(layout.state_file.read_text())["state"] == "rolled_back"
    assert load_state(layout.state_file) == state
