"""The centre's key pair files under ``<data>/keys/`` (created on first use, mode 0600).

``signing.key`` is the Ed25519 centre signing key (certifies kiosks, signs acks);
``encryption.key`` is the X25519 key that opens sealed documents. Files hold the raw 32
bytes. Creation is race-free between processes: a key is written to a temporary file,
fsync'd and hard-linked into place, so the first writer wins and everyone loads its key.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from foundation.errors import SetupError
from foundation.files import fsync_dir
from jobcentre.docstore import private_dir
from wire import protocol

SIGNING_FILE = "signing.key"
ENCRYPTION_FILE = "encryption.key"


@dataclass(frozen=True)
class CentreKeys:
    """The centre's private keys."""

    signing: Ed25519PrivateKey
    encryption: X25519PrivateKey

    @property
    def signing_public(self) -> str:
        """Base64url of the centre signing public key."""
        return protocol.public_key_b64u(self.signing)

    @property
    def encryption_public(self) -> str:
        """Base64url of the centre encryption public key."""
        return protocol.public_key_b64u(self.encryption)



def _load_or_create(path: Path, make: bytes) -> bytes:
    """Return the raw key in ``path``, writing ``make`` there first if it does not exist."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, make)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        fsync_dir(path.parent)
    raw = path.read_bytes()
    if len(raw) != 32:
        raise SetupError(f"key file {path} is damaged (expected 32 bytes)")
    return raw


def load_centre_keys(data_dir: Path) -> CentreKeys:
    """Load the centre keys from ``<data>/keys/``, creating them on first use."""
    key_dir = data_dir / "keys"
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_dir.mkdir(mode=0o700, exist_ok=True)
        private_dir(key_dir)
        signing = _load_or_create(
            key_dir / SIGNING_FILE,
            protocol.private_key_bytes(protocol.generate_signing_key()),
        )
        encryption = _load_or_create(
            key_dir / ENCRYPTION_FILE,
            protocol.private_key_bytes(protocol.generate_encryption_key()),
        )
    except PermissionError as exc:
        raise SetupError(f"cannot read or write the key directory {key_dir}") from exc
    except OSError as exc:
        raise SetupError(f"cannot use the key directory {key_dir}: {exc.strerror}") from exc
    return CentreKeys(
        signing=protocol.load_signing_key(signing),
        encryption=protocol.load_encryption_key(encryption),
    )
