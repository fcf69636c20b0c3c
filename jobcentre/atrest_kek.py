"""Where the key-encryption key (KEK) comes from: outside the data directory, never inside.

Sources, first match wins: ``kiosk-server … --kek-file PATH``, else the systemd credential
``$CREDENTIALS_DIRECTORY/kiosk-server-kek`` (``LoadCredential=`` / ``LoadCredentialEncrypted=``
in the unit). The file holds the 32 key bytes as base64 text (what ``kiosk-server keygen-kek
PATH`` writes, mode 0600) or raw. The service refuses to start -- with one sentence saying
what to do -- when there is no KEK, when it lies inside the data directory (a copy of the data
directory would then carry its own key), or when group or others may read it.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from foundation.errors import SetupError
from foundation.files import fsync_dir
from jobcentre.atrest import KEK_BYTES, AtRest

CREDENTIAL_NAME = "kiosk-server-kek"
HINT = ("create one with `kiosk-server keygen-kek PATH` outside the data directory and give "
        "--kek-file PATH, or load it as the systemd credential " + CREDENTIAL_NAME)


def kek_path(kek_file: Path | None) -> Path:
    """The KEK file to use: ``--kek-file`` or the systemd credential; SetupError if neither."""
    if kek_file is not None:
        return Path(kek_file).expanduser().absolute()
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and (Path(creds) / CREDENTIAL_NAME).exists():
        return Path(creds) / CREDENTIAL_NAME
    raise SetupError(f"no key-encryption key for the stored documents: {HINT}")


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def load_kek(kek_file: Path | None, data_dir: Path) -> bytes:
    """The 32-byte KEK, after checking where it lies and who may read it."""
    path = kek_path(kek_file)
    real, data = path.resolve(), Path(data_dir).absolute().resolve()
    if _inside(real, data) or _inside(path.absolute(), Path(data_dir).absolute()):
        raise SetupError(f"the key-encryption key {path} lies inside the data directory "
                         f"{data_dir}; keep it elsewhere (a copy of the data would carry it)")
    try:
        info = real.stat()
        raw = real.read_bytes()
    except FileNotFoundError as exc:
        raise SetupError(f"the key-encryption key file {path} does not exist: {HINT}") from exc
    except OSError as exc:
        raise SetupError(f"cannot read the key-encryption key {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise SetupError(f"the key-encryption key {path} is not a regular file")
    if info.st_mode & 0o077:
        raise SetupError(f"the key-encryption key {path} may be read by others (mode "
                         f"{stat.S_IMODE(info.st_mode):04o}); run chmod 600 {path}")
    return _decode(raw, path)


def _decode(raw: bytes, path: Path) -> bytes:
    if len(raw) == KEK_BYTES:
        return raw
    try:
        key = base64.b64decode(raw.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEK_BYTES:
        raise SetupError(f"the key-encryption key {path} is not 32 bytes (raw or base64)")
    return key


def open_at_rest(kek_file: Path | None, data_dir: Path) -> AtRest:
    """The sealer for ``data_dir`` under the KEK found as ``load_kek`` describes."""
    return AtRest(load_kek(kek_file, data_dir))


def write_new_kek(path: Path) -> None:
    """Write a fresh random KEK (base64 text) to a new file with mode 0600."""
    path = Path(path).expanduser().absolute()
    text = base64.urlsafe_b64encode(os.urandom(KEK_BYTES)) + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SetupError(f"{path} already exists; a KEK is never overwritten") from exc
    except OSError as exc:
        raise SetupError(f"cannot create {path}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
