"""Languages table, catalog loading with fallbacks, plural forms and message extraction."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessibility import i18n
from accessibility.extract_messages import collect_messages, extract_kv, extract_python, run
from accessibility.languages import LANGUAGE_CODES, LANGUAGES, fallback_chain, get_language

PO_HEADER = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: {plural}\\n"

'''


def write_po(
    locale_dir: Path, lang: str, body: str, plural: str = "nplurals=2; plural=(n != 1);"
) -> None:
    path = i18n.catalog_path(lang, locale_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PO_HEADER.format(plural=plural) + body, "utf-8")


def test_language_table_matches_the_config_codes() -> None:
    from config.model import AccessibilityConfig

    assert set(AccessibilityConfig().languages) == set(LANGUAGE_CODES)
    assert get_language("ar").is_rtl and get_language("fa").is_rtl
    assert not any(LANGUAGES[c].is_rtl for c in LANGUAGE_CODES if c not in ("ar", "fa"))
    assert get_language("de-simple").catalog_dir == "de_simple"
    assert get_language("uk").native_name == "Українська"
    assert {lang.tesseract for lang in LANGUAGES.values()} <= {
        "deu", "eng", "ukr", "rus", "ara", "tur", "fas", "pol", "ron"}


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        get_language("xx")
    with pytest.raises(ValueError):
        i18n.translate("xx", "Back")


def test_fallback_chain() -> None:
    assert fallback_chain("de-simple") == ("de-simple", "de", "en")
    assert fallback_chain("en") == ("en",)


def test_translate_falls_back_along_the_chain(tmp_path: Path) -> None:
    write_po(tmp_path, "de", 'msgid "Back"\nmsgstr "Zurück"\n\nmsgid "Hello {name}"\n'
             'msgstr "Hallo {name}"\n')
    write_po(tmp_path, "de-simple", 'msgid "Back"\nmsgstr "Zurück gehen"\n\n'
             '#, fuzzy\nmsgid "Hello {name}"\nmsgstr "Guten Tag {name}"\n')
    simple = i18n.Translator("de-simple", tmp_path)
    assert simple.gettext("Back") == "Zurück gehen"
    # fuzzy entries are never used: German is next in the chain
    assert simple.gettext("Hello {name}", name="Ana") == "Hallo Ana"
    assert simple.gettext("Not translated") == "Not translated"
    # a language without a catalog file still answers, in English
    assert i18n.Translator("pl", tmp_path).gettext("Back") == "Back"


def test_broken_placeholder_falls_back_to_english(tmp_path: Path) -> None:
    write_po(tmp_path, "tr", 'msgid "Page {number}"\nmsgstr "Sayfa {numara}"\n')
    assert i18n.Translator("tr", tmp_path).gettext("Page {number}", number=3) == "Page 3"


def test_plural_forms(tmp_path: Path) -> None:
    write_po(
        tmp_path, "ru",
        'msgid "{n} page"\nmsgid_plural "{n} pages"\n'
        'msgstr[0] "{n} страница"\nmsgstr[1] "{n} страницы"\nmsgstr[2] "{n} страниц"\n',
        plural="nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);",
    )
    tr = i18n.Translator("ru", tmp_path)
    assert [tr.ngettext("{n} page", "{n} pages", n) for n in (1, 3, 5, 21)] == [
        "1 страница", "3 страницы", "5 страниц", "21 страница"]
    assert i18n.Translator("pl", tmp_path).ngettext("{n} page", "{n} pages", 2) == "2 pages"


def test_unreadable_catalog_does_not_crash(tmp_path: Path) -> None:
    write_po(tmp_path, "ro", 'msgid "Back"\nmsgstr "Înapoi\n\n\x00garbage')
    assert i18n.Translator("ro", tmp_path).gettext("Back") == "Back"


def test_catalogs_are_cached_per_language(tmp_path: Path) -> None:
    write_po(tmp_path, "pl", 'msgid "Back"\nmsgstr "Wstecz"\n')
    assert i18n.Translator("pl", tmp_path).gettext("Back") == "Wstecz"
    write_po(tmp_path, "pl", 'msgid "Back"\nmsgstr "Powrót"\n')
    assert i18n.Translator("pl", tmp_path).gettext("Back") == "Wstecz"
    i18n.clear_cache()
    assert i18n.Translator("pl", tmp_path).gettext("Back") == "Powrót"


def test_extract_python_calls_and_msgids_constants() -> None:
    source = '''
X_TEXTS = {"a": ("\\u2922", "Icon text."), "b": ("!", "Second.")}
REASONS = {"blur": "Blurred."}
PLAIN_MSGIDS = ("One", "Two")
FOLLOW_MSGIDS = (*(t for _, t in X_TEXTS.values()), *REASONS.values(), "Three")
def draw(app, n):
    app.tr("From app.tr {x}", x=1)
    _("Underscore")
    tr = app.tr
    tr("Local tr")
    app.tr_plural("{n} page", "{n} pages", n)
    app.tr(variable)
'''
    found = extract_python(source, "k.py", calls=True, constants=True)
    assert found.msgids == {"One", "Two", "Icon text.", "Second.", "Blurred.", "Three",
                            "From app.tr {x}", "Underscore", "Local tr", "{n} page"}
    assert ("{n} page", "{n} pages") in found.locations
    only_constants = extract_python(source, "s.py", calls=False, constants=True)
    assert "Underscore" not in only_constants.msgids


def test_extract_kv() -> None:
    kv = '''
<Foo>:
    text: app.tr("Hello \\"you\\"") + app.tr('Single {n}', n=root.n)
    hint: _("Under")
    other: my_tr("no") + self.dotted_("no")
'''
    assert extract_kv(kv, "x.kv").msgids == {'Hello "you"', "Single {n}", "Under"}


def test_run_writes_template_and_merges(tmp_path: Path) -> None:
    (tmp_path / "kiosk").mkdir()
    (tmp_path / "kiosk" / "screen.py").write_text('def f(app):\n    app.tr("Start")\n')
    (tmp_path / "kiosk" / "screen.kv").write_text('<S>:\n    text: app.tr("Next page")\n')
    locale = tmp_path / "locale"
    write_po(locale, "de", 'msgid "Start"\nmsgstr "Start"\n\nmsgid "Old"\nmsgstr "Alt"\n')
    assert run(tmp_path, locale) == 0
    pot = (locale / "kiosk.pot").read_text("utf-8")
    assert 'msgid "Start"' in pot and 'msgid "Next page"' in pot
    de = i18n.catalog_path("de", locale).read_text("utf-8")
    assert 'msgid "Next page"\nmsgstr ""' in de and 'msgstr "Start"' in de
    en = i18n.catalog_path("en", locale).read_text("utf-8")
    assert 'msgid "Next page"\nmsgstr "Next page"' in en
    # a catalog created after English must not inherit the English texts
    uk = i18n.catalog_path("uk", locale).read_text("utf-8")
    assert 'msgid "Next page"\nmsgstr ""' in uk
    assert run(tmp_path, locale, check=True) == 0
    (tmp_path / "kiosk" / "new.py").write_text('def g(app):\n    app.tr("Brand new")\n')
    assert run(tmp_path, locale, check=True) == 1


def test_repository_sources_are_extractable() -> None:
    found = collect_messages()
    assert "PIN entered" in found.msgids  # ACCESSIBILITY_MSGIDS
