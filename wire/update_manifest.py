"""The app update manifest: the payload of an ``app_update`` bundle (``wire.bundle``).

The job centre builds it from a set of wheels (``jobcentre.fleet.update_files``); the kiosk
checks it before it downloads a byte (``kiosk.updates``)::

    {"app": "jobcenter-kiosk", "app_version": "0.2.0", "python": "cp311",
     "base": "<sha256 hex of the base's pinned list>",
     "files": [{"name": "jobcenter_kiosk-0.2.0-py3-none-any.whl", "size": 755998,
                "sha256": "<64 hex>"}, ...]}

Kiosks run the app in a small environment over a shared *base* holding the heavy packages
(Kivy, OpenCV, NumPy, …). ``base`` names that base by the SHA-256 of its pinned list
(``base_fingerprint``: one ``name==version`` per line, names normalised as in PEP 503,
sorted); a kiosk whose base differs refuses the update (``base_mismatch``). ``files`` holds
the project's wheel and only the dependencies that differ from the base.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

APP = "jobcenter-kiosk"
#: the largest single file a kiosk downloads for an update
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_FILES = 64
WHEEL_PATTERN = re.compile(r"^[A-Za-z0-9_.]+-[A-Za-z0-9_.!+]+(-[0-9][A-Za-z0-9_]*)?"
                         r"-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+\.whl$")
VERSION_PATTERN = re.compile(r"[0-9][A-Za-z0-9.+!_-]{0,63}")


def canonical_name(name: str) -> str:
    """A distribution name normalised as in PEP 503 (``Kivy_Garden`` → ``kivy-garden``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name_version(filename: str) -> tuple[str, str]:
    """The canonical distribution name and version of a wheel file name."""
    if not WHEEL_PATTERN.fullmatch(filename):
        raise ValueError(f"{filename!r} is not a wheel file name")
    name, version = filename.split("-")[:2]
    return canonical_name(name), version


def python_tag() -> str:
    """This interpreter's tag, e.g. ``cp311`` (a manifest must name the same)."""
    return f"cp{sys.version_info.major}{sys.version_info.minor}"


def parse_pins(text: str) -> dict[str, str]:
    """``name==version`` lines (``pip freeze`` output, comments and options ignored)."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-") or "==" not in line:
            continue
        name, version = line.split("==", 1)
        pins[canonical_name(name.split("[", 1)[0].strip())] = version.split(";", 1)[0].strip()
    return pins


def base_fingerprint(pins: Mapping[str, str]) -> str:
    """The SHA-256 naming a base by its pinned list (order and name spelling do not matter)."""
    lines = sorted(f"{canonical_name(n)}=={v}" for n, v in pins.items()
                   if canonical_name(n) != APP)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class UpdateFile(BaseModel):
    """One wheel of an update."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(max_length=200)
    size: int = Field(gt=0, le=MAX_FILE_BYTES)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("name")
    @classmethod
    def _wheel(cls, value: str) -> str:
        wheel_name_version(value)  # a plain wheel file name: no path, no traversal
        return value


class UpdateManifest(BaseModel):
    """What an ``app_update`` bundle asks a kiosk to install."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app: str = APP
    app_version: str = Field(pattern=f"^{VERSION_PATTERN.pattern}$")
    python: str = Field(pattern=r"^cp[0-9]{2,3}$")
    base: str = Field(pattern=r"^[0-9a-f]{64}$")
    files: tuple[UpdateFile, ...] = Field(min_length=1, max_length=MAX_FILES)

    @field_validator("files")
    @classmethod
    def _project_wheel(cls, files: tuple[UpdateFile, ...]) -> tuple[UpdateFile, ...]:
        names = [wheel_name_version(f.name)[0] for f in files]
        if len(set(names)) != len(names):
            raise ValueError("a distribution appears twice")
        if APP not in names:
            raise ValueError(f"the {APP} wheel is missing")
        return files

    def project_file(self) -> UpdateFile:
        """The project's own wheel."""
        return next(f for f in self.files if wheel_name_version(f.name)[0] == APP)

    @property
    def total_bytes(self) -> int:
        """What a kiosk downloads for this update."""
        return sum(f.size for f in self.files)


def choose_wheels(wheels: Iterable[str], base: Mapping[str, str]) -> list[str]:
    """The wheel file names an update carries: the project's and those not in ``base``."""
    chosen = []
    base_pins = {canonical_name(n): v for n, v in base.items()}
    for filename in wheels:
        name, version = wheel_name_version(filename)
        if name == APP or base_pins.get(name) != version:
            chosen.append(filename)
    return sorted(chosen)
