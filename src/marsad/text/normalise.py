"""Text normalisation for Arabic and English social-media posts.

One function, :func:`normalise`, used everywhere text is compared or fed to a model, so training and scoring see
the same thing. It is deliberately lossy in the ways that carry no meaning for stance:

Arabic
    diacritics (tashkeel) and Qur'anic marks removed; tatweel (ـ) removed; alef variants (أ إ آ ٱ) -> ا;
    alef maqsura ى -> ي; ta marbuta ة -> ه; hamza on waw/ya (ؤ ئ) -> و ي; Arabic-Indic and Persian digits ->
    ASCII; Arabic punctuation (، ؛ ؟) -> spaces; presentation forms folded by NFKC (e.g. the ligature ﻻ).
English
    lower case; HTML entities unescaped (``&amp;`` -> ``&``).
Both
    URLs -> ``httpurl``; @mentions -> ``@user`` (handles identify authors, not stance); hashtags lose their
    underscores (``#الدولة_الإسلامية`` -> ``# الدوله الاسلاميه``) so the words inside match the same words in running
    text; a run of three or more of the same character (elongation, ``هههههه``, ``soooo``) is cut to two;
    punctuation becomes a space; whitespace collapses to single spaces.
"""
from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["normalise", "normalise_arabic", "strip_diacritics", "fold_digits", "ARABIC_CHARS"]

ARABIC_CHARS = "\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF"

_DIACRITICS = re.compile("[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED\u0640]")
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
        "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "ۀ": "ه",
        "ک": "ك", "ی": "ي",  # Persian keyboard forms common in Arabic tweets
        "،": " ", "؛": " ", "؟": " ? ", "٪": "%", "٫": ".", "٬": ",",
    }
)
_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}})

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# "@ handle" with a space is how machine translation mangles mentions
_MENTION = re.compile(r"@\s?[A-Za-z0-9_]{1,50}")
_ELONGATION = re.compile(r"(\D)\1{2,}")
# keep letters, digits, marks, '#', '@', '?' and '!' (one of each) and emoji; everything else is a separator
_PUNCT = re.compile(r"[^\w#@?!\s\U0001F000-\U0001FAFF\u2600-\u27BF]|_")
_REPEAT_PUNCT = re.compile(r"([?!#])[?!#\s]*")


def strip_diacritics(text: str) -> str:
    """Remove Arabic diacritics, Qur'anic annotation marks and tatweel."""
    return _DIACRITICS.sub("", text)


def fold_digits(text: str) -> str:
    """Arabic-Indic and Persian digits to ASCII digits."""
    return text.translate(_DIGITS)


def normalise_arabic(text: str) -> str:
    """Arabic-specific folding only (no case, URL or punctuation handling)."""
    return strip_diacritics(text).translate(_ARABIC_FOLD).translate(_DIGITS)


def normalise(text: str | None) -> str:
    """Normalise one post for matching and modelling (see the module docstring). ``None`` gives ``""``."""
    if not text:
        return ""
    t = str(text)
    if not unicodedata.is_normalized("NFKC", t):
        t = unicodedata.normalize("NFKC", t)
    if "&" in t:
        t = html.unescape(t)
    if "://" in t or "www." in t:
        t = _URL.sub(" httpurl ", t)
    if "@" in t:
        t = _MENTION.sub(" @user ", t)
    t = normalise_arabic(t).lower()
    t = _ELONGATION.sub(r"\1\1", t)
    t = _PUNCT.sub(" ", t)
    if "?" in t or "!" in t or "#" in t:
        t = _REPEAT_PUNCT.sub(r" \1 ", t)
    return " ".join(t.split())
