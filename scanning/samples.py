"""Built-in sample document photos for the simulated camera and demos (generated, cached).

Nothing is shipped in the repository: on first use a few fictitious documents are rendered
and composed into camera photos (``scanning.synthetic``) and cached as JPEG files.
"""

from __future__ import annotations

import os
from pathlib import Path

from scanning.synthetic import make_case

#: (kind, seed) of the built-in samples: three good pages and one blurred one
SAMPLE_CASES = (("good", 11), ("good", 14), ("scan", 13), ("defocus", 16))


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/jobcenter-kiosk/samples`` (or ``~/.cache/…``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobcenter-kiosk" / "samples"


def sample_photos(cache_dir: Path | None = None) -> list[Path]:
    """Paths of the sample photos, generating missing ones into ``cache_dir``."""
    folder = cache_dir or default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, seed in SAMPLE_CASES:
        path = folder / f"sample-{seed:02d}-{kind}.jpg"
        if not path.exists():
            case = make_case(kind, seed)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(case.jpeg)
            tmp.replace(path)
        paths.append(path)
    return paths
