"""The one error hierarchy of the kiosk side.

Every error carries a stable ``code``; screens and the CLI map codes to translated,
actionable text, never to the exception's own message (which is for technicians and
must never contain personal data). Foreign exceptions are translated where they enter
(``raise DeviceTimeout(...) from exc``).

    KioskError
    ├── ConfigError                 a config file or value is wrong
    ├── SessionError                an action that the session state does not allow
    │   └── InvalidCustomerNumber   a typed customer number does not match any site pattern
    ├── DeviceError                 a device is missing, broken or answers nonsense
    │   ├── DeviceUnavailable       not connected / driver library missing
    │   ├── DeviceTimeout           did not answer in time
    │   ├── PrinterOutOfPaper
    │   ├── PrinterCoverOpen
    │   └── CameraFrameError
    ├── ScanRejected                a captured page is unusable (carries reason codes)
    ├── BackendError                the job-centre service
    │   ├── BackendUnavailable      cannot be reached (network, DNS, timeout)
    │   ├── BackendRefused          answered, but refused (not enrolled, revoked, bad data)
    │   └── EnrollmentError
    ├── StorageError                local disk full or unwritable (nothing is claimed stored)
    └── ClockImplausible            the kiosk clock cannot be trusted for receipts
"""

from __future__ import annotations


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


class CameraFrameError(DeviceError):
    """The camera delivered no usable frame."""

    code = "camera_no_frame"


class ScanRejected(KioskError):
    """A captured page is unusable; ``reasons`` holds the reason codes."""

    code = "scan_rejected"

    def __init__(self, reasons: list[str], message: str = "") -> None:
        super().__init__(message or "page rejected: " + ", ".join(reasons))
        self.reasons = list(reasons)


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


class StorageError(KioskError):
    """Local storage is full or not writable; nothing was claimed stored."""

    code = "storage_failed"


class ClockImplausible(KioskError):
    """The kiosk clock cannot be trusted, so no receipt is issued."""

    code = "clock_implausible"
