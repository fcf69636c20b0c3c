"""Collect the kiosk's translatable texts, write ``kiosk.pot`` and merge it into every catalog.

Run ``python -m accessibility.extract_messages`` from the repository root (``--check`` only
reports whether the template is out of date, exit code 1 if so). Texts are found in:

* ``kiosk/**/*.py``: calls ``_("…")``, ``N_("…")``, ``gettext("…")``, ``tr("…")``,
  ``<obj>.tr("…")``, ``<obj>.tr_plain("…")``, ``<obj>.tr_helper("…")`` and the
  plural calls ``ngettext("…", "…", n)`` / ``<obj>.tr_plural("…", "…", n)``;
* ``kiosk/**/*.kv``: ``app.tr("…")``, ``app.tr_helper("…")`` and ``_("…")``;
* module-level constants named ``*_MSGIDS`` in ``kiosk/``, ``scanning/`` and
  ``accessibility/``: a tuple/list of strings, or a dict whose string values are msgids
  (keys are codes); names of other constants of the same module used inside them
  (``*OTHER.values()``, ``(t for _, t in OTHER.values())``) are followed.

Only literal strings are extracted. New entries are added to every language untranslated
(Babel may pre-fill a fuzzy guess); English, the source language, is filled with the msgid.
"""

from __future__ import annotations

import argparse
import ast
import copy
import io
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from accessibility.i18n import DOMAIN, LOCALE_DIR, catalog_path
from accessibility.languages import LANGUAGES, SOURCE_LANGUAGE

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
POT_PATH = LOCALE_DIR / f"{DOMAIN}.pot"
CALL_ROOTS = ("kiosk",)
MSGIDS_ROOTS = ("kiosk", "scanning", "accessibility")
SINGULAR_CALLS = frozenset({"_", "N_", "gettext", "tr", "tr_plain", "tr_helper"})
PLURAL_CALLS = frozenset({"ngettext", "tr_plural"})
_DATE_HEADERS = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.MULTILINE)
# A Python string literal as it appears in kv: ' or " quoted, backslash escapes allowed.
_KV_CALL = re.compile(
    r"""(?:\bapp\.tr(?:_helper)?|(?<![\w.])_)\(\s*(?P<lit>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")\s*[,)]"""
)

MsgId = str | tuple[str, str]


@dataclass
class Extracted:
    """Msgids found in the source tree, each with the files it appears in."""

    locations: dict[MsgId, list[str]] = field(default_factory=dict)

    def add(self, msgid: MsgId, where: str) -> None:
        """Record ``msgid`` as used in file ``where`` (empty msgids are ignored)."""
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        if not key.strip():
            return
        places = self.locations.setdefault(msgid, [])
        if where not in places:
            places.append(where)

    @property
    def msgids(self) -> set[str]:
        """The singular msgids (for plural entries, the singular form)."""
        return {m[0] if isinstance(m, tuple) else m for m in self.locations}


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute) and node.func.attr in SINGULAR_CALLS | PLURAL_CALLS:
        return node.func.attr
    return None


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _module_values(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = value`` assignments (the last one wins)."""
    values: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = stmt.value
        elif (isinstance(stmt, ast.AnnAssign) and stmt.value is not None
              and isinstance(stmt.target, ast.Name)):
            values[stmt.target.id] = stmt.value
    return values


def _msgids_value(node: ast.AST, names: dict[str, ast.expr], seen: set[str]) -> Iterator[str]:
    """String literals a ``*_MSGIDS`` value holds, following names defined in the module.

    Dict keys are codes and are skipped; so are strings without a letter (icons).
    """
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and any(c.isalpha() for c in node.value):
            yield node.value
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _msgids_value(value, names, seen)
    elif isinstance(node, ast.Name):
        if node.id in names and node.id not in seen:
            yield from _msgids_value(names[node.id], names, seen | {node.id})
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _msgids_value(element, names, seen)
    elif isinstance(node, ast.Starred):
        yield from _msgids_value(node.value, names, seen)
    elif isinstance(node, ast.Call):
        # X.values() / tuple(X) / sorted(X): the strings of X
        if isinstance(node.func, ast.Attribute) and node.func.attr == "values":
            yield from _msgids_value(node.func.value, names, seen)
        for arg in node.args:
            yield from _msgids_value(arg, names, seen)
    elif isinstance(node, ast.GeneratorExp | ast.ListComp | ast.SetComp):
        for generator in node.generators:
            yield from _msgids_value(generator.iter, names, seen)


def extract_python(source: str, where: str, *, calls: bool, constants: bool) -> Extracted:
    """Msgids in one Python source: translation calls and/or ``*_MSGIDS`` constants."""
    found = Extracted()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        log.error("cannot parse %s; skipped", where)
        return found
    if calls:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _call_name(node)
            first = _literal(node.args[0])
            if first is None:
                continue
            if name in SINGULAR_CALLS:
                found.add(first, where)
            elif name in PLURAL_CALLS and len(node.args) >= 2:
                second = _literal(node.args[1])
                if second is not None:
                    found.add((first, second), where)
    if constants:
        names = _module_values(tree)
        for name, value in names.items():
            if name.endswith("_MSGIDS"):
                for text in _msgids_value(value, names, {name}):
                    found.add(text, where)
    return found


def extract_kv(source: str, where: str) -> Extracted:
    """Msgids in one kv file: ``app.tr("…")`` and ``_("…")`` with a literal string."""
    found = Extracted()
    for match in _KV_CALL.finditer(source):
        try:
            text = ast.literal_eval(match.group("lit"))
        except (ValueError, SyntaxError):
            continue
        if isinstance(text, str):
            found.add(text, where)
    return found


def _files(root: Path, top: str, suffix: str) -> list[Path]:
    base = root / top
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob(f"*{suffix}") if ".venv" not in p.parts)


def collect_messages(root: Path = REPO_ROOT) -> Extracted:
    """Walk the source tree under ``root`` and collect every msgid."""
    found = Extracted()
    wanted: dict[Path, tuple[bool, bool]] = {}
    for top in CALL_ROOTS:
        for path in _files(root, top, ".py"):
            wanted[path] = (True, False)
    for top in MSGIDS_ROOTS:
        for path in _files(root, top, ".py"):
            wanted[path] = (wanted.get(path, (False, False))[0], True)
    for path, (calls, constants) in sorted(wanted.items()):
        where = path.relative_to(root).as_posix()
        part = extract_python(path.read_text("utf-8"), where, calls=calls, constants=constants)
        _merge(found, part)
    for top in CALL_ROOTS:
        for path in _files(root, top, ".kv"):
            where = path.relative_to(root).as_posix()
            _merge(found, extract_kv(path.read_text("utf-8"), where))
    return found


def _merge(into: Extracted, part: Extracted) -> None:
    for msgid, places in part.locations.items():
        for where in places:
            into.add(msgid, where)


def build_template(found: Extracted) -> Catalog:
    """A Babel template catalog holding every collected msgid."""
    template = Catalog(project="jobcenter-kiosk", version="0.1", fuzzy=False)
    for msgid, places in found.locations.items():
        template.add(msgid, locations=[(p, 0) for p in places])
    return template


def _render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False,
             omit_header=False)
    return buffer.getvalue()


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless only the date headers differ; True if the file changed."""
    if path.exists():
        old = path.read_bytes().decode("utf-8")
        if _DATE_HEADERS.sub("", old) == _DATE_HEADERS.sub("", data.decode("utf-8")):
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def merge_catalog(lang: str, template: Catalog, locale_dir: Path = LOCALE_DIR) -> bool:
    """Merge ``template`` into the catalog of ``lang``; True if the file changed."""
    language = LANGUAGES[lang]
    babel_lang = language.babel_locale.split("_")[0]
    path = catalog_path(lang, locale_dir)
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=babel_lang)
    else:
        catalog = Catalog(locale=babel_lang, project="jobcenter-kiosk", version="0.1",
                          fuzzy=False)
    # Babel may reuse the template's Message objects: merge a copy, so filling English
    # below can never leak into the next language.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=False,
                   update_header_comment=False)
    if lang == SOURCE_LANGUAGE:
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not message.id or (all(strings) and "fuzzy" not in message.flags):
                continue
            message.string = message.id
            message.flags.discard("fuzzy")
    return _write_if_changed(path, _render(catalog))


def run(root: Path = REPO_ROOT, locale_dir: Path = LOCALE_DIR, *, check: bool = False) -> int:
    """Extract, write the template and merge every catalog; return a process exit code."""
    template = build_template(collect_messages(root))
    pot = locale_dir / f"{DOMAIN}.pot"
    if check:
        existing: set[str] = set()
        if pot.exists():
            with pot.open("rb") as fh:
                existing = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
        missing = sorted(wanted - existing)
        for msgid in missing:
            print(f"missing from {pot.name}: {msgid!r}")
        return 1 if missing else 0
    changed = _write_if_changed(pot, _render(template))
    print(f"{pot}: {len(template)} messages{' (updated)' if changed else ''}")
    for lang in LANGUAGES:
        if merge_catalog(lang, template, locale_dir):
            print(f"{catalog_path(lang, locale_dir)}: updated")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="only report msgids missing from the template")
    args = parser.parse_args(argv)
    return run(check=args.check)


if __name__ == "__main__":
    sys.exit(main())
