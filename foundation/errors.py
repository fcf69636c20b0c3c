"""The one error tree of the whole project, kiosk side, wire contract and job-centre side.

Every error carries a stable ``code``. Screens and the CLIs map codes to translated,
actionable text, never to the exception's own message (which is for technicians and must
never contain personal data). Foreign exceptions are translated where they enter
(``raise DeviceTimeout(...) from exc``). ``tests/test_architecture.py`` checks that every
exception class defined anywhere in the project appears in this drawing.

    Exception
    ├── KioskError                      the kiosk side
    │   ├── ConfigError                 a config file or value is wrong
    │   │   └── CatalogSyntaxError      a translation catalog (.po) has an unreadable line
    │   ├── SessionError                an action that the session state does not allow
    │   │   └── InvalidCustomerNumber   a typed number matches no site pattern
    │   ├── DeviceError                 a device is missing, broken or answers nonsense
    │   │   ├── DeviceUnavailable       not connected / driver library missing
    │   │   │   ├── PcscUnavailable     the PC/SC service (pcscd) is not running
    │   │   │   └── CardReaderMissing   no smart-card reader is connected
    │   │   ├── DeviceTimeout           did not answer in time
    │   │   ├── PrinterOutOfPaper
    │   │   ├── PrinterCoverOpen
    │   │   ├── StatusParseError        a printer status byte breaks the ESC/POS pattern
    │   │   ├── CameraFrameError
    │   │   ├── AudioError              speech synthesis or playback failed
    │   │   ├── CardRemoved             no card in the reader, or pulled mid-operation
    │   │   └── CardUnreadable          the card answered something unusable
    │   ├── ScanRejected                a captured page is unusable (carries reason codes)
    │   ├── OcrFailed                   Tesseract failed or timed out (the page can still go)
    │   ├── BackendError                the job-centre service
    │   │   ├── BackendUnavailable      cannot be reached (network, DNS, timeout)
    │   │   ├── BackendRefused          answered, but refused (not enrolled, revoked, bad data)
    │   │   └── EnrollmentError
    │   ├── AgentError                  the local kiosk agent
    │   │   ├── AgentUnavailable        not running or did not answer in time
    │   │   └── AgentAlreadyRunning     another agent owns this data directory's socket
    │   ├── StaffCardRefused            a staff card login is refused (code says why)
    │   │   ├── WrongPin                carries the card's tries left
    │   │   └── CardBlocked             the PIN is blocked (no tries left)
    │   ├── StorageError                local disk full or unwritable (nothing claimed stored)
    │   ├── CallError                   a video call cannot go on (code says why)
    │   ├── UpdateFailed                an app update cannot be fetched, checked or installed
    │   └── ClockImplausible            the kiosk clock cannot be trusted for receipts
    ├── ProtocolError                   a message breaks the kiosk–job-centre wire contract
    │   ├── Undecryptable               a sealed envelope cannot be opened
    │   ├── InvalidNoteExtension        a transfer-note extension breaks its envelope or schema
    │   ├── ForgedReceipt               a receipt's signature or certificate does not verify
    │   ├── BundleRejected              a signed bundle is refused (code says why)
    │   └── CommandRejected             a signed fleet command is refused (code says why)
    └── ServerError                     the job-centre side
        ├── SetupError                  bad database URL, unwritable data directory, port in use
        ├── DatabaseUnavailable         the database cannot be reached or answered an error
        └── ApiError                    a request is refused (HTTP status + code)
"""

from __future__ import annotations

from typing import Any

# --- kiosk side --------------------------------------------------------------------------


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose."""

    code = "kiosk_error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        if code is not None:
            self.code = code


class ConfigError(KioskError):
    """A configuration file or value is wrong."""

    code = "config_invalid"


class CatalogSyntaxError(ConfigError):
    """A translation catalog (``.po`` file) has a line that cannot be read."""

    code = "catalog_syntax"


class SessionError(KioskError):
    """The session cannot do this in its current state."""

    code = "session_invalid_action"


class InvalidCustomerNumber(SessionError):
    """The customer number does not match any accepted format."""

    code = "customer_number_invalid"


class DeviceError(KioskError):
    """A device is missing, broken or answered nonsense."""

    code = "device_error"


class DeviceUnavailable(DeviceError):
    """The device is not connected or its driver library is missing."""

    code = "device_unavailable"


class DeviceTimeout(DeviceError):
    """The device did not answer in time."""

    code = "device_timeout"


class PrinterOutOfPaper(DeviceError):
    """The receipt printer has no paper."""

    code = "printer_out_of_paper"


class PrinterCoverOpen(DeviceError):
    """The receipt printer's cover is open."""

    code = "printer_cover_open"


class StatusParseError(DeviceError):
    """A status reply byte does not have the fixed ESC/POS pattern (code ``device_error``)."""


class CameraFrameError(DeviceError):
    """The camera delivered no usable frame."""

    code = "camera_no_frame"


class AudioError(DeviceError):
    """Synthesis or playback failed; ``code`` says how (no personal data in the message)."""

    code = "audio_failed"

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code, code=code)


class PcscUnavailable(DeviceUnavailable):
    """The PC/SC service (pcscd) is not running or did not answer."""

    code = "pcsc_unavailable"


class CardReaderMissing(DeviceUnavailable):
    """No smart-card reader is connected (or none matches the configured name)."""

    code = "card_reader_missing"


class CardRemoved(DeviceError):
    """No card is in the reader, or it was pulled out during an operation."""

    code = "staff_card_removed"


class CardUnreadable(DeviceError):
    """The card answered with a status or data the staff-card login cannot use."""

    code = "staff_card_unreadable"


class ScanRejected(KioskError):
    """A captured page is unusable; ``reasons`` holds the reason codes."""

    code = "scan_rejected"

    def __init__(self, reasons: list[str], message: str = "") -> None:
        super().__init__(message or "page rejected: " + ", ".join(reasons))
        self.reasons = list(reasons)


class OcrFailed(KioskError):
    """Tesseract failed or did not finish in time (the page can still be sent)."""

    code = "ocr_failed"


class BackendError(KioskError):
    """The job-centre service could not do what was asked."""

    code = "backend_error"


class BackendUnavailable(BackendError):
    """The job-centre service cannot be reached."""

    code = "backend_unavailable"


class BackendRefused(BackendError):
    """The job-centre service answered but refused the request."""

    code = "backend_refused"


class EnrollmentError(BackendError):
    """Enrolling this kiosk with the job-centre service failed."""

    code = "enrollment_failed"


class AgentError(KioskError):
    """The local kiosk agent could not do what was asked."""

    code = "agent_error"


class AgentUnavailable(AgentError):
    """The kiosk agent is not running or did not answer in time."""

    code = "agent_unavailable"


class AgentAlreadyRunning(AgentError):
    """Another agent answers on the socket of this data directory."""

    code = "agent_already_running"


class StaffCardRefused(KioskError):
    """A staff card login is refused; ``code`` says why.

    Codes: ``staff_card_unknown`` (no PIV key or a key the directory does not list),
    ``staff_card_revoked``, ``staff_card_not_genuine`` (the challenge's signature does not
    verify), ``staff_directory_missing``, ``staff_directory_outdated``.
    """

    code = "staff_card_refused"


class WrongPin(StaffCardRefused):
    """The card refused the PIN; ``tries_left`` is the card's own retry counter."""

    code = "staff_card_wrong_pin"

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong PIN, {tries_left} tries left")
        self.tries_left = tries_left


class CardBlocked(StaffCardRefused):
    """The card's PIN is blocked: no tries left (unblocking needs the PUK at the office)."""

    code = "staff_card_blocked"


class StorageError(KioskError):
    """Local storage is full or not writable; nothing was claimed stored."""

    code = "storage_failed"


class CallError(KioskError):
    """A video call cannot be started or go on (``call_ended``, ``call_full``, …)."""

    code = "call_error"


class UpdateFailed(KioskError):
    """An app update cannot be fetched, checked or installed (``hash_mismatch``, …)."""

    code = "update_failed"


class ClockImplausible(KioskError):
    """The kiosk clock cannot be trusted, so no receipt is issued."""

    code = "clock_implausible"


# --- wire contract -----------------------------------------------------------------------


class ProtocolError(Exception):
    """A message does not follow the wire contract."""

    code = "protocol_error"


class Undecryptable(ProtocolError):
    """A sealed envelope cannot be opened (wrong key, wrong AAD or a changed byte)."""

    code = "undecryptable"


class InvalidNoteExtension(ProtocolError):
    """A transfer-note extension breaks the envelope, a size limit or its kind's schema.

    ``reason`` is a stable sub-code (e.g. ``bad_kind``, ``too_large``, ``schema``), ``index``
    the position in the list (None for the list as a whole), ``fields`` the schema fields at
    fault. None of them carries the extension's content.
    """

    code = "invalid_note_extension"

    def __init__(
        self, reason: str, index: int | None = None, fields: tuple[str, ...] = ()
    ) -> None:
        where = "" if index is None else f" (extension {index})"
        super().__init__(f"invalid transfer-note extension{where}: {reason}")
        self.reason = reason
        self.index = index
        self.fields = fields

    def details(self) -> dict[str, Any]:
        """The reason, index and fields for an API error body."""
        found: dict[str, Any] = {"reason": self.reason}
        if self.index is not None:
            found["index"] = self.index
        if self.fields:
            found["fields"] = list(self.fields)
        return found


class ForgedReceipt(ProtocolError):
    """A receipt does not verify: changed, wrongly signed, or not certified by this centre."""

    code = "forged_receipt"


class BundleRejected(ProtocolError):
    """A signed bundle is refused; ``code`` says why (expired, replayed, bad_signature, …)."""

    code = "bundle_rejected"

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class CommandRejected(ProtocolError):
    """A signed fleet command is refused; ``code`` says why (expired, replayed, …)."""

    code = "command_rejected"

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


# --- job-centre side ---------------------------------------------------------------------


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
