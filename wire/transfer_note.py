"""Versioned extensions of the transfer note: the envelope, its limits, and the known kinds.

The transfer note (JSON in the sealed PDF's XMP, written by ``scanning.pdf``) may carry a
list under ``"extensions"``. Each entry is ``{"kind": str, "version": int, "data": {...}}``:

* **Envelope**: exactly these three keys. ``kind`` is dotted snake_case (``letter_checklist``,
  ``acme.survey``; names without a dot are reserved for this project); ``version`` an integer
  1..65535 (``true`` is not a number here); ``data`` a JSON object of strings, finite numbers,
  booleans, nulls, lists and objects.
* **Limits**: at most ``MAX_EXTENSIONS`` entries, one per (kind, version) -- a kiosk may send
  a kind in two versions so that an older service still reads the older one; each at most
  ``MAX_EXTENSION_BYTES`` and all together at most ``MAX_TOTAL_BYTES`` in canonical JSON;
  ``data`` nested at most ``MAX_DEPTH`` levels.
* **Registry**: ``KNOWN_KINDS`` maps kind -> version -> schema of ``data``
  (``wire.note_kinds``). A known (kind, version) is validated strictly. Any other pair -- a
  kind this side does not know, or a version it does not know (say a newer one) -- passes on
  its envelope alone and is kept verbatim, to be shown as "unknown extension (kind, version)".
* **Canonical form**: ``canonical_json`` (sorted keys, no spaces, UTF-8) of the list, in the
  order given; limits are measured on it.

Breaking any rule raises ``InvalidNoteExtension`` with a stable ``reason``: ``not_a_list``,
``too_many``, ``not_an_object``, ``bad_keys``, ``bad_kind``, ``bad_version``, ``bad_data``,
``too_deep``, ``too_large``, ``duplicate`` or ``schema`` (with the fields at fault). The
intake service answers it with 422 ``invalid_note_extension``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from foundation.errors import InvalidNoteExtension
from wire.codec import canonical_json
from wire.note_kinds import CallRequestV1, HelperAuditV1, LetterChecklistV1

NOTE_KEY = "extensions"
MAX_EXTENSIONS = 16
MAX_EXTENSION_BYTES = 16 * 1024
MAX_TOTAL_BYTES = 64 * 1024
MAX_DEPTH = 8
MAX_VERSION = 65535
ENVELOPE_KEYS = frozenset({"kind", "version", "data"})
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}(?:\.[a-z][a-z0-9_]{0,39}){0,3}$")
MAX_KIND_LENGTH = 64

LETTER_CHECKLIST = "letter_checklist"
HELPER_AUDIT = "helper_audit"
CALL_REQUEST = "call_request"

#: kind -> version -> schema of ``data``; every other (kind, version) is kept as unknown.
KNOWN_KINDS: Mapping[str, Mapping[int, type[BaseModel]]] = {
    LETTER_CHECKLIST: {1: LetterChecklistV1},
    HELPER_AUDIT: {1: HelperAuditV1},
    CALL_REQUEST: {1: CallRequestV1},
}


def data_schema(kind: str, version: int) -> type[BaseModel] | None:
    """The schema of ``data`` for a known (kind, version); None if unknown."""
    return KNOWN_KINDS.get(kind, {}).get(version)


def supported_versions(kind: str) -> tuple[int, ...]:
    """The versions of ``kind`` this side can read (empty for an unknown kind)."""
    return tuple(sorted(KNOWN_KINDS.get(kind, {})))


def _check_value(value: Any, depth: int, index: int | None) -> None:
    """Only plain JSON values, nested at most ``MAX_DEPTH`` levels."""
    if depth > MAX_DEPTH:
        raise InvalidNoteExtension("too_deep", index)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidNoteExtension("bad_data", index)
            _check_value(item, depth + 1, index)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1, index)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidNoteExtension("bad_data", index)
    elif value is not None and not isinstance(value, str | int | bool):
        raise InvalidNoteExtension("bad_data", index)


@dataclass(frozen=True)
class NoteExtension:
    """One validated extension; ``data`` is a private copy of the JSON object as given."""

    kind: str
    version: int
    data: dict[str, Any]

    def __post_init__(self) -> None:
        check_extension(self.kind, self.version, self.data)
        object.__setattr__(self, "data", json.loads(canonical_json(self.data)))

    __hash__ = None  # type: ignore[assignment]  # data is a dict

    @property
    def known(self) -> bool:
        """Whether this side has a schema for (kind, version)."""
        return data_schema(self.kind, self.version) is not None

    def as_json(self) -> dict[str, Any]:
        """The envelope as a JSON object (a fresh copy)."""
        return {"kind": self.kind, "version": self.version,
                "data": json.loads(canonical_json(self.data))}

    def canonical(self) -> bytes:
        """The envelope in canonical JSON."""
        return canonical_json({"kind": self.kind, "version": self.version, "data": self.data})


def check_extension(kind: Any, version: Any, data: Any, index: int | None = None) -> None:
    """Validate one extension's envelope, size, and (if known) its data schema."""
    if not isinstance(kind, str) or len(kind) > MAX_KIND_LENGTH or not _KIND_RE.match(kind):
        raise InvalidNoteExtension("bad_kind", index)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidNoteExtension("bad_version", index)
    if not 1 <= version <= MAX_VERSION:
        raise InvalidNoteExtension("bad_version", index)
    if not isinstance(data, dict):
        raise InvalidNoteExtension("bad_data", index)
    _check_value(data, 1, index)
    envelope = {"kind": kind, "version": version, "data": data}
    if len(canonical_json(envelope)) > MAX_EXTENSION_BYTES:
        raise InvalidNoteExtension("too_large", index)
    schema = data_schema(kind, version)
    if schema is None:
        return
    try:
        schema.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) or "data" for err in exc.errors()})
        raise InvalidNoteExtension("schema", index, tuple(fields)) from exc


def check_list(extensions: Iterable[NoteExtension]) -> list[NoteExtension]:
    """The rules over the whole list: count, one entry per (kind, version), total size."""
    found = list(extensions)
    if len(found) > MAX_EXTENSIONS:
        raise InvalidNoteExtension("too_many")
    seen: set[tuple[str, int]] = set()
    for index, extension in enumerate(found):
        pair = (extension.kind, extension.version)
        if pair in seen:
            raise InvalidNoteExtension("duplicate", index)
        seen.add(pair)
    if len(canonical_extensions(found)) > MAX_TOTAL_BYTES:
        raise InvalidNoteExtension("too_large")
    return found


def parse_extensions(raw: Any) -> list[NoteExtension]:
    """Extensions from decoded JSON (strict: any broken rule raises InvalidNoteExtension)."""
    if not isinstance(raw, list):
        raise InvalidNoteExtension("not_a_list")
    if len(raw) > MAX_EXTENSIONS:
        raise InvalidNoteExtension("too_many")
    parsed = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise InvalidNoteExtension("not_an_object", index)
        if set(entry) != ENVELOPE_KEYS:
            raise InvalidNoteExtension("bad_keys", index)
        check_extension(entry["kind"], entry["version"], entry["data"], index)
        parsed.append(NoteExtension(entry["kind"], entry["version"], entry["data"]))
    return check_list(parsed)


def extensions_from_note(note: Mapping[str, Any]) -> list[NoteExtension]:
    """The extensions of a decoded transfer note ([] if it has none)."""
    if NOTE_KEY not in note:
        return []
    return parse_extensions(note[NOTE_KEY])


def canonical_extensions(extensions: Iterable[NoteExtension]) -> bytes:
    """The list in canonical JSON, in the order given."""
    return canonical_json([e.as_json() for e in extensions])


def extensions_json(extensions: Iterable[NoteExtension]) -> list[dict[str, Any]]:
    """The list as JSON objects, for writing into a transfer note or a database."""
    return [e.as_json() for e in extensions]
