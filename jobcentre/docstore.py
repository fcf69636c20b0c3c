"""Document files of the intake service: partial uploads and stored documents.

Partial uploads live in ``<data>/incoming/<document_id>.part`` (still sealed to the centre's
key) and their size is the upload offset. A chunk is written without fsync (the PATCH
answer's offset says where to go on, not what is durable: the kiosk keeps the whole document
until the final ack anyway); an offset the service *reports* for resuming
(``durable_offset``: the answers to announce and GET, a 409) is fsync'd, part and folder,
before it is reported, so it never exceeds what is durably on disk. After a crash the part
is as long as what reached the disk (ext4's and XFS's ordered writes never show unwritten
data), and the kiosk asks again and goes on from there. The last chunk never goes to the
part (``IntakeService.append`` stores the document with it). A part written in one chunk
(only when the checks at its last chunk failed) carries that chunk's verified SHA-256 in an
extended attribute (``user.jobcenter.sha256``, with the size), so finishing it needs no
second hash over the document (without attribute support it is simply hashed). Stored
documents go to ``<data>/documents/YYYY/MM/DD/<document_id>.<random>.jca``, encrypted at
rest by the caller (``jobcentre.atrest``; files of older releases are ``<document_id>.jca``
or ``….pdf`` until ``jobcentre.atrest_migrate`` encrypts them), each under a name of its own
created with ``O_EXCL`` (a stored file is never replaced), made durable with fsync of file
and directory, or a group of them with one ``syncfs`` (each file's writeback started as soon
as it is written), before the database row is written
and the service signs an ack. Every directory is created 0700 and every file 0600, whatever
the umask; the data directory itself is narrowed to 0700. Work on one document is serialised
by a striped lock: a thread lock within the process, then ``flock`` on one of ``_STRIPES``
lock files in ``incoming/.locks`` across the intake processes that share the data directory
(the database's unique key guards the rest). A partial upload untouched for
``PART_MAX_AGE_S`` (default 7 days) is removed by ``expire_parts`` (under the same lock, so
every intake process may run it); the kiosk then finds offset 0 and sends it again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from foundation.errors import ApiError, SetupError
from foundation.files import (
    can_sync_file_system,
    fsync_dir,
    start_writeback,
    sync_file_system,
)
from wire.protocol import ERROR_NOT_FOUND, ERROR_OFFSET_MISMATCH, ERROR_TOO_LARGE

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_STRIPES = 256
PART_MAX_AGE_S = 7 * 24 * 3600.0
STORED_SUFFIX = ".jca"
_DIGEST_XATTR = "user.jobcenter.sha256"


def check_document_id(document_id: str) -> str:
    """Accept only a lower-case canonical UUID (it becomes a file name)."""
    if not UUID_RE.match(document_id):
        raise ApiError(404, ERROR_NOT_FOUND)
    return document_id


class DocumentStore:
    """The incoming and documents directories under the data directory."""

    def __init__(self, data_dir: Path, sync: Callable[[int], None] = os.fsync) -> None:
        self.root = data_dir
        self._sync = sync  # os.fsync; a test passes one that also records what it made durable
        self.incoming = data_dir / "incoming"
        self.documents = data_dir / "documents"
        self._locks = [threading.Lock() for _ in range(_STRIPES)]
        self._lock_fds: dict[int, int] = {}
        try:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            private_dir(data_dir)
            for path in (self.incoming, self.documents):
                path.mkdir(mode=0o700, exist_ok=True)
                private_dir(path)
                probe = path / ".write-test"
                probe.write_bytes(b"")
                probe.unlink()
        except OSError as exc:
            raise SetupError(
                f"the data directory {data_dir} is not writable: {exc.strerror or exc}"
            ) from exc

    @contextlib.contextmanager
    def locked(self, document_id: str) -> Iterator[None]:
        """Serialise work on one document, within this process and across processes."""
        stripe = int(document_id[:8], 16) % _STRIPES if UUID_RE.match(document_id) else 0
        with self._locks[stripe]:
            fd = self._lock_fd(stripe)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_fd(self, stripe: int) -> int:
        """The open lock file of a stripe (kept open; called with the stripe's thread lock)."""
        fd = self._lock_fds.get(stripe)
        if fd is None:
            folder = self.incoming / ".locks"
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=0o700)
            fd = os.open(folder / f"{stripe:03d}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                         0o600)
            self._lock_fds[stripe] = fd
        return fd

    def close(self) -> None:
        """Close the lock files."""
        fds, self._lock_fds = self._lock_fds, {}
        for fd in fds.values():
            os.close(fd)

    def part_path(self, document_id: str) -> Path:
        """Where the partial upload of a document lives."""
        return self.incoming / f"{check_document_id(document_id)}.part"

    def offset(self, document_id: str) -> int:
        """Bytes received so far (not necessarily durable yet: see ``durable_offset``)."""
        try:
            return self.part_path(document_id).stat().st_size
        except FileNotFoundError:
            return 0

    def durable_offset(self, document_id: str) -> int:
        """Bytes received so far, made durable first: the offset to report to a kiosk."""
        try:
            fd = os.open(self.part_path(document_id), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return 0
        try:
            size = os.fstat(fd).st_size  # before the fsync: a chunk appended meanwhile
            self._sync(fd)               # may not be durable yet, this much is
        finally:
            os.close(fd)
        self._sync_dir(self.incoming)
        return size

    def _sync_dir(self, directory: Path) -> None:
        fsync_dir(directory, self._sync)

    def append(self, document_id: str, offset: int, chunk: bytes, total: int,
               chunk_sha256: bytes | None = None) -> int:
        """Write ``chunk`` at ``offset`` (must equal the current size), without fsync.

        ``chunk_sha256`` is the chunk's SHA-256 as the caller verified it; when the chunk is
        the whole upload it is kept with the file (``read_part``), so it need not be hashed
        again. A refusal reports the durable offset.
        """
        current = self.offset(document_id)
        if offset != current:
            raise ApiError(409, ERROR_OFFSET_MISMATCH, offset=self.durable_offset(document_id))
        if offset + len(chunk) > total:
            raise ApiError(413, ERROR_TOO_LARGE, offset=self.durable_offset(document_id))
        if not chunk:
            return current
        path = self.part_path(document_id)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            written = os.write(fd, chunk)
            while written < len(chunk):
                written += os.write(fd, chunk[written:])
            if current == 0 and len(chunk) == total and chunk_sha256 is not None:
                _keep_digest(fd, chunk_sha256, total)
        finally:
            os.close(fd)
        return current + len(chunk)

    def read_part(self, document_id: str) -> tuple[bytes, bytes | None]:
        """The whole partial upload (empty if none) and its SHA-256 if known from ``append``."""
        try:
            with open(self.part_path(document_id), "rb") as part:
                content = part.read()
                return content, _kept_digest(part.fileno(), len(content))
        except FileNotFoundError:
            return b"", None

    def discard_part(self, document_id: str) -> None:
        """Remove a partial upload (after storing, or when it proved corrupt)."""
        with contextlib.suppress(FileNotFoundError):
            self.part_path(document_id).unlink()

    def expire_parts(self, max_age_s: float, now: float | None = None) -> int:
        """Remove partial uploads not written to for ``max_age_s``; returns how many."""
        cutoff = (time.time() if now is None else now) - max_age_s
        removed = 0
        for path in self.incoming.glob("*.part"):
            document_id = path.name.removesuffix(".part")
            if not UUID_RE.match(document_id):
                continue
            with self.locked(document_id), contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        if removed:
            self._sync_dir(self.incoming)
        return removed

    def path_for(self, document_id: str, received: datetime) -> str:
        """A new file name for a document received at ``received``, below the data
        directory (no file system access). Each call gives another name, so that storing
        never replaces the file of a document stored before, whatever the order of two
        uploads of one document id."""
        name = f"{check_document_id(document_id)}.{os.urandom(6).hex()}{STORED_SUFFIX}"
        folder = f"{received:%Y}/{received:%m}/{received:%d}"
        return f"{self.documents.relative_to(self.root)}/{folder}/{name}"

    def write_stored(self, path: str, parts: Sequence[bytes | memoryview]) -> None:
        """Write a document's new file at ``path`` (from ``path_for``) durably."""
        self.write_stored_many([(path, parts)])

    def write_stored_many(self, files: Sequence[tuple[str, Sequence[bytes | memoryview]]]) -> None:
        """Write new files (``path_for`` names) durably: a group with one ``syncfs`` of
        the file system where available, else each file fsynced and each folder once.
        ``O_EXCL``: an existing file is never replaced. If one fails, those written are
        removed again and the error raised."""
        written: list[Path] = []
        whole_fs = len(files) > 1 and self._sync is os.fsync and can_sync_file_system()
        try:
            for path, parts in files:
                final = self.root / path
                self._make_dirs(final.parent)
                fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                written.append(final)
                try:
                    for part in parts:
                        view = memoryview(part)
                        while view:
                            view = view[os.write(fd, view):]
                    if whole_fs:
                        start_writeback(fd)  # the syncfs below then waits for less
                    else:
                        self._sync(fd)
                finally:
                    os.close(fd)
            if whole_fs:
                sync_file_system(written[0].parent)
            else:
                for folder in dict.fromkeys(final.parent for final in written):
                    self._sync_dir(folder)
        except BaseException:
            for final in written:
                with contextlib.suppress(OSError):
                    final.unlink()
            raise

    def replace_file(self, final: Path, parts: Sequence[bytes | memoryview]) -> None:
        """Write ``parts`` to a temporary file, fsync, rename onto ``final``, fsync the folder."""
        tmp = final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view):]
            self._sync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
        self._sync_dir(final.parent)

    def remove_stored(self, path: str) -> None:
        """Remove a stored file whose database row was never written (``path`` as
        ``path_for`` gave it)."""
        with contextlib.suppress(FileNotFoundError):
            (self.root / path).unlink()

    def read_stored(self, path: str) -> bytes:
        """The bytes of a stored document file (``path`` as kept in its database row)."""
        return (self.root / path).read_bytes()

    def _make_dirs(self, folder: Path) -> None:
        missing = []
        probe = folder
        while not probe.exists() and probe != self.documents:
            missing.append(probe)
            probe = probe.parent
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                path.mkdir(mode=0o700)
            self._sync_dir(path.parent)


def _keep_digest(fd: int, sha256: bytes, size: int) -> None:
    """Attach a one-chunk upload's verified SHA-256 to its file (an extended attribute).

    Bound to the file itself, so every intake process sees it and a re-created file never
    has a stale one; where the file system has no user attributes nothing is kept.
    """
    with contextlib.suppress(OSError):
        os.setxattr(fd, _DIGEST_XATTR, sha256 + size.to_bytes(8, "big"))


def _kept_digest(fd: int, size: int) -> bytes | None:
    """The SHA-256 ``_keep_digest`` attached, if any and if the file is still that long."""
    try:
        value = os.getxattr(fd, _DIGEST_XATTR)
    except OSError:
        return None
    if len(value) != 40 or int.from_bytes(value[32:], "big") != size:
        return None
    return value[:32]


def private_dir(path: Path) -> None:
    """Narrow a directory we own to 0700 (the umask may have left it wider)."""
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
