"""The kiosk's own ``.po`` reader gives exactly the tables Babel gives, for every shipped
catalog, and says where a broken catalog is broken."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po as babel_read_po

from accessibility.i18n import LOCALE_DIR, Translator, clear_cache
from accessibility.po_catalog import read_entries, read_po
from foundation.errors import CatalogSyntaxError

CATALOGS = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/kiosk.po"))


def babel_table(path: Path) -> dict[object, str]:
    with path.open("rb") as fh:
        catalog = babel_read_po(fh, abort_invalid=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return dict(gettext.GNUTranslations(buffer)._catalog)  # type: ignore[attr-defined]


def test_there_are_ten_catalogs() -> None:
    assert len(CATALOGS) == 10


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_shipped_catalog_reads_as_babel_reads_it(path: Path) -> None:
    ours = dict(read_po(path)._catalog)  # type: ignore[attr-defined]
    assert ours == babel_table(path)
    assert len(ours) > 100


def test_plural_rules_come_from_the_header() -> None:
    arabic = read_po(LOCALE_DIR / "ar" / "LC_MESSAGES" / "kiosk.po")
    forms = {arabic.ngettext("Wrong PIN. {n} try left.", "Wrong PIN. {n} tries left.", n)
             for n in (0, 1, 2, 5, 11, 100)}
    assert forms and all("PIN" in form for form in forms)
    assert arabic.plural(11) == 5 and arabic.plural(3) == 3 and arabic.plural(102) == 4  # type: ignore[attr-defined]


SAMPLE = r'''# header comment
msgid ""
msgstr ""
"Language: de\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: somewhere.py
msgid "Hello"
msgstr "Hallo"

#, fuzzy
msgid "Maybe"
msgstr "Vielleicht"

msgid "Empty"
msgstr ""

#, python-brace-format
msgid "Line one\n"
"and \"two\""
msgstr "Zeile eins\n"
"und \"zwei\""
msgctxt "button"
msgid "Open"
msgstr "Öffnen"

msgid "{n} page"
msgid_plural "{n} pages"
msgstr[0] "{n} Seite"
msgstr[1] "{n} Seiten"

#~ msgid "Old"
#~ msgstr "Alt"
'''


def test_flags_contexts_plurals_and_continuations(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.po"
    path.write_text(SAMPLE, encoding="utf-8")
    entries = dict(read_entries(path))
    assert entries["Hello"] == "Hallo"
    assert "Maybe" not in entries and "Empty" not in entries and "Old" not in entries
    assert entries['Line one\nand "two"'] == 'Zeile eins\nund "zwei"'
    assert entries["button\x04Open"] == "Öffnen"
    assert entries["{n} page\x00{n} pages"] == "{n} Seite\x00{n} Seiten"
    translations = read_po(path)
    assert translations.ngettext("{n} page", "{n} pages", 2) == "{n} Seiten"
    assert translations.pgettext("button", "Open") == "Öffnen"
    ours = dict(translations._catalog)  # type: ignore[attr-defined]
    babels = babel_table(path)
    del ours[""], babels[""]  # Babel writes a header of its own for a sample catalog
    assert ours == babels


@pytest.mark.parametrize("line", ['msgstr "unterminated', "garbage here", 'msgid "a\\q"'])
def test_a_broken_line_is_named_with_its_number(tmp_path: Path, line: str) -> None:
    path = tmp_path / "kiosk.po"
    path.write_text('msgid "Hello"\nmsgstr "Hallo"\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(CatalogSyntaxError, match=r"kiosk\.po:4"):
        read_entries(path)


def test_a_header_without_charset_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.po"
    path.write_text('msgid ""\nmsgstr "Language: de\\n"\n\nmsgid "Open"\nmsgstr "Öffnen"\n',
                    encoding="utf-8")
    assert read_po(path).gettext("Open") == "Öffnen"


def test_a_broken_catalog_falls_back_to_english(tmp_path: Path) -> None:
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "kiosk.po").write_text("this is not gettext\n", encoding="utf-8")
    clear_cache()
    try:
        assert Translator("de", locale_dir=tmp_path).gettext("Hello") == "Hello"
    finally:
        clear_cache()


def test_translating_does_not_import_babel() -> None:
    code = ("import sys; from accessibility.i18n import translate; "
            "assert translate('ar', 'Back') != 'Back'; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'babel'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
