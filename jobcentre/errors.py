"""The job-centre side's error hierarchy (it never imports ``kiosk``).

Every error carries a stable ``code``; API errors also carry the HTTP status and go out as
``{"error": code, ...}``. The CLI turns ``ServerError`` into one plain sentence and a
non-zero exit code, never a traceback.

    ServerError
    ├── SetupError              bad database URL, unwritable data directory, port in use
    ├── DatabaseUnavailable     the database cannot be reached or answered with an error
    └── ApiError                a request is refused (status + code, e.g. 422 hash_mismatch)
"""

from __future__ import annotations

from typing import Any


class ServerError(Exception):
    """Base of every error the job-centre side raises on purpose."""

    code = "server_error"


class SetupError(ServerError):
    """The service cannot start or run with the given settings."""

    code = "setup_failed"


class DatabaseUnavailable(ServerError):
    """The database cannot be reached or failed."""

    code = "database_unavailable"


class ApiError(ServerError):
    """A request is refused with an HTTP status and a stable error code."""

    def __init__(self, status: int, code: str, **extra: Any) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body sent to the client."""
        return {"error": self.code, **self.extra}
