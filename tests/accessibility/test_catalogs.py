"""Every language's catalog is complete: translated, not fuzzy, placeholders intact, up to date."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from accessibility.extract_messages import POT_PATH, collect_messages
from accessibility.i18n import catalog_path, translate
from accessibility.languages import LANGUAGE_CODES, get_language


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=True)


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _template_ids() -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in _read(POT_PATH) if m.id}


def test_template_holds_every_msgid_in_the_code() -> None:
    missing = collect_messages().msgids - _template_ids()
    assert not missing, (
        "run `python -m accessibility.extract_messages` and translate: " + repr(sorted(missing)))


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_catalog_is_complete(lang: str) -> None:
    catalog = _read(catalog_path(lang), get_language(lang).babel_locale.split("_")[0])
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert not _template_ids() - ids, f"{lang}: catalog not merged with the template"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        singular = message.id if isinstance(message.id, str) else message.id[0]
        if message.fuzzy:
            problems.append(f"fuzzy: {singular!r}")
        raw = message.string
        strings = [str(s or "") for s in (raw if isinstance(raw, tuple | list) else (raw,))]
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {singular!r}")
            continue
        sources = [str(s) for s in (message.id if isinstance(message.id, tuple | list)
                                    else (message.id,))]
        wanted: set[str] = set().union(*(_placeholders(s) for s in sources))
        for text in strings:
            if _placeholders(text) != wanted:
                problems.append(f"placeholders {sorted(_placeholders(text))} != "
                                f"{sorted(wanted)}: {singular!r}")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", [c for c in LANGUAGE_CODES if c != "en"])
def test_catalog_is_really_translated(lang: str) -> None:
    # A copied English text is allowed for a few names (e.g. "Terminal"), not wholesale.
    catalog = _read(catalog_path(lang))
    pairs = [(m.id, m.string) for m in catalog if m.id and isinstance(m.id, str)]
    same = [msgid for msgid, text in pairs if msgid == text]
    assert len(same) <= max(3, len(pairs) // 20), f"{lang}: copied from English: {same}"


def test_rtl_catalogs_are_in_arabic_script() -> None:
    for lang in ("ar", "fa"):
        text = translate(lang, "Choose your language")
        assert any("\u0600" <= ch <= "\u06ff" for ch in text), lang


def test_every_page_reason_and_hint_has_a_visitor_text_in_every_language() -> None:
    from kiosk.screens.messages import HINT_TEXTS, REASON_TEXTS
    from scanning.models import HINT_FOR_REASON, REASON_CODES

    assert set(REASON_CODES) <= set(REASON_TEXTS)
    assert set(HINT_FOR_REASON.values()) <= set(HINT_TEXTS)
    for lang in LANGUAGE_CODES:
        if lang in ("en", "de-simple"):  # the source language; Leichte Sprache falls back too
            continue
        for text in (REASON_TEXTS["faded_text"], HINT_TEXTS["clearer_copy"][1]):
            assert translate(lang, text) != text, (lang, text)
