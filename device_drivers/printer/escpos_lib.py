"""python-escpos, imported through this one module: its printer database parsed once per machine.

``escpos.capabilities`` parses its printer database (a 1 MB YAML/JSON file, ~0.13 s of CPU)
at import unless ``$ESCPOS_CAPABILITIES_PICKLE_DIR`` holds the pickle it wrote last time;
without that variable it writes the pickle into a fresh temporary directory, so every
process (the kiosk at start, the agent, ``kiosk doctor``) parsed the file again. Importing
python-escpos from here (and only from here) points it at
``$XDG_CACHE_HOME/jobcenter-kiosk/escpos-<database size and time>/`` first. The first process
lets python-escpos write the pickle into a private directory and renames it into place, so
a process starting beside it never reads half a file. A variable set by the operator wins;
a cache that cannot be written just means python-escpos parses the file as before.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import tempfile
from pathlib import Path

PICKLE_DIR_VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _database_file() -> Path | None:
    """python-escpos's capabilities file, found without importing python-escpos."""
    if os.environ.get("ESCPOS_CAPABILITIES_FILE"):
        return Path(os.environ["ESCPOS_CAPABILITIES_FILE"])
    spec = importlib.util.find_spec("escpos")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "capabilities.json"


def capabilities_cache_dir() -> Path | None:
    """Where the parsed database of this python-escpos install is kept (None: unknown)."""
    database = _database_file()
    try:
        stat = database.stat() if database is not None else None
    except OSError:
        return None
    if stat is None:
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobcenter-kiosk" / f"escpos-{stat.st_size}-{int(stat.st_mtime)}"


def _point_python_escpos_at_cache() -> tuple[Path, Path] | None:
    """Set the pickle directory; (private, cache) when the pickle must be moved in later."""
    if PICKLE_DIR_VARIABLE in os.environ:
        return None
    cache = capabilities_cache_dir()
    if cache is None:
        return None
    if (cache / f"{platform.python_version()}.capabilities.pickle").is_file():
        os.environ[PICKLE_DIR_VARIABLE] = str(cache)
        return None
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        private = Path(tempfile.mkdtemp(dir=cache, prefix=".writing-"))
    except OSError:
        return None
    os.environ[PICKLE_DIR_VARIABLE] = str(private)
    return private, cache


def _move_pickle_into_place(private: Path, cache: Path) -> None:
    name = f"{platform.python_version()}.capabilities.pickle"
    try:
        os.replace(private / name, cache / name)
    except OSError:
        os.environ.pop(PICKLE_DIR_VARIABLE, None)  # children must not look in `private`
    else:
        os.environ[PICKLE_DIR_VARIABLE] = str(cache)
    shutil.rmtree(private, ignore_errors=True)


_writing = _point_python_escpos_at_cache()
try:
    from escpos.capabilities import get_profile  # noqa: E402
finally:
    if _writing is not None:
        _move_pickle_into_place(*_writing)
from escpos.codepages import CodePages  # noqa: E402
from escpos.constants import QR_ECLEVEL_M  # noqa: E402
from escpos.escpos import Escpos  # noqa: E402

__all__ = ["QR_ECLEVEL_M", "CodePages", "Escpos", "get_profile"]
