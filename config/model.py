"""The kiosk's configuration as a frozen pydantic model tree.

Every section has defaults that make up the *embedded default*: simulated devices, an
embedded local backend under the data directory, a window instead of fullscreen. A site
file (TOML) overrides any of it; a signed fleet push is one more layer on top (see
``config.loader`` and ``config.fleet_layer``). Drivers and services receive their own
section only; nobody reads a global settings object.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.scanning import ScanQualityConfig


class Section(BaseModel):
    """Base for every config section: frozen, and unknown keys are errors (typos!)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class KioskIdentity(Section):
    """Who this terminal is and where it stands (printed on receipts)."""

    kiosk_id: str = Field(default="kiosk-dev-01", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    location: str = "Jobcenter Musterstadt, Wartebereich"
    site: str = Field(default="Jobcenter Musterstadt", min_length=1, max_length=120,
                      description="The site the terminal belongs to (groups the fleet view).")


class DisplayConfig(Section):
    """The screen: window or kiosk fullscreen, and its physical size for touch targets."""

    mode: Literal["window", "fullscreen"] = "window"
    width_px: int = Field(default=1280, ge=320, le=7680)
    height_px: int = Field(default=800, ge=240, le=4320)
    diagonal_inch: float = Field(default=21.5, gt=5, le=100)
    min_touch_target_mm: float = Field(default=15.0, ge=9.0, le=40.0)
    staff_exit_pin_sha256: str | None = Field(
        default=None,
        description="no longer used (an unsalted hash of a short PIN is trivial to reverse): "
        "set the PIN-only exit with `kiosk exit-pin set` (salted scrypt, lockout); "
        "staff with an ops or admin card leave kiosk mode from the maintenance panel",
    )

    @property
    def pixels_per_mm(self) -> float:
        """Physical pixel density from resolution and diagonal."""
        diag_px = (self.width_px**2 + self.height_px**2) ** 0.5
        return float(diag_px / (self.diagonal_inch * 25.4))


class CameraConfig(Section):
    """Document camera: simulated (serves sample images) or an OpenCV/UVC device."""

    driver: Literal["simulated", "opencv"] = "simulated"
    device_index: int = Field(default=0, ge=0, le=63)
    width: int = Field(default=1920, ge=320)
    height: int = Field(default=1080, ge=240)
    fourcc: Literal["MJPG", "YUYV"] = "MJPG"
    sample_dir: Path | None = Field(
        default=None, description="Images the simulated camera serves; None = built-in samples."
    )


class ScannerConfig(Section):
    """Flatbed/feeder scanner via SANE; ``none`` hides the scanner option."""

    driver: Literal["none", "sane"] = "none"
    device: str = Field(default="test:0", description="SANE device name, see `scanimage -L`.")
    dpi: int = Field(default=300, ge=100, le=1200)
    timeout_s: float = Field(default=60.0, gt=0, le=600)


class PrinterConfig(Section):
    """Receipt printer (ESC/POS); the simulated one writes bytes and a rendered PNG."""

    driver: Literal["simulated", "usb", "serial", "network", "none"] = "simulated"
    usb_vendor_id: int = Field(default=0x04B8, ge=0, le=0xFFFF)
    usb_product_id: int = Field(default=0x0202, ge=0, le=0xFFFF)
    serial_device: str = "/dev/ttyUSB0"
    serial_baudrate: int = Field(default=38400, ge=1200, le=921600)
    network_host: str = "192.0.2.10"
    network_port: int = Field(default=9100, ge=1, le=65535)
    profile: str = Field(default="TM-T88V", description="python-escpos printer profile.")
    paper_width_px: int = Field(default=512, ge=256, le=832)
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class CardReaderConfig(Section):
    """Smart-card reader for staff cards (helper mode): none, simulated, or PC/SC via pcscd."""

    driver: Literal["none", "simulated", "pcsc"] = "none"
    reader_name_contains: str = Field(default="", description=(
        "use the first PC/SC reader whose name contains this text ('' = the first reader)"))
    timeout_s: float = Field(default=5.0, gt=0, le=60, description=(
        "longest wait for one PC/SC call (a hung reader never hangs the kiosk)"))


class StaffCardsConfig(Section):
    """Staff card logins: how old the signed staff directory may be and still be trusted."""

    directory_max_age_days: float = Field(default=7.0, gt=0, le=90, description=(
        "a staff directory issued longer ago than this no longer admits card logins; "
        "the kiosk needs a fresh one from the job centre"))


class MicrophoneConfig(Section):
    """Microphone and loudspeaker for video calls: simulated, PulseAudio or ALSA."""

    driver: Literal["simulated", "pulse", "alsa"] = "simulated"
    device: str = Field(default="default", description="PulseAudio source or ALSA device.")
    output_device: str = Field(default="default", description="Where the call is heard.")
    signal: Literal["speech", "tone", "silence"] = Field(
        default="speech", description="What the simulated microphone produces.")


class CallVideoConfig(Section):
    """The camera a video call sends: the document camera (shared) or a camera of its own."""

    source: Literal["document_camera", "v4l2"] = "document_camera"
    device_index: int = Field(default=1, ge=0, le=63, description="Own camera (v4l2 only).")
    width: int = Field(default=640, ge=320, le=1920)
    height: int = Field(default=480, ge=240, le=1080)
    fps: int = Field(default=20, ge=5, le=30)


class DevicesConfig(Section):
    """All devices of the terminal."""

    camera: CameraConfig = CameraConfig()
    scanner: ScannerConfig = ScannerConfig()
    printer: PrinterConfig = PrinterConfig()
    card_reader: CardReaderConfig = CardReaderConfig()
    microphone: MicrophoneConfig = MicrophoneConfig()
    call_video: CallVideoConfig = CallVideoConfig()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an intake service URL, or None (https://, or http:// to loopback)."""
    try:
        parts = urllib.parse.urlsplit(url)
        scheme, host, _ = parts.scheme, parts.hostname, parts.port
    except ValueError:  # a bad port or IPv6 literal
        scheme, host = "", None
    if scheme not in ("http", "https") or not host or re.search(r"\s", url):
        return "is not a server URL like 'https://host[:port]'"
    if scheme == "http" and not _is_loopback(host):
        return ("must use https:// (plain http:// is allowed only to this machine, "
                "e.g. http://127.0.0.1:8765)")
    return None


class BackendConfig(Section):
    """Where documents go: the embedded local service or a job centre's intake URL."""

    mode: Literal["embedded", "remote"] = "embedded"
    url: str | None = Field(default=None, description="https://… of the intake service")
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    live_wait_s: float = Field(default=25.0, gt=0, le=55, description=(
        "how long one poll of the live channel waits for a message (below proxy timeouts)"))
    ca_file: Path | None = Field(
        default=None, description="PEM file of the CA that signed the intake service's "
        "certificate (a site's private CA); None = the public CAs.",
    )
    pin_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{64}$", description="Hex SHA-256 of the intake "
        "service certificate's SubjectPublicKeyInfo; the kiosk refuses any other key.",
    )

    @field_validator("url")
    @classmethod
    def _https_unless_loopback(cls, value: str | None) -> str | None:
        if value is not None and (problem := server_url_problem(value)):
            raise ValueError(problem)
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_file():
            raise ValueError(f"CA file {value} does not exist")
        return value

    @model_validator(mode="after")
    def _url_for_remote(self) -> BackendConfig:
        if self.mode == "remote" and not self.url:
            raise ValueError("mode 'remote' needs url = 'https://host[:port]'")
        if (self.ca_file or self.pin_sha256) and not (self.url or "").startswith("https://"):
            raise ValueError("ca_file and pin_sha256 need url = 'https://…'")
        return self


class CustomerNumberFormat(Section):
    """One accepted customer-number format of this site."""

    name: str
    pattern: str = Field(description="Regular expression over the number without spaces.")
    example: str
    kind: Literal["customer", "household"] | None = Field(
        default=None,
        description="Whose number: a person's (Kundennummer) or a household's (BG-Nummer); "
        "left out, a format whose name or example holds 'BG' is a household's.",
    )

    @property
    def number_kind(self) -> Literal["customer", "household"]:
        """``kind``, or guessed from the name/example when the site left it out."""
        if self.kind is not None:
            return self.kind
        return "household" if "BG" in self.name.upper() or "BG" in self.example else "customer"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _example_matches(self) -> CustomerNumberFormat:
        if not re.fullmatch(self.pattern, self.example):
            raise ValueError(f"example {self.example!r} does not match pattern {self.pattern!r}")
        return self


DEFAULT_NUMBER_FORMATS = (
    CustomerNumberFormat(name="Kundennummer", pattern=r"\d{3}[A-Z]\d{6}", example="123A456789"),
    CustomerNumberFormat(name="BG-Nummer", pattern=r"\d{5}BG\d{7}", example="12345BG1234567"),
)


class SiteConfig(Section):
    """Facts that differ between job centres."""

    customer_number_formats: tuple[CustomerNumberFormat, ...] = DEFAULT_NUMBER_FORMATS
    service_desk_location: dict[str, str] = Field(
        default_factory=lambda: {"de": "Service-Theke am Eingang"},
        description=("where the service desk is, by kiosk language (de, en, ar, …); shown when a "
                     "help call cannot reach the desk; German is the fallback and required"))

    @field_validator("service_desk_location")
    @classmethod
    def _german_desk_text(cls, value: dict[str, str]) -> dict[str, str]:
        if not value.get("de", "").strip():
            raise ValueError("needs a German text (key de), the fallback for other languages")
        if any(len(text) > 200 for text in value.values()):
            raise ValueError("each text may be at most 200 characters")
        return value

    def desk_location(self, lang: str) -> str:
        """Where the service desk is, in ``lang`` (German if there is no text for it)."""
        return self.service_desk_location.get(lang) or self.service_desk_location["de"]

    @field_validator("customer_number_formats")
    @classmethod
    def _not_empty(
        cls, value: tuple[CustomerNumberFormat, ...]
    ) -> tuple[CustomerNumberFormat, ...]:
        if not value:
            raise ValueError("at least one customer-number format is needed")
        return value


class SessionConfig(Section):
    """Inactivity handling (WCAG 2.2.1: warn ≥ 20 s before, extendable ≥ 10 times)."""

    inactivity_timeout_s: float = Field(default=120.0, ge=30, le=1800)
    warning_before_s: float = Field(default=30.0, ge=20, le=300)
    max_extensions: int = Field(default=20, ge=10, le=1000)
    goodbye_s: float = Field(default=15.0, ge=3, le=120)

    @model_validator(mode="after")
    def _warning_fits(self) -> SessionConfig:
        if self.warning_before_s >= self.inactivity_timeout_s:
            raise ValueError("warning_before_s must be shorter than inactivity_timeout_s")
        return self


LanguageCode = Literal["de", "de-simple", "en", "uk", "ru", "ar", "tr", "fa", "pl", "ro"]


class AccessibilityConfig(Section):
    """Languages offered and presentation defaults."""

    default_language: LanguageCode = "de"
    languages: tuple[LanguageCode, ...] = (
        "de", "de-simple", "en", "uk", "ru", "ar", "tr", "fa", "pl", "ro",
    )
    theme: Literal["default", "high_contrast"] = "default"
    speech: bool = True
    volume_step: int = Field(default=3, ge=0, le=5)


class FleetConfig(Section):
    """How the agent reports to the job centre's fleet view (heartbeat interval)."""

    heartbeat_s: float = Field(default=30.0, ge=0.2, le=3600, description=(
        "Seconds between two heartbeats (device states, outbox, disk, versions)."))


class KioskConfig(Section):
    """The root of the configuration tree."""

    data_dir: Path = Path("~/.local/share/jobcenter-kiosk")
    identity: KioskIdentity = KioskIdentity()
    display: DisplayConfig = DisplayConfig()
    devices: DevicesConfig = DevicesConfig()
    backend: BackendConfig = BackendConfig()
    site: SiteConfig = SiteConfig()
    session: SessionConfig = SessionConfig()
    accessibility: AccessibilityConfig = AccessibilityConfig()
    scanning: ScanQualityConfig = ScanQualityConfig()
    staff_cards: StaffCardsConfig = StaffCardsConfig()
    fleet: FleetConfig = FleetConfig()

    @model_validator(mode="after")
    def _no_embedded_centre_in_kiosk_mode(self) -> KioskConfig:
        if self.backend.mode == "embedded" and self.display.mode == "fullscreen":
            raise ValueError(
                'backend.mode = "embedded" cannot be combined with display.mode = "fullscreen": '
                "the embedded intake service keeps the job centre's private key and the "
                "documents in plain text on the terminal and is only for trying the kiosk out; "
                'set backend.mode = "remote" with backend.url, or display.mode = "window"'
            )
        return self

    @property
    def resolved_data_dir(self) -> Path:
        """The data directory with ``~`` expanded."""
        return self.data_dir.expanduser()
