"""Fixtures: a private PostgreSQL cluster, real intake servers on loopback, enrolled kiosks."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.jobcentre.helpers import Kiosk, ServerProcess, free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A private PostgreSQL 15 cluster on a spare loopback port, stopped at session end."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL binaries not found in {PG_BIN}: install postgresql-15 "
            "(apt-get install -y postgresql-15) — the PostgreSQL tests must run, not skip"
        )
    base = Path(tempfile.mkdtemp(prefix="jobcentre-pg-"))
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(base, pg.pw_uid, pg.pw_gid)
    data = base / "data"
    port = free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True, timeout=120,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "log"),
                      "-w", "-t", "60", "-o", options, "start"]),
        check=True, capture_output=True, timeout=90,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                          "-t", "60", "stop"]),
            capture_output=True, timeout=90, check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def new_database(pg_url: str) -> str:
    """A fresh, empty database in the test cluster."""
    name = "intake_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_url + "/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{pg_url}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    """None for the SQLite default, or a fresh PostgreSQL database URL."""
    if request.param == "sqlite":
        return None
    return new_database(request.getfixturevalue("pg_url"))


@pytest.fixture
def server(tmp_path: Path, database: str | None) -> Iterator[ServerProcess]:
    """A running ``kiosk-server serve`` on either backend."""
    proc = ServerProcess(tmp_path / "data", database).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def kiosk(server: ServerProcess) -> Iterator[Kiosk]:
    """An enrolled kiosk talking to ``server``."""
    client = Kiosk(server)
    try:
        yield client
    finally:
        client.close()
