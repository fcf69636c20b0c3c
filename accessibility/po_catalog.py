"""Read a gettext ``.po`` catalog into a ``gettext.GNUTranslations`` without Babel.

The kiosk's UI process translates every screen, and every visitor gets a fresh UI process
(``kiosk.ui_host``). Reading the catalogs with Babel cost each of those processes ~3.4 MB of
resident memory (``babel.messages`` and what it imports) for a file format that takes a page
to read. This module reads the subset of the format our catalogs use, which is the subset
``babel.messages.pofile`` writes: ``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr`` and
``msgstr[n]``, strings continued over several quoted lines with C escapes, ``#,`` flags
(``fuzzy`` entries are left out, as ``write_mo(use_fuzzy=False)`` does) and obsolete ``#~``
entries (ignored). The entries go into an in-memory ``.mo`` file in GNU format, which the
standard library reads, so plural rules and the header are handled by ``gettext`` itself.

``tests/accessibility/test_po_catalog.py`` checks that every shipped catalog reads into
exactly the table Babel makes of it. A catalog this reader cannot follow raises
``CatalogSyntaxError`` with the line number.
"""

from __future__ import annotations

import gettext
import io
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from foundation.errors import CatalogSyntaxError

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}
_ESCAPE = re.compile(r"\\(.)")
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
_MO_MAGIC = 0x950412DE


@dataclass
class _Entry:
    context: str | None = None
    msgid: str | None = None
    plural: str | None = None
    strings: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def _unquote(text: str, path: Path, number: int) -> str:
    if len(text) < 2 or not text.startswith('"') or not text.endswith('"'):
        raise CatalogSyntaxError(f"{path}:{number}: expected a quoted string")

    def unescape(match: re.Match[str]) -> str:
        found = _ESCAPES.get(match.group(1))
        if found is None:
            raise CatalogSyntaxError(f"{path}:{number}: unknown escape \\{match.group(1)}")
        return found

    return _ESCAPE.sub(unescape, text[1:-1])


def read_entries(path: Path) -> list[tuple[str, str]]:
    """The (key, translation) pairs of ``path`` as a ``.mo`` file holds them: the header
    under the empty key, ``context\\x04msgid`` for a context, ``msgid\\0plural`` and the
    forms joined by ``\\0`` for a plural. Fuzzy, obsolete and untranslated entries are left
    out (the header always stays)."""
    entries: list[_Entry] = []
    current = _Entry()
    target: tuple[str, int] | None = None  # the field that a continuation line extends

    def finish() -> None:
        nonlocal current, target
        if current.msgid is not None:
            entries.append(current)
        current, target = _Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):  # a comment, flags or an obsolete entry: a new entry
            if current.msgid is not None:
                finish()
            if line.startswith("#,"):
                current.fuzzy = "fuzzy" in (flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith('"'):
            if target is None:
                raise CatalogSyntaxError(f"{path}:{number}: a string outside an entry")
            _extend(current, target, _unquote(line, path, number))
            continue
        match = _KEYWORD.match(line)
        if match is None:
            raise CatalogSyntaxError(f"{path}:{number}: not a gettext line: {line[:40]!r}")
        keyword, index, quoted = match.groups()
        if keyword in ("msgctxt", "msgid") and current.strings:
            finish()  # a new entry without a blank line before it
        target = (keyword.split("[")[0], int(index) if index is not None else 0)
        _extend(current, target, _unquote(quoted, path, number), start=True)
    finish()
    return _table(entries)


def _extend(entry: _Entry, target: tuple[str, int], text: str, start: bool = False) -> None:
    name, index = target
    if name == "msgstr":
        entry.strings[index] = ("" if start else entry.strings.get(index, "")) + text
    else:
        attribute = {"msgctxt": "context", "msgid": "msgid", "msgid_plural": "plural"}[name]
        before = "" if start else (getattr(entry, attribute) or "")
        setattr(entry, attribute, before + text)


def _table(entries: list[_Entry]) -> list[tuple[str, str]]:
    table: dict[str, str] = {}
    for entry in entries:
        assert entry.msgid is not None
        header = entry.msgid == "" and entry.context is None
        forms = [entry.strings.get(i, "") for i in range(max(entry.strings, default=-1) + 1)]
        if not header and (entry.fuzzy or not any(forms)):
            continue
        key = entry.msgid
        if entry.plural is not None:
            key += "\0" + entry.plural
        if entry.context is not None:
            key = entry.context + "\x04" + key
        table[key] = "\0".join(forms)
    if "charset=" not in table.get("", ""):  # gettext would read the texts as ASCII
        table[""] = table.get("", "") + "Content-Type: text/plain; charset=UTF-8\n"
    return sorted(table.items())


def mo_bytes(pairs: list[tuple[str, str]]) -> bytes:
    """A GNU ``.mo`` file (no hash table) holding ``pairs``, sorted by key."""
    keys = [key.encode("utf-8") for key, _ in pairs]
    values = [value.encode("utf-8") for _, value in pairs]
    count = len(pairs)
    keys_table, values_table = 7 * 4, 7 * 4 + count * 8
    offset = values_table + count * 8
    index = b""
    for blobs in (keys, values):
        for blob in blobs:
            index += struct.pack("<II", len(blob), offset)
            offset += len(blob) + 1
    header = struct.pack("<7I", _MO_MAGIC, 0, count, keys_table, values_table, 0, 0)
    return header + index + b"".join(blob + b"\0" for blob in keys + values)


def read_po(path: Path) -> gettext.GNUTranslations:
    """The translations of the ``.po`` file at ``path``."""
    return gettext.GNUTranslations(io.BytesIO(mo_bytes(read_entries(path))))
