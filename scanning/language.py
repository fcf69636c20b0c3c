"""Script and language of recognised text, from character and word statistics (no models).

Tesseract tells scripts apart; languages sharing a script are separated here: Ukrainian
from Russian (і ї є ґ vs ы э ъ ё), Persian from Arabic (پ چ ژ گ ی ک vs ة ي ك ى), and German,
English, Turkish, Polish and Romanian by letters and very frequent words. ``legibility``
scores OCR output: mean word confidence and the share of plausible real words.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

from scanning.models import Legibility, OcrResult


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "de": _words(
        "als am an auch auf aus bei bis bitte das datum dem den der des die ein eine "
        "einen es für ich ihr ihre im ist mit nach nicht nr oder sich sie sind und uns "
        "unter vom von wie wir wird zu zum zur über "
    ),
    "en": _words(
        "and any are as at be by can for from have if in is it me my not of on or our "
        "please that the this to we will with you your "
    ),
    "tr": _words(
        "ama ay ben benimle bilgi bir bu da daha de ekte gibi her ile için kadar lütfen "
        "ne olarak olursa saygılarımla sayın siz sonra ve çok "
    ),
    "pl": _words(
        "ale co czy dla do i jak jest na nie o od pan pani po proszę przez się są tak to w z za że "
    ),
    "ro": _words(
        "al ca care cu că de din dumneavoastră este la mai nu o pe pentru se sunt un vă în și "
    ),
    "uk": _words(
        "або але будь в вам ви вона від він для до з за його ласка мені ми на не по та у "
        "це що я як якщо і "
    ),
    "ru": _words(
        "быть в вам вы для его если за и или как мне мы на не но он она от по пожалуйста "
        "с у что это я "
    ),
    "ar": _words("أن إذا إلى التي الذي على عن في كان كل لا ما مع من هذا هو هي يتم "),
    "fa": _words("آن از است اگر این با برای به تا خود در را شما من می هر و که یک "),
}
_LETTERS: dict[str, str] = {
    "de": "äöüß",
    "tr": "şğıç",
    "pl": "ąćęłńśźżó",
    "ro": "ăâîșțşţ",
    "uk": "іїєґ",
    "ru": "ыэъё",
    "fa": "پچژگیک",
    "ar": "ةيكى",
}
_SCRIPT_LANGS = {
    "Latin": ("de", "en", "tr", "pl", "ro"),
    "Cyrillic": ("uk", "ru"),
    "Arabic": ("ar", "fa"),
}
_VOWELS = set("aeiouyäöüıâîăóąęéèàаеёиоуыэюяіїєاوي")
_NUMBERISH = re.compile(r"^[\d.,:/€%+\-–()]+[A-Za-z€]{0,3}$")
_LATIN_WORD = re.compile(
    r"^(?:[A-ZÄÖÜÇĞİŞĂÂÎȘȚĄĆĘŁŃÓŚŹŻ]?[a-zäöüßçğışăâîșțşţąćęłńóśźż]+|"
    r"[A-ZÄÖÜÇĞİŞĂÂÎȘȚĄĆĘŁŃÓŚŹŻ]{2,})$"
)
_PUNCT = "\"'„“”‚‘’«»()[]{}.,;:!?¡¿-–—/\\*·•|_<>=«»،؛؟"


def script_of(text: str) -> str:
    """The dominant script of ``text``: Latin, Cyrillic, Arabic or unknown."""
    counts: Counter[str] = Counter()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        for script in ("LATIN", "CYRILLIC", "ARABIC"):
            if name.startswith(script):
                counts[script.capitalize()] += 1
                break
    if not counts:
        return "unknown"
    return counts.most_common(1)[0][0]


def _tokens(text: str) -> list[str]:
    return [t.strip(_PUNCT) for t in text.split() if t.strip(_PUNCT)]


def detect_language(text: str, script: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code and a 0–1 confidence for ``text``; ('und', 0) when there is too little."""
    script = script or script_of(text)
    candidates = _SCRIPT_LANGS.get(script)
    if not candidates:
        return "und", 0.0
    words = [t.lower() for t in _tokens(text)]
    if not words:
        return "und", 0.0
    letters = Counter(ch for ch in text.lower() if ch.isalpha())
    total_letters = max(sum(letters.values()), 1)
    scores: dict[str, float] = {}
    for lang in candidates:
        stop = sum(1 for w in words if w in _STOPWORDS[lang]) / len(words)
        special = sum(letters[c] for c in _LETTERS.get(lang, "").lower()) / total_letters
        scores[lang] = 4.0 * stop + 12.0 * special
    if "de" in scores:  # the kiosk stands in Germany: German wins ties and mixed cards
        scores["de"] += 0.1
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, best_score = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_score <= 0:
        return (candidates[0], 0.2)
    confidence = 1 - math.exp(-8 * (best_score - second)) * 0.9
    return best, round(min(1.0, max(0.0, confidence)), 3)


def is_plausible_word(token: str, script: str) -> bool:
    """True for tokens that look like real words or numbers (not OCR garbage)."""
    if _NUMBERISH.match(token):
        return any(ch.isdigit() for ch in token)
    if len(token) < 2:
        return False
    if script == "Latin":
        if not _LATIN_WORD.match(token):
            return False
        low = token.lower()
        if not any(ch in _VOWELS for ch in low):
            return len(low) <= 3 and low.isupper()
        return re.search(r"[^aeiouyäöüıâîăóąę]{6,}", low) is None
    if script == "Cyrillic":
        return all("CYRILLIC" in unicodedata.name(ch, "") or ch in "'’-" for ch in token)
    if script == "Arabic":
        return all("ARABIC" in unicodedata.name(ch, "") or ch == "\u200c" for ch in token)
    return False


def legibility(ocr: OcrResult) -> Legibility:
    """Confidence, real-word share, script and language of an OCR result."""
    script = script_of(ocr.text)
    words = [w for w in ocr.words if w.text.strip(_PUNCT)]
    scored = [w for w in words if len(w.text.strip(_PUNCT)) >= 2]
    mean_conf = sum(w.confidence for w in scored) / len(scored) if scored else 0.0
    plausible = [is_plausible_word(w.text.strip(_PUNCT), script) for w in scored]
    share = sum(plausible) / len(plausible) if plausible else 0.0
    language, _ = detect_language(ocr.text, script)
    return Legibility(round(mean_conf, 2), round(share, 3), len(scored), script, language)
