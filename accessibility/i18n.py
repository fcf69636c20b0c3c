"""Translation catalogs: load the gettext ``.po`` files and translate English msgids.

Catalogs live in ``accessibility/locale/<catalog_dir>/LC_MESSAGES/kiosk.po`` (``de-simple``
uses the folder ``de_simple``). They are read on first use by ``accessibility.po_catalog``
(no ``.mo`` files to forget to rebuild, and no Babel in the kiosk's UI process) and cached
per language. Fuzzy entries are not used.
A text missing in a language falls back along ``languages.fallback_chain`` (Leichte Sprache →
German → the English msgid), so a visitor never sees an empty button.

Translation happens when a screen is drawn: call ``translate``/``Translator.gettext`` then,
never at import time. Values go into ``{placeholders}`` after translation; a broken
placeholder in a translation falls back to the English text instead of crashing.
"""

from __future__ import annotations

import gettext
import logging
import threading
from pathlib import Path
from typing import Any

from accessibility.languages import fallback_chain, get_language
from accessibility.po_catalog import read_po

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_lock = threading.Lock()
_cache: dict[tuple[Path, str], gettext.NullTranslations] = {}


def catalog_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Path of the ``.po`` catalog of language ``lang``."""
    return locale_dir / get_language(lang).catalog_dir / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(po_path: Path, lang: str) -> gettext.NullTranslations:
    """Read one ``.po`` file into an in-memory GNU translations object."""
    try:
        return read_po(po_path)
    except FileNotFoundError:
        log.warning("no catalog for language %s; using the fallback", lang)
        return gettext.NullTranslations()
    except Exception:  # a broken catalog must not take the kiosk down
        log.exception("catalog for language %s is unreadable; using the fallback", lang)
        return gettext.NullTranslations()


def _single(lang: str, locale_dir: Path) -> gettext.NullTranslations:
    key = (locale_dir, lang)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _compile(catalog_path(lang, locale_dir), lang)
            _cache[key] = found
        return found


def load_translations(lang: str, locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """Translations for ``lang`` with the fallback chain attached (cached per language)."""
    # Fresh links each time, so the fallbacks of one language never leak into another.
    link: _ChainLink | None = None
    for code in reversed(fallback_chain(lang)):
        link = _ChainLink(_single(code, locale_dir), link)
    assert link is not None  # the chain always holds at least ``lang`` itself
    return link


class _ChainLink(gettext.NullTranslations):
    """Asks one cached catalog and passes on to the next link when it has no text."""

    def __init__(self, inner: gettext.NullTranslations, following: _ChainLink | None) -> None:
        super().__init__()
        self._inner = inner
        self._next = following
        self._messages: dict[Any, str] = getattr(inner, "_catalog", {})

    def gettext(self, message: str) -> str:
        found = self._messages.get(message)
        if found:
            return found
        return self._next.gettext(message) if self._next else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if self._messages.get((msgid1, 0)):
            return self._inner.ngettext(msgid1, msgid2, n)
        if self._next:
            return self._next.ngettext(msgid1, msgid2, n)
        return msgid1 if n == 1 else msgid2


def clear_cache() -> None:
    """Forget all compiled catalogs (after editing a ``.po`` file at run time)."""
    with _lock:
        _cache.clear()


def _fill(text: str, fallback: str, values: dict[str, Any]) -> str:
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        log.error("translation has broken placeholders; using the English text")
        try:
            return fallback.format(**values)
        except (KeyError, IndexError, ValueError):
            return fallback


class Translator:
    """Translates msgids into one language; create one per language switch (cheap)."""

    def __init__(self, lang: str, locale_dir: Path = LOCALE_DIR) -> None:
        self.language = get_language(lang)
        self._translations = load_translations(lang, locale_dir)

    @property
    def lang(self) -> str:
        """The kiosk language code of this translator."""
        return self.language.code

    def gettext(self, msgid: str, **values: Any) -> str:
        """Translate ``msgid`` and fill its ``{placeholders}`` from ``values``."""
        return _fill(self._translations.gettext(msgid), msgid, values)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """Translate a text with a count; ``{n}`` in the text is filled with ``n``."""
        text = self._translations.ngettext(singular, plural, n)
        english = singular if n == 1 else plural
        return _fill(text, english, {"n": n, **values})

    __call__ = gettext


def translate(lang: str, msgid: str, **values: Any) -> str:
    """Translate ``msgid`` into language ``lang`` and fill its placeholders."""
    return Translator(lang).gettext(msgid, **values)


def translate_plural(lang: str, singular: str, plural: str, n: int, **values: Any) -> str:
    """Translate a counted text into ``lang``; ``{n}`` is filled with ``n``."""
    return Translator(lang).ngettext(singular, plural, n, **values)


def N_(msgid: str) -> str:
    """Mark a text for extraction without translating it (translate later, when drawn)."""
    return msgid
