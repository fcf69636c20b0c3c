"""Fetch an update's wheels from the job centre and check every byte before anything installs.

Each file comes with signed ``GET /api/v1/fleet/updates/{version}/{file}`` requests in
``CHUNK_BYTES`` ranges (``Range: bytes=a-b``), appended to ``<name>.part``: a broken
download resumes where it stopped, a failed chunk is retried ``RETRIES`` times, and no
answer can be larger than a chunk. A file is kept only when its size and SHA-256 match the
signed manifest; a mismatch deletes it and refuses the update (``hash_mismatch``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from foundation.errors import BackendUnavailable, UpdateFailed
from kiosk.delivery.transport import ServerClient
from wire import protocol
from wire.update_manifest import UpdateFile, UpdateManifest

log = logging.getLogger(__name__)

CHUNK_BYTES = 4 * 1024 * 1024
RETRIES = 4
RETRY_WAIT_S = 1.0


def file_sha256(path: Path) -> str:
    """SHA-256 hex of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download_update(client: ServerClient, manifest: UpdateManifest, folder: Path,
                    stop: Callable[[], bool] = lambda: False,
                    chunk_bytes: int = CHUNK_BYTES) -> list[Path]:
    """Every file of ``manifest`` in ``folder``, each checked; ``UpdateFailed`` otherwise."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return [_fetch(client, manifest.app_version, item, folder, stop, chunk_bytes)
            for item in manifest.files]


def verify_file(path: Path, item: UpdateFile) -> None:
    """Refuse ``path`` unless its size and SHA-256 are the manifest's (deletes it then)."""
    if path.stat().st_size != item.size or file_sha256(path) != item.sha256:
        path.unlink(missing_ok=True)
        raise UpdateFailed(f"{item.name} does not match its signed hash", code="hash_mismatch")


def _fetch(client: ServerClient, version: str, item: UpdateFile, folder: Path,
           stop: Callable[[], bool], chunk_bytes: int) -> Path:
    target = folder / item.name
    if target.exists():
        verify_file(target, item)
        return target
    part = folder / f"{item.name}.part"
    path = f"{protocol.API_PREFIX}/fleet/updates/{version}/{item.name}"
    failures = 0
    while (have := part.stat().st_size if part.exists() else 0) < item.size:
        if stop():
            raise UpdateFailed("the agent is stopping", code="stopped")
        end = min(have + chunk_bytes, item.size) - 1
        try:
            response = client.request("GET", path, headers={"Range": f"bytes={have}-{end}"})
        except BackendUnavailable as exc:
            failures += 1
            if failures > RETRIES:
                raise UpdateFailed("the update server cannot be reached",
                                   code="download_failed") from exc
            time.sleep(RETRY_WAIT_S * failures)
            continue
        if response.status_code == 404:
            raise UpdateFailed("the job centre does not have this update file",
                               code="update_file_unknown")
        expected = end - have + 1
        if response.status_code not in (200, 206) or len(response.content) > expected:
            failures += 1
            if failures > RETRIES:
                raise UpdateFailed(f"download answered HTTP {response.status_code}",
                                   code="download_failed")
            time.sleep(RETRY_WAIT_S * failures)
            continue
        if response.status_code == 200 and have:  # the server ignored the range: start over
            part.unlink()
            continue
        with part.open("ab") as handle:
            handle.write(response.content)
            handle.flush()
            os.fsync(handle.fileno())
        failures = 0
    if part.stat().st_size > item.size:
        part.unlink()
        raise UpdateFailed(f"{item.name} is larger than its signed size", code="hash_mismatch")
    verify_file(part, item)
    os.replace(part, target)
    log.info("update file %s fetched and checked (%d bytes)", item.name, item.size)
    return target
