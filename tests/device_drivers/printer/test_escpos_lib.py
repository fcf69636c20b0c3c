"""python-escpos parses its printer database once per machine (checked in fresh interpreters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from device_drivers.printer.escpos_lib import PICKLE_DIR_VARIABLE, capabilities_cache_dir

ROOT = Path(__file__).resolve().parents[3]
_PROBE = f"""
import json, os
from device_drivers.printer.escpos_lib import get_profile
import escpos.capabilities as capabilities
print(json.dumps({{"parsed": capabilities.full_load,
                  "pickle_dir": os.environ.get("{PICKLE_DIR_VARIABLE}"),
                  "cp858": "CP858" in get_profile("TM-T88V").get_code_pages()}}))
"""


def _probe(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, check=True)
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def _env(cache_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PICKLE_DIR_VARIABLE}
    return env | {"XDG_CACHE_HOME": str(cache_home)}


def test_the_first_process_parses_and_the_next_ones_read_the_pickle(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = _probe(env)
    cache = Path(env["XDG_CACHE_HOME"]) / "jobcenter-kiosk"
    folders = list(cache.iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("escpos-")
    assert first == {"parsed": True, "pickle_dir": str(folders[0]), "cp858": True}
    # only the pickle is left: the private folder it was written in is gone
    assert [p.name for p in folders[0].iterdir()] == [
        f"{sys.version.split()[0]}.capabilities.pickle"]
    assert _probe(env) == {"parsed": False, "pickle_dir": str(folders[0]), "cp858": True}


def test_the_cache_folder_follows_the_database_file(tmp_path: Path) -> None:
    env = _env(tmp_path)
    found = capabilities_cache_dir()
    assert found is not None and found.name.startswith("escpos-")
    assert _probe(env)["pickle_dir"] == str(tmp_path / "jobcenter-kiosk" / found.name)


def test_an_operators_pickle_folder_wins(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    env = _env(tmp_path / "cache") | {PICKLE_DIR_VARIABLE: str(own)}
    assert _probe(env) == {"parsed": True, "pickle_dir": str(own), "cp858": True}
    assert not (tmp_path / "cache").exists()
    assert _probe(env)["parsed"] is False


def test_an_unwritable_cache_only_costs_the_parse(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = _env(blocker)  # the cache would have to be below a plain file
    result = _probe(env)
    assert result["parsed"] is True and result["cp858"] is True
