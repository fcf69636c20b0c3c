"""Update files come from the job centre in signed, ranged requests and are checked to the byte.

Real pieces: an agent with its embedded intake service on loopback, the update store and the
signed ``GET /api/v1/fleet/updates/{version}/{file}`` route.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config.model import KioskConfig
from foundation.errors import UpdateFailed
from jobcentre.fleet.update_files import UpdateStore
from jobcentre.repository import open_repository
from kiosk.agent.runner import Agent
from kiosk.updates.download import download_update
from tests.updates.releases import make_wheel
from wire.update_manifest import UpdateManifest

CHUNK = 700


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Agent, UpdateManifest]]:
    tmp_path = tmp_path_factory.mktemp("served")
    agent = Agent(KioskConfig(data_dir=tmp_path / "kiosk"), tmp_path / "kiosk")
    agent.start()
    try:
        assert agent.embedded is not None
        wheels = tmp_path / "wheels"
        make_wheel(wheels, "jobcenter-kiosk", "0.2.0", "PAD = " + repr("x" * 3000) + "\n")
        make_wheel(wheels, "newdep", "1.0")
        repo = open_repository(agent.embedded.server_dir)
        try:
            manifest = UpdateStore(repo, agent.embedded.server_dir).add(wheels, {})
        finally:
            repo.close()
        yield agent, manifest
    finally:
        agent.stop()


def test_a_download_resumes_from_its_part_file_in_ranges_and_checks_every_file(
        served: tuple[Agent, UpdateManifest], tmp_path: Path) -> None:
    agent, manifest = served
    project = manifest.project_file()
    assert project.size > 2 * CHUNK  # several ranges
    folder = tmp_path / "downloads"
    folder.mkdir()
    source = agent.embedded.server_dir / "fleet-updates" / project.sha256  # type: ignore[union-attr]
    (folder / f"{project.name}.part").write_bytes(source.read_bytes()[:1000])
    client = agent._open_live_client(5.0)
    try:
        files = download_update(client, manifest, folder, chunk_bytes=CHUNK)
    finally:
        client.close()
    assert [f.name for f in files] == [f.name for f in manifest.files]
    assert files[0].read_bytes() == source.read_bytes()
    assert not list(folder.glob("*.part"))


def test_a_broken_part_file_ends_in_hash_mismatch_and_is_deleted(
        served: tuple[Agent, UpdateManifest], tmp_path: Path) -> None:
    agent, manifest = served
    project = manifest.project_file()
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / f"{project.name}.part").write_bytes(b"\0" * 1000)  # kept, not fetched again
    client = agent._open_live_client(5.0)
    try:
        with pytest.raises(UpdateFailed) as refused:
            download_update(client, manifest, folder, chunk_bytes=CHUNK)
    finally:
        client.close()
    assert refused.value.code == "hash_mismatch"
    assert not any(folder.iterdir())


def test_update_files_need_a_signed_kiosk_request(
        served: tuple[Agent, UpdateManifest]) -> None:
    agent, manifest = served
    assert agent.embedded is not None
    url = f"{agent.embedded.url}/api/v1/fleet/updates/0.2.0/{manifest.project_file().name}"
    answer = httpx.get(url, timeout=10.0)
    assert answer.status_code == 401
    assert manifest.project_file().name.encode() not in answer.content
