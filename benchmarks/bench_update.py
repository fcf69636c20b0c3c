"""Benchmark an app update on a real A/B layout: size, download, install, switch, rollback.

Run: ``.venv/bin/python benchmarks/bench_update.py [--repeat N]``. Builds the project's wheel
in three versions from this working tree (``tests/updates/releases.py``: a first version, a
good update, one whose health check fails), a base venv over this venv's packages and a
kiosk layout running the first version. Then, with an agent and its embedded intake service
in this process, it measures the pieces (median and best of ``N``):

* bundle: the files an update carries (project wheel + changed dependencies), the JCB1 bundle;
* download: signed, ranged ``GET /api/v1/fleet/updates/…`` of every file, hashes checked;
* install beside: rebuild the inactive env + ``pip install --no-index --no-deps``;
* health check: ``<env>/bin/kiosk update check`` as a process;
* symlink switch: the rename itself.

Finally it runs the whole thing the way a kiosk does (``kiosk supervise`` restarting the agent
from ``current``, no visitor in a session, no UI): ``kiosk update apply`` → switched →
confirmed by the new agent, and a failing release: switched → rolled back → the old version
answering again. The machine is shared and has two cores: figures are under load.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.model import KioskConfig  # noqa: E402
from foundation.errors import AgentError  # noqa: E402
from jobcentre.fleet.update_files import UpdateStore  # noqa: E402
from jobcentre.keys import load_centre_keys  # noqa: E402
from jobcentre.repository import open_repository  # noqa: E402
from kiosk.agent.client import AgentClient  # noqa: E402
from kiosk.agent.runner import Agent  # noqa: E402
from kiosk.updates.apply import install_into  # noqa: E402
from kiosk.updates.download import download_update  # noqa: E402
from kiosk.updates.health import check_environment  # noqa: E402
from kiosk.updates.layout import Layout  # noqa: E402
from kiosk.updates.state import load_state  # noqa: E402
from tests.updates.releases import build_releases, install_first, make_base  # noqa: E402
from wire.bundle import sign_bundle  # noqa: E402
from wire.update_manifest import UpdateManifest  # noqa: E402

UPPER_BOUND_S = 300.0


def _timed(action: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def _line(label: str, times: list[float], unit: str = "s") -> None:
    scale = 1000.0 if unit == "ms" else 1.0
    print(f"  {label:<34} median {statistics.median(times) * scale:8.3f} {unit}   "
          f"best {min(times) * scale:8.3f} {unit}   (n={len(times)})")


def _wait(condition: Callable[[], Any]) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > UPPER_BOUND_S:
            raise SystemExit("bench_update: timed out")
        time.sleep(0.05)
    return time.perf_counter()


def _pid(client: AgentClient) -> int | None:
    try:
        return int(client.call("ping")["pid"])
    except AgentError:
        return None


def _pid_after(client: AgentClient, old: int | None) -> int:
    """Wait for an agent other than ``old`` to answer; its pid."""
    found: list[int] = []

    def other() -> bool:
        pid = _pid(client)
        if pid is not None and pid != old:
            found.append(pid)
        return bool(found)

    _wait(other)
    return found[0]


def _store(server_dir: Path, wheels: Path, pins: dict[str, str]) -> UpdateManifest:
    repo = open_repository(server_dir)
    try:
        return UpdateStore(repo, server_dir).add(wheels, pins)
    finally:
        repo.close()


def _bundle(server_dir: Path, manifest: UpdateManifest, version: int, out: Path) -> int:
    raw = sign_bundle("app_update", version, manifest.model_dump(mode="json"),
                      load_centre_keys(server_dir).signing, issued_at=datetime.now(UTC),
                      valid_for=timedelta(days=1))
    out.write_bytes(raw)
    return len(raw)


def _pieces(layout: Layout, data: Path, repeat: int, wheels: dict[str, Path],
            work: Path) -> tuple[dict[str, str], Path]:
    agent = Agent(KioskConfig(data_dir=data), data)
    agent.start()
    try:
        assert agent.embedded is not None
        server_dir = agent.embedded.server_dir
        pins = layout.base_pins()
        release = work / "release-0.9.2"
        release.mkdir()
        shutil.copy(wheels["0.9.2"], release)
        manifest = _store(server_dir, release, pins)
        size = _bundle(server_dir, manifest, 1, work / "update-1.bundle")
        print(f"  bundle: {len(manifest.files)} file(s), {manifest.total_bytes / 1e6:.2f} MB "
              f"to download; signed bundle {size} bytes")
        folders = iter(range(10_000))
        client = agent._open_live_client(10.0)
        try:
            _line("download (signed ranges, hashed)", _timed(
                lambda: download_update(client, manifest, work / f"dl-{next(folders)}"), repeat))
        finally:
            client.close()
        files = [work / "dl-0" / f.name for f in manifest.files]
        _line("install beside (venv + pip)", _timed(
            lambda: install_into(layout, "b", files), repeat))
        _line("health check (kiosk update check)", _timed(
            lambda: check_environment(layout.env("b") / "bin" / "kiosk",
                                      ["--data", str(data)]), repeat))
        def there_and_back() -> None:
            layout.switch_to("b")
            layout.switch_to("a")

        _line("symlink switch there and back", _timed(there_and_back, repeat * 50), "ms")
        shutil.rmtree(layout.env("b"))
        return pins, server_dir
    finally:
        agent.stop()


def _flow(layout: Layout, data: Path, pins: dict[str, str], server_dir: Path,
          wheels: dict[str, Path], work: Path) -> None:
    kiosk = layout.current / "bin" / "kiosk"
    client = AgentClient(data / "agent.sock", timeout_s=10.0)
    with (work / "supervise.log").open("wb") as sink:
        supervisor = subprocess.Popen([str(kiosk), "supervise", "--data", str(data),
                                       "--restart-delay", "0.3"], stdout=sink,
                                      stderr=subprocess.STDOUT, cwd=work)
        try:
            begun = time.perf_counter()
            first_pid = _pid_after(client, None)
            print(f"  agent start from current → answering     "
                  f"{time.perf_counter() - begun:7.2f} s (embedded intake service included)")
            start = time.perf_counter()
            subprocess.run([str(kiosk), "update", "apply", str(work / "update-1.bundle"),
                            "--data", str(data)], check=True, timeout=120, capture_output=True)
            switched = _wait(lambda: layout.active() == "b")
            new_pid = _pid_after(client, first_pid)
            answered = time.perf_counter()
            applied = _wait(lambda: (s := load_state(layout.state_file)) and s.state == "applied")
            print(f"  apply → switched (download, install, gate)  {switched - start:7.2f} s")
            print(f"  switched → new agent answering           {answered - switched:7.2f} s")
            print(f"  switched → new version confirmed         {applied - switched:7.2f} s "
                  "(restart + health check)")
            broken = work / "release-0.9.3"
            broken.mkdir()
            shutil.copy(wheels["0.9.3"], broken)
            _bundle(server_dir, _store(server_dir, broken, pins), 2, work / "update-2.bundle")
            subprocess.run([str(kiosk), "update", "apply", str(work / "update-2.bundle"),
                            "--data", str(data)], check=True, timeout=120, capture_output=True)
            switched = _wait(lambda: layout.active() == "a")
            failing_pid = _pid_after(client, new_pid)
            rolled = _wait(lambda: layout.active() == "b")
            _pid_after(client, failing_pid)
            back = time.perf_counter()
            state = load_state(layout.state_file)
            print(f"  failing release: switched → rolled back    {rolled - switched:7.2f} s "
                  f"({state.reason if state else '?'})")
            print(f"  rolled back → old version answering      {back - rolled:7.2f} s")
        finally:
            supervisor.terminate()
            supervisor.wait(timeout=60)


def main() -> int:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each piece")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        wheels = build_releases(work / "releases", ("0.9.1", "0.9.2", "0.9.3"))
        base = make_base(work / "base")
        layout = install_first(work / "kiosk", base, wheels["0.9.1"])
        print(f"setup (3 wheel builds, base, first install): {time.perf_counter() - start:.1f} s")
        print(f"base: {len(layout.base_pins())} pinned packages shared by both environments")
        data = work / "data"
        print("pieces (agent + embedded intake service in this process):")
        pins, server_dir = _pieces(layout, data, args.repeat, wheels, work)
        print("whole update, as a kiosk runs it (kiosk supervise, no visitor, no UI):")
        _flow(layout, data, pins, server_dir, wheels, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
