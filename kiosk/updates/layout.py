"""The A/B layout of an installed kiosk: a shared base, two app environments, one ``current``.

::

    <root>/base/            a venv with the heavy packages (Kivy, OpenCV, NumPy, …) and pip
    <root>/envs/a/          a small venv: the app's wheel and changed dependencies only; it
    <root>/envs/b/          sees the base through ``_kiosk_base.pth`` (its own packages win)
    <root>/current -> envs/a    the active one (systemd runs <root>/current/bin/kiosk …)
    <root>/previous -> envs/b   the one before (the update guard runs from here)
    <root>/update-state.json    where an update stands (``kiosk.updates.state``)
    <root>/downloads/<version>/ wheels being fetched

An update installs into the environment ``current`` does not point to, so the running
processes never see a changed file; switching is one atomic rename of a new symlink over
``current``. A process knows its layout from its own interpreter: ``sys.prefix`` is
``<root>/envs/<name>`` (the ``kiosk`` script's first line names that environment's python).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import UpdateFailed
from foundation.files import fsync_dir

ENVS = ("a", "b")
PTH_NAME = "_kiosk_base.pth"
VENV_TIMEOUT_S = 120.0
PINS_TIMEOUT_S = 60.0
_PINS_SCRIPT = (
    "import importlib.metadata as m\n"
    "seen = {}\n"
    "for d in m.distributions():\n"
    "    name = d.metadata['Name']\n"
    "    if name and name.lower() not in seen:\n"
    "        seen[name.lower()] = f'{name}=={d.version}'\n"
    "print('\\n'.join(sorted(seen.values())))\n"
)


def _site_packages(prefix: Path) -> Path:
    """The ``site-packages`` folder of the venv at ``prefix`` (same Python as this one)."""
    relative = Path(sysconfig.get_path("purelib", vars={"base": "", "platbase": ""}).lstrip("/"))
    return prefix / relative


@dataclass(frozen=True)
class Layout:
    """Paths of one A/B installation."""

    root: Path

    @classmethod
    def of_running(cls) -> Layout | None:
        """The layout this process runs from, or None (a development venv)."""
        prefix = Path(sys.prefix)
        if prefix.parent.name == "envs" and prefix.name in ENVS:
            layout = cls(prefix.parent.parent)
            if layout.base.is_dir():
                return layout
        return None

    @property
    def base(self) -> Path:
        """The shared base venv."""
        return self.root / "base"

    @property
    def current(self) -> Path:
        """The symlink to the active environment."""
        return self.root / "current"

    @property
    def previous(self) -> Path:
        """The symlink to the environment active before the last switch."""
        return self.root / "previous"

    @property
    def state_file(self) -> Path:
        """Where an update stands."""
        return self.root / "update-state.json"

    def env(self, name: str) -> Path:
        """``<root>/envs/<name>``."""
        if name not in ENVS:
            raise ValueError(f"unknown environment {name!r}")
        return self.root / "envs" / name

    def downloads(self, version: str) -> Path:
        """The download folder of one update."""
        return self.root / "downloads" / version

    def clear_downloads(self) -> None:
        """Remove fetched update files (installed or given up: not needed any more)."""
        import shutil

        shutil.rmtree(self.root / "downloads", ignore_errors=True)

    def active(self) -> str:
        """The name of the environment ``current`` points to."""
        return Path(os.readlink(self.current)).name

    def inactive(self) -> str:
        """The environment an update installs into."""
        return next(name for name in ENVS if name != self.active())

    def running_env(self) -> str | None:
        """The environment this process runs from, if it runs from this layout."""
        prefix = Path(sys.prefix)
        return prefix.name if prefix.parent == self.root / "envs" else None

    # -- building -----------------------------------------------------------------------------

    def fresh_env(self, name: str) -> Path:
        """Recreate ``envs/<name>`` empty (no pip of its own) and link it to the base."""
        import shutil

        env = self.env(name)
        if self.current.is_symlink() and name == self.active():
            raise UpdateFailed("refusing to rebuild the running environment",
                               code="env_active")
        shutil.rmtree(env, ignore_errors=True)
        env.parent.mkdir(parents=True, exist_ok=True)
        python = self.base / "bin" / "python"
        try:
            done = subprocess.run([str(python), "-m", "venv", "--without-pip", str(env)],
                                  capture_output=True, text=True, timeout=VENV_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UpdateFailed(f"creating the environment failed: {type(exc).__name__}",
                               code="env_create_failed") from exc
        if done.returncode != 0:
            raise UpdateFailed("creating the environment failed", code="env_create_failed")
        site = _site_packages(env)
        site.mkdir(parents=True, exist_ok=True)
        # ``import site`` lines run; addsitedir also reads the base's own .pth files
        (site / PTH_NAME).write_text(
            f"import site; site.addsitedir({str(_site_packages(self.base))!r})\n",
            encoding="utf-8")
        return env

    def switch_to(self, name: str) -> None:
        """Point ``current`` at ``envs/<name>`` (one atomic rename) and ``previous`` at the old."""
        old = self.active() if self.current.is_symlink() else None
        _relink(self.current, Path("envs") / name)
        if old is not None and old != name:
            _relink(self.previous, Path("envs") / old)
        fsync_dir(self.root)

    def base_pins(self) -> dict[str, str]:
        """``name → version`` of every distribution the base's interpreter sees."""
        from wire.update_manifest import parse_pins

        try:
            done = subprocess.run([str(self.base / "bin" / "python"), "-I", "-c", _PINS_SCRIPT],
                                  capture_output=True, text=True, timeout=PINS_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UpdateFailed("cannot list the base's packages", code="base_unreadable") from exc
        if done.returncode != 0:
            raise UpdateFailed("cannot list the base's packages", code="base_unreadable")
        return parse_pins(done.stdout)


def _relink(link: Path, target: Path) -> None:
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)
