"""Text folding and tokenising for place names: one function used on both sides of every gazetteer lookup.

``fold`` maps a token to its lookup form: NFKC (so fullwidth and mathematical letters become plain ones), case
folded, Latin diacritics removed (Jyväskylä -> jyvaskyla), Arabic-script letters unified (hamza forms of alef,
alef maqsura, taa marbuta, Persian/Urdu yeh, kaf and heh) and Arabic diacritics and tatweel dropped.
``segments`` splits a string into comma-delimited segments of tokens, keeping each token's original spelling
(needed for case-sensitive abbreviations such as "US" and state codes after a comma).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: longest string we look at; profile locations are short, anything longer is cut (hostile input stays cheap)
MAX_CHARS = 400

_ARABIC_MAP = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ې": "ي", "ۍ": "ي", "ئ": "ي",
    "ک": "ك", "ہ": "ه", "ۀ": "ه", "ھ": "ه", "ۃ": "ه", "ؤ": "و",
}
_ARABIC_DROP = [chr(c) for c in list(range(0x064B, 0x0660)) + [0x0670, 0x0640] + list(range(0x06D6, 0x06EE))]
_INVISIBLE = [chr(c) for c in [0x00AD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0xFE0F, 0xFE0E]
              + list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A))]
_SPECIAL_LATIN = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
                  "ħ": "h", "ŧ": "t"}


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in range(0xC0, 0x250):  # Latin-1 supplement and Latin extended A/B: strip diacritics
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base
    for cp in range(0x1E00, 0x1F00):  # Latin extended additional (Vietnamese, transliterations: ā ī ḥ ṣ)
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base
    for k, v in _SPECIAL_LATIN.items():
        table[ord(k)] = v
    for k, v in _ARABIC_MAP.items():
        table[ord(k)] = v
    for ch in _ARABIC_DROP + _INVISIBLE:
        table[ord(ch)] = None
    for cp in range(0x300, 0x370):  # combining diacritics left over after casefold
        table[cp] = None
    return table


class _SplitTable(dict):
    """str.translate table filled on first sight of each character (building it for all of Unicode up front
    costs a second at import)."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        out = " " if unicodedata.category(ch)[0] in "PSZC" else ch
        self[cp] = out
        return out


def _build_split_table() -> dict[int, str]:
    """Punctuation, symbols, separators and control characters become spaces; commas become a ' , ' marker."""
    table: dict[int, str] = _SplitTable()
    for ch in ",،、，;؛":
        table[ord(ch)] = " , "
    for ch in "/|•·✈+&\n\r\t":
        table[ord(ch)] = " / "
    # apostrophes inside words are dropped (Male' / King's / N'Djamena)
    for ch in "'’ʼ`´":
        table[ord(ch)] = ""
    for ch in _INVISIBLE:
        table[ord(ch)] = ""
    return table


_FOLD = _build_fold_table()
_SPLIT = _build_split_table()
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F]")
_ARABIC_PREFIX = re.compile(r"^(?:[وف])?(?:[بلك])?(?:ال|لل)(?=..)")


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Lookup form of one token or phrase (no tokenising)."""
    return unicodedata.normalize("NFKC", token).casefold().translate(_FOLD).strip()


def fold_phrase(text: str) -> str:
    """Lookup form of a whole name: tokens folded and joined by single spaces (how gazetteer keys are made)."""
    return " ".join(unicodedata.normalize("NFKC", clean(text).replace(" , ", " ").replace(" / ", " "))
                    .casefold().translate(_FOLD).split())


def clean(text: str) -> str:
    """NFKC, cut to :data:`MAX_CHARS`, punctuation to spaces (commas and slashes kept as markers)."""
    return unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_SPLIT)


def is_arabic(token: str) -> bool:
    return bool(_ARABIC_SCRIPT.search(token))


def strip_arabic_article(folded: str) -> str:
    """'والرقه' / 'بالرقه' / 'الرقه' -> 'رقه' (the article and one-letter prepositions before it)."""
    return _ARABIC_PREFIX.sub("", folded) if is_arabic(folded) else folded


def segments(text: str) -> list[tuple[int, list[tuple[str, str]]]]:
    """Comma-delimited segments, each ``(part, tokens)`` with tokens as (original, folded). ``part`` counts the
    slash/pipe/bullet/plane/"&"/newline-separated parts: commas join the levels of one place ("Austin, TX"),
    the other separators join different places ("Gaza/Geneva"). Digits-only tokens are kept so n-grams do not
    bridge them, but they never match a name."""
    out: list[tuple[int, list[tuple[str, str]]]] = []
    part = 0
    for chunk in re.split(r" / ", " " + clean(text) + " "):
        had = False
        for seg in chunk.split(" , "):
            toks = [(t, fold(t)) for t in seg.split()]
            if "و" in seg.split():  # Arabic "and" between two places: "القاهرة و دمشق"
                i = next(k for k, t in enumerate(toks) if t[0] == "و")
                if toks[:i]:
                    out.append((part, toks[:i]))
                    part, had = part + 1, False
                toks = toks[i + 1:]
            if toks:
                out.append((part, toks))
                had = True
        part += had
    return out


_NO_SPACE_SCRIPT = re.compile(r"[\u0E00-\u0EFF\u1000-\u109F\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]")


def unspaced(token: str) -> bool:
    """Written in a script without spaces between words (Thai, Lao, Burmese, Chinese, Japanese, Korean)."""
    return bool(_NO_SPACE_SCRIPT.search(token))


