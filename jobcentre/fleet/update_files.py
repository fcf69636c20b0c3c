"""App update sets: the wheels the job centre keeps for kiosks, and their manifests.

``kiosk-server update add --wheels DIR --base-pins FILE`` (``jobcentre.fleet.cli_updates``)
takes a folder of wheels (``pip wheel . -w DIR`` of a release, with its dependencies) and the
pinned list of the kiosks' shared base (``kiosk update base-pins`` on a kiosk), keeps the
project's wheel and every wheel that differs from the base, stores each file once under its
SHA-256 (``<data>/fleet-updates/<sha256>``, 0600) and records the manifest
(``wire.update_manifest``) in the table ``fleet_update_manifests``. The manifest is the
payload of an ``app_update`` bundle: the rollout machinery signs it and sends it to the
canaries, then to all (``create_rollout("app_update", payload, ...)``); ``manifests()`` is
what the rollout page offers.

Kiosks fetch the files with the signed ``GET /api/v1/fleet/updates/{version}/{file}``
(``add_update_routes``); only a file named in that version's manifest is served, with HTTP
``Range`` support so a kiosk resumes a broken download.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse

from foundation.errors import ApiError, SetupError
from foundation.files import fsync_dir
from jobcentre.repository import KioskRecord, db_time
from jobcentre.routes_kiosk import KioskGate
from wire import protocol
from wire.update_manifest import (
    APP,
    VERSION_PATTERN,
    WHEEL_PATTERN,
    UpdateFile,
    UpdateManifest,
    base_fingerprint,
    choose_wheels,
    python_tag,
    wheel_name_version,
)

FOLDER = "fleet-updates"
PATH = protocol.API_PREFIX + "/fleet/updates/{version}/{file}"
_DDL = ("CREATE TABLE IF NOT EXISTS fleet_update_manifests ("
        " app_version TEXT PRIMARY KEY, manifest TEXT NOT NULL, created_at TEXT NOT NULL)")
_KIOSK_AUTH = {"parameters": [
    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
    for h in (protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_NONCE,
              protocol.HEADER_KIOSK_SIGNATURE, protocol.HEADER_CONTENT_DIGEST)
]}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class UpdateStore:
    """Update files (content-addressed) and manifests of one job centre."""

    def __init__(self, repo: Any, data_dir: Path) -> None:
        self.repo = repo
        self.folder = Path(data_dir) / FOLDER
        with repo.transaction(write=True) as execute:
            execute(_DDL)

    def add(self, wheels_dir: Path, base_pins: Mapping[str, str],
            python: str | None = None) -> UpdateManifest:
        """Store the update made of ``wheels_dir``'s project wheel and changed dependencies."""
        wheels = sorted(p.name for p in Path(wheels_dir).glob("*.whl"))
        projects = [w for w in wheels if wheel_name_version(w)[0] == APP]
        if len(projects) != 1:
            raise SetupError(f"{wheels_dir} must hold exactly one {APP} wheel "
                             f"(found {len(projects)})")
        version = wheel_name_version(projects[0])[1]
        if self.manifest(version) is not None:
            raise SetupError(f"version {version} is already stored; build a new version")
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        files = [self._keep(Path(wheels_dir) / name) for name in choose_wheels(wheels, base_pins)]
        manifest = UpdateManifest(app_version=version, python=python or python_tag(),
                                  base=base_fingerprint(base_pins), files=tuple(files))
        with self.repo.transaction(write=True) as execute:
            execute("INSERT INTO fleet_update_manifests (app_version, manifest, created_at)"
                    " VALUES (?, ?, ?)",
                    (version, manifest.model_dump_json(), db_time(datetime.now(UTC))))
        return manifest

    def _keep(self, source: Path) -> UpdateFile:
        digest = _sha256(source)
        target = self.folder / digest
        if not target.exists():
            tmp = self.folder / f".{digest}.{os.getpid()}.tmp"
            shutil.copyfile(source, tmp)
            os.chmod(tmp, 0o600)
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            fsync_dir(self.folder)
        return UpdateFile(name=source.name, size=target.stat().st_size, sha256=digest)

    def manifest(self, version: str) -> UpdateManifest | None:
        """The manifest of ``version``, if stored."""
        with self.repo.transaction() as execute:
            row = execute("SELECT manifest FROM fleet_update_manifests WHERE app_version = ?",
                          (version,)).fetchone()
        return None if row is None else UpdateManifest.model_validate(json.loads(row[0]))

    def manifests(self) -> list[UpdateManifest]:
        """Every stored update, newest first (what the rollout page offers)."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT manifest FROM fleet_update_manifests"
                           " ORDER BY created_at DESC").fetchall()
        return [UpdateManifest.model_validate(json.loads(r[0])) for r in rows]

    def file_path(self, version: str, name: str) -> Path:
        """The stored file ``name`` of ``version``; 404 ``update_file_unknown`` otherwise."""
        plain = VERSION_PATTERN.fullmatch(version) and WHEEL_PATTERN.fullmatch(name)
        manifest = self.manifest(version) if plain else None
        found = next((f for f in manifest.files if f.name == name), None) if manifest else None
        path = self.folder / found.sha256 if found else None
        if found is None or path is None or not path.is_file():
            raise ApiError(404, "update_file_unknown")
        return path


def add_update_routes(app: FastAPI, gate: KioskGate, store: UpdateStore) -> None:
    """Mount ``GET /api/v1/fleet/updates/{version}/{file}`` (signed kiosk request)."""

    @app.get(PATH, tags=["fleet"], openapi_extra=_KIOSK_AUTH)
    async def update_file(request: Request, version: str, file: str) -> FileResponse:
        """One file of a stored update (``Range`` supported, to resume a download)."""

        def find(_kiosk: KioskRecord, _body: bytes) -> Path:
            return store.file_path(version, file)

        path = await gate.run(request, find)
        return FileResponse(path, media_type="application/octet-stream",
                            headers={"Cache-Control": "no-store"})
