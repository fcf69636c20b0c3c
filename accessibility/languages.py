"""The languages the kiosk offers, and everything the other parts need to know about each.

One table, ``LANGUAGES``, keyed by the kiosk's language code (the same codes as
``config.model.LanguageCode``). Each entry names the language in its own script (no flags:
flags stand for countries, not languages), its text direction and script, and the codes the
other tools use for it: Tesseract, espeak-ng, Babel/CLDR and the gettext catalog folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["ltr", "rtl"]
Script = Literal["Latn", "Cyrl", "Arab"]


@dataclass(frozen=True)
class Language:
    """One language of the kiosk and its codes for the tools that handle it."""

    code: str
    native_name: str
    english_name: str
    direction: Direction
    script: Script
    tesseract: str
    espeak_voice: str
    babel_locale: str
    speech_rate_wpm: int = 160

    @property
    def catalog_dir(self) -> str:
        """Folder name of the gettext catalog (``de-simple`` becomes ``de_simple``)."""
        return self.code.replace("-", "_")

    @property
    def is_rtl(self) -> bool:
        """True for right-to-left languages (Arabic, Farsi)."""
        return self.direction == "rtl"


_ALL: tuple[Language, ...] = (
    Language("de", "Deutsch", "German", "ltr", "Latn", "deu", "de", "de_DE"),
    # Leichte Sprache: spoken a little slower, read with the same German tools.
    Language(
        "de-simple", "Leichte Sprache", "Easy German", "ltr", "Latn", "deu", "de", "de_DE",
        speech_rate_wpm=135,
    ),
    Language("en", "English", "English", "ltr", "Latn", "eng", "en", "en_GB"),
    Language("uk", "Українська", "Ukrainian", "ltr", "Cyrl", "ukr", "uk", "uk_UA"),
    Language("ru", "Русский", "Russian", "ltr", "Cyrl", "rus", "ru", "ru_RU"),
    Language("ar", "العربية", "Arabic", "rtl", "Arab", "ara", "ar", "ar"),
    Language("tr", "Türkçe", "Turkish", "ltr", "Latn", "tur", "tr", "tr_TR"),
    Language("fa", "فارسی", "Persian (Farsi)", "rtl", "Arab", "fas", "fa", "fa_IR"),
    Language("pl", "Polski", "Polish", "ltr", "Latn", "pol", "pl", "pl_PL"),
    Language("ro", "Română", "Romanian", "ltr", "Latn", "ron", "ro", "ro_RO"),
)

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in _ALL}
LANGUAGE_CODES: tuple[str, ...] = tuple(LANGUAGES)
SOURCE_LANGUAGE = "en"
DEFAULT_LANGUAGE = "de"


def get_language(code: str) -> Language:
    """Return the language with kiosk code ``code``; raise ``ValueError`` if unknown."""
    try:
        return LANGUAGES[code]
    except KeyError:
        allowed = ", ".join(LANGUAGE_CODES)
        raise ValueError(f"unknown language {code!r}; allowed: {allowed}") from None


def is_rtl(code: str) -> bool:
    """True if language ``code`` is written right to left."""
    return get_language(code).is_rtl


def fallback_chain(code: str) -> tuple[str, ...]:
    """Languages to try, in order, when a text is missing in ``code`` (ends in English)."""
    chain = [code]
    if code == "de-simple":
        chain.append("de")
    if SOURCE_LANGUAGE not in chain:
        chain.append(SOURCE_LANGUAGE)
    return tuple(chain)
