"""What applying a signed bundle came to, as the kiosk reports it (``bundle-report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class BundleOutcome:
    """``applied``, ``rolled_back`` (applied, failed its health check, undone) or ``refused``."""

    state: Literal["applied", "rolled_back", "refused"]
    reason: str = ""
