"""Real releases for update tests and ``benchmarks/bench_update.py``: wheels, a base, a layout.

``build_releases`` builds the project's wheel (``pip wheel``, the real build) from a copy of
this working tree in several versions, in parallel:

* ``0.9.1`` the version a kiosk runs first, ``0.9.2`` a good update,
* ``0.9.3`` a release whose health check fails (it lists a module that does not exist among
  the modules that must import: a release shipped without a module),
* ``0.9.4`` a release whose agent cannot start at all.

``make_base`` makes a venv (no packages of its own, pip included through it) whose
``site-packages`` names this venv's ``site-packages``: the heavy packages are there once, as
on a kiosk; the editable install of the working tree is *not* visible through it (its ``.pth``
is not read through a plain path line), so only installed wheels provide the app.
``make_wheel`` writes a tiny real wheel (a dependency of an update).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from kiosk.updates.apply import install_into
from kiosk.updates.layout import Layout

REPO = Path(__file__).resolve().parents[2]
VERSIONS = {"0.9.1": None, "0.9.2": None,
            "0.9.3": ("kiosk/updates/health.py", '"scanning.judge")',
                      '"scanning.judge", "kiosk.module_this_release_forgot")'),
            "0.9.4": ("kiosk/agent/cli.py", "    from kiosk.agent.runner import Agent  #",
                      '    raise SystemExit("this release cannot start")  #')}
BUILD_TIMEOUT_S = 600


def _copy_tree(target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True, timeout=60).stdout
    for name in files.splitlines():
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def build_releases(root: Path, versions: tuple[str, ...] = tuple(VERSIONS)) -> dict[str, Path]:
    """``version → wheel`` of the project, built for real from this working tree."""
    builds = []
    for version in versions:
        patch = VERSIONS[version]
        source = root / f"src-{version}"
        _copy_tree(source)
        project = source / "pyproject.toml"
        project.write_text(project.read_text().replace('version = "0.1.0"',
                                                       f'version = "{version}"'))
        if patch is not None:
            path, old, new = patch
            text = (source / path).read_text()
            assert old in text
            (source / path).write_text(text.replace(old, new))
        out = root / f"wheels-{version}"
        builds.append((version, out, subprocess.Popen(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
             str(source)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)))
    wheels = {}
    for version, out, build in builds:
        output, _ = build.communicate(timeout=BUILD_TIMEOUT_S)
        assert build.returncode == 0, output.decode()[-2000:]
        wheels[version] = next(out.glob("jobcenter_kiosk-*.whl"))
    return wheels


def make_base(base: Path) -> Path:
    """A base venv at ``base`` seeing this venv's packages (not the editable working tree)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(base)], check=True,
                   timeout=120)
    purelib = Path(sysconfig.get_path("purelib"))
    relative = purelib.relative_to(sys.prefix)
    (base / relative / "_test_heavy_packages.pth").write_text(f"{purelib}\n")
    return base


def make_wheel(folder: Path, name: str, version: str, code: str = "") -> Path:
    """Write a minimal real wheel of module ``name`` (dashes become underscores)."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}.py": f"VERSION = {version!r}\n{code}",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel




def install_first(root: Path, base: Path, wheel: Path) -> Layout:
    """A kiosk layout at ``root`` running ``wheel`` from ``envs/a`` (``current`` → a)."""
    root.mkdir(parents=True)
    (root / "base").symlink_to(base, target_is_directory=True)
    layout = Layout(root)
    first = root / "downloads" / "first"
    first.mkdir(parents=True)
    install_into(layout, "a", [Path(shutil.copy(wheel, first))])
    layout.switch_to("a")
    return layout
